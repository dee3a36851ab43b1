/** The restricted Pod Security profile's securityContexts (no @pulumi/kubernetes at run time: types only). */
import type * as k8s from "@pulumi/kubernetes";

/** The restricted-profile container securityContext (runAsNonRoot, no escalation, drop ALL, RuntimeDefault seccomp). */
export const RESTRICTED_CONTAINER: k8s.types.input.core.v1.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** The restricted-profile pod securityContext running as `uid` (group too; `fsGroup: uid` when asked, for volumes). */
export function restrictedPodSecurity(uid: number, options: { fsGroup?: boolean } = {}): k8s.types.input.core.v1.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, ...(options.fsGroup ? { fsGroup: uid } : {}), seccompProfile: { type: "RuntimeDefault" } };
}
