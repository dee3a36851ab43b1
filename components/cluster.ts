import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "./config";

/**
 * The explicit Kubernetes provider every component receives: a kubeconfig context for a local cluster (dev), or the
 * kubeconfig output of the cluster stack read through a StackReference (prod). The kubeconfig stays a secret.
 */
export function clusterProvider(cfg: StackConfig): k8s.Provider {
  const access = cfg.kubernetes;
  if ("context" in access) {
    return new k8s.Provider("target", { context: access.context, enableServerSideApply: true });
  }
  const cluster = new pulumi.StackReference(access.stackReference, { name: access.stackReference });
  const kubeconfig = pulumi.secret(cluster.requireOutput(access.kubeconfigOutput)).apply((v) => String(v));
  return new k8s.Provider("target", { kubeconfig, enableServerSideApply: true });
}
