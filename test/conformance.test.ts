import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { manifestsOf } from "../scripts/lib/plan-output";
import { planStack } from "./harness";
import { validateObject, veleroCrdsAvailable, VELERO_CRDS_DIR } from "./lib/conformance";

const validSchedule = {
  apiVersion: "velero.io/v1",
  kind: "Schedule",
  metadata: { name: "tenants-daily", namespace: "backup-system" },
  spec: { schedule: "0 1 * * *", useOwnerReferencesInBackup: false, template: { includedNamespaces: ["cust-*"], ttl: "720h0m0s" } },
};

describe("the vendored velero.io CRDs", () => {
  const dir = join(__dirname, "fixtures", "velero-crds");
  it("are the files SHA256SUMS lists, unchanged (Velero v1.18.1, see SOURCE.md)", () => {
    const listed = readFileSync(join(dir, "SHA256SUMS"), "utf8").trim().split("\n").map((line) => line.split(/\s+/));
    const actual = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort().map((f) => [createHash("sha256").update(readFileSync(join(dir, f))).digest("hex"), f]);
    expect(listed).toEqual(actual);
    expect(actual.map(([, f]) => f)).toContain("velero.io_restores.yaml");
    expect(actual).toHaveLength(13);
  });
});

describe("conformance harness", () => {
  it.skipIf(!veleroCrdsAvailable())(`accepts a valid Schedule and rejects invalid ones (CRDs from ${VELERO_CRDS_DIR})`, async () => {
    expect(await validateObject(validSchedule)).toEqual([]);
    const typo = { ...validSchedule, spec: { ...validSchedule.spec, template: { ...validSchedule.spec.template, snapshotMovedata: true } } };
    expect(await validateObject(typo)).toEqual(["/spec/template additionalProperties: unknown field 'snapshotMovedata'"]);
    const wrongType = { ...validSchedule, spec: { ...validSchedule.spec, useOwnerReferencesInBackup: "false" } };
    expect(await validateObject(wrongType)).toEqual(["/spec/useOwnerReferencesInBackup type: must be boolean"]);
    const missing = { ...validSchedule, spec: { template: {} } };
    expect(await validateObject(missing)).toEqual(["/spec required: must have required property 'schedule'"]);
  });

  it("rejects a core object of the wrong shape and an unknown kind", async () => {
    expect(await validateObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: 5 } })).toEqual(["/metadata/name type: must be string"]);
    expect(await validateObject({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "x" }, spec: { template: {} } })).toEqual([
      "/spec required: must have required property 'selector'",
    ]);
    expect(await validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } })).toEqual([
      "no schema known for example.com/v1 Widget: add its CRD to test/fixtures/crds",
    ]);
  });

  it("accepts a partial server-side-apply patch but not a wrong field type in it", async () => {
    const patch = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "pg", namespace: "postgres" }, spec: { template: { metadata: { annotations: { a: "b" } } } } };
    expect(await validateObject(patch, true)).toEqual([]);
    expect(await validateObject({ ...patch, spec: { replicas: "1" } }, true)).toEqual(["/spec/replicas type: must be integer"]);
  });
});

describe.each(["dev", "prod"])("every manifest of the %s plan validates", (stack) => {
  let manifests: ReturnType<typeof manifestsOf> = [];
  beforeAll(async () => {
    manifests = manifestsOf((await planStack(stack)).registrations);
  });

  it("against the Kubernetes and CRD schemas", async (ctx) => {
    if (!veleroCrdsAvailable() && manifests.some((m) => String(m.object.apiVersion).startsWith("velero.io/"))) {
      ctx.skip(`velero.io CRD schemas not found in ${VELERO_CRDS_DIR} (set VELERO_CRDS_DIR)`);
    }
    const problems: string[] = [];
    for (const m of manifests) {
      const errors = await validateObject(m.object, m.registration.type.endsWith("Patch"));
      problems.push(...errors.map((e) => `${m.file}: ${e}`));
    }
    expect(problems).toEqual([]);
  });
});
