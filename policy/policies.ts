/**
 * The pack's policies for the Pulumi CLI (`pulumi preview --policy-pack policy`), wrapping the rules of rules/. Kept
 * apart from index.ts so tests and scripts can import them: constructing a PolicyPack starts a gRPC server.
 *
 * A rule runs as a resource policy on each resource's INPUTS (the engine's Analyze call), with the stack name and the
 * policy config as its context; only a rule that compares custom resources runs as a stack policy, because the engine
 * hands stack policies every resource's OUTPUTS (AnalyzeStack; a Helm v4 Chart's outputs carry no chart or values).
 * @pulumi/policy 1.21.0 server.js: makeAnalyzeRpcFun deserializes `req.getProperties()` (the inputs),
 * makeAnalyzeStackRpcFun each `r.getProperties()` of the stack's resources ("the outputs, after any mutations"). During
 * a preview, values that are not known yet are left out: a resource with unknown values is not judged (it is on the
 * next preview or update).
 */
import type { Policies, PolicyConfigSchema, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { buildContext, DEFAULT_SETTINGS, SETTING_SCHEMAS, settingsFrom } from "./rules/context";
import { judged, RULES } from "./rules/index";
import { CHART_TYPES } from "./rules/k8s";
import type { PolicyResource, Rule } from "./rules/types";

export { RULES } from "./rules/index";

/** What the CLI hands a policy about one resource. */
interface CliResource {
  type: string;
  urn: string;
  name: string;
  props: Record<string, unknown>;
  opts: { protect: boolean; parent?: string };
}

/** A plain deep copy of proxied props; `complete` is false when an unknown (preview) value was dropped. */
export function snapshot(value: unknown): { value: unknown; complete: boolean } {
  if (typeof value !== "object" || value === null) return { value, complete: true };
  let complete = true;
  const copy = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null) return v;
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(v)) {
      try {
        entries.push([key, copy((v as Record<string, unknown>)[key])]);
      } catch (err) {
        if ((err as Error)?.constructor?.name !== "UnknownValueError") throw err;
        complete = false;
      }
    }
    return Array.isArray(v) ? entries.map(([, x]) => x) : Object.fromEntries(entries);
  };
  return { value: copy(value), complete };
}

/** Components as the engine reports them: this program's, the stack, Helm v4 charts (remote components). */
function isComponentType(type: string): boolean {
  return type === "pulumi:pulumi:Stack" || type.startsWith("cluster-backup:") || (CHART_TYPES.has(type) && type !== "kubernetes:helm.sh/v3:Release");
}

/** The rules' view of a resource the CLI reports; `complete` false when it holds values unknown during preview. */
function fromCli(r: CliResource): { resource: PolicyResource; complete: boolean } {
  const { value, complete } = snapshot(r.props);
  const resource: PolicyResource = {
    type: r.type,
    name: r.name,
    urn: r.urn,
    custom: !isComponentType(r.type),
    protect: r.opts.protect === true,
    parent: r.opts.parent || undefined,
    inputs: (value ?? {}) as Record<string, unknown>,
  };
  return { resource, complete };
}

function configSchema(rule: Rule): PolicyConfigSchema | undefined {
  if (rule.settings.length === 0) return undefined;
  return { properties: Object.fromEntries(rule.settings.map((key) => [key, { ...SETTING_SCHEMAS[key], default: [...DEFAULT_SETTINGS[key]] }])) };
}

function report(rule: Rule, resource: PolicyResource, context: ReturnType<typeof buildContext>, reportViolation: ReportViolation): void {
  if (!judged(resource)) return;
  for (const message of rule.validate(resource, context)) reportViolation(message, resource.urn);
}

/** What a resource policy and a stack policy of a rule share: name, description, enforcement and settings. */
function policyBase(rule: Rule): Pick<ResourceValidationPolicy, "name" | "description" | "enforcementLevel" | "configSchema"> {
  return { name: rule.name, description: rule.description, enforcementLevel: rule.enforcementLevel, configSchema: configSchema(rule) };
}

function resourcePolicy(rule: Rule): ResourceValidationPolicy {
  return {
    ...policyBase(rule),
    validateResource: (args, reportViolation) => {
      const { resource, complete } = fromCli(args as unknown as CliResource);
      if (!complete) return;
      report(rule, resource, buildContext([resource], settingsFrom(args.getConfig())), reportViolation);
    },
  };
}

function stackPolicy(rule: Rule): StackValidationPolicy {
  return {
    ...policyBase(rule),
    validateStack: (args, reportViolation) => {
      const views = args.resources.map((r) => fromCli({ type: r.type, urn: r.urn, name: r.name, props: r.props, opts: { protect: r.opts.protect, parent: r.parent?.urn ?? r.opts.parent } }));
      const context = buildContext(
        views.map((v) => v.resource),
        settingsFrom(args.getConfig()),
      );
      for (const view of views) if (view.complete) report(rule, view.resource, context, reportViolation);
    },
  };
}

/** Every policy of the pack (all mandatory unless configured otherwise). */
export const policies: Policies = RULES.map((rule) => (rule.stackWide ? stackPolicy(rule) : resourcePolicy(rule)));
