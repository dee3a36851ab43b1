/**
 * A fake Pulumi Engine service (pulumirpc.Engine of @pulumi/pulumi 3.270.0 proto/engine_grpc_pb.js): collects the log
 * lines a program or policy pack sends and keeps the root resource, as the CLI's engine does.
 */
import { emptyPb, enginePb, engineGrpc, serve, unary, type RunningServer } from "./pulumi-rpc";

/** Severity names of LogRequest (engine.proto LogSeverity). */
const SEVERITY = ["debug", "info", "warning", "error"] as const;

export interface LogLine {
  readonly severity: (typeof SEVERITY)[number];
  readonly message: string;
  readonly urn: string;
}

export interface FakeEngine extends RunningServer {
  readonly logs: LogLine[];
}

export async function startFakeEngine(): Promise<FakeEngine> {
  const logs: LogLine[] = [];
  let root = "";
  const server = await serve((s) =>
    s.addService(engineGrpc.EngineService, {
      log: unary((req: InstanceType<typeof enginePb.LogRequest>) => {
        logs.push({ severity: SEVERITY[req.getSeverity()] ?? "error", message: req.getMessage(), urn: req.getUrn() });
        return new emptyPb.Empty();
      }),
      getRootResource: unary(() => new enginePb.GetRootResourceResponse().setUrn(root)),
      setRootResource: unary((req: InstanceType<typeof enginePb.SetRootResourceRequest>) => {
        root = req.getUrn();
        return new enginePb.SetRootResourceResponse();
      }),
      requirePulumiVersion: unary(() => new enginePb.RequirePulumiVersionResponse()),
      startDebugging: unary(() => new emptyPb.Empty()),
    }),
  );
  return { ...server, logs };
}
