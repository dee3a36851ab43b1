/**
 * The gRPC stubs that ship with @pulumi/pulumi (proto/*_pb.js, generated from pulumi/proto; no .proto files ship, so
 * these generated modules ARE the protocol of the pinned SDK) and a helper to serve them on a loopback port.
 */
import * as grpc from "@grpc/grpc-js";

export const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as typeof import("@pulumi/pulumi/proto/analyzer_pb");
export const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb");
export const enginePb = require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
export const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
export const resourcePb = require("@pulumi/pulumi/proto/resource_pb") as typeof import("@pulumi/pulumi/proto/resource_pb");
export const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as typeof import("@pulumi/pulumi/proto/resource_grpc_pb");
export const structPb = require("google-protobuf/google/protobuf/struct_pb") as typeof import("google-protobuf/google/protobuf/struct_pb");
export const emptyPb = require("google-protobuf/google/protobuf/empty_pb") as typeof import("google-protobuf/google/protobuf/empty_pb");

export { grpc };

/** A server bound to 127.0.0.1 on a free port. */
export interface RunningServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function serve(add: (server: grpc.Server) => void): Promise<RunningServer> {
  const server = new grpc.Server();
  add(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** A unary handler that answers with `respond(request)` or the error it throws. */
export function unary<Req, Res>(respond: (request: Req) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, respond(call.request));
    } catch (err) {
      callback({ code: grpc.status.INTERNAL, details: (err as Error).message } as grpc.ServiceError, null);
    }
  };
}
