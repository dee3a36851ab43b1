/**
 * Runs the Pulumi program under the SDK's mocks and records every resource registration exactly as the engine would
 * receive it (inputs with their secret markers, parent, protect, dependencies), in registration order. Shared by the
 * offline plan, the tests and the benchmark.
 */
import { PlanMocks } from "./mocks";

type Json = unknown;

/** One registered resource as the engine receives it. */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  remote: boolean;
  parent: string | null;
  provider: string | null;
  /** Inputs with secrets unwrapped (see `secretInputs` for which values were secret). */
  inputs: Record<string, Json>;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  dependsOn: string[];
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  aliases: string[];
  /** `customTimeouts` (Go durations, "" when unset). */
  customTimeouts: { create: string; update: string; delete: string };
}

/** What the (mock) provider answered for a custom resource: what the engine writes to the state. */
export interface ResourceState {
  urn: string;
  type: string;
  /** The resource ID: never secret, in the state and the console in clear. */
  id: string;
  outputs: Record<string, Json>;
  /** Output keys the engine keeps secret: `additionalSecretOutputs` and outputs whose input was secret. */
  secretOutputs: string[];
}

export interface ProgramRun {
  registrations: Registration[];
  /** Provider answers of every custom resource, in registration order. */
  states: ResourceState[];
  /** Stack exports that are secret. */
  secretExports: string[];
  /** Resolved stack exports (secrets unwrapped). */
  exports: Record<string, Json>;
  /** Every string that was a secret somewhere: config, provider outputs, secret inputs and exports. */
  secretStrings: Set<string>;
  /** Strings that were marked secret in an input or export (may be derived from `secretStrings` primitives). */
  secretMarked: Set<string>;
}

export interface RunOptions {
  /** Stack name passed to the mocks. */
  stack: string;
  /** Full config map, `{"cluster-backup:velero": "<json>"}`. */
  config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys: string[];
  /**
   * The secret values, when known exactly (the stack file's `secure:` values): a structured key is secret as a whole
   * for Pulumi, but only these strings in it are. Default: every string of every secret key.
   */
  secretValues?: string[];
  /** Imports the program and returns its module (the stack exports). */
  load: () => Promise<Record<string, unknown>>;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Unwraps the wire format: secrets (recorded), resource references (to their URN), output values. */
function unwrap(value: Json, marked: Set<string>, inSecret = false): Json {
  if (Array.isArray(value)) return value.map((v) => unwrap(v, marked, inSecret));
  if (value === null || typeof value !== "object") {
    if (inSecret && typeof value === "string") marked.add(value);
    return value;
  }
  const obj = value as Record<string, Json>;
  switch (obj[SIG_KEY]) {
    case SECRET_SIG:
      return unwrap(obj.value, marked, true);
    case OUTPUT_SIG:
      return unwrap(obj.value, marked, inSecret || obj.secret === true);
    case RESOURCE_SIG:
      return obj.urn;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrap(v, marked, inSecret)]));
}

/**
 * The packages whose default provider `pulumi:disable-default-providers` denies (a JSON list; `*` = all). The engine
 * refuses a resource of such a package registered without an explicit provider (pulumi/pulumi#8829, Pulumi ≥ 3.23);
 * the mocks do not, so the run does it here.
 */
function disabledDefaultProviders(config: Readonly<Record<string, string>>): string[] {
  const raw = config["pulumi:disable-default-providers"];
  if (raw === undefined) return [];
  const list = tryJson(raw);
  if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) {
    throw new Error(`pulumi:disable-default-providers: expected a list of package names such as ["kubernetes"] (got ${JSON.stringify(raw)})`);
  }
  return list;
}

function packageOf(type: string): string {
  return type.startsWith("pulumi:providers:") ? "" : type.split(":")[0];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the protobuf request objects of the SDK are untyped
function timeoutsOf(t: any): Registration["customTimeouts"] {
  return { create: t?.getCreate?.() ?? "", update: t?.getUpdate?.() ?? "", delete: t?.getDelete?.() ?? "" };
}

function collectStrings(value: Json, into: Set<string>): void {
  if (typeof value === "string") into.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, into));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => collectStrings(v, into));
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the protobuf request objects of the SDK are untyped */

/** The fields of a Registration that a register request and a read request carry alike. */
type RequestFields = "urn" | "type" | "name" | "parent" | "provider" | "dependsOn" | "additionalSecretOutputs";

/** The Registration of a register or read request: the fields both carry, read from `req`, plus the rest from `own`. */
function registrationOf(req: any, own: Omit<Registration, RequestFields>): Registration {
  return {
    urn: "",
    type: req.getType(),
    name: req.getName(),
    custom: own.custom,
    remote: own.remote,
    parent: req.getParent() || null,
    provider: req.getProvider() || null,
    inputs: own.inputs,
    protect: own.protect,
    retainOnDelete: own.retainOnDelete,
    deleteBeforeReplace: own.deleteBeforeReplace,
    dependsOn: req.getDependenciesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    ignoreChanges: own.ignoreChanges,
    aliases: own.aliases,
    customTimeouts: own.customTimeouts,
  };
}

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  const pulumi = await import("@pulumi/pulumi");
  const runtime = pulumi.runtime as any;
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  const mocks = new PlanMocks();
  await pulumi.runtime.setMocks(mocks, "cluster-backup", options.stack, false);

  const registrations: Registration[] = [];
  const states: ResourceState[] = [];
  const marked = new Set<string>();
  const failures: unknown[] = [];
  const monitor = runtime.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
    const record = registrationOf(req, {
      custom: req.getCustom(),
      remote: req.getRemote(),
      inputs: unwrap(req.getObject()?.toJavaScript() ?? {}, marked) as Record<string, Json>,
      protect: Boolean(req.getProtect()),
      retainOnDelete: Boolean(req.getRetainondelete()),
      deleteBeforeReplace: Boolean(req.getDeletebeforereplace()),
      ignoreChanges: req.getIgnorechangesList(),
      aliases: (req.getAliasesList?.() ?? []).map((a: any) => a.getUrn?.() || a.getSpec?.()?.getName?.() || ""),
      customTimeouts: timeoutsOf(req.getCustomtimeouts?.()),
    });
    registrations.push(record);
    const rawInputs: Record<string, Json> = req.getObject()?.toJavaScript() ?? {};
    const secretInputKeys = Object.keys(rawInputs).filter((key) => {
      const found = new Set<string>();
      unwrap(rawInputs[key], found);
      return found.size > 0;
    });
    register(req, (err: unknown, resp: any) => {
      if (resp) {
        record.urn = resp.getUrn();
        const state = resp.getObject()?.toJavaScript() ?? {};
        for (const key of record.additionalSecretOutputs) mocks.remember(state[key]);
        if (record.custom && resp.getId()) {
          const secretOutputs = [...new Set([...record.additionalSecretOutputs, ...secretInputKeys])];
          states.push({ urn: record.urn, type: record.type, id: resp.getId(), outputs: unwrap(state, new Set()) as Record<string, Json>, secretOutputs });
        }
      }
      callback(err, resp);
    });
  };

  // Stack references and `get` functions are reads, not registrations, but the plan lists them too.
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req: any, callback: (err: unknown, resp: any) => void) => {
    const record = registrationOf(req, {
      custom: true,
      remote: false,
      inputs: unwrap(req.getProperties()?.toJavaScript() ?? {}, marked) as Record<string, Json>,
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: timeoutsOf(undefined),
    });
    registrations.push(record);
    read(req, (err: unknown, resp: any) => {
      if (resp) record.urn = resp.getUrn();
      callback(err, resp);
    });
  };

  const denied = disabledDefaultProviders(options.config);
  const usesDeniedDefault = (r: Registration) => r.custom && !r.provider && packageOf(r.type) !== "pulumi" && (denied.includes("*") || denied.includes(packageOf(r.type)));

  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const module = await options.load();
    const exports: Record<string, Json> = {};
    const secretExports: string[] = [];
    for (const [key, value] of Object.entries(module)) {
      if (key === "default" || key === "__esModule") continue;
      const output = pulumi.output(value as any) as any;
      const [resolved, secret] = await Promise.all([output.promise(), output.isSecret]);
      exports[key] = unwrap(resolved, marked, secret);
      if (secret) secretExports.push(key);
    }
    await runtime.waitForRPCs();
    if (failures.length > 0) throw failures[0];
    const strays = registrations.filter(usesDeniedDefault);
    if (strays.length > 0) {
      throw new Error(
        strays.map((r) => `${r.type} ${r.name}: no explicit provider, and pulumi:disable-default-providers denies the default ${packageOf(r.type)} provider`).join("\n"),
      );
    }
    const secretStrings = new Set<string>(mocks.secretOutputs);
    if (options.secretValues) {
      options.secretValues.forEach((v) => secretStrings.add(v));
      // The program keeps every value of a structured secret key secret (it cannot tell which one was `secure:`);
      // the plain values among them are known here and stay readable in the plan.
      const plain = new Set<string>();
      for (const key of options.secretKeys) collectStrings(tryJson(options.config[key]), plain);
      for (const value of plain) if (!secretStrings.has(value)) marked.delete(value);
    } else for (const key of options.secretKeys) collectStrings(tryJson(options.config[key]), secretStrings);
    return { registrations, states, secretExports, exports, secretStrings, secretMarked: marked };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function tryJson(text: string | undefined): Json {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text);
    return typeof parsed === "object" ? parsed : text;
  } catch {
    return text;
  }
}
