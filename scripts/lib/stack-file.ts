/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program: every value a string (structured
 * values as JSON), `secure:` values marked secret. Offline, a secure value cannot be decrypted, so it becomes a
 * placeholder of the form its key expects.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface StackConfigInput {
  config: Record<string, string>;
  secretKeys: string[];
  /** The secret values themselves (the placeholders of every `secure:` value, nested ones included). */
  secretValues: string[];
}

/** Placeholders shaped like the real value, so validation of the secret's form still runs offline. */
const SHAPED_PLACEHOLDERS: Record<string, string> = {
  "cluster-backup:benjiDatabaseUrl": "postgresql://benji:offline-placeholder@postgres.postgres.svc.cluster.local:5432/benji",
};

export function securePlaceholder(key: string): string {
  return SHAPED_PLACEHOLDERS[key] ?? `offline-placeholder-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

export class StackFileError extends Error {}

/** The stacks that have a `Pulumi.<stack>.yaml` in `dir`. */
export function knownStacks(dir: string): string[] {
  return readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces nested `{secure: ...}` values by placeholders; returns whether any was found. */
function replaceSecure(value: unknown, key: string, leaves: string[]): { value: unknown; secret: boolean } {
  if (isSecure(value)) {
    leaves.push(securePlaceholder(key));
    return { value: securePlaceholder(key), secret: true };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => replaceSecure(v, `${key}[${i}]`, leaves));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${key}.${k}`, leaves)] as const);
    return { value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])), secret: entries.some(([, v]) => v.secret) };
  }
  return { value, secret: false };
}

export function readStackFile(dir: string, stack: string): StackConfigInput {
  const file = join(dir, `Pulumi.${stack}.yaml`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || !existsSync(file)) {
    throw new StackFileError(`unknown stack '${stack}': there is no Pulumi.${stack}.yaml (known stacks: ${knownStacks(dir).join(", ") || "none"})`);
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackFileError(`Pulumi.${stack}.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const configSection = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof configSection !== "object" || configSection === null || Array.isArray(configSection)) {
    throw new StackFileError(`Pulumi.${stack}.yaml: 'config' must be a map of '<namespace>:<key>' to values`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretValues: string[] = [];
  for (const [key, raw] of Object.entries(configSection)) {
    if (!key.includes(":")) throw new StackFileError(`Pulumi.${stack}.yaml: config key '${key}' has no namespace; expected '<namespace>:<key>'`);
    const { value, secret } = replaceSecure(raw, key, secretValues);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys, secretValues };
}
