import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../components/config";
import { configProblems, rawConfig } from "./harness";
import { TAG_ONLY_WAIVER } from "./lib/image-waiver";

const base = {
  environment: "dev",
  kubernetes: { context: "kind-cluster-backup" },
  storage: { minio: { deploy: true } },
  velero: { locations: { default: { backend: "minio", bucket: "velero", prefix: "tenants", default: true } } },
};

function problems(overrides: Record<string, unknown>, secretKeys: string[] = []): string[] {
  return configProblems(rawConfig({ ...base, ...overrides }), secretKeys.map((k) => `cluster-backup:${k}`), "dev");
}

describe("stack config: defaults", () => {
  const cfg = parseStackConfig(rawConfig(base), new Set(), "dev");

  it("fills the flow defaults of docs/design.md §1", () => {
    expect(cfg.timeZone).toBe("UTC");
    expect(cfg.production).toBe(false);
    expect(cfg.flows.tenants).toEqual({ enabled: true, schedule: "0 1 * * *", ttl: "720h0m0s", location: "default", namespaceGlob: "cust-*", optOutSchedule: "*/15 * * * *", optOutImage: "registry.k8s.io/kubectl:v1.34.2" });
    expect(cfg.flows.system).toMatchObject({ enabled: false, schedule: "0 5 * * *", ttl: "720h0m0s", location: "system" });
    expect(cfg.flows.garageMetaCeph).toMatchObject({ enabled: false, schedule: "0 3 * * *", ttl: "720h0m0s", location: "garage-backups" });
    expect(cfg.flows.garageDataZfs).toMatchObject({ enabled: false, schedule: "0 3 * * *", ttl: "168h0m0s" });
    expect(cfg.flows.postgres).toMatchObject({ enabled: false, schedule: "0 4 * * *", location: "postgres", hookTimeout: "30m" });
    expect(cfg.flows.benji).toMatchObject({ enabled: false, retention: "latest7", backupSchedule: "30 7 * * *", enforceSchedule: "0 6 * * *", cleanupSchedule: "0 5 * * *" });
    expect(cfg.flows.zrepl).toMatchObject({ enabled: false, snapshotInterval: "10m", receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d", sinkRootFs: "wdc/zrepl", clientCn: "garage" });
  });

  it("pins Velero, its chart and the AWS plugin", () => {
    expect(cfg.velero).toMatchObject({
      namespace: "backup-system",
      chartVersion: "12.1.0",
      image: "docker.io/velero/velero:v1.18.2@sha256:37396519f399536e5f01427d723565ae69294ec3fb5625cf1c87c09eaa9de16b",
      awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
      uploaderType: "kopia",
      repositoryPassword: "random",
      nodeAgent: { podVolumePath: "/var/lib/kubelet/pods", privileged: false, memoryLimit: "2Gi" },
    });
  });

  it("marks prod as production", () => {
    expect(parseStackConfig(rawConfig({ ...base, environment: "prod", images: TAG_ONLY_WAIVER }), new Set(), "prod").production).toBe(true);
  });
});

describe("stack config: bad input names the key, the value and the form", () => {
  it("unknown keys, at the top and nested", () => {
    expect(problems({ flow: {} })).toEqual([
      "cluster-backup:flow: unknown key; expected one of: environment, timeZone, kubernetes, storage, velero, csi, flows, monitoring, drills, policy, images, demo, overrides, garageAdminToken, benjiDatabaseUrl, benjiCephKey, veleroRepositoryPassword, benjiEncryption",
    ]);
    expect(problems({ flows: { tenant: { enabled: false } } })).toEqual([
      "cluster-backup:flows.tenant: unknown key; expected one of: tenants, system, garageMetaCeph, garageDataZfs, postgres, benji, zrepl",
    ]);
    expect(problems({ velero: { ...base.velero, nodeAgent: { podVolumPath: "/x" } } })).toEqual([
      "cluster-backup:velero.nodeAgent.podVolumPath: unknown key; expected one of: podVolumePath, privileged, memoryLimit",
    ]);
    expect(problems({ velero: { locations: { default: { backend: "minio", bucket: "velero", default: true, region: "x" } } } })).toEqual([
      "cluster-backup:velero.locations.default.region: unknown key; expected one of: backend, bucket, prefix, default",
    ]);
  });

  it("wrong types", () => {
    expect(problems({ flows: { tenants: { enabled: "yes" } } })).toEqual(['cluster-backup:flows.tenants.enabled: Invalid input: expected boolean, received string (got "yes")']);
    expect(problems({ environment: "production" })).toEqual(["cluster-backup:environment: expected 'dev', 'staging' or 'prod' (got \"production\")"]);
    expect(problems({ kubernetes: "kind" })).toEqual([
      'cluster-backup:kubernetes: expected either {context: <kubeconfig context>} or {stackReference: <org>/<project>/<stack>, kubeconfigOutput: kubeconfig} (got "kind")',
    ]);
  });

  it("impossible or malformed crons", () => {
    expect(problems({ flows: { tenants: { schedule: "0 25 * * *" } } })).toEqual([
      'cluster-backup:flows.tenants.schedule: not a valid cron expression (Constraint error, got value 25 expected range 0-23) (got "0 25 * * *")',
    ]);
    expect(problems({ flows: { tenants: { schedule: "0 0 31 2 *" } } })).toEqual([
      'cluster-backup:flows.tenants.schedule: not a valid cron expression (Invalid explicit day of month definition) (got "0 0 31 2 *")',
    ]);
    expect(problems({ flows: { tenants: { schedule: "* * * *" } } })).toEqual([
      "cluster-backup:flows.tenants.schedule: expected a 5-field cron expression 'minute hour day-of-month month day-of-week' without a time zone prefix (set timeZone instead), e.g. '0 1 * * *' (got \"* * * *\")",
    ]);
    expect(problems({ flows: { tenants: { schedule: "CRON_TZ=UTC 0 1 * * *" } } })[0]).toContain("without a time zone prefix");
  });

  it("negative, absurd or shapeless ttl", () => {
    expect(problems({ flows: { tenants: { ttl: "-720h" } } })).toEqual([
      "cluster-backup:flows.tenants.ttl: expected a Go duration with units h, m, s such as '720h0m0s' (30 days) or '168h' (7 days) (got \"-720h\")",
    ]);
    expect(problems({ flows: { tenants: { ttl: "30d" } } })[0]).toContain("expected a Go duration with units h, m, s");
    expect(problems({ flows: { tenants: { ttl: "1000000h" } } })).toEqual(['cluster-backup:flows.tenants.ttl: expected a ttl between 1h and 87600h (10 years) (got "1000000h")']);
    expect(problems({ flows: { tenants: { ttl: "30m" } } })).toEqual(['cluster-backup:flows.tenants.ttl: expected a ttl between 1h and 87600h (10 years) (got "30m")']);
  });

  it("a ttl shorter than the interval between runs", () => {
    expect(problems({ flows: { tenants: { schedule: "0 1 * * 0", ttl: "72h" } } })).toEqual([
      "cluster-backup:flows.tenants.ttl: is shorter than the 7d between runs of '0 1 * * 0': no backup would survive to the next one; expected at least 168h (got \"72h\")",
    ]);
  });

  it("an unknown time zone", () => {
    expect(problems({ timeZone: "Europe/Pariss" })).toEqual(["cluster-backup:timeZone: expected an IANA time zone name such as 'UTC' or 'Europe/Paris' (got \"Europe/Pariss\")"]);
  });

  it("restic is refused with the reason", () => {
    expect(problems({ velero: { ...base.velero, uploaderType: "restic" } })).toEqual([
      "cluster-backup:velero.uploaderType: 'restic' is not supported. Velero 1.17+ can no longer take restic backups (kopia is the only uploader); " +
        "restic remains only to restore backups taken before the upgrade, and not after Velero 1.19. Remove the key or set 'kopia'. (got \"restic\")",
    ]);
  });

  it("a credential given in plain text, without showing it", () => {
    expect(problems({ garageAdminToken: "s3cr3t-token" })).toEqual([
      "cluster-backup:garageAdminToken: holds a credential and must be a secret: pulumi config set --secret garageAdminToken <value>",
    ]);
    expect(problems({ benjiDatabaseUrl: "mysql://x" }, ["benjiDatabaseUrl"])).toEqual([
      "cluster-backup:benjiDatabaseUrl: expected a PostgreSQL URL 'postgresql://user:password@host:5432/benji' (got [secret])",
    ]);
  });

  it("reports every problem at once, one line each", () => {
    expect(problems({ timeZone: "Nowhere", flows: { tenants: { schedule: "61 * * * *", ttl: "x" } } })).toHaveLength(3);
  });

  it("keeps secure values secret", async () => {
    const cfg = parseStackConfig(rawConfig({ ...base, garageAdminToken: "tok-123456" }), new Set(["cluster-backup:garageAdminToken"]), "dev");
    const output = cfg.secrets.garageAdminToken!;
    expect(await (output as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
    expect("garageAdminToken" in cfg).toBe(false);
  });
});
