import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/**
 * The kubeconfig a stack output holds, as the provider expects it: a string as is, anything else (a cluster stack
 * exporting the parsed kubeconfig object) as JSON, which the provider parses like YAML. `String(object)` would give
 * `[object Object]`.
 */
export function kubeconfigText(value: unknown, output: string, stack: string): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) {
    throw new Error(`cluster-backup:kubernetes.kubeconfigOutput: output '${output}' of the cluster stack ${stack} (kubernetes.stackReference) is empty; expected the kubeconfig, as YAML or an object`);
  }
  return JSON.stringify(value);
}

/** Where the cluster is: a kubeconfig context, or a cluster stack exporting its kubeconfig. */
export type ClusterAccess =
  | {
      /** Context of the local kubeconfig (dev). */
      readonly context: string;
      /** Adopt objects the cluster already has (`upsertExistingObjects`). */
      readonly adoptExisting: boolean;
    }
  | {
      /** `<org>/<project>/<stack>` of the cluster stack. */
      readonly stackReference: string;
      /** Name of that stack's kubeconfig output. */
      readonly kubeconfigOutput: string;
      /** Adopt objects the cluster already has (`upsertExistingObjects`). */
      readonly adoptExisting: boolean;
    };

/**
 * The explicit Kubernetes provider every component receives: a kubeconfig context for a local cluster (dev), or the
 * kubeconfig output of the cluster stack read through a StackReference (prod). The kubeconfig stays a secret.
 *
 * `clusterIdentifier` names the cluster by what the stack config says it is (the context or the cluster stack), so a
 * new endpoint or CA in the kubeconfig updates the provider instead of replacing it and with it every Kubernetes
 * object; only a change of the identifier replaces it, and adding it to an existing provider replaces nothing
 * (pulumi-kubernetes provider/pkg/provider/provider.go `DiffConfig`, since 4.16.0; 4.34.2).
 * `upsertExistingObjects` (pulumi-kubernetes ≥ 4.29.0, default false) is on only while `kubernetes.adoptExisting`
 * adopts objects a cluster already has (an existing Velero): creating them fails with AlreadyExists otherwise.
 */
export function clusterProvider(access: ClusterAccess): k8s.Provider {
  const adopt = access.adoptExisting ? { upsertExistingObjects: true } : {};
  if ("context" in access) {
    return new k8s.Provider("target", { context: access.context, clusterIdentifier: `context:${access.context}`, enableServerSideApply: true, ...adopt });
  }
  const cluster = new pulumi.StackReference(access.stackReference, { name: access.stackReference });
  const kubeconfig = pulumi.secret(cluster.requireOutput(access.kubeconfigOutput)).apply((v) => kubeconfigText(v, access.kubeconfigOutput, access.stackReference));
  return new k8s.Provider("target", { kubeconfig, clusterIdentifier: `stack:${access.stackReference}`, enableServerSideApply: true, ...adopt });
}
