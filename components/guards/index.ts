/**
 * Guardrails: config values that would weaken a backup without failing anything (retention that keeps one copy,
 * sizes without a unit, foreign namespaces, bucket names a store refuses, pass-through chart values over the
 * program's own, pod paths that are not kubelet's). Some floors can be lifted for one key with
 * `overrides: {"<key>": "<reason>"}`; every lifted guard is listed in summary.md and as a coverage.md gap.
 */
import { benjiRetentionGuard, scheduleFrequencyGuard, timeoutGuard, veleroRetentionGuard, zreplRetentionGuard } from "./retention";
import { sizeGuard } from "./sizes";
import { ownedNamespaceGuard, systemExclusionsGuard } from "./namespaces";
import { bucketNameGuard, podVolumePathGuard } from "./storage-names";
import { extraValuesOwnedGuard } from "./extra-values";
import type { ConfigProblem } from "../config-problem";
import type { Guard, GuardConfig, GuardProblem } from "./types";

const GUARDS: Guard[] = [
  veleroRetentionGuard,
  scheduleFrequencyGuard,
  benjiRetentionGuard,
  zreplRetentionGuard,
  timeoutGuard,
  sizeGuard,
  ownedNamespaceGuard,
  systemExclusionsGuard,
  bucketNameGuard,
  podVolumePathGuard,
  extraValuesOwnedGuard,
];

/** A guard lifted by `overrides`, with what it would have said. */
export interface AcceptedOverride {
  /** The config key whose floor is lifted, e.g. `flows.tenants.ttl`. */
  readonly key: string;
  /** The operator's reason, from `overrides.<key>`. */
  readonly reason: string;
  /** The refusals lifted (without the key). */
  readonly lifted: readonly string[];
}

function run(cfg: GuardConfig): GuardProblem[] {
  return GUARDS.flatMap((guard) => guard(cfg));
}

function overridesOf(cfg: GuardConfig): Record<string, string> {
  return (cfg as { overrides?: Record<string, string> }).overrides ?? {};
}

/** The refusals of the guards that no override lifts, and overrides that lift nothing. */
export function guardProblems(cfg: GuardConfig): ConfigProblem[] {
  const overrides = overridesOf(cfg);
  const problems = run(cfg);
  const kept = problems
    .filter((p) => !(p.overridable && p.path in overrides))
    .map(({ path, message, value, overridable }) => ({
      path,
      message: overridable ? `${message}; to accept it anyway set overrides."${path}" to the reason` : message,
      ...(value !== undefined ? { value } : {}),
    }));
  const liftable = new Set(problems.filter((p) => p.overridable).map((p) => p.path));
  const stale = Object.keys(overrides)
    .filter((key) => !liftable.has(key))
    .map((key) => ({ path: `overrides.${key}`, message: `lifts no guard: '${key}' is within its floor or is no key with an overridable floor; remove the override` }));
  return [...kept, ...stale];
}

/** The guards lifted by `overrides`, for summary.md and coverage.md. */
export function acceptedOverrides(cfg: GuardConfig): AcceptedOverride[] {
  const overrides = overridesOf(cfg);
  const problems = run(cfg).filter((p) => p.overridable && p.path in overrides);
  return [...new Set(problems.map((p) => p.path))].map((key) => ({ key, reason: overrides[key], lifted: problems.filter((p) => p.path === key).map((p) => p.message) }));
}

/** One summary line per lifted guard. */
export function overrideSummaryNotes(accepted: readonly AcceptedOverride[]): string[] {
  return accepted.map((o) => `Guard lifted by overrides."${o.key}" (${o.reason}): ${o.key} ${o.lifted.join("; ")}`);
}
