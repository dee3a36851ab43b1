/**
 * The program never enumerates tenants: Velero selects them by namespace glob and label at backup time, the drills
 * pick one at run time, the admission policies match by label. So the number of resources does not grow with the
 * number of tenants, and naming a tenant in config adds none.
 */
import { describe, expect, it } from "vitest";
import { planStack, planWith, type Plan } from "./harness";

const TENANT_NAME = /^cust-[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function tenantNames(plan: Plan): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === "string" && TENANT_NAME.test(value)) found.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const r of plan.registrations) walk(r.inputs);
  return [...found].sort();
}

describe("resources do not depend on the number of tenants", () => {
  it("prod names no tenant anywhere: tenants are selected by the glob cust-* and labels", async () => {
    const plan = await planStack("prod");
    expect(tenantNames(plan)).toEqual([]);
    expect(plan.object("Schedule", "tenants-daily").spec.template.includedNamespaces).toEqual(["cust-*"]);
  });

  it("dev names only its demo tenant", async () => {
    expect(tenantNames(await planStack("dev"))).toEqual(["cust-demo"]);
  });

  it("a drill pinned on one tenant registers exactly what the rotating drill does", async () => {
    const rotating = await planStack("prod");
    const pinned = await planWith("prod", { drills: { tenants: { namespace: "cust-1001" } } });
    expect(pinned.registrations.map((r) => `${r.type} ${r.name}`)).toEqual(rotating.registrations.map((r) => `${r.type} ${r.name}`));
    expect(tenantNames(pinned)).toEqual(["cust-1001"]);
  });
});
