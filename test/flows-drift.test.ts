/**
 * Coverage reads the flow inventory (export `flows`); the registered objects are checked against it: every
 * Schedule, CronJob and DaemonSet carrying the flow label is named by the inventory, and every object the inventory
 * names (other than the Velero chart's) is registered. A mismatch fails coverage, hence the plan, with one line.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FLOW_LABEL } from "../components/labels";
import type { Flow, FlowInventory } from "../components/flows/types";
import { buildCoverage, flowDrift, FlowDriftError, inventoryObjects } from "../scripts/lib/coverage";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { objectRefText } from "../components/flows/watches";
import { planStack, type Obj, type Plan } from "./harness";

const HEAD = "flow inventory drift (components/flows vs the registered objects):";

describe("flow inventory drift check (prod)", () => {
  let plan: Plan;
  let inventory: FlowInventory;
  let objects: Obj[];
  beforeAll(async () => {
    plan = await planStack("prod");
    inventory = plan.exports.flows as FlowInventory;
    objects = plan.objects();
  });

  const withFlow = (id: string, change: (f: Flow) => Flow): FlowInventory => ({ ...inventory, flows: inventory.flows.map((f) => (f.id === id ? change(f) : f)) });

  it("finds none in the program as it is, and names every labelled object and drill", () => {
    expect(flowDrift(inventory, objects)).toBeUndefined();
    expect(inventoryObjects(inventory).map(objectRefText)).toEqual([
      "Schedule backup-system/tenants-daily",
      "CronJob backup-system/restore-drill-tenants",
      "Schedule backup-system/system-daily",
      "Schedule backup-system/garage-meta-ceph",
      "Schedule backup-system/garage-data-zfs",
      "Schedule backup-system/postgres-backup",
      "CronJob backup-system/restore-drill-postgres",
      "CronJob benji/benji-backup-all",
      "CronJob benji/benji-enforce",
      "CronJob benji/benji-cleanup",
      "CronJob benji/benji-metadata-backup",
      "CronJob benji/benji-deep-scrub",
      "CronJob benji/benji-restore-drill",
      "DaemonSet zrepl/zrepl-garage-push",
      "DaemonSet zrepl/zrepl-sink",
      "BackupStorageLocation backup-system/default",
      "BackupStorageLocation backup-system/system",
      "BackupStorageLocation backup-system/garage-backups",
      "BackupStorageLocation backup-system/postgres",
      "DaemonSet backup-system/node-agent",
      "CronJob backup-system/tenant-backup-optout",
      "Deployment backup-system/velero",
    ]);
  });

  it("a registered CronJob with the flow label that no flow names fails coverage", () => {
    const scrub = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "benji-scrub", namespace: "benji", labels: { [FLOW_LABEL]: "benji" } }, spec: { schedule: "0 2 * * *" } };
    const run = () => buildCoverage({ stack: "prod", objects: [...objects, scrub], exports: plan.exports });
    expect(run).toThrow(FlowDriftError);
    expect(run).toThrow(`${HEAD} registered with the ${FLOW_LABEL} label but in no flow's objects, watches or verifiedBy: CronJob benji/benji-scrub (flow benji)`);
    // Unlabelled objects are not backup flows: no drift.
    expect(flowDrift(inventory, [...objects, { ...scrub, metadata: { name: "other", namespace: "benji" } }])).toBeUndefined();
  });

  it("a Schedule or DaemonSet the inventory names but the program does not register fails coverage", () => {
    const without = objects.filter((o) => !(o.kind === "Schedule" && o.metadata.name === "tenants-daily") && !(o.kind === "DaemonSet" && o.metadata.name === "zrepl-sink"));
    expect(() => buildCoverage({ stack: "prod", objects: without, exports: plan.exports })).toThrow(
      `${HEAD} named by the inventory but not registered: Schedule backup-system/tenants-daily, DaemonSet zrepl/zrepl-sink`,
    );
  });

  it("an inventory that forgets a registered CronJob, or names a drill nobody registers, fails the plan files in one line", () => {
    const forgets = withFlow("benji", (f) => ({ ...f, objects: f.objects.filter((o) => o.name !== "benji-cleanup"), watches: f.watches.filter((w) => w.object.name !== "benji-cleanup") }));
    expect(() => buildPlanFiles("prod", { ...plan.run, exports: { ...plan.exports, flows: forgets } })).toThrow(
      `${HEAD} registered with the ${FLOW_LABEL} label but in no flow's objects, watches or verifiedBy: CronJob benji/benji-cleanup (flow benji)`,
    );
    const drill = inventory.flows[0].verifiedBy[0];
    const invents = withFlow("system", (f) => ({ ...f, verifiedBy: [{ ...drill, watch: { ...drill.watch, object: { ...drill.watch.object, name: "restore-drill-system" } } }] }));
    expect(flowDrift(invents, objects)).toBe(`${HEAD} named by the inventory but not registered: CronJob backup-system/restore-drill-system`);
    const both = withFlow("benji", (f) => ({ ...f, objects: f.objects.filter((o) => o.name !== "benji-cleanup"), watches: f.watches.filter((w) => w.object.name !== "benji-cleanup") }));
    expect(flowDrift({ ...both, flows: both.flows.map((f, i) => (f.id === "system" ? invents.flows[i] : f)) }, objects)?.split("\n")).toEqual([
      `${HEAD} registered with the ${FLOW_LABEL} label but in no flow's objects, watches or verifiedBy: CronJob benji/benji-cleanup (flow benji); named by the inventory but not registered: CronJob backup-system/restore-drill-system`,
    ]);
  });

  it("objects the Velero chart renders (node-agent, the locations, the server) need no registration of their own", () => {
    expect(objects.some((o) => o.kind === "DaemonSet" && o.metadata.name === "node-agent")).toBe(false);
    expect(inventory.infrastructure.filter((w) => w.object.renderedBy === "velero-chart").map((w) => w.object.name)).toEqual(["default", "system", "garage-backups", "postgres", "node-agent", "velero"]);
  });

  it("a run without the export has no flows and nothing to check", () => {
    expect(buildCoverage({ stack: "prod", objects, exports: { ...plan.exports, flows: undefined } }).flows).toEqual([]);
    expect(() => buildCoverage({ stack: "prod", objects, exports: { ...plan.exports, flows: { flows: "x" } } })).toThrow(
      "coverage: the export `flows` is not a flow inventory ({timeZone, veleroNamespace, flows[], infrastructure[]}, components/flows/types.ts)",
    );
  });
});
