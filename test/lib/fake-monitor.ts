/**
 * A fake Pulumi ResourceMonitor (pulumirpc.ResourceMonitor of @pulumi/pulumi 3.270.0 proto/resource_grpc_pb.js) for
 * running a program through Pulumi's own `cmd/run` entry point: it names resources the way the engine does, answers
 * with the inputs plus deterministic computed outputs (scripts/lib/mocks.ts) and records every registration.
 */
import { createHash } from "node:crypto";
import { computedOutputs } from "../../scripts/lib/mocks";
import { emptyPb, grpc, resourceGrpc, resourcePb, serve, structPb, unary, type RunningServer } from "./pulumi-rpc";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What one RegisterResource or ReadResource carried, with secrets and output values unwrapped. */
export interface MonitorRegistration {
  readonly kind: "register" | "read";
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly remote: boolean;
  readonly parent: string;
  readonly protect: boolean;
  readonly inputs: Record<string, Json>;
}

export interface FakeMonitor extends RunningServer {
  readonly registrations: MonitorRegistration[];
  /** URN → the outputs a component registered (RegisterResourceOutputs). */
  readonly outputs: Map<string, Record<string, Json>>;
  /** Invoke tokens the program asked for (each answered with an error: the program is expected to make none). */
  readonly invokes: string[];
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";
/** Signature keys of the SDK's wire format (sdk/nodejs/runtime/rpc.ts). */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

/** Every feature of the engine's resource monitor that the pinned SDK asks about. */
const FEATURES = Object.values(resourcePb.ResourceMonitorFeature).filter((v): v is number => typeof v === "number");
const FEATURE_IDS = new Set(["secrets", "resourceReferences", "outputValues", "deletedWith", "replaceWith", "aliasSpecs", "transforms", "invokeTransforms", "parameterization", "resourceHooks", "errorHooks"]);

function plain(value: Json): Json {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object") return value;
  switch (value[SIG]) {
    case SECRET_SIG:
    case OUTPUT_SIG:
      return value.value === undefined ? null : plain(value.value);
    case RESOURCE_SIG:
      return value.urn;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

function toJson(struct: { toJavaScript(): unknown } | undefined): Record<string, Json> {
  return (struct?.toJavaScript() ?? {}) as Record<string, Json>;
}

function fakeId(urn: string): string {
  return `id-${createHash("sha256").update(urn).digest("hex").slice(0, 12)}`;
}

export async function startFakeMonitor(project: string, stack: string): Promise<FakeMonitor> {
  const registrations: MonitorRegistration[] = [];
  const outputs = new Map<string, Record<string, Json>>();
  const invokes: string[] = [];
  /** URN → its qualified type (`parent$type`), for the URNs of children. */
  const qualified = new Map<string, string>();
  let packages = 0;

  const urnOf = (type: string, name: string, parent: string): string => {
    const parentType = parent ? qualified.get(parent) : undefined;
    if (parent && parentType === undefined) throw new Error(`parent ${parent} of ${type}::${name} was never registered`);
    const chain = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${stack}::${project}::${chain}::${name}`;
    qualified.set(urn, chain);
    return urn;
  };

  type RegisterRequest = InstanceType<typeof resourcePb.RegisterResourceRequest>;
  type ReadRequest = InstanceType<typeof resourcePb.ReadResourceRequest>;

  const server = await serve((s) =>
    s.addService(resourceGrpc.ResourceMonitorService, {
      getDeploymentInfo: unary(() => new resourcePb.DeploymentInfo().setSupportedfeaturesList(FEATURES)),
      supportsFeature: unary((req: InstanceType<typeof resourcePb.SupportsFeatureRequest>) => new resourcePb.SupportsFeatureResponse().setHassupport(FEATURE_IDS.has(req.getId()))),
      registerResource: unary((req: RegisterRequest) => {
        const urn = urnOf(req.getType(), req.getName(), req.getParent());
        const wire = toJson(req.getObject());
        const inputs = plain(wire) as Record<string, Json>;
        registrations.push({ kind: "register", urn, type: req.getType(), name: req.getName(), custom: req.getCustom(), remote: req.getRemote(), parent: req.getParent(), protect: req.getProtect() === true, inputs });
        const computed = req.getCustom() ? (computedOutputs(req.getType(), req.getName(), inputs) as Record<string, Json>) : {};
        const response = new resourcePb.RegisterResourceResponse().setUrn(urn).setObject(structPb.Struct.fromJavaScript({ ...wire, ...computed }));
        if (req.getCustom()) response.setId(fakeId(urn));
        return response;
      }),
      registerResourceOutputs: unary((req: InstanceType<typeof resourcePb.RegisterResourceOutputsRequest>) => {
        outputs.set(req.getUrn(), plain(toJson(req.getOutputs())) as Record<string, Json>);
        return new emptyPb.Empty();
      }),
      readResource: unary((req: ReadRequest) => {
        const urn = urnOf(req.getType(), req.getName(), req.getParent());
        const inputs = plain(toJson(req.getProperties())) as Record<string, Json>;
        registrations.push({ kind: "read", urn, type: req.getType(), name: req.getName(), custom: true, remote: false, parent: req.getParent(), protect: false, inputs });
        const state = { ...inputs, ...(computedOutputs(req.getType(), req.getName(), inputs) as Record<string, Json>) };
        return new resourcePb.ReadResourceResponse().setUrn(urn).setProperties(structPb.Struct.fromJavaScript(state));
      }),
      invoke: (call: grpc.ServerUnaryCall<{ getTok(): string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        invokes.push(call.request.getTok());
        callback({ code: grpc.status.UNIMPLEMENTED, details: `the fake monitor answers no invoke (${call.request.getTok()})` } as grpc.ServiceError, null);
      },
      registerStackTransform: unary(() => new emptyPb.Empty()),
      registerStackInvokeTransform: unary(() => new emptyPb.Empty()),
      registerResourceHook: unary(() => new emptyPb.Empty()),
      registerErrorHook: unary(() => new emptyPb.Empty()),
      registerPackage: unary(() => new resourcePb.RegisterPackageResponse().setRef(`package-${++packages}`)),
      signalAndWaitForShutdown: unary(() => new emptyPb.Empty()),
    }),
  );
  return { ...server, registrations, outputs, invokes };
}
