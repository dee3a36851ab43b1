/** The dev stack's object storage: MinIO deployed in-cluster, its bucket and a scoped user for Velero. */
import { beforeAll, describe, expect, it } from "vitest";
import { s3PolicyDocument } from "../components/storage/common";
import { minioLifecycle, minioProvisionScript } from "../components/storage/minio";
import { planStack, planWith, type Plan } from "./harness";
import { OWNERSHIP } from "./lib/expected";

const MINIO_LABELS = { ...OWNERSHIP, "app.kubernetes.io/name": "minio" };
const JOB = "minio-provision-velero-8d289a99";

describe("storage (dev stack): embedded MinIO", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("registers DevMinio and one MinioBucket for Velero, nothing on Scaleway, Garage or AWS", () => {
    expect(plan.registrations.filter((r) => r.type.startsWith("cluster-backup:storage:")).map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "cluster-backup:storage:DevMinio minio",
      "cluster-backup:storage:MinioBucket minio-velero",
    ]);
    expect(plan.registrations.filter((r) => /^(scaleway|aws):/.test(r.type) || r.name.startsWith("garage"))).toEqual([]);
  });

  it("creates namespace minio with Pod Security baseline", () => {
    expect(plan.object("Namespace", "minio").metadata.labels).toEqual({
      ...OWNERSHIP,
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/audit": "baseline",
      "pod-security.kubernetes.io/warn": "baseline",
    });
  });

  it("generates the root credentials with @pulumi/random and keeps them in Secret minio-root", () => {
    expect(plan.resource("random:index/randomPassword:RandomPassword", "minio-root-user").inputs).toEqual({ length: 20, special: false, upper: false });
    expect(plan.resource("random:index/randomPassword:RandomPassword", "minio-root-password").inputs).toEqual({ length: 40, special: false });
    const root = plan.object("Secret", "minio-root", "minio");
    expect(root.metadata.labels).toEqual(MINIO_LABELS);
    expect(Object.keys(root.stringData).sort()).toEqual(["MINIO_ROOT_PASSWORD", "MINIO_ROOT_USER"]);
    expect(root.stringData.MINIO_ROOT_PASSWORD).toHaveLength(40);
    for (const v of Object.values(root.stringData) as string[]) expect(plan.run.secretStrings.has(v)).toBe(true);
  });

  it("runs one standalone replica on a small PVC with the pinned image", () => {
    expect(plan.object("PersistentVolumeClaim", "minio-data", "minio").spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } });
    const d = plan.object("Deployment", "minio", "minio");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
    expect(d.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "minio" } });
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "minio-data" } }]);
    const c = pod.containers[0];
    expect(c.image).toBe("quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z");
    expect(c.args).toEqual(["server", "/data", "--console-address", ":9001"]);
    expect(c.env).toEqual([
      { name: "MINIO_ROOT_USER", valueFrom: { secretKeyRef: { name: "minio-root", key: "MINIO_ROOT_USER" } } },
      { name: "MINIO_ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "minio-root", key: "MINIO_ROOT_PASSWORD" } } },
    ]);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/minio/health/ready", port: "api" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/minio/health/live", port: "api" });
    expect(c.volumeMounts).toEqual([{ name: "data", mountPath: "/data" }]);
    expect(plan.object("Service", "minio", "minio").spec).toEqual({
      selector: { "app.kubernetes.io/name": "minio" },
      ports: [
        { name: "api", port: 9000, targetPort: "api" },
        { name: "console", port: 9001, targetPort: "console" },
      ],
    });
  });

  it("keeps the Velero user's random keys in Secret minio-user-velero, as secrets", () => {
    expect(plan.resource("random:index/randomPassword:RandomPassword", "minio-velero-access-key").inputs).toEqual({ length: 20, special: false, lower: false });
    expect(plan.resource("random:index/randomPassword:RandomPassword", "minio-velero-secret-key").inputs).toEqual({ length: 40, special: false });
    const user = plan.object("Secret", "minio-user-velero", "minio");
    expect(Object.keys(user.stringData).sort()).toEqual(["ACCESS_KEY", "SECRET_KEY"]);
    for (const v of Object.values(user.stringData) as string[]) expect(plan.run.secretMarked.has(v)).toBe(true);
  });

  it("mounts the least-privilege policy and the lifecycle from a ConfigMap (no secret in it)", () => {
    const cm = plan.object("ConfigMap", "minio-provision-velero", "minio");
    expect(Object.keys(cm.data).sort()).toEqual(["lifecycle.json", "velero-rw.json"]);
    expect(JSON.parse(cm.data["velero-rw.json"])).toEqual(s3PolicyDocument(["velero"], "minio"));
    expect(JSON.parse(cm.data["lifecycle.json"])).toEqual(minioLifecycle(14));
  });

  it("provisions with an idempotent mc Job after the server is up", () => {
    const job = plan.object("Job", JOB, "minio");
    expect(job.spec.backoffLimit).toBe(6);
    expect("ttlSecondsAfterFinished" in job.spec).toBe(false);
    const pod = job.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.volumes).toEqual([
      { name: "config", configMap: { name: "minio-provision-velero" } },
      { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
    ]);
    const c = pod.containers[0];
    expect(c.image).toBe("quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z");
    expect(c.command).toEqual(["/bin/sh", "-c", minioProvisionScript({ consumer: "velero", buckets: ["velero"], versioned: true })]);
    expect(c.command[2]).toContain("mc mb --ignore-existing local/velero\nmc version enable local/velero\nmc ilm import local/velero < /config/lifecycle.json\n");
    expect(c.env).toEqual([
      { name: "MINIO_URL", value: "http://minio.minio.svc.cluster.local:9000" },
      { name: "ROOT_USER", valueFrom: { secretKeyRef: { name: "minio-root", key: "MINIO_ROOT_USER" } } },
      { name: "ROOT_PASSWORD", valueFrom: { secretKeyRef: { name: "minio-root", key: "MINIO_ROOT_PASSWORD" } } },
      { name: "ACCESS_KEY", valueFrom: { secretKeyRef: { name: "minio-user-velero", key: "ACCESS_KEY" } } },
      { name: "SECRET_KEY", valueFrom: { secretKeyRef: { name: "minio-user-velero", key: "SECRET_KEY" } } },
      { name: "MC_CONFIG_DIR", value: "/tmp/mc" },
    ]);
    const reg = plan.registrationOf("Job", JOB, "minio");
    expect(reg.deleteBeforeReplace).toBe(true);
    for (const [kind, name] of [["Deployment", "minio"], ["Service", "minio"], ["Secret", "minio-user-velero"], ["ConfigMap", "minio-provision-velero"]]) {
      expect(reg.dependsOn).toContain(plan.registrationOf(kind, name, "minio").urn);
    }
  });

  it("protects nothing in dev", () => {
    const storage = plan.registrations.filter((r) => r.name.startsWith("minio"));
    expect(storage.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name)).toEqual([]);
  });

  it("exports every location on the one versioned bucket, path-style endpoint, region us-east-1", () => {
    const minio = { backend: "minio", bucket: "velero", endpoint: "http://minio.minio.svc.cluster.local:9000", region: "us-east-1", versioned: true, noncurrentVersionDays: 14, objectLock: false };
    expect(plan.exports.buckets).toEqual({ default: minio, system: minio, postgres: minio });
    expect(Object.keys(plan.exports.s3Credentials as object)).toEqual(["velero/minio"]);
    expect(plan.exports.summaryNotes).toEqual(
      expect.arrayContaining([
        "location default (minio bucket velero): versioned, noncurrent versions expire after 14 days, no object lock",
        "credentials velero on minio: user with policy velero-rw limited to velero, explicitly denied version deletes and bucket setting changes",
      ]),
    );
  });
});

describe("storage (dev stack): MinIO not deployed by the program", () => {
  it("provisions against the existing minio-root Secret without a server of its own", async () => {
    const plan = await planWith("dev", { storage: { minio: { deploy: false, namespace: "object-store" } } });
    expect(plan.ofType("cluster-backup:storage:DevMinio")).toEqual([]);
    expect(plan.objects("Deployment").filter((d) => d.metadata.name === "minio")).toEqual([]);
    const job = plan.objects("Job").find((j) => j.metadata.name.startsWith("minio-provision-velero-"))!;
    expect(job.metadata.namespace).toBe("object-store");
    expect(job.spec.template.spec.containers[0].env[0]).toEqual({ name: "MINIO_URL", value: "http://minio.object-store.svc.cluster.local:9000" });
    expect(job.spec.template.spec.containers[0].env[1]).toEqual({ name: "ROOT_USER", valueFrom: { secretKeyRef: { name: "minio-root", key: "MINIO_ROOT_USER" } } });
    expect((plan.exports.buckets as Record<string, { endpoint: string }>).default.endpoint).toBe("http://minio.object-store.svc.cluster.local:9000");
  });
});
