/**
 * Drives the exported policies (policy/policies.ts) the way the Pulumi CLI does — resource policies once per resource
 * with its inputs, stack policies once with every resource — without starting a policy pack.
 */
import type { PolicyResource as CliStackResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { policies } from "../policy/policies";
import type { PolicyResource } from "../policy/rules/types";

export interface PackViolation {
  policy: string;
  urn: string;
  message: string;
}

const NO_TIMEOUTS = { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 };

function options(r: PolicyResource) {
  return { protect: r.protect, ignoreChanges: [], aliases: [], customTimeouts: NO_TIMEOUTS, additionalSecretOutputs: [], parent: r.parent };
}

/** Runs every policy of the pack; `config` is the policy config per policy name; `props` may replace inputs (proxies). */
export async function runPack(resources: readonly PolicyResource[], config: Record<string, Record<string, unknown>> = {}, props: (r: PolicyResource) => Record<string, unknown> = (r) => r.inputs as Record<string, unknown>): Promise<PackViolation[]> {
  const found: PackViolation[] = [];
  const notApplicable = (reason?: string): never => {
    throw new Error(`notApplicable: ${reason}`);
  };
  for (const policy of policies) {
    const getConfig = <T extends object>() => (config[policy.name] ?? {}) as T;
    if ("validateResource" in policy && policy.validateResource) {
      const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      for (const r of resources) {
        const args = { type: r.type, props: props(r), urn: r.urn, name: r.name, opts: options(r), stackTags: new Map(), getConfig, notApplicable } as unknown as ResourceValidationArgs;
        for (const validate of validations) await validate(args, (message, urn) => found.push({ policy: policy.name, urn: urn ?? r.urn, message }));
      }
    } else if ("validateStack" in policy) {
      const byUrn = new Map<string, CliStackResource>();
      const stackResources = resources.map((r) => {
        const view = { type: r.type, props: props(r), urn: r.urn, name: r.name, opts: options(r), dependencies: [], propertyDependencies: {} } as unknown as CliStackResource;
        byUrn.set(r.urn, view);
        return view;
      });
      for (const [i, r] of resources.entries()) if (r.parent && byUrn.has(r.parent)) stackResources[i].parent = byUrn.get(r.parent);
      const args = { resources: stackResources, stackTags: new Map(), getConfig, notApplicable } as unknown as StackValidationArgs;
      await policy.validateStack(args, (message, urn) => found.push({ policy: policy.name, urn: urn ?? "", message }));
    }
  }
  return found;
}
