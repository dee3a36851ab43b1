/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a program: every value a string (structured
 * values as JSON), `secure:` values marked secret, project-level `config:` of `Pulumi.yaml` as defaults. Offline, a
 * secure value cannot be decrypted, so it becomes a placeholder of the form its key expects; an ESC `environment:`
 * cannot be opened at all, so such a stack file is refused rather than planned without it.
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
  "cluster-backup:benjiEncryption": '{"kdfSalt":"b2ZmbGluZS1wbGFjZWhvbGRlcg==","kdfIterations":20000,"password":"offline-placeholder"}',
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

/** Whether a project-level config entry is a declaration (`type`, `default`, ...) rather than a plain value. */
const DECLARATION_KEYS = ["type", "description", "default", "secret", "items"];

type ProjectEntry = { kind: "value"; value: unknown } | { kind: "declaration"; type?: string; default?: unknown; hasDefault: boolean; items?: { type?: string } };

/**
 * Project-level config of `Pulumi.yaml` (Pulumi ≥ 3.44, "project level config"): a plain value, `{value: ...}` (how
 * an object value is written), or a declaration `{type, description, default, secret, items}` where `type` is
 * `string`, `integer`, `boolean` or `array` (objects cannot be typed). Keys without a namespace belong to the project.
 * Only project keys may be declared; other namespaces take values only.
 */
export function readProjectConfig(projectDir: string): { project: string; entries: Map<string, ProjectEntry> } {
  const file = join(projectDir, "Pulumi.yaml");
  const entries = new Map<string, ProjectEntry>();
  if (!existsSync(file)) return { project: "", entries };
  let doc: { name?: unknown; config?: unknown } | null;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackFileError(`Pulumi.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const project = typeof doc?.name === "string" ? doc.name : "";
  const section = doc?.config ?? {};
  if (typeof section !== "object" || section === null || Array.isArray(section)) throw new StackFileError("Pulumi.yaml: 'config' must be a map");
  for (const [key, raw] of Object.entries(section)) {
    const fullKey = key.includes(":") ? key : `${project}:${key}`;
    const own = fullKey.startsWith(`${project}:`);
    if (raw && typeof raw === "object" && !Array.isArray(raw)) {
      const fields = Object.keys(raw);
      if (fields.length === 1 && fields[0] === "value") {
        entries.set(fullKey, { kind: "value", value: (raw as { value: unknown }).value });
        continue;
      }
      const unknown = fields.filter((f) => !DECLARATION_KEYS.includes(f));
      if (unknown.length > 0) throw new StackFileError(`Pulumi.yaml: config '${key}': unknown field ${unknown.join(", ")}; an object value goes under 'value:'`);
      if (!own) throw new StackFileError(`Pulumi.yaml: config '${key}' is not in the project's namespace and cannot be declared; give it a value only`);
      const d = raw as { type?: unknown; default?: unknown; items?: { type?: string } };
      if (d.type !== undefined && !["string", "integer", "boolean", "array"].includes(String(d.type))) {
        throw new StackFileError(`Pulumi.yaml: config '${key}': type must be string, integer, boolean or array (got ${JSON.stringify(d.type)})`);
      }
      entries.set(fullKey, { kind: "declaration", type: d.type as string | undefined, default: d.default, hasDefault: "default" in raw, items: d.items });
    } else {
      entries.set(fullKey, { kind: "value", value: raw });
    }
  }
  return { project, entries };
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Project-level config as defaults under the stack's own values; declarations checked as the CLI checks them. */
function withProjectConfig(stack: string, stackConfig: Record<string, unknown>, projectDir: string): Record<string, unknown> {
  const { entries } = readProjectConfig(projectDir);
  const merged: Record<string, unknown> = {};
  for (const [key, entry] of entries) {
    const given = key in stackConfig;
    if (entry.kind === "value") {
      merged[key] = entry.value;
      continue;
    }
    if (!given && !entry.hasDefault) throw new StackFileError(`Pulumi.${stack}.yaml: missing config '${key}', which Pulumi.yaml declares without a default`);
    const value = given ? stackConfig[key] : entry.default;
    const secure = isSecure(value);
    if (entry.type && !secure && typeOf(value) !== entry.type) {
      throw new StackFileError(`Pulumi.${stack}.yaml: config '${key}' must be of type ${entry.type}, as Pulumi.yaml declares (got ${JSON.stringify(value)})`);
    }
    if (entry.type === "array" && entry.items?.type && !secure && !(value as unknown[]).every((v) => typeOf(v) === entry.items!.type)) {
      throw new StackFileError(`Pulumi.${stack}.yaml: config '${key}' must be an array of ${entry.items.type}, as Pulumi.yaml declares (got ${JSON.stringify(value)})`);
    }
    if (!given) merged[key] = value;
  }
  return { ...merged, ...stackConfig };
}

export function readStackFile(dir: string, stack: string, projectDir: string = dir): StackConfigInput {
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
  const environment = (doc as { environment?: unknown } | null)?.environment;
  if (environment !== undefined && environment !== null) {
    const names = Array.isArray(environment) ? environment.map(String).join(", ") : JSON.stringify(environment);
    throw new StackFileError(
      `Pulumi.${stack}.yaml imports the Pulumi ESC environment ${names}: the offline plan cannot open an ESC environment and would plan without its values; run \`pulumi preview -s ${stack}\`, or copy the values into the stack file's config to plan offline`,
    );
  }
  const stackSection = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof stackSection !== "object" || stackSection === null || Array.isArray(stackSection)) {
    throw new StackFileError(`Pulumi.${stack}.yaml: 'config' must be a map of '<namespace>:<key>' to values`);
  }
  for (const key of Object.keys(stackSection)) {
    if (!key.includes(":")) throw new StackFileError(`Pulumi.${stack}.yaml: config key '${key}' has no namespace; expected '<namespace>:<key>'`);
  }
  const configSection = withProjectConfig(stack, stackSection as Record<string, unknown>, projectDir);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretValues: string[] = [];
  for (const [key, raw] of Object.entries(configSection)) {
    const { value, secret } = replaceSecure(raw, key, secretValues);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (secret) secretKeys.push(key);
  }
  return { config, secretKeys, secretValues };
}
