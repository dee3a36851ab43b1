/**
 * The zrepl flow through the whole program (index.ts) under the SDK's mocks: PKI, Secrets, ConfigMaps, DaemonSets,
 * Service and exports in prod; nothing of it in dev.
 */
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { computedOutputs } from "../scripts/lib/mocks";
import { readStackFile } from "../scripts/lib/stack-file";
import { ZREPL_START_SCRIPT } from "../components/zrepl/replication";
import { sinkCheckPodParts } from "../components/zrepl/sink-check";
import { zreplArgsFromConfig } from "../components/stack-args";
import { planStack, planWith, ROOT, type Obj, type Plan } from "./harness";
import { PSA_PRIVILEGED } from "./lib/expected";

const TYPES = {
  component: "cluster-backup:zrepl:ZreplReplication",
  key: "tls:index/privateKey:PrivateKey",
  ca: "tls:index/selfSignedCert:SelfSignedCert",
  csr: "tls:index/certRequest:CertRequest",
  cert: "tls:index/locallySignedCert:LocallySignedCert",
};
const START = "mkdir -p /var/run/zrepl/stdinserver && chmod -R 0700 /var/run/zrepl && zrepl --config /etc/zrepl/zrepl.yml configcheck && exec zrepl --config /etc/zrepl/zrepl.yml daemon";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** The deterministic outputs the mocks give a resource (what a dependent input must equal). */
const mockOutputs = (type: string, name: string) => computedOutputs(type, name, {});

/** The zrepl component and every resource parented to it. */
function zreplRegistrations(plan: Plan) {
  const component = plan.ofType(TYPES.component)[0];
  return component ? [component, ...plan.registrations.filter((r) => r.parent === component.urn)] : [];
}

describe("zrepl in prod", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("registers one ZreplReplication component holding every zrepl resource", () => {
    const component = plan.resource(TYPES.component, "zrepl");
    const children = plan.registrations.filter((r) => r.parent === component.urn).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    expect(children.sort()).toEqual(
      [
        "Namespace zrepl-namespace",
        "PrivateKey zrepl-ca-key",
        "SelfSignedCert zrepl-ca",
        "PrivateKey zrepl-sink-key",
        "CertRequest zrepl-sink-csr",
        "LocallySignedCert zrepl-sink-cert",
        "PrivateKey zrepl-push-key",
        "CertRequest zrepl-push-csr",
        "LocallySignedCert zrepl-push-cert",
        "Secret zrepl-sink-tls",
        "Secret zrepl-push-tls",
        "ConfigMap zrepl-sink-config",
        "ConfigMap zrepl-push-config",
        "Service zrepl-sink-service",
        "DaemonSet zrepl-sink",
        "DaemonSet zrepl-push",
      ].sort(),
    );
  });

  it("uses the explicit Kubernetes provider for every Kubernetes child and the default tls provider for the PKI", () => {
    const target = plan.resource("pulumi:providers:kubernetes", "target");
    const k8sChildren = zreplRegistrations(plan).filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sChildren).toHaveLength(8);
    for (const r of k8sChildren) expect(r.provider).toMatch(new RegExp(`^${target.urn.replace(/[$]/g, "\\$")}::`));
    for (const r of plan.registrations.filter((x) => x.type.startsWith("tls:"))) expect(r.provider ?? "").not.toContain("kubernetes");
  });

  it("creates the privileged namespace zrepl", () => {
    expect(plan.object("Namespace", "zrepl").metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "pulumi",
      "app.kubernetes.io/part-of": "cluster-backup",
      "cluster-backup.io/flow": "zrepl",
      ...PSA_PRIVILEGED,
    });
  });

  describe("PKI", () => {
    it("has an ECDSA P256 CA valid for ten years, for signing only, whose key is protected in prod", () => {
      const key = plan.resource(TYPES.key, "zrepl-ca-key");
      expect(key.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      expect(key.protect).toBe(true);
      const ca = plan.resource(TYPES.ca, "zrepl-ca");
      expect(ca.inputs).toEqual({
        privateKeyPem: mockOutputs(TYPES.key, "zrepl-ca-key").privateKeyPem,
        subject: { commonName: "zrepl-ca", organization: "cluster-backup" },
        isCaCertificate: true,
        allowedUses: ["cert_signing", "crl_signing"],
        validityPeriodHours: 87600,
        earlyRenewalHours: 720,
      });
      expect(ca.dependsOn).toContain(key.urn);
    });

    it.each([
      ["sink", "zrepl-sink", "server_auth"],
      ["push", "garage", "client_auth"],
    ])("issues the %s certificate (CN and DNS SAN %s, %s) from the one CA", (role, cn, usage) => {
      const key = plan.resource(TYPES.key, `zrepl-${role}-key`);
      expect(key.inputs).toEqual({ algorithm: "ECDSA", ecdsaCurve: "P256" });
      expect(key.protect).toBe(false);
      const csr = plan.resource(TYPES.csr, `zrepl-${role}-csr`);
      expect(csr.inputs).toEqual({ privateKeyPem: mockOutputs(TYPES.key, `zrepl-${role}-key`).privateKeyPem, subject: { commonName: cn }, dnsNames: [cn] });
      const cert = plan.resource(TYPES.cert, `zrepl-${role}-cert`);
      expect(cert.inputs).toEqual({
        certRequestPem: mockOutputs(TYPES.csr, `zrepl-${role}-csr`).certRequestPem,
        caPrivateKeyPem: mockOutputs(TYPES.key, "zrepl-ca-key").privateKeyPem,
        caCertPem: mockOutputs(TYPES.ca, "zrepl-ca").certPem,
        allowedUses: ["digital_signature", "key_encipherment", usage],
        validityPeriodHours: 8760,
        earlyRenewalHours: 720,
      });
      expect(cert.dependsOn).toEqual(expect.arrayContaining([plan.resource(TYPES.key, "zrepl-ca-key").urn, plan.resource(TYPES.ca, "zrepl-ca").urn, csr.urn]));
      expect(plan.run.secretMarked.has(cert.inputs.caPrivateKeyPem as string)).toBe(true);
    });

    it("has exactly one CA", () => {
      expect(plan.ofType(TYPES.ca)).toHaveLength(1);
    });
  });

  describe("TLS Secrets", () => {
    it.each([
      ["zrepl-sink-tls", "sink"],
      ["zrepl-garage-push-tls", "push"],
    ])("%s holds ca.crt, tls.crt and the %s key, as stringData marked secret", (name, role) => {
      const secret = plan.object("Secret", name, "zrepl");
      expect(secret.type).toBe("kubernetes.io/tls");
      expect(secret.data).toBeUndefined();
      expect(secret.stringData).toEqual({
        "ca.crt": mockOutputs(TYPES.ca, "zrepl-ca").certPem,
        "tls.crt": mockOutputs(TYPES.cert, `zrepl-${role}-cert`).certPem,
        "tls.key": mockOutputs(TYPES.key, `zrepl-${role}-key`).privateKeyPem,
      });
      expect(plan.run.secretMarked.has(secret.stringData["tls.key"])).toBe(true);
      expect(secret.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "zrepl" });
    });

    it("puts no private key anywhere but in the two Secrets", () => {
      const keys = ["zrepl-ca-key", "zrepl-sink-key", "zrepl-push-key"].map((n) => mockOutputs(TYPES.key, n).privateKeyPem as string);
      const elsewhere = JSON.stringify([plan.objects().filter((o) => o.kind !== "Secret"), plan.exports]);
      for (const key of keys) expect(elsewhere).not.toContain(key);
    });
  });

  describe("ConfigMaps", () => {
    it("zrepl-garage-push holds the push job dialling the sink Service", () => {
      const cm = plan.object("ConfigMap", "zrepl-garage-push", "zrepl");
      expect(Object.keys(cm.data)).toEqual(["zrepl.yml"]);
      const job = parse(cm.data["zrepl.yml"]).jobs[0];
      expect(job.name).toBe("garage_push");
      expect(job.connect).toMatchObject({ type: "tls", address: "zrepl-sink.zrepl.svc.cluster.local:8888", server_cn: "zrepl-sink" });
      expect(job.filesystems).toEqual({ "tank/garage<": true });
      expect(job.pruning.keep_receiver).toEqual([{ type: "grid", grid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d", regex: "^zrepl_.*" }]);
      expect(job.pruning.keep_sender).toContainEqual({ type: "regex", negate: true, regex: "^zrepl_.*" });
    });

    it("zrepl-sink holds the sink job with root_fs wdc/zrepl for client CN garage", () => {
      const job = parse(plan.object("ConfigMap", "zrepl-sink", "zrepl").data["zrepl.yml"]).jobs[0];
      expect(job).toMatchObject({ name: "sink", type: "sink", root_fs: "wdc/zrepl", recv: { placeholder: { encryption: "inherit" } } });
      expect(job.serve).toMatchObject({ type: "tls", listen: ":8888", client_cns: ["garage"] });
    });
  });

  describe("DaemonSets", () => {
    it.each([
      ["zrepl-garage-push", "push", "node-garage-1", "zrepl-garage-push-tls", [{ name: "metrics", containerPort: 9811, protocol: "TCP" }]],
      [
        "zrepl-sink",
        "sink",
        "backup-1",
        "zrepl-sink-tls",
        [
          { name: "zrepl", containerPort: 8888, protocol: "TCP" },
          { name: "metrics", containerPort: 9811, protocol: "TCP" },
        ],
      ],
    ])("%s runs the %s daemon on %s", (name, side, node, tlsSecret, ports) => {
      const ds = plan.object("DaemonSet", name, "zrepl");
      const selector = { "app.kubernetes.io/name": "zrepl", "app.kubernetes.io/component": side };
      const labels = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup", "cluster-backup.io/flow": "zrepl", ...selector };
      expect(ds.metadata.labels).toEqual(labels);
      expect(ds.spec.selector).toEqual({ matchLabels: selector });
      expect(ds.spec.template.metadata.labels).toEqual(labels);
      const configYaml = plan.object("ConfigMap", name, "zrepl").data["zrepl.yml"];
      expect(ds.spec.template.metadata.annotations).toEqual({
        "checksum/config": sha256(configYaml),
        "checksum/tls": sha256(`${mockOutputs(TYPES.ca, "zrepl-ca").certPem}${mockOutputs(TYPES.cert, `zrepl-${side}-cert`).certPem}`),
      });
      const pod: Obj = ds.spec.template.spec;
      expect(pod.nodeSelector).toEqual({ "kubernetes.io/hostname": node });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.hostNetwork).toBeUndefined();
      // The sink pod also runs the sink check (test/zrepl-sink-check.test.ts).
      expect(pod.containers.map((x: Obj) => x.name)).toEqual(side === "sink" ? ["zrepl", "sink-check", "sink-check-exporter"] : ["zrepl"]);
      const [c] = pod.containers;
      expect(c.name).toBe("zrepl");
      expect(c.image).toBe("ghcr.io/acme/zrepl:0.7.0-openzfs2.2");
      expect(c.command).toEqual(["/bin/sh", "-c"]);
      expect(c.args).toEqual([START]);
      expect(ZREPL_START_SCRIPT).toBe(START);
      expect(c.securityContext).toEqual({ privileged: true });
      expect(c.ports).toEqual(ports);
      expect(c.resources).toEqual({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } });
      expect(c.readinessProbe).toEqual({ httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 30, timeoutSeconds: 5 });
      expect(c.volumeMounts).toEqual([
        { name: "dev-zfs", mountPath: "/dev/zfs" },
        { name: "config", mountPath: "/etc/zrepl/zrepl.yml", subPath: "zrepl.yml", readOnly: true },
        { name: "tls", mountPath: "/etc/zrepl/tls", readOnly: true },
        { name: "run", mountPath: "/var/run/zrepl" },
      ]);
      expect(pod.volumes).toEqual([
        { name: "dev-zfs", hostPath: { path: "/dev/zfs", type: "CharDevice" } },
        { name: "config", configMap: { name } },
        { name: "tls", secret: { secretName: tlsSecret, defaultMode: 0o400 } },
        { name: "run", emptyDir: { medium: "Memory" } },
        ...(side === "sink" ? [{ name: "sink-check", emptyDir: { sizeLimit: "16Mi" } }] : []),
      ]);
    });

    it("zrepl-sink carries the sink check of the expected dataset wdc/zrepl/garage/tank/garage< every 5m, on the zrepl image", () => {
      const pod: Obj = plan.object("DaemonSet", "zrepl-sink", "zrepl").spec.template.spec;
      const parts = sinkCheckPodParts(
        { image: "ghcr.io/acme/zrepl:0.7.0-openzfs2.2", exporterImage: "quay.io/prometheus/node-exporter:v1.12.1", intervalSeconds: 300, datasets: ["wdc/zrepl/garage/tank/garage<"], clientPrefix: "wdc/zrepl/garage/" },
        "dev-zfs",
      );
      expect(pod.containers.slice(1)).toEqual(parts.containers);
      expect(pod.containers[1].command.slice(4)).toEqual(["every", "300", "/var/lib/sink-check/zrepl-sink.prom", "wdc/zrepl/garage/", "zrepl_", "wdc/zrepl/garage/tank/garage<"]);
    });

    it("waits for its ConfigMap and TLS Secret (certs → ConfigMaps → DaemonSets)", () => {
      for (const [ds, cm, secret] of [
        ["zrepl-garage-push", "zrepl-garage-push", "zrepl-garage-push-tls"],
        ["zrepl-sink", "zrepl-sink", "zrepl-sink-tls"],
      ]) {
        const deps = plan.registrationOf("DaemonSet", ds, "zrepl").dependsOn;
        expect(deps).toEqual(expect.arrayContaining([plan.registrationOf("ConfigMap", cm, "zrepl").urn, plan.registrationOf("Secret", secret, "zrepl").urn]));
      }
    });
  });

  it("exposes the sink through the ClusterIP Service zrepl-sink:8888 selecting the sink pods only", () => {
    const svc = plan.object("Service", "zrepl-sink", "zrepl");
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "zrepl", "app.kubernetes.io/component": "sink" },
      ports: [{ name: "zrepl", port: 8888, targetPort: "zrepl", protocol: "TCP" }],
    });
    expect(svc.metadata.labels["cluster-backup.io/flow"]).toBe("zrepl");
  });

  it("exports the CA certificate and the sink address", () => {
    expect(plan.exports.zreplCaCertPem).toBe(mockOutputs(TYPES.ca, "zrepl-ca").certPem);
    expect(plan.exports.zreplSinkAddress).toBe("zrepl-sink.zrepl.svc.cluster.local:8888");
  });
});

describe("zrepl with non-default names", () => {
  let plan: Plan;
  beforeAll(async () => {
    const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
    flows.zrepl = { ...flows.zrepl, namespace: "replication", clientCn: "garage-node-1", serverCn: "backup-sink", sinkRootFs: "wdc/replicas", keepSenderLastN: 20 };
    plan = await planWith("prod", { flows });
  });

  it("follows the namespace, CNs and root_fs everywhere", () => {
    expect(plan.exports.zreplSinkAddress).toBe("zrepl-sink.replication.svc.cluster.local:8888");
    expect(plan.resource(TYPES.csr, "zrepl-sink-csr").inputs).toMatchObject({ subject: { commonName: "backup-sink" }, dnsNames: ["backup-sink"] });
    expect(plan.resource(TYPES.csr, "zrepl-push-csr").inputs).toMatchObject({ subject: { commonName: "garage-node-1" }, dnsNames: ["garage-node-1"] });
    const push = parse(plan.object("ConfigMap", "zrepl-garage-push", "replication").data["zrepl.yml"]).jobs[0];
    expect(push.connect).toMatchObject({ address: "zrepl-sink.replication.svc.cluster.local:8888", server_cn: "backup-sink" });
    expect(push.pruning.keep_sender[1]).toEqual({ type: "last_n", count: 20, regex: "^zrepl_.*" });
    const sink = parse(plan.object("ConfigMap", "zrepl-sink", "replication").data["zrepl.yml"]).jobs[0];
    expect(sink).toMatchObject({ root_fs: "wdc/replicas", serve: { client_cns: ["garage-node-1"] } });
    expect(plan.object("Namespace", "replication").metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });
});

describe("zrepl in dev", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("registers no zrepl object, no certificate and exports nothing for it", () => {
    expect(zreplRegistrations(plan)).toEqual([]);
    expect(plan.objects().filter((o) => o.metadata?.namespace === "zrepl" || o.metadata?.labels?.["cluster-backup.io/flow"] === "zrepl")).toEqual([]);
    expect(plan.exports.zreplCaCertPem).toBeUndefined();
    expect(plan.exports.zreplSinkAddress).toBeUndefined();
  });
});

describe("zreplArgsFromConfig", () => {
  const flow = {
    namespace: "zrepl",
    image: "ghcr.io/skaronator/zrepl@sha256:" + "b".repeat(64),
    sourceNode: "node-garage-1",
    sinkNode: "backup-1",
    sourceFilesystems: { "tank/garage<": true },
    sinkRootFs: "wdc/zrepl",
    clientCn: "garage",
    serverCn: "zrepl-sink",
    snapshotInterval: "10m",
    keepSenderLastN: 10,
    receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d",
    sinkCheck: { enabled: true, exporterImage: "quay.io/prometheus/node-exporter:v1.12.1", interval: "5m" },
  };

  it("passes the config through and protects in production only", () => {
    const { sinkCheck, ...rest } = flow;
    expect(zreplArgsFromConfig(flow, true)).toEqual({ ...rest, sinkCheck: { exporterImage: sinkCheck.exporterImage, interval: "5m" }, protect: true });
    expect(zreplArgsFromConfig(flow, false).protect).toBe(false);
    expect(zreplArgsFromConfig({ ...flow, sinkCheck: { ...sinkCheck, enabled: false } }, false).sinkCheck).toBeUndefined();
  });

  it("refuses an enabled flow without image or nodes", () => {
    expect(() => zreplArgsFromConfig({ ...flow, sinkNode: undefined }, true)).toThrow("flows.zrepl: image, sourceNode and sinkNode are required when zrepl is enabled");
  });
});
