/**
 * In-cluster enforcement of the policy pack's rules about objects the hosting panel creates (tenant namespaces, Garage
 * and Benji PVCs): one ValidatingAdmissionPolicy + Binding per rule (admissionregistration.k8s.io/v1, CEL), generated
 * from the same rule definitions as the pack (policy/rules/admission.ts). The component also declares the stack's
 * policy context (its namespaces, Ceph RBD classes, production flag), which the pack reads from the stack.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMISSION_COMPONENT_TYPE, type DeclaredContext } from "../../policy/rules/context";
import { buildAdmissionPolicies, type AdmissionAction, type AdmissionObjects } from "../../policy/rules/admission";
import { requireProvider } from "../k8s";

export interface AdmissionPoliciesArgs {
  /** The stack's policy context: also the values embedded in the generated CEL. */
  readonly context: DeclaredContext;
  /** Deploy the admission policies; default true. When false only the context is declared. */
  readonly enabled?: boolean;
  /** What a violation does: Warn (warning + audit annotation; default), Audit (audit annotation only), Deny (reject). */
  readonly action?: AdmissionAction;
}

export class AdmissionPolicies extends pulumi.ComponentResource {
  /** Names of the ValidatingAdmissionPolicies (empty when disabled). */
  readonly policyNames: string[];

  constructor(name: string, args: AdmissionPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    const declared = { policyContext: args.context, enabled: args.enabled ?? true, action: args.action ?? "Warn" };
    super(ADMISSION_COMPONENT_TYPE, name, declared, opts);
    const objects: AdmissionObjects[] = declared.enabled ? buildAdmissionPolicies(args.context, declared.action) : [];
    const child = { parent: this, provider: objects.length > 0 ? requireProvider("AdmissionPolicies", opts) : opts?.provider };
    for (const { rule, policy, binding } of objects) {
      const created = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${rule.name}`, { metadata: policy.metadata, spec: policy.spec }, child);
      new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${rule.name}-binding`, { metadata: binding.metadata, spec: binding.spec }, { ...child, dependsOn: [created] });
    }
    this.policyNames = objects.map((o) => o.policy.metadata.name);
    this.registerOutputs(declared);
  }
}
