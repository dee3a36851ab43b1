/**
 * The one reader of Pulumi config. Parses the `cluster-backup:` namespace against the schema, applies the
 * cross-field rules, and returns one typed object; secret values come back as Pulumi secrets. Any problem throws a
 * {@link ConfigError} listing one line per problem, before a single resource is created.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { stackConfigSchema, SECRET_KEYS, STRING_KEYS, type ParsedConfig } from "./config-schema";
import { crossFieldProblems, type ConfigProblem } from "./config-rules";
import { unknownNamespaceProblems } from "./config-namespaces";
import { guardProblems } from "./guards";
import { nestedSecretProblems, secretLeaves, SECRET_CAPABLE_KEY } from "./guards/secret-config";
import { REDACTED } from "../policy/shared/redaction";

export const NAMESPACE = "cluster-backup";

type SecretKey = (typeof SECRET_KEYS)[number];

/** The validated stack configuration handed to components. */
export type StackConfig = Omit<ParsedConfig, SecretKey> & {
  /** Stack name (`dev`, `prod`, ...). */
  readonly stack: string;
  /** Production: buckets and backup data are protected and retained on delete. */
  readonly production: boolean;
  /** `secure:` values, as Pulumi secrets. */
  readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;
};

/** A configuration that cannot be deployed; `problems` holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? "nothing" : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatProblem(p: ConfigProblem, secret: boolean): string {
  const given = "value" in p && p.value !== undefined ? ` (got ${secret ? REDACTED : show(p.value)})` : "";
  return `${NAMESPACE}:${p.path}: ${p.message}${given}`;
}

/** The object schema found at a path, to name the keys allowed where an unknown one was given. */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType = stackConfigSchema;
  for (const segment of [...path, null]) {
    for (;;) {
      const def = (schema as z.ZodType).def as { type: string; innerType?: z.core.$ZodType; valueType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; in?: z.core.$ZodType };
      if (def.innerType) schema = def.innerType;
      else if (def.type === "pipe" && def.in) schema = def.in;
      else break;
    }
    const def = (schema as z.ZodType).def as { type: string; valueType?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
    if (segment === null) return def.shape ? Object.keys(def.shape) : [];
    if (def.type === "record" && def.valueType) schema = def.valueType;
    else if (def.shape && typeof segment === "string" && def.shape[segment]) schema = def.shape[segment];
    else return [];
  }
  return [];
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeys(issue.path);
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: `unknown key; expected one of: ${allowed.join(", ")}`,
      }));
    }
    return [{ path: path || "(root)", message: issue.message, value: issue.input }];
  });
}

/** Turns raw `cluster-backup:*` config strings into the structured values Pulumi stored them from. */
function decode(raw: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw)) {
    const key = fullKey.slice(NAMESPACE.length + 1);
    if (STRING_KEYS.has(key)) {
      out[key] = text;
      continue;
    }
    try {
      out[key] = JSON.parse(text);
    } catch {
      out[key] = text;
    }
  }
  return out;
}

/**
 * Validates raw config (`{"cluster-backup:velero": "<json>", ...}`) for a stack. Pure: tests call it with literals.
 * `secretKeys` are the full keys Pulumi marked secret.
 */
export function parseStackConfig(raw: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string>, stack: string): StackConfig {
  const own = Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith(`${NAMESPACE}:`)));
  const decoded = decode(own);
  const isSecret = (path: string) => SECRET_KEYS.some((k) => path === k) || secretKeys.has(`${NAMESPACE}:${path}`);
  const problems: ConfigProblem[] = nestedSecretProblems(secretKeys, SECRET_KEYS);
  for (const key of SECRET_KEYS) {
    if (key in decoded && !secretKeys.has(`${NAMESPACE}:${key}`)) {
      problems.push({ path: key, message: `holds a credential and must be a secret: pulumi config set --secret ${key} <value>` });
    }
  }
  const parsed = stackConfigSchema.safeParse(decoded, { reportInput: true });
  if (!parsed.success) problems.push(...zodProblems(parsed.error));
  else problems.push(...crossFieldProblems(parsed.data), ...guardProblems(parsed.data));
  const namespaceProblems = unknownNamespaceProblems(Object.keys(raw), NAMESPACE, allowedKeys([]));
  if (problems.length > 0 || namespaceProblems.length > 0) {
    throw new ConfigError([...namespaceProblems, ...problems.map((p) => formatProblem(p, isSecret(p.path.split(".")[0])))]);
  }

  const data = parsed.data!;
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  const rest: Record<string, unknown> = { ...data };
  for (const key of SECRET_KEYS) {
    if (data[key] !== undefined) secrets[key] = pulumi.secret(data[key]);
    delete rest[key];
  }
  // A secure value nested in cluster-backup:velero: every extraValues value stays a secret up to the chart.
  if (secretKeys.has(`${NAMESPACE}:${SECRET_CAPABLE_KEY}`)) rest.velero = { ...data.velero, extraValues: secretLeaves(data.velero.extraValues) };
  return { ...(rest as Omit<ParsedConfig, SecretKey>), stack, production: data.environment === "prod", secrets };
}

/** Reads and validates the current stack's config from the Pulumi runtime. */
export function loadConfig(): StackConfig {
  const raw = pulumi.runtime.allConfig();
  // isConfigSecret is public at runtime but marked @internal in the typings: the only way to tell a `secure:` value.
  const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = new Set(Object.keys(raw).filter((k) => isConfigSecret(k)));
  return parseStackConfig(raw, secretKeys, pulumi.getStack());
}
