/**
 * The rules of the pack, in one list, and their evaluation over a set of resources (the offline runner's engine; the
 * Pulumi CLI runs the same rules through policies.ts).
 */
import { ADMISSION_RULES, packRule } from "./admission";
import { buildContext, settingsFrom } from "./context";
import { CHART_TYPES } from "./k8s";
import { SECURITY_RULES } from "./security";
import { PROD_BUCKETS_PROTECTED } from "./storage";
import { IMAGES_DIGEST } from "./images-digest";
import type { EnforcementLevel, PolicyResource, Rule, Violation } from "./types";
import {
  NODE_AGENT_KOPIA,
  SCHEDULE_FILTERS_NOT_MIXED,
  SCHEDULE_NO_OWNER_REFERENCES,
  SCHEDULE_NO_SKIP_IMMEDIATELY,
  SCHEDULE_NO_TENANT_SELECTOR,
  SCHEDULE_TTL,
  VELERO_BACKUP_VOLUMES_EXIST,
  VELERO_HOOKS_PAIRED,
  VSC_VELERO_LABEL,
} from "./velero";
import { CRONJOB_TIMEZONE, IMAGES_PINNED, NO_CREDENTIALS_IN_CONFIGMAPS, PRIVILEGED_NAMESPACES_PSA, PRIVILEGED_PODS_IN_THEIR_NAMESPACES } from "./workloads";

/** Every rule: the label and Velero rules (1-8 in the order of docs/design.md §4.9), the extra ones it names, then images-digest and the least-privilege rules. */
export const RULES: readonly Rule[] = [
  ...ADMISSION_RULES.map(packRule), // 1-4
  SCHEDULE_NO_TENANT_SELECTOR, // 5
  SCHEDULE_TTL, // 5
  SCHEDULE_NO_OWNER_REFERENCES, // 5
  VELERO_HOOKS_PAIRED, // 6
  VELERO_BACKUP_VOLUMES_EXIST, // 6
  NO_CREDENTIALS_IN_CONFIGMAPS, // 7
  PRIVILEGED_PODS_IN_THEIR_NAMESPACES, // 7
  PROD_BUCKETS_PROTECTED, // 8
  SCHEDULE_NO_SKIP_IMMEDIATELY,
  SCHEDULE_FILTERS_NOT_MIXED,
  IMAGES_PINNED,
  NODE_AGENT_KOPIA,
  CRONJOB_TIMEZONE,
  PRIVILEGED_NAMESPACES_PSA,
  VSC_VELERO_LABEL,
  IMAGES_DIGEST, // advisory: tag-only images of privileged or secret-handling containers
  ...SECURITY_RULES, // least privilege: benji-label-not-on-tenants, rbac-unnarrowable-grants-guarded, rbac-no-escalation
];

/** Rules judge custom resources and Helm charts (whose values the cluster gets); other components are skipped. */
export function judged(resource: PolicyResource): boolean {
  return resource.custom || CHART_TYPES.has(resource.type);
}

/**
 * Policy config in the form of `pulumi preview --policy-pack-config <file>`: per policy name, an enforcement level or
 * an object with `enforcementLevel` and the policy's settings.
 */
export type PolicyConfig = Readonly<Record<string, unknown>>;

/** The enforcement level of a rule after config. */
export function enforcementOf(rule: Rule, config: PolicyConfig): EnforcementLevel {
  const entry = config[rule.name];
  const level = typeof entry === "string" ? entry : (entry as { enforcementLevel?: unknown } | undefined)?.enforcementLevel;
  return level === "advisory" || level === "mandatory" || level === "disabled" ? level : rule.enforcementLevel;
}

/** Runs every enabled rule over `resources`; violations in rule order, then resource order. */
export function evaluateRules(resources: readonly PolicyResource[], config: PolicyConfig = {}): Violation[] {
  const violations: Violation[] = [];
  for (const rule of RULES) {
    const level = enforcementOf(rule, config);
    if (level === "disabled") continue;
    const context = buildContext(resources, settingsFrom(config[rule.name]));
    for (const resource of resources.filter(judged)) {
      for (const message of rule.validate(resource, context)) violations.push({ policy: rule.name, enforcementLevel: level, urn: resource.urn, message });
    }
  }
  return violations;
}
