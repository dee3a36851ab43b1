/** One problem of a stack config, as every validation step (schema, rules, guards, component checks) reports it. */
export interface ConfigProblem {
  /** Dotted path below the `cluster-backup:` namespace, e.g. `flows.tenants.ttl`. */
  readonly path: string;
  /** What is wrong and the form expected. */
  readonly message: string;
  /** The value given, when there is one. */
  readonly value?: unknown;
}
