import { describe, expect, it } from "vitest";
import { planStack } from "./harness";

describe("program under mocks", () => {
  it("prod reads the kubeconfig through the cluster stack reference and keeps it secret", async () => {
    const plan = await planStack("prod");
    const provider = plan.resource("pulumi:providers:kubernetes", "target");
    expect(plan.resource("pulumi:pulumi:StackReference", "acme/cluster/prod").inputs.name).toBe("acme/cluster/prod");
    expect(plan.run.secretMarked.has(provider.inputs.kubeconfig as string)).toBe(true);
  });
});
