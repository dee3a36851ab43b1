/**
 * `secure:` values nested inside a structured key. Pulumi reports secrecy per top-level key (`isConfigSecret`), so
 * the program cannot tell which value inside was the secure one. Only `velero.extraValues` is a place for secrets
 * (e.g. a proxy URL with a password in `configuration.extraEnvVars`): when `cluster-backup:velero` is secret, every
 * value of `velero.extraValues` becomes a Pulumi secret on its own, so the chart values carry them as secrets while
 * the rest of the values stay readable. Any other structured key holding a secret is refused: its values go in plain
 * text into resources, names and outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConfigProblem } from "../config-problem";

/** The structured key allowed to hold nested secrets. */
export const SECRET_CAPABLE_KEY = "velero";

/** Problems for structured keys other than `velero` that Pulumi marks secret. */
export function nestedSecretProblems(secretKeys: Iterable<string>, credentialKeys: readonly string[]): ConfigProblem[] {
  return [...secretKeys]
    .filter((key) => key.startsWith("cluster-backup:"))
    .map((key) => key.slice("cluster-backup:".length))
    .filter((key) => key !== SECRET_CAPABLE_KEY && !credentialKeys.includes(key))
    .map((key) => ({
      path: key,
      message: `holds a 'secure:' value, but its values are written in plain text into resources and outputs; secrets belong in velero.extraValues or ${credentialKeys.join(", ")}: remove the 'secure:' or move the value there`,
    }));
}

/** A deep copy of `value` with every scalar wrapped in pulumi.secret (objects and arrays keep their shape). */
export function secretLeaves<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => secretLeaves(v)) as T;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretLeaves(v)])) as T;
  return (value === null || value === undefined ? value : pulumi.secret(value)) as T;
}
