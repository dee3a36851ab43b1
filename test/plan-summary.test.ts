import { beforeAll, describe, expect, it } from "vitest";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planStack } from "./harness";

function section(summary: string, heading: string): string[] {
  const lines = summary.split("\n");
  const start = lines.indexOf(`## ${heading}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 2, end - 1);
}

/** flow, objects and schedule columns of the summary's flow table. */
const columns = (rows: string[]) => rows.slice(2).map((r) => r.split(" | ").slice(0, 3).join(" | "));

describe("summary.md", () => {
  let prod: string;
  let dev: string;
  beforeAll(async () => {
    prod = buildPlanFiles("prod", (await planStack("prod")).run).files.get("summary.md")!;
    dev = buildPlanFiles("dev", (await planStack("dev")).run).files.get("summary.md")!;
  });

  it("lists each prod flow with its objects, cron, scope, location and retention", () => {
    const rows = section(prod, "Backup flows");
    expect(rows[0]).toBe("| flow | objects | schedule | selects | stored in | retention |");
    expect(rows[2]).toBe(
      "| tenants | `Schedule backup-system/tenants-daily` | `0 1 * * *` UTC | namespace `cust-*` | BSL `default` → scaleway `acme-k8s-prod-velero/tenants` | ttl 720h0m0s (≈30 backups) |",
    );
    expect(columns(rows)).toEqual([
      "| tenants | `Schedule backup-system/tenants-daily` | `0 1 * * *` UTC",
      "| system | `Schedule backup-system/system-daily` | `0 5 * * *` UTC",
      "| garage-meta-ceph | `Schedule backup-system/garage-meta-ceph` | `0 3 * * *` UTC",
      "| garage-data-zfs | `Schedule backup-system/garage-data-zfs` | `0 3 * * *` UTC",
      "| postgres | `Schedule backup-system/postgres-backup` | `0 4 * * *` UTC",
      "| benji | `CronJob benji/benji-backup-all`<br>`CronJob benji/benji-enforce`<br>`CronJob benji/benji-cleanup` | `30 7 * * *` UTC",
      "| zrepl | `DaemonSet zrepl/zrepl-garage-push`<br>`DaemonSet zrepl/zrepl-sink` | every 10m",
    ]);
  });

  it("lists the dev flows on MinIO only", () => {
    expect(columns(section(dev, "Backup flows"))).toEqual([
      "| tenants | `Schedule backup-system/tenants-daily` | `0 1 * * *` UTC",
      "| system | `Schedule backup-system/system-daily` | `0 5 * * *` UTC",
      "| postgres | `Schedule backup-system/postgres-backup` | `0 4 * * *` UTC",
    ]);
    expect(section(dev, "Backup flows").slice(2).every((r) => r.includes("→ minio `velero/"))).toBe(true);
  });

  it("counts resources per component and says chart objects are not listed", () => {
    expect(prod).toContain("113 resources registered (98 custom, 73 Kubernetes objects applied directly; objects rendered by Helm charts are not listed).");
    expect(section(prod, "Resources per component")).toContain("| cluster-backup:monitoring:Dashboard `dashboard` | 1 | ConfigMap ×1 |");
    expect(section(prod, "Resources per component")).toContain("| cluster-backup:storage:ScalewayBucket `scaleway-velero` | 5 | Application ×1, Bucket ×1, ApiKey ×1, Policy ×1, BucketPolicy ×1 |");
    expect(section(prod, "Resources per component")).toContain("| cluster-backup:velero:Schedules `schedules` | 5 | Schedule ×5 |");
    // The drill's ServiceAccount and the deep scrub, restore drill and metadata backup CronJobs are Benji's 4 more.
    expect(section(prod, "Resources per component")).toContain(
      "| cluster-backup:benji:Benji `benji` | 25 | RandomBytes ×1, RandomPassword ×1, Namespace ×1, ClusterRole ×2, Role ×2, ValidatingAdmissionPolicy ×1, ServiceAccount ×3, Secret ×3, ClusterRoleBinding ×1, RoleBinding ×2, ValidatingAdmissionPolicyBinding ×1, Job ×1, CronJob ×6 |",
    );
  });
});
