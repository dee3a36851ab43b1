/**
 * Validation of the Benji part of the stack configuration: every refusal names the key, the value and the form
 * expected, before a single resource is created.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig, type StackConfig } from "../components/config";
import { rawConfig } from "./harness";

const SECRETS = {
  benjiDatabaseUrl: "postgresql://benji:pw@postgres.postgres.svc.cluster.local:5432/benji",
  benjiCephKey: "AQBkZXZlbG9wZXJrZXk=",
};

type Benji = Record<string, unknown>;

/** `benji` without one key. */
function without(benji: Benji, key: string): Benji {
  return Object.fromEntries(Object.entries(benji).filter(([k]) => k !== key));
}

const BENJI: Benji = {
  enabled: true,
  storage: { backend: "minio", bucket: "benji" },
  ceph: { monHost: "10.0.0.1:6789,10.0.0.2:6789", pools: ["replicapool"] },
};

function parse(benji: Benji, secrets: Record<string, string> = SECRETS): StackConfig {
  const raw = {
    ...rawConfig({
      environment: "dev",
      kubernetes: { context: "kind-test" },
      storage: { minio: { deploy: true } },
      velero: { locations: { default: { backend: "minio", bucket: "velero", prefix: "tenants", default: true } } },
      flows: { benji },
    }),
    ...rawConfig(secrets),
  };
  return parseStackConfig(raw, new Set(Object.keys(rawConfig(secrets))), "dev");
}

/** The problem lines of a refused config. */
function problems(benji: Benji, secrets?: Record<string, string>): readonly string[] {
  try {
    parse(benji, secrets);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("flows.benji config", () => {
  it("accepts a complete Benji config and fills the defaults of docs/design.md §1/§3.6", () => {
    const b = parse(BENJI).flows.benji;
    expect(b).toMatchObject({
      enabled: true,
      namespace: "benji",
      instance: "benji-k8s",
      retention: "latest7",
      image: "ghcr.io/elemental-lf/benji-k8s:0.17.0",
      backupSchedule: "30 7 * * *",
      enforceSchedule: "0 6 * * *",
      cleanupSchedule: "0 5 * * *",
      ceph: { monHost: "10.0.0.1:6789,10.0.0.2:6789", clientId: "benji", pools: ["replicapool"] },
    });
    expect(b.pushGateway).toBeUndefined();
  });

  it("accepts multi-rule retention in any order", () => {
    expect(parse({ ...BENJI, retention: "days30,latest3,months3" }).flows.benji.retention).toBe("days30,latest3,months3");
  });

  it("refuses Benji without a storage location", () => {
    expect(problems(without(BENJI, "storage"))).toEqual(["cluster-backup:flows.benji.storage: Benji is enabled without a storage location; expected {backend, bucket}"]);
  });

  it("refuses a storage backend that is not configured", () => {
    expect(problems({ ...BENJI, storage: { backend: "garage", bucket: "benji" } })).toEqual([
      "cluster-backup:flows.benji.storage.backend: backend 'garage' is not configured; add storage.garage (got \"garage\")",
    ]);
  });

  it.each([
    ["7d", "rule '7d' is not a category followed by a count"],
    ["latest0", "rule 'latest0' needs a count of at least 1"],
    ["latest3,latest7", "category 'latest' is listed more than once"],
    ["latest3, days7", "rule ' days7' is not a category followed by a count"],
    ["minutes30", "rule 'minutes30' has the unknown category 'minutes' (known: latest, hours, days, weeks, months, years)"],
  ])("refuses retention %j, which Benji would reject", (retention, reason) => {
    expect(problems({ ...BENJI, retention })).toEqual([
      `cluster-backup:flows.benji.retention: ${reason}; expected Benji retention rules such as 'latest7' or 'latest3,days7,weeks4,months3' (comma-separated, no spaces: latestN, hoursN, daysN, weeksN, monthsN, yearsN, each category at most once, N at least 1) (got ${JSON.stringify(retention)})`,
    ]);
  });

  it("refuses an empty Ceph pool list", () => {
    expect(problems({ ...BENJI, ceph: { monHost: "10.0.0.1:6789", pools: [] } })).toEqual([
      "cluster-backup:flows.benji.ceph.pools: expected at least one Ceph RBD pool name (got [])",
    ]);
  });

  it("refuses Benji without Ceph", () => {
    expect(problems(without(BENJI, "ceph"))).toEqual(["cluster-backup:flows.benji.ceph: Benji backs up Ceph RBD volumes only; expected {monHost, clientId, pools: [<pool>...]}"]);
  });

  it("refuses pool names that cannot name a Benji io, and repeated pools", () => {
    expect(problems({ ...BENJI, ceph: { monHost: "10.0.0.1:6789", pools: ["file", "rbd/ns"] } })).toEqual([
      "cluster-backup:flows.benji.ceph.pools.0: 'file' is the name of Benji's file io; a Ceph pool of that name cannot be backed up (got \"file\")",
      "cluster-backup:flows.benji.ceph.pools.1: expected a Ceph pool name of letters, digits, '-', '_', '.' without leading or trailing '-' (it names a Benji io) (got \"rbd/ns\")",
    ]);
    expect(problems({ ...BENJI, ceph: { monHost: "10.0.0.1:6789", pools: ["a", "b", "a"] } })).toEqual([
      "cluster-backup:flows.benji.ceph.pools: lists 'a' more than once; each pool names one Benji io, expected each pool once (got [\"a\",\"b\",\"a\"])",
    ]);
  });

  it("refuses a mon_host Ceph would misread and a client id with its prefix", () => {
    expect(problems({ ...BENJI, ceph: { monHost: "10.0.0.1:6789, 10.0.0.2:6789", clientId: "client.benji", pools: ["replicapool"] } })).toEqual([
      "cluster-backup:flows.benji.ceph.monHost: expected the Ceph monitor addresses without spaces, e.g. '10.0.0.1:6789,10.0.0.2:6789' (got \"10.0.0.1:6789, 10.0.0.2:6789\")",
      "cluster-backup:flows.benji.ceph.clientId: expected a Ceph client id without the 'client.' prefix (lowercase letters, digits, '.', '_', '-'), e.g. 'benji' (got \"client.benji\")",
    ]);
  });

  it("refuses an instance that cannot be a label value and a malformed push gateway", () => {
    expect(problems({ ...BENJI, instance: "Benji K8s", pushGateway: "http://pushgateway:9091" })).toEqual([
      "cluster-backup:flows.benji.instance: expected a Benji instance name usable as a label value (lowercase letters, digits, '-', at most 63), e.g. 'benji-k8s' (got \"Benji K8s\")",
      "cluster-backup:flows.benji.pushGateway: expected the Prometheus Pushgateway as host:port, e.g. 'pushgateway.monitoring.svc:9091' (got \"http://pushgateway:9091\")",
    ]);
  });

  it("refuses Benji without its database URL or Ceph key", () => {
    expect(problems(BENJI, {})).toEqual([
      "cluster-backup:benjiDatabaseUrl: Benji needs a persistent PostgreSQL database; set it with `pulumi config set --secret benjiDatabaseUrl postgresql://benji:<pw>@<host>:5432/benji`",
      "cluster-backup:benjiCephKey: Benji needs the Ceph key of its client; set it with `pulumi config set --secret benjiCephKey <key>`",
    ]);
  });

  it("refuses a database URL that is not PostgreSQL, without echoing the secret", () => {
    expect(problems(BENJI, { ...SECRETS, benjiDatabaseUrl: "sqlite:////tmp/benji.sqlite" })).toEqual([
      "cluster-backup:benjiDatabaseUrl: expected a PostgreSQL URL 'postgresql://user:password@host:5432/benji' (got [secret])",
    ]);
  });

  it("ignores an incomplete Benji config while Benji is disabled", () => {
    expect(parse({ enabled: false }, {}).flows.benji.enabled).toBe(false);
  });
});
