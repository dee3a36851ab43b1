/**
 * Runs the project's policy pack over a plan's resources without the Pulumi CLI (docs/plan-contract.md): the same rules as
 * `pulumi preview --policy-pack policy`, over the entries of resources.json (or a program run, redacted the same way).
 */
import { RULES, evaluateRules, enforcementOf, type PolicyConfig } from "../../policy/rules/index";
import { DEFAULT_SETTINGS } from "../../policy/rules/context";
import { isObj } from "../../policy/rules/k8s";
import type { PolicyResource, SettingKey, Violation } from "../../policy/rules/types";
import type { ProgramRun } from "./run-program";
import { Redactor } from "./redact";

export interface PolicyReport {
  /** One line per violation: `<enforcement> <policy-name> <urn>: <message>`. */
  lines: string[];
  mandatoryViolations: number;
  /** Lines appended to summary.md. */
  summary: string[];
}

/** resources.json (or the policy config) cannot be read: exit status 2. */
export class PolicyInputError extends Error {}

/** Validates the entries of resources.json and turns them into the rules' view. */
export function resourcesFromJson(entries: unknown, source = "resources.json"): PolicyResource[] {
  if (!Array.isArray(entries)) throw new PolicyInputError(`${source} must hold a JSON array of resources`);
  return entries.map((entry, i) => {
    const where = `${source}[${i}]`;
    if (!isObj(entry)) throw new PolicyInputError(`${where} must be an object {urn, type, name, custom, inputs, ...}`);
    for (const key of ["urn", "type", "name"] as const) {
      if (typeof entry[key] !== "string" || entry[key] === "") throw new PolicyInputError(`${where}.${key} must be a non-empty string (got ${JSON.stringify(entry[key]) ?? "nothing"})`);
    }
    if (typeof entry.custom !== "boolean") throw new PolicyInputError(`${where}.custom must be true or false (got ${JSON.stringify(entry.custom) ?? "nothing"})`);
    if (entry.inputs !== undefined && !isObj(entry.inputs)) throw new PolicyInputError(`${where}.inputs must be an object`);
    if (entry.protect !== undefined && typeof entry.protect !== "boolean") throw new PolicyInputError(`${where}.protect must be true or false`);
    if (entry.parent !== undefined && entry.parent !== null && typeof entry.parent !== "string") throw new PolicyInputError(`${where}.parent must be a URN or null`);
    return {
      urn: entry.urn as string,
      type: entry.type as string,
      name: entry.name as string,
      custom: entry.custom,
      protect: entry.protect === true,
      parent: typeof entry.parent === "string" ? entry.parent : undefined,
      inputs: (entry.inputs ?? {}) as Record<string, unknown>,
    };
  });
}

/** Validates a policy config (the `--policy-pack-config` form: policy name → level or settings). */
export function policyConfigFromJson(config: unknown, source = "policy config"): PolicyConfig {
  if (!isObj(config)) throw new PolicyInputError(`${source} must be a JSON object mapping policy names to an enforcement level or settings`);
  const rules = new Map(RULES.map((r) => [r.name, r]));
  for (const [name, entry] of Object.entries(config)) {
    const rule = rules.get(name);
    if (!rule) throw new PolicyInputError(`${source}: '${name}' is no policy of the pack; expected one of: ${[...rules.keys()].join(", ")}`);
    const level = isObj(entry) ? entry.enforcementLevel : entry;
    if (level !== undefined && !["advisory", "mandatory", "disabled"].includes(level as string)) {
      throw new PolicyInputError(`${source}: '${name}' has enforcement level ${JSON.stringify(level)}; expected advisory, mandatory or disabled, or an object of settings`);
    }
    for (const [key, value] of isObj(entry) ? Object.entries(entry) : []) {
      if (key === "enforcementLevel") continue;
      if (!(rule.settings as readonly string[]).includes(key)) {
        throw new PolicyInputError(`${source}: '${name}.${key}' is no setting of that policy; expected enforcementLevel${rule.settings.map((k) => `, ${k}`).join("")}`);
      }
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new PolicyInputError(`${source}: '${name}.${key}' is ${JSON.stringify(value)}; expected a list of names such as ["${DEFAULT_SETTINGS[key as SettingKey][0] ?? "name"}"]`);
      }
    }
  }
  return config;
}

function formatViolation(v: Violation): string {
  return `${v.enforcementLevel} ${v.policy} ${v.urn}: ${v.message}`;
}

/** Runs the pack and shapes its result: lines, the count of mandatory violations, the summary.md section. */
export function runPolicies(resources: readonly PolicyResource[], config: PolicyConfig = {}): PolicyReport {
  const violations = evaluateRules(resources, config);
  const lines = violations.map(formatViolation);
  const mandatoryViolations = violations.filter((v) => v.enforcementLevel === "mandatory").length;
  const enabled = RULES.filter((r) => enforcementOf(r, config) !== "disabled");
  const verdict = violations.length
    ? `${violations.length} violation${violations.length > 1 ? "s" : ""} (${mandatoryViolations} mandatory).`
    : "no violation.";
  const summary = [
    "## Policies",
    "",
    `${enabled.length} policies of the pack \`policy/\` ran over ${resources.length} resources: ${verdict}`,
    "",
    "| policy | enforcement | violations |",
    "| --- | --- | ---: |",
    ...RULES.map((r) => `| \`${r.name}\` | ${enforcementOf(r, config)} | ${violations.filter((v) => v.policy === r.name).length} |`),
    ...(lines.length ? ["", "```text", ...lines, "```"] : []),
  ];
  return { lines, mandatoryViolations, summary };
}

/** The pack over a program run, seen exactly as resources.json shows it (secrets redacted by value). */
export function policyReport(run: ProgramRun, config: PolicyConfig = {}): PolicyReport {
  const redactor = new Redactor(run.secretStrings, run.secretMarked);
  const resources: PolicyResource[] = run.registrations.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    protect: r.protect,
    parent: r.parent ?? undefined,
    inputs: redactor.value(r.inputs),
  }));
  return runPolicies(resources, config);
}
