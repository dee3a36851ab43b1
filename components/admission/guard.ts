/**
 * A ValidatingAdmissionPolicy and its binding, created together: the guards this program writes by hand for its own
 * accounts and labels (restore drill, tenant opt-out, Benji's PVC label).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Policy and binding `policyName` as resources `resourceName` and `resourceName-binding`, both with `metadata` (whose
 * name is `policyName`); the binding's `validationActions` decide Deny, Warn or Audit.
 */
export function admissionGuard(
  resourceName: string,
  policyName: string,
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  spec: k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec,
  validationActions: readonly string[],
  opts: pulumi.CustomResourceOptions,
): { policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy; binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding } {
  const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(resourceName, { metadata, spec }, opts);
  const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
    `${resourceName}-binding`,
    { metadata, spec: { policyName, validationActions: [...validationActions] } },
    { ...opts, dependsOn: [policy] },
  );
  return { policy, binding };
}
