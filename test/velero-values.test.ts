import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  bslConfig,
  buildVeleroValues,
  csiFlowEnabled,
  deepMerge,
  imageValues,
  nodeAgentConfigJson,
  veleroLocationNames,
  type VeleroLocationValues,
  type VeleroValuesInput,
} from "../components/velero/values";
import { parseStackConfig } from "../components/config";
import { rawConfig } from "./harness";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const scaleway = (prefix: string, isDefault = false): VeleroLocationValues => ({
  backend: "scaleway",
  bucket: "acme-k8s-prod-velero",
  prefix,
  default: isDefault,
  endpoint: "https://s3.fr-par.scw.cloud",
  region: "fr-par",
  forcePathStyle: true,
  credentialSecret: "velero-cred-scaleway",
});

const prodInput: VeleroValuesInput = {
  image: "docker.io/velero/velero:v1.18.2",
  awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
  nodeAgent: { podVolumePath: "/var/lib/kubelet/pods", privileged: false, memoryLimit: "2Gi" },
  concurrentBackups: 2,
  fsBackupTimeout: "4h",
  serviceMonitor: true,
  enableCsi: true,
  locations: {
    default: scaleway("tenants", true),
    system: scaleway("system"),
    "garage-backups": scaleway("garage"),
    postgres: {
      backend: "garage",
      bucket: "velero-postgres",
      prefix: "postgres",
      default: false,
      endpoint: "http://garage.garage.svc.cluster.local:3900",
      region: "garage",
      forcePathStyle: true,
      credentialSecret: "velero-cred-garage",
    },
  },
};

const minio = (prefix: string, isDefault = false): VeleroLocationValues => ({
  backend: "minio",
  bucket: "velero",
  prefix,
  default: isDefault,
  endpoint: "http://minio.minio.svc.cluster.local:9000",
  region: "us-east-1",
  forcePathStyle: true,
  credentialSecret: "velero-cred-minio",
});

const devInput: VeleroValuesInput = {
  image: "docker.io/velero/velero:v1.18.2",
  awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
  nodeAgent: { podVolumePath: "/var/lib/kubelet/pods", privileged: false, memoryLimit: "2Gi" },
  fsBackupTimeout: "4h",
  serviceMonitor: false,
  enableCsi: false,
  locations: { default: minio("tenants", true), system: minio("system"), postgres: minio("postgres") },
};

const AGENT_JSON = '{"loadConcurrency":{"globalConfig":1},"podResources":{"cpuRequest":"500m","memoryRequest":"512Mi","memoryLimit":"2Gi"},"privilegedFsBackup":false}';
const AGENT_SHA = createHash("sha256").update(AGENT_JSON).digest("hex");

const scalewayConfig = { region: "fr-par", s3Url: "https://s3.fr-par.scw.cloud", s3ForcePathStyle: "true" };
const minioConfig = { region: "us-east-1", s3Url: "http://minio.minio.svc.cluster.local:9000", s3ForcePathStyle: "true" };

describe("buildVeleroValues (prod, docs/design.md §3.4.4)", () => {
  const values = buildVeleroValues(prodInput) as Obj;

  it("renders exactly the values of the specification", () => {
    expect(values).toEqual({
      image: { repository: "docker.io/velero/velero", tag: "v1.18.2", pullPolicy: "IfNotPresent" },
      podAnnotations: { "checksum/node-agent-config": AGENT_SHA },
      resources: { requests: { cpu: "500m", memory: "128Mi" }, limits: { memory: "1Gi" } },
      initContainers: [
        {
          name: "velero-plugin-for-aws",
          image: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
          imagePullPolicy: "IfNotPresent",
          volumeMounts: [{ mountPath: "/target", name: "plugins" }],
        },
      ],
      upgradeCRDs: false,
      credentials: { useSecret: true, existingSecret: "velero-cred-scaleway" },
      backupsEnabled: true,
      snapshotsEnabled: false,
      deployNodeAgent: true,
      nodeAgent: {
        podVolumePath: "/var/lib/kubelet/pods",
        resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "2Gi" } },
        extraArgs: ["--node-agent-configmap=velero-node-agent-config"],
      },
      configMaps: {
        "node-agent-config": { data: { "node-agent-config.json": AGENT_JSON } },
        "fs-restore-action-config": {
          labels: { "velero.io/plugin-config": "", "velero.io/pod-volume-restore": "RestoreItemAction" },
          data: { secCtx: "allowPrivilegeEscalation: false\ncapabilities:\n  drop:\n    - ALL\nrunAsNonRoot: true\nrunAsUser: 1000\nseccompProfile:\n  type: RuntimeDefault\n" },
        },
      },
      configuration: {
        uploaderType: "kopia",
        features: "EnableCSI",
        defaultVolumesToFsBackup: false,
        defaultBackupStorageLocation: "default",
        defaultBackupTTL: "720h",
        fsBackupTimeout: "4h",
        extraArgs: ["--concurrent-backups=2"],
        volumeSnapshotLocation: [],
        backupStorageLocation: [
          { name: "default", provider: "aws", bucket: "acme-k8s-prod-velero", prefix: "tenants", default: true, credential: { name: "velero-cred-scaleway", key: "cloud" }, config: scalewayConfig },
          { name: "system", provider: "aws", bucket: "acme-k8s-prod-velero", prefix: "system", default: false, credential: { name: "velero-cred-scaleway", key: "cloud" }, config: scalewayConfig },
          { name: "garage-backups", provider: "aws", bucket: "acme-k8s-prod-velero", prefix: "garage", default: false, credential: { name: "velero-cred-scaleway", key: "cloud" }, config: scalewayConfig },
          {
            name: "postgres",
            provider: "aws",
            bucket: "velero-postgres",
            prefix: "postgres",
            default: false,
            credential: { name: "velero-cred-garage", key: "cloud" },
            config: { region: "garage", s3Url: "http://garage.garage.svc.cluster.local:3900", s3ForcePathStyle: "true" },
          },
        ],
        repositoryMaintenanceJob: {
          repositoryConfigData: {
            name: "velero-repo-maintenance",
            global: { podResources: { cpuRequest: "100m", memoryRequest: "512Mi", memoryLimit: "2Gi" }, keepLatestMaintenanceJobs: 3 },
          },
        },
      },
      metrics: { enabled: true, serviceMonitor: { enabled: true, autodetect: false } },
      schedules: {},
      rbac: { create: true, clusterAdministrator: true },
    });
  });

  it("keeps every BSL config value a string and every s3Url without a path", () => {
    for (const bsl of values.configuration.backupStorageLocation as Obj[]) {
      for (const v of Object.values(bsl.config)) expect(typeof v).toBe("string");
      expect(bsl.config.s3Url).toMatch(/^https?:\/\/[^/]+$/);
    }
  });

  it("gives the restore-wait init container a Pod Security restricted context", () => {
    expect(parse(values.configMaps["fs-restore-action-config"].data.secCtx)).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("contains no restic key, no CSI plugin, and no removed repository-maintenance key", () => {
    const text = JSON.stringify(values);
    expect(text).not.toMatch(/restic/i);
    expect(text).not.toContain("velero-plugin-for-csi");
    expect(Object.keys(values.configuration.repositoryMaintenanceJob)).toEqual(["repositoryConfigData"]);
    expect(values.initContainers.map((c: Obj) => c.name)).toEqual(["velero-plugin-for-aws"]);
  });
});

describe("buildVeleroValues (dev)", () => {
  const values = buildVeleroValues(devInput) as Obj;

  it("differs from prod only in credentials, MinIO locations, features, concurrency and ServiceMonitor", () => {
    const prodValues = buildVeleroValues(prodInput) as Obj;
    expect(values.credentials).toEqual({ useSecret: true, existingSecret: "velero-cred-minio" });
    expect(values.configuration.backupStorageLocation).toEqual([
      { name: "default", provider: "aws", bucket: "velero", prefix: "tenants", default: true, credential: { name: "velero-cred-minio", key: "cloud" }, config: minioConfig },
      { name: "system", provider: "aws", bucket: "velero", prefix: "system", default: false, credential: { name: "velero-cred-minio", key: "cloud" }, config: minioConfig },
      { name: "postgres", provider: "aws", bucket: "velero", prefix: "postgres", default: false, credential: { name: "velero-cred-minio", key: "cloud" }, config: minioConfig },
    ]);
    expect("features" in values.configuration).toBe(false);
    expect("extraArgs" in values.configuration).toBe(false);
    expect(values.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: false, autodetect: false } });
    const strip = (v: Obj) => {
      const copy = structuredClone(v);
      for (const key of ["credentials", "metrics"]) delete copy[key];
      for (const key of ["backupStorageLocation", "features", "extraArgs"]) delete copy.configuration[key];
      return copy;
    };
    expect(strip(values)).toEqual(strip(prodValues));
  });

  it("labels the ServiceMonitor for the Prometheus operator's selector (monitoring.ruleLabels)", () => {
    const labelled = buildVeleroValues({ ...prodInput, serviceMonitor: true, serviceMonitorLabels: { release: "kube-prometheus-stack" } }) as Obj;
    expect(labelled.metrics.serviceMonitor).toEqual({ enabled: true, autodetect: false, additionalLabels: { release: "kube-prometheus-stack" } });
    const off = buildVeleroValues({ ...prodInput, serviceMonitor: false, serviceMonitorLabels: { release: "kube-prometheus-stack" } }) as Obj;
    expect(off.metrics.serviceMonitor).toEqual({ enabled: false, autodetect: false });
  });
});

describe("node-agent configuration", () => {
  it("is the JSON of docs/design.md §3.4.3, and its checksum rolls the pods when it changes", () => {
    expect(nodeAgentConfigJson({ podVolumePath: "/x", privileged: false, memoryLimit: "2Gi" })).toBe(AGENT_JSON);
    const privileged = buildVeleroValues({ ...devInput, nodeAgent: { ...devInput.nodeAgent, privileged: true } }) as Obj;
    const json = privileged.configMaps["node-agent-config"].data["node-agent-config.json"];
    expect(JSON.parse(json).privilegedFsBackup).toBe(true);
    expect(privileged.podAnnotations["checksum/node-agent-config"]).toBe(createHash("sha256").update(json).digest("hex"));
    expect(privileged.podAnnotations["checksum/node-agent-config"]).not.toBe(AGENT_SHA);
  });

  it("sets containerSecurityContext only when privileged", () => {
    expect("containerSecurityContext" in (buildVeleroValues(devInput) as Obj).nodeAgent).toBe(false);
    const privileged = buildVeleroValues({ ...devInput, nodeAgent: { ...devInput.nodeAgent, privileged: true } }) as Obj;
    expect(privileged.nodeAgent.containerSecurityContext).toEqual({ privileged: true });
  });
});

describe("BSL config per backend (docs/design.md §3.4.4 table)", () => {
  it("aws: region only", () => {
    expect(bslConfig("a", { backend: "aws", bucket: "b", default: true, region: "eu-west-1", forcePathStyle: false, credentialSecret: "velero-cred-aws" })).toEqual({ region: "eu-west-1" });
  });
  it("keeps an explicit empty checksumAlgorithm (last resort for old stores)", () => {
    expect(bslConfig("a", { ...minio("x"), checksumAlgorithm: "" })).toEqual({ ...minioConfig, checksumAlgorithm: "" });
  });
  it("refuses an endpoint with a path", () => {
    expect(() => bslConfig("system", { ...minio("x"), endpoint: "http://minio.minio.svc.cluster.local:9000/velero" })).toThrow(
      "location 'system': endpoint 'http://minio.minio.svc.cluster.local:9000/velero' has a path; expected scheme and host[:port] only, e.g. 'https://s3.fr-par.scw.cloud'",
    );
  });
});

describe("helpers", () => {
  it("splits images by tag or digest (a registry port is not a tag)", () => {
    expect(imageValues("registry.local:5000/velero/velero:v1.18.2")).toEqual({ repository: "registry.local:5000/velero/velero", tag: "v1.18.2", pullPolicy: "IfNotPresent" });
    const digest = `sha256:${"a".repeat(64)}`;
    expect(imageValues(`docker.io/velero/velero@${digest}`)).toEqual({ repository: "docker.io/velero/velero", tag: "", digest, pullPolicy: "IfNotPresent" });
  });

  it("deep-merges extraValues: objects merge, arrays and scalars replace", () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: null })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: null });
    const values = buildVeleroValues({ ...devInput, extraValues: { nodeAgent: { tolerations: [{ operator: "Exists" }] }, configuration: { logLevel: "debug" } } }) as Obj;
    expect(values.nodeAgent.tolerations).toEqual([{ operator: "Exists" }]);
    expect(values.nodeAgent.podVolumePath).toBe("/var/lib/kubelet/pods");
    expect(values.configuration.logLevel).toBe("debug");
    expect(values.configuration.uploaderType).toBe("kopia");
  });

  it("requires exactly one default location", () => {
    expect(() => buildVeleroValues({ ...devInput, locations: { a: minio("a"), b: minio("b") } })).toThrow(
      "Velero needs exactly one default backup storage location, got 0 (none) among: a, b",
    );
  });

  it("enables CSI exactly when a snapshotting flow is enabled", () => {
    const flows = (ceph: boolean, zfs: boolean) => ({ garageMetaCeph: { enabled: ceph }, garageDataZfs: { enabled: zfs } });
    expect(csiFlowEnabled(flows(false, false))).toBe(false);
    expect(csiFlowEnabled(flows(true, false))).toBe(true);
    expect(csiFlowEnabled(flows(false, true))).toBe(true);
  });

  it("renders only locations used by enabled flows, plus the default, default first", () => {
    const cfg = parseStackConfig(
      rawConfig({
        environment: "dev",
        kubernetes: { context: "x" },
        storage: { minio: {} },
        velero: { locations: { unused: { backend: "minio", bucket: "velero", prefix: "u" }, system: { backend: "minio", bucket: "velero", prefix: "s" }, main: { backend: "minio", bucket: "velero", default: true } } },
        flows: { tenants: { location: "main" }, system: { enabled: true, location: "system" } },
      }),
      new Set(),
      "dev",
    );
    expect(veleroLocationNames(cfg)).toEqual(["main", "system"]);
  });
});
