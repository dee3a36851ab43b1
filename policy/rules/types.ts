/**
 * The vocabulary every rule of the policy pack is written in. A rule is a pure function over a normalised view of one
 * resource plus the context of its stack, so the same definition runs under the Pulumi CLI (policies.ts), offline over
 * a plan's resources.json (scripts/lib/policy-runner.ts) and, for the rules about objects the hosting panel creates,
 * inside the cluster as CEL (rules/admission.ts).
 */

/** One resource as a rule sees it: its inputs (never provider outputs), the options that matter, its place. */
export interface PolicyResource {
  /** Pulumi type token, e.g. `kubernetes:core/v1:Namespace`. */
  readonly type: string;
  /** Pulumi resource name. */
  readonly name: string;
  readonly urn: string;
  /** False for component resources (rules skip them, except Helm charts whose values are judged). */
  readonly custom: boolean;
  /** Resource option `protect`. */
  readonly protect: boolean;
  /** URN of the parent resource, when known. */
  readonly parent?: string;
  /** The resource's inputs (for a Kubernetes object: apiVersion, kind, metadata, spec/data...). */
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** Values a rule may depend on beyond the resource itself (policy config, the stack's own declarations). */
export interface PolicyContext {
  /** Stack name taken from the URNs. */
  readonly stack: string;
  /** The stack is a production stack: its stack name is one of `productionStacks`, or the program says so. */
  readonly production: boolean;
  /** Namespaces holding Garage's volumes (rule garage-pvc-one-strategy). */
  readonly garageNamespaces: readonly string[];
  /** StorageClass names backed by Ceph RBD (rule benji-pvc-ceph-rbd). */
  readonly cephRbdStorageClasses: readonly string[];
  /** Namespaces meant for privileged pods: Velero node-agent, Benji, zrepl. */
  readonly privilegedNamespaces: readonly string[];
  /** Every resource of the stack, for rules that compare resources with each other. */
  readonly resources: readonly PolicyResource[];
}

/** The policy config keys a rule may read (Pulumi `--policy-pack-config`, `npm run policy -- --config`). */
export interface PolicySettings {
  /** Stack names treated as production (default `["prod", "production"]`). */
  readonly productionStacks: readonly string[];
  readonly garageNamespaces: readonly string[];
  readonly cephRbdStorageClasses: readonly string[];
  readonly privilegedNamespaces: readonly string[];
}

export type SettingKey = keyof PolicySettings;

export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** A rule of the pack. */
export interface Rule {
  /** Policy name (kebab-case, unique): printed in every violation line. */
  readonly name: string;
  /** What the rule guards and why (shown by the Pulumi CLI). */
  readonly description: string;
  readonly enforcementLevel: Exclude<EnforcementLevel, "disabled">;
  /**
   * True when the rule compares resources with each other. Under the Pulumi CLI it then runs as a stack policy, which
   * sees every resource's OUTPUTS (AnalyzeStack: custom resources' outputs carry what was sent, a Helm v4 Chart's carry
   * no chart or values), so such a rule may read custom resources and resource options only. Any other rule runs as a
   * resource policy on the resource's INPUTS (Analyze), with the stack name and the policy config as its context
   * (offline, evaluateRules also gives it what the stack declares: see context.ts).
   */
  readonly stackWide: boolean;
  /** Policy config keys the rule reads; they form its `configSchema`. */
  readonly settings: readonly SettingKey[];
  /** Messages for one resource; empty when it complies or the rule does not concern it. */
  readonly validate: (resource: PolicyResource, context: PolicyContext) => string[];
}

/** One violation as the offline runner reports it. */
export interface Violation {
  readonly policy: string;
  readonly enforcementLevel: Exclude<EnforcementLevel, "disabled">;
  readonly urn: string;
  readonly message: string;
}

/** A mandatory rule that reads only its resource (under the Pulumi CLI: a resource policy on its inputs). */
export function resourceRule(name: string, description: string, validate: (resource: PolicyResource) => string[]): Rule {
  return { name, description, enforcementLevel: "mandatory", stackWide: false, settings: [], validate };
}
