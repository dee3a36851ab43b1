import { describe, expect, it } from "vitest";
import { configProblems, rawConfig } from "./harness";
import { TAG_ONLY_WAIVER } from "./lib/image-waiver";

const PROJECT = "6c0b5b1e-5e0a-4b8e-9f3a-2d7c1e4f8a90";
const garage = { s3Endpoint: "http://garage.garage.svc.cluster.local:3900", adminEndpoint: "http://garage.garage.svc.cluster.local:3903", adminTokenSecret: { name: "garage-admin-token", key: "token" } };
const base = {
  environment: "prod",
  kubernetes: { context: "ctx" },
  storage: { scaleway: { region: "fr-par", bucketPrefix: "acme-k8s-prod", projectId: PROJECT, adminPrincipal: `user_id:${PROJECT}` }, garage },
  velero: {
    locations: {
      default: { backend: "scaleway", bucket: "velero", prefix: "tenants", default: true },
      postgres: { backend: "garage", bucket: "velero-postgres", prefix: "postgres" },
    },
  },
  images: TAG_ONLY_WAIVER,
};
const benjiOn = (storage: Record<string, unknown>) => ({
  flows: { benji: { enabled: true, generateEncryption: true, storage, ceph: { monHost: "10.0.0.1:6789", pools: ["replicapool"] } } },
  benjiDatabaseUrl: "postgresql://benji:pw@db:5432/benji",
  benjiCephKey: "AQD-key",
});
const BENJI_SECRETS = ["benjiDatabaseUrl", "benjiCephKey"];

function problems(overrides: Record<string, unknown>, secretKeys: string[] = []): string[] {
  return configProblems(rawConfig({ ...base, ...overrides }), secretKeys.map((k) => `cluster-backup:${k}`), "prod");
}

describe("storage config: accepted", () => {
  it("the base config (Scaleway + Garage) and Benji on its own Scaleway bucket", () => {
    expect(problems({})).toEqual([]);
    expect(problems(benjiOn({ backend: "scaleway", bucket: "benji" }), BENJI_SECRETS)).toEqual([]);
  });
});

describe("storage config: bad input names the key, the value and the form", () => {
  it("object lock asked of Garage", () => {
    expect(problems({ storage: { ...base.storage, garage: { ...garage, objectLock: { mode: "GOVERNANCE", days: 7 } } } })).toEqual([
      'cluster-backup:storage.garage.objectLock: Garage has no object lock (nor versioning); remove the key or store on scaleway/aws (got {"mode":"GOVERNANCE","days":7})',
    ]);
  });

  it("an unknown backend", () => {
    expect(problems({ velero: { locations: { default: { backend: "s3", bucket: "velero", default: true } } } })).toEqual([
      'cluster-backup:velero.locations.default.backend: expected one of the storage backends: minio, scaleway, garage, aws (got "s3")',
    ]);
  });

  it("a location naming a backend that is not configured", () => {
    expect(problems({ velero: { locations: { default: { backend: "aws", bucket: "velero", default: true } } } })).toEqual([
      "cluster-backup:velero.locations.default.backend: backend 'aws' is not configured; add storage.aws (got \"aws\")",
    ]);
  });

  it("an endpoint that is not a scheme+host[:port] URL", () => {
    expect(problems({ storage: { ...base.storage, garage: { ...garage, s3Endpoint: "http://garage.garage.svc:3900/s3" } } })).toEqual([
      "cluster-backup:storage.garage.s3Endpoint: expected an http(s) URL of scheme and host[:port] only, without a path, e.g. 'http://garage.garage.svc.cluster.local:3900' (got \"http://garage.garage.svc:3900/s3\")",
    ]);
    expect(problems({ storage: { ...base.storage, garage: { ...garage, adminEndpoint: "garage:3903" } } })).toEqual([
      "cluster-backup:storage.garage.adminEndpoint: expected an http(s) URL of scheme and host[:port] only, without a path, e.g. 'http://garage.garage.svc.cluster.local:3900' (got \"garage:3903\")",
    ]);
  });

  it("Benji storage on a backend that is not configured", () => {
    expect(problems(benjiOn({ backend: "minio", bucket: "benji" }), BENJI_SECRETS)).toEqual([
      "cluster-backup:flows.benji.storage.backend: backend 'minio' is not configured; add storage.minio (got \"minio\")",
    ]);
  });

  it("Benji storage on a Velero bucket", () => {
    expect(problems(benjiOn({ backend: "scaleway", bucket: "velero" }), BENJI_SECRETS)).toEqual([
      "cluster-backup:flows.benji.storage.bucket: is also the scaleway bucket of Velero location(s) default; expected a bucket of its own (Velero's is versioned, Benji's must not be, and each consumer's key is limited to its buckets) (got \"velero\")",
    ]);
  });

  it("a prefixed bucket name longer than 63 characters", () => {
    const bucket = `velero-${"x".repeat(43)}`; // 50 characters; with "acme-k8s-prod-" 64
    expect(problems({ velero: { locations: { default: { backend: "scaleway", bucket, default: true } } } })).toEqual([
      `cluster-backup:velero.locations.default.bucket: gives the scaleway bucket name 'acme-k8s-prod-${bucket}' (64 characters); expected at most 63 with storage.scaleway.bucketPrefix: shorten the bucket or the prefix (got "${bucket}")`,
    ]);
  });

  it("Scaleway without the project of the buckets", () => {
    expect(problems({ storage: { ...base.storage, scaleway: { region: "fr-par", bucketPrefix: "acme-k8s-prod" } } })).toEqual([
      "cluster-backup:storage.scaleway.projectId: expected the UUID of the Scaleway project holding the backup buckets (a dedicated project: IAM permission sets are project-wide)",
      "cluster-backup:storage.scaleway.adminPrincipal: expected the Scaleway principal that runs `pulumi up`, 'user_id:<uuid>' or 'application_id:<uuid>' (the bucket policies allow it everything and each consumer only its objects; a deployer left out is locked out of the buckets)",
    ]);
  });

  it("a Scaleway admin principal that is not user_id:/application_id: with a UUID", () => {
    expect(problems({ storage: { ...base.storage, scaleway: { ...base.storage.scaleway, adminPrincipal: "project_id:6c0b5b1e-5e0a-4b8e-9f3a-2d7c1e4f8a90" } } })).toEqual([
      "cluster-backup:storage.scaleway.adminPrincipal: expected the Scaleway principal that runs `pulumi up`, 'user_id:<uuid>' or 'application_id:<uuid>' (the bucket policies allow it everything and each consumer only its objects; a deployer left out is locked out of the buckets) (got \"project_id:6c0b5b1e-5e0a-4b8e-9f3a-2d7c1e4f8a90\")",
    ]);
  });

  it("Garage without an admin token", () => {
    const { adminTokenSecret: _unused, ...noToken } = garage;
    void _unused;
    expect(problems({ storage: { ...base.storage, garage: noToken } })).toEqual([
      "cluster-backup:garageAdminToken: Garage needs its admin token: set storage.garage.adminTokenSecret {name, key} or `pulumi config set --secret garageAdminToken <token>`",
    ]);
    expect(problems({ storage: { ...base.storage, garage: noToken }, garageAdminToken: "tok" }, ["garageAdminToken"])).toEqual([]);
  });

  it("object lock with an unknown mode", () => {
    expect(problems({ storage: { ...base.storage, scaleway: { ...base.storage.scaleway, objectLock: { mode: "LEGAL", days: 7 } } } })).toEqual([
      'cluster-backup:storage.scaleway.objectLock.mode: expected GOVERNANCE (an admin with the bypass permission can still delete) or COMPLIANCE (nobody can) (got "LEGAL")',
    ]);
  });
});
