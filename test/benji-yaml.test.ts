import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  buildBenjiConfig,
  buildCephConf,
  buildCephKeyring,
  databaseNamespace,
  serializeBenjiConfig,
  serializeIni,
  type BenjiConfigArgs,
} from "../components/benji/benji-config";
import { parseBenjiRetention } from "../components/benji/retention";

const garage: BenjiConfigArgs = {
  databaseEngine: "postgresql://benji:pw@postgres.postgres.svc.cluster.local:5432/benji",
  storage: { name: "garage", bucket: "benji", endpoint: "http://garage.garage.svc.cluster.local:3900", region: "garage", forcePathStyle: true },
  encryption: { kdfSalt: "c2FsdHNhbHRzYWx0c2FsdA==", kdfIterations: 20000, password: "p".repeat(48) },
  ceph: { pools: ["replicapool", "ssd-pool"], clientId: "benji" },
};

/** The benji.yaml text parsed back, as Benji would read it. */
function roundTrip(args: BenjiConfigArgs) {
  return parse(serializeBenjiConfig(buildBenjiConfig(args)));
}

describe("benji.yaml (configuration schema v1, Benji 0.17.0)", () => {
  it("has exactly the top-level keys of the schema, logFile null", () => {
    const doc = roundTrip(garage);
    expect(Object.keys(doc)).toEqual(["configurationVersion", "logFile", "databaseEngine", "defaultStorage", "storages", "transforms", "ios"]);
    expect(doc.configurationVersion).toBe("1");
    expect(doc.logFile).toBeNull();
    expect(doc.databaseEngine).toBe("postgresql://benji:pw@postgres.postgres.svc.cluster.local:5432/benji");
    expect(doc.defaultStorage).toBe("garage");
    expect(serializeBenjiConfig(buildBenjiConfig(garage))).toContain("configurationVersion: \"1\"\n");
  });

  it("writes one s3 storage with the store's endpoint, region and path style", () => {
    const doc = roundTrip(garage);
    expect(doc.storages).toEqual([
      {
        name: "garage",
        module: "s3",
        configuration: {
          awsAccessKeyIdFile: "/benji/s3/access-key-id",
          awsSecretAccessKeyFile: "/benji/s3/secret-access-key",
          bucketName: "benji",
          endpointUrl: "http://garage.garage.svc.cluster.local:3900",
          regionName: "garage",
          addressingStyle: "path",
          signatureVersion: "s3v4",
          simultaneousWrites: 8,
          simultaneousReads: 8,
          simultaneousRemovals: 8,
          activeTransforms: ["zstd", "aes"],
        },
      },
    ]);
  });

  it("omits endpointUrl for AWS and addresses virtual-hosted", () => {
    const doc = roundTrip({ ...garage, storage: { name: "aws", bucket: "acme-benji", endpoint: undefined, region: "eu-west-1", forcePathStyle: false } });
    const cfg = doc.storages[0].configuration;
    expect("endpointUrl" in cfg).toBe(false);
    expect(cfg.regionName).toBe("eu-west-1");
    expect(cfg.addressingStyle).toBe("virtual");
    expect(cfg.bucketName).toBe("acme-benji");
  });

  it("defines zstd level 3 and aes_256_gcm in its password form", () => {
    expect(roundTrip(garage).transforms).toEqual([
      { name: "zstd", module: "zstd", configuration: { level: 3 } },
      { name: "aes", module: "aes_256_gcm", configuration: { kdfSalt: "c2FsdHNhbHRzYWx0c2FsdA==", kdfIterations: 20000, password: "p".repeat(48) } },
    ]);
  });

  it("has the key `ios` with the file io and one rbdaio io per pool, named exactly as the pool", () => {
    const doc = roundTrip(garage);
    expect("io" in doc).toBe(false);
    const rbd = (pool: string) => ({
      name: pool,
      module: "rbdaio",
      configuration: {
        simultaneousReads: 8,
        simultaneousWrites: 8,
        cephConfigFile: "/etc/ceph/ceph.conf",
        clientIdentifier: "benji",
        newImageFeatures: ["RBD_FEATURE_LAYERING", "RBD_FEATURE_EXCLUSIVE_LOCK", "RBD_FEATURE_OBJECT_MAP", "RBD_FEATURE_FAST_DIFF"],
      },
    });
    expect(doc.ios).toEqual([{ name: "file", module: "file", configuration: { simultaneousReads: 3, simultaneousWrites: 3 } }, rbd("replicapool"), rbd("ssd-pool")]);
  });

  it("refuses a pool that cannot name an io", () => {
    expect(() => buildBenjiConfig({ ...garage, ceph: { pools: ["file"], clientId: "benji" } })).toThrow(
      "Ceph pool 'file' cannot name a Benji io: expected letters, digits, '-', '_', '.' (no leading or trailing '-'), not 'file'",
    );
    expect(() => buildBenjiConfig({ ...garage, ceph: { pools: ["bad pool"], clientId: "benji" } })).toThrow("Ceph pool 'bad pool' cannot name a Benji io");
  });
});

describe("Ceph files", () => {
  it("ceph.conf holds only [global] mon_host", () => {
    expect(buildCephConf("10.0.0.1:6789,10.0.0.2:6789")).toBe("[global]\n\tmon_host = 10.0.0.1:6789,10.0.0.2:6789\n");
  });

  it("the keyring names the client section", () => {
    expect(buildCephKeyring("benji", "AQBkZXZlbG9wZXJrZXk=")).toBe("[client.benji]\n\tkey = AQBkZXZlbG9wZXJrZXk=\n");
  });

  it("serializeIni separates sections and refuses values Ceph would misread", () => {
    expect(serializeIni({ a: { x: "1" }, b: { y: "2", z: "3" } })).toBe("[a]\n\tx = 1\n\n[b]\n\ty = 2\n\tz = 3\n");
    expect(() => serializeIni({ global: { mon_host: "a\nb" } })).toThrow("INI value of 'mon_host' in [global] must be non-empty, one line, without ';', '#' or surrounding spaces");
    expect(() => serializeIni({ global: { mon_host: "a;b" } })).toThrow("INI value of 'mon_host'");
    expect(() => serializeIni({ "glo bal": { k: "v" } })).toThrow("INI section name 'glo bal' must be letters, digits, '_', '.', '-'");
  });
});

describe("where the Benji database lives", () => {
  it.each([
    ["postgresql://benji:pw@postgres.postgres.svc.cluster.local:5432/benji", "postgres"],
    ["postgresql://benji:pw@postgres.postgres.svc:5432/benji", "postgres"],
    ["postgresql+psycopg2://benji:pw@db.data:5432/benji", "data"],
    ["postgresql://benji:pw@postgres:5432/benji", "benji"],
  ])("%s → namespace %s", (url, ns) => {
    expect(databaseNamespace(url, "benji")).toBe(ns);
  });

  it.each(["postgresql://benji:pw@10.0.0.5:5432/benji", "postgresql://benji:pw@db.example.com:5432/benji", "postgresql://benji@/benji?host=/run/postgresql", "not a url"])(
    "%s → outside the cluster or unknown",
    (url) => {
      expect(databaseNamespace(url, "benji")).toBeUndefined();
    },
  );
});

describe("Benji retention rules (retentionfilter.py)", () => {
  it("parses the categories Benji knows", () => {
    expect(parseBenjiRetention("latest7")).toEqual({ latest: 7 });
    expect(parseBenjiRetention("days30,latest3,months3")).toEqual({ latest: 3, days: 30, months: 3 });
  });

  it.each([
    ["latest0", "rule 'latest0' needs a count of at least 1"],
    ["latest3,latest4", "category 'latest' is listed more than once"],
    ["latest3,,days7", "contains an empty rule (two commas in a row, or a leading/trailing comma)"],
    ["latest3, days7", "rule ' days7' is not a category followed by a count"],
    ["minutes5", "rule 'minutes5' has the unknown category 'minutes' (known: latest, hours, days, weeks, months, years)"],
    ["7d", "rule '7d' is not a category followed by a count"],
  ])("refuses %s", (spec, message) => {
    expect(() => parseBenjiRetention(spec)).toThrow(message);
  });
});
