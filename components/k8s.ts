/** Small helpers for the Kubernetes objects every component writes. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { podSecurityLabels, standardLabels, type FlowName } from "./labels";

/** `metadata` with the ownership labels (and flow label), plus extra labels/annotations. */
export function objectMeta(
  name: string,
  namespace: string | undefined,
  flow?: FlowName,
  extra: { labels?: Record<string, string>; annotations?: Record<string, pulumi.Input<string>> } = {},
): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...standardLabels(flow), ...extra.labels },
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  };
}

/** A namespace owned by this program with the given Pod Security level (docs/design.md §3.2). */
export function ownedNamespace(
  resourceName: string,
  name: string,
  level: "privileged" | "baseline" | "restricted",
  opts: pulumi.CustomResourceOptions,
  flow?: FlowName,
): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(resourceName, { metadata: objectMeta(name, undefined, flow, { labels: podSecurityLabels(level) }) }, opts);
}

export { RESTRICTED_CONTAINER, restrictedPodSecurity } from "./pod-security";

/** Time the provider keeps waiting after a Job's activeDeadlineSeconds, so it sees the Job fail rather than time out. */
export const JOB_AWAIT_MARGIN_SECONDS = 60;

/**
 * customTimeouts for a Job with that activeDeadlineSeconds. pulumi-kubernetes waits for a Job to complete for 10
 * minutes unless customTimeouts say otherwise (provider/pkg/await/job.go `DefaultJobTimeoutMins = 10`,
 * awaiters.go `getTimeout`; 4.34.2); a longer deadline would make `up` time out while the Job still runs.
 */
export function jobAwaitTimeouts(activeDeadlineSeconds: number): pulumi.CustomTimeouts {
  const wait = `${activeDeadlineSeconds + JOB_AWAIT_MARGIN_SECONDS}s`;
  return { create: wait, update: wait };
}

/** The explicit provider a component got in `opts.provider`; throws naming the component when it is missing. */
export function requireProvider(component: string, opts: pulumi.ComponentResourceOptions | undefined): pulumi.ProviderResource {
  const provider = opts?.provider;
  if (!provider) throw new Error(`${component}: pass the target cluster's Kubernetes provider as opts.provider`);
  return provider;
}
