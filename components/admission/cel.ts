/**
 * CEL literals for the ValidatingAdmissionPolicies this program writes by hand (drill, opt-out and Benji guards):
 * values from the config are embedded as literals, never concatenated as raw text.
 */

import { celString as celStr } from "../../policy/rules/admission";

/** A CEL string literal: the pack's own (single-quoted; backslash, quote and control characters escaped). */
export { celStr };

/**
 * A CEL literal of a JSON value: strings, integers, booleans, lists and maps with string keys. Map values are wrapped
 * in `dyn()` so a map mixing strings, lists and maps stays one well-typed `map(string, dyn)` for any type checker.
 */
export function celLiteral(value: unknown): string {
  if (typeof value === "string") return celStr(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`celLiteral: only integers are supported (got ${value})`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(celLiteral).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${celStr(k)}: dyn(${celLiteral(v)})`)
      .join(", ")}}`;
  }
  throw new Error(`celLiteral: unsupported value ${String(value)}`);
}

/** A CEL list literal of strings. */
export function celList(values: readonly string[]): string {
  return celLiteral([...values]);
}

/** The user name of a ServiceAccount as the API server sees it. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
