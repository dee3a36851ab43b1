import { beforeAll, describe, expect, it } from "vitest";
import { PINS } from "../components/config-schema";
import * as k8s from "@pulumi/kubernetes";
import { Demo, DEMO_APP_SCRIPT } from "../components/demo/demo";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { planProgram, planStack, planWith, type Plan } from "./harness";
import { OWNERSHIP } from "./lib/expected";

const RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted" };
const RESTRICTED_CONTAINER = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } };

describe("dev demo (docs/design.md §5)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("is one Demo component whose Kubernetes children all use the explicit provider", () => {
    const demo = plan.resource("cluster-backup:demo:Demo", "demo");
    const children = plan.registrations.filter((r) => r.parent === demo.urn);
    expect(children.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "kubernetes:apps/v1:Deployment demo-app",
      "kubernetes:apps/v1:StatefulSet demo-postgres",
      "kubernetes:core/v1:Namespace demo-postgres-ns",
      "kubernetes:core/v1:Namespace demo-tenant-ns",
      "kubernetes:core/v1:PersistentVolumeClaim demo-app-data",
      "kubernetes:core/v1:Secret demo-postgres-credentials",
      "kubernetes:core/v1:Service demo-postgres-headless",
      "random:index/randomPassword:RandomPassword demo-postgres-password",
    ]);
    for (const child of children.filter((r) => r.type.startsWith("kubernetes:"))) {
      expect(child.provider, child.name).toMatch(/::pulumi:providers:kubernetes::target::/);
    }
  });

  it("tenant namespace cust-demo carries the panel's labels, the ownership labels and PSA restricted", () => {
    expect(plan.object("Namespace", "cust-demo").metadata.labels).toEqual({ ...OWNERSHIP, ...RESTRICTED, tenant: "true", backup: "true" });
    expect(plan.exports.demoTenantNamespace).toBe("cust-demo");
  });

  it("the demo app appends a timestamp to a file on its PVC every minute, restricted and pinned", () => {
    const app = plan.object("Deployment", "demo-app", "cust-demo");
    expect(app.spec.strategy).toEqual({ type: "Recreate" });
    expect(app.spec.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "demo-app" } });
    const pod = app.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers).toEqual([
      {
        name: "app",
        image: "docker.io/library/busybox:1.37.0",
        command: ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do date -u +%Y-%m-%dT%H:%M:%SZ >> /data/log; sleep 60 & wait $!; done"],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
        securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
      },
    ]);
    expect(PINS.demoAppImage).toBe("docker.io/library/busybox:1.37.0");
    expect(DEMO_APP_SCRIPT).toContain(">> /data/log");
    expect(pod.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "demo-data" } }]);
    const pvc = plan.object("PersistentVolumeClaim", "demo-data", "cust-demo");
    expect(pvc.metadata.labels).toEqual(OWNERSHIP);
    expect(pvc.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } });
  });

  it("the postgres namespace is created by the demo with PSA restricted", () => {
    expect(plan.object("Namespace", "postgres").metadata.labels).toEqual({ ...OWNERSHIP, ...RESTRICTED });
  });

  it("Postgres: pinned image, non-root uid 999, password from the Secret, PGDATA below the mount, headless Service", () => {
    const sts = plan.object("StatefulSet", "postgres", "postgres");
    const selector = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": "postgres" };
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.serviceName).toBe("postgres");
    expect(sts.spec.selector).toEqual({ matchLabels: selector });
    expect(sts.spec.template.metadata.labels).toEqual({ ...OWNERSHIP, "cluster-backup.io/flow": "postgres", ...selector });
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } });
    const [pg] = pod.containers;
    expect(pg.image).toBe(PINS.postgresImage);
    expect(pg.securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(pg.env).toEqual([
      { name: "POSTGRES_USER", value: "postgres" },
      { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "postgres-credentials", key: "POSTGRES_PASSWORD" } } },
      { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
    ]);
    expect(pg.readinessProbe.exec.command).toEqual(["pg_isready", "-U", "postgres"]);
    expect(pg.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } });
    expect(sts.spec.volumeClaimTemplates).toEqual([
      { metadata: { name: "data", labels: { ...OWNERSHIP, "cluster-backup.io/flow": "postgres" } }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    ]);
    const svc = plan.object("Service", "postgres", "postgres");
    expect(svc.spec).toEqual({ clusterIP: "None", selector, ports: [{ name: "postgres", port: 5432, targetPort: "postgres" }] });
  });

  it("the Postgres password is a generated secret, marked secret and redacted from the plan", () => {
    const password = plan.resource("random:index/randomPassword:RandomPassword", "demo-postgres-password");
    expect(password.inputs).toEqual({ length: 32, special: false });
    const secret = plan.object("Secret", "postgres-credentials", "postgres");
    expect(Object.keys(secret.stringData)).toEqual(["POSTGRES_PASSWORD"]);
    const value = secret.stringData.POSTGRES_PASSWORD as string;
    expect(value).toHaveLength(32);
    expect(plan.run.secretMarked.has(value)).toBe(true);
    expect(plan.run.secretStrings.has(value)).toBe(true);
    const files = buildPlanFiles("dev", plan.run).files;
    expect(files.get("manifests/secret--postgres--postgres-credentials.yaml")).toContain('POSTGRES_PASSWORD: "[secret]"');
    for (const [file, text] of files) expect(text.includes(value), file).toBe(false);
    expect(JSON.stringify(plan.exports).includes(value)).toBe(false);
  });

  it("the namespace and the Secret precede the StatefulSet; nothing waits on the Service or the app's PVC", () => {
    const sts = plan.registrationOf("StatefulSet", "postgres", "postgres");
    expect(sts.dependsOn.sort()).toEqual([plan.registrationOf("Namespace", "postgres").urn, plan.registrationOf("Secret", "postgres-credentials").urn].sort());
    expect(plan.registrationOf("Deployment", "demo-app").dependsOn).toEqual([plan.registrationOf("Namespace", "cust-demo").urn]);
  });
});

describe("dev demo variants", () => {
  it("without the postgres flow: only the tenant app, no Postgres and no PostgresBackup", async () => {
    const plan = await planWith("dev", { flows: { tenants: { enabled: true, ttl: "168h0m0s" }, postgres: { enabled: false } } });
    const demo = plan.resource("cluster-backup:demo:Demo", "demo");
    expect(plan.registrations.filter((r) => r.parent === demo.urn).map((r) => r.name).sort()).toEqual(["demo-app", "demo-app-data", "demo-tenant-ns"]);
    expect(plan.objects("Namespace").map((n) => n.metadata.name)).not.toContain("postgres");
    expect(plan.objects("StatefulSet")).toEqual([]);
    expect(plan.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name.startsWith("demo-"))).toEqual([]);
    expect(plan.ofType("cluster-backup:postgres:PostgresBackup")).toEqual([]);
    expect(plan.exports.podTemplatePatch).toBeUndefined();
  });

  it("demo.storageClassName and the images reach the objects", async () => {
    const plan = await planWith("dev", { demo: { enabled: true, storageClassName: "local-path", appImage: "docker.io/library/busybox:1.36.1", postgresImage: "docker.io/library/postgres:16.10" } });
    expect(plan.object("PersistentVolumeClaim", "demo-data").spec.storageClassName).toBe("local-path");
    const sts = plan.object("StatefulSet", "postgres");
    expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("local-path");
    expect(sts.spec.template.spec.containers[0].image).toBe("docker.io/library/postgres:16.10");
    expect(plan.object("Deployment", "demo-app").spec.template.spec.containers[0].image).toBe("docker.io/library/busybox:1.36.1");
  });

  it("refuses to run without an explicit provider (the ambient kubeconfig may point at another cluster)", async () => {
    await expect(planProgram("dev", () => void new Demo("demo", { appImage: PINS.demoAppImage }))).rejects.toThrow("Demo: pass the target cluster's Kubernetes provider as opts.provider");
    const plan = await planProgram("dev", () => void new Demo("demo", { appImage: PINS.demoAppImage }, { provider: new k8s.Provider("target", { context: "kind-test" }) }));
    expect(plan.objects().map((o) => `${o.kind} ${o.metadata.name}`).sort()).toEqual(["Deployment demo-app", "Namespace cust-demo", "PersistentVolumeClaim demo-data"]);
  });

  it("disabled: no demo objects at all", async () => {
    const plan = await planWith("dev", { demo: { enabled: false } });
    expect(plan.ofType("cluster-backup:demo:Demo")).toEqual([]);
    expect(plan.objects().filter((o) => ["cust-demo", "postgres"].includes(o.metadata.namespace ?? o.metadata.name))).toEqual([]);
  });
});
