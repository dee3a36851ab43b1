import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildZreplPushConfig, buildZreplSinkConfig, renderZreplConfig } from "../components/zrepl/config";
import { parseGrid, parseZreplDuration } from "../components/zrepl/grid";

type Json = unknown;

// ---------------------------------------------------------------------------------------------------------------
// What zrepl v0.7.0 accepts, written down independently of the builders from internal/config/config.go: the file is
// decoded with yaml.UnmarshalStrict (unknown keys are errors); a field without `optional`/`default=` is required and
// must not be a zero value ("", [], {}, 0; false is fine); typed sections need a known `type`.

type Check = (value: Json, path: string) => string[];
interface Field {
  readonly required: boolean;
  readonly check: Check;
}
const req = (check: Check): Field => ({ required: true, check });
const opt = (check: Check): Field => ({ required: false, check });

const isZero = (v: Json) => v === "" || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);

function struct(fields: Record<string, Field>): Check {
  return (value, path) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected a mapping`];
    const obj = value as Record<string, Json>;
    const errors = Object.keys(obj)
      .filter((k) => !(k in fields))
      .map((k) => `${path}: field ${k} not found in type`);
    for (const [name, field] of Object.entries(fields)) {
      if (!(name in obj)) {
        if (field.required) errors.push(`${path}: field ${name} is required but not given`);
      } else if (field.required && isZero(obj[name])) {
        errors.push(`${path}.${name}: required but has zero value`);
      } else {
        errors.push(...field.check(obj[name], `${path}.${name}`));
      }
    }
    return errors;
  };
}
function typed(types: Record<string, Record<string, Field>>): Check {
  return (value, path) => {
    const type = (value as { type?: Json } | null)?.type;
    if (typeof type !== "string" || type === "") return [`${path}: must specify type`];
    if (!(type in types)) return [`${path}: invalid type name "${type}"`];
    return struct({ type: req(str), ...types[type] })(value, path);
  };
}
const list =
  (item: Check): Check =>
  (value, path) =>
    Array.isArray(value) ? value.flatMap((v, i) => item(v, `${path}[${i}]`)) : [`${path}: expected a list`];
const str: Check = (v, p) => (typeof v === "string" ? [] : [`${p}: expected a string`]);
const bool: Check = (v, p) => (typeof v === "boolean" ? [] : [`${p}: expected a bool`]);
const oneOf =
  (...allowed: string[]): Check =>
  (v, p) =>
    allowed.includes(v as string) ? [] : [`${p}: expected one of ${allowed.join(", ")}`];
const hostport: Check = (v, p) => (typeof v === "string" && /^[^:]*:\d+$/.test(v) ? [] : [`${p}: expected host:port`]);
const goDuration: Check = (v, p) => (typeof v === "string" && /^(\d+(ns|us|ms|s|m|h))+$/.test(v) ? [] : [`${p}: expected a Go duration`]);
const zreplDuration: Check = (v, p) => (typeof v === "string" && parseZreplDuration(v) !== undefined ? [] : [`${p}: expected a positive zrepl duration`]);
const positiveInt: Check = (v, p) => (Number.isInteger(v) && (v as number) > 0 ? [] : [`${p}: expected a positive integer`]);
const regex: Check = (v, p) => (typeof v === "string" && v !== "" && (() => new RegExp(v))() ? [] : [`${p}: expected a regex`]);
const gridSpec: Check = (v, p) => {
  try {
    parseGrid(v as string);
    return [];
  } catch (err) {
    return [`${p}: ${(err as Error).message}`];
  }
};
const boolMap: Check = (v, p) => (typeof v === "object" && v !== null && Object.values(v).every((b) => typeof b === "boolean") ? [] : [`${p}: expected a map of bools`]);
const stringMap: Check = (v, p) => (typeof v === "object" && v !== null && Object.values(v).every((s) => typeof s === "string") ? [] : [`${p}: expected a map of strings`]);

const keepRule = typed({
  not_replicated: { keep_snapshot_at_cursor: opt(bool) },
  last_n: { count: req(positiveInt), regex: opt(regex) },
  grid: { grid: req(gridSpec), regex: req(regex) },
  regex: { regex: req(regex), negate: opt(bool) },
});
const bandwidthLimit = struct({ max: opt(str), bucket_capacity: opt(str) });
const tlsFiles = { ca: req(str), cert: req(str), key: req(str) };
const job = typed({
  push: {
    name: req(str),
    connect: req(typed({ tls: { address: req(hostport), ...tlsFiles, server_cn: req(str), dial_timeout: opt(goDuration) } })),
    pruning: req(struct({ keep_sender: req(list(keepRule)), keep_receiver: req(list(keepRule)) })),
    replication: opt(struct({ protection: opt(struct({ initial: opt(str), incremental: opt(str) })), concurrency: opt(struct({ steps: opt(positiveInt), size_estimates: opt(positiveInt) })) })),
    conflict_resolution: opt(struct({ initial_replication: opt(str) })),
    snapshotting: req(typed({ periodic: { prefix: req(str), interval: req(zreplDuration), hooks: opt(list(() => [])), timestamp_format: opt(str), timestamp_location: opt(str) } })),
    filesystems: req(boolMap),
    send: opt(
      struct({
        ...Object.fromEntries(["encrypted", "raw", "send_properties", "backup_properties", "large_blocks", "compressed", "embedded_data", "saved"].map((k) => [k, opt(bool)])),
        bandwidth_limit: opt(bandwidthLimit),
      }),
    ),
  },
  sink: {
    name: req(str),
    serve: req(typed({ tls: { listen: req(hostport), listen_freebind: opt(bool), ...tlsFiles, client_cns: req(list(str)), handshake_timeout: opt(goDuration) } })),
    root_fs: req(str),
    recv: opt(
      struct({
        properties: opt(struct({ inherit: opt(list(str)), override: opt(stringMap) })),
        bandwidth_limit: opt(bandwidthLimit),
        placeholder: opt(struct({ encryption: opt(oneOf("unspecified", "inherit", "off")) })),
      }),
    ),
  },
});
const zreplFile = struct({
  jobs: opt(list(job)),
  global: opt(
    struct({
      logging: opt(list(typed({ stdout: { level: req(oneOf("debug", "info", "warn", "error")), format: req(oneOf("human", "logfmt", "json")), time: opt(bool), color: opt(bool) } }))),
      monitoring: opt(list(typed({ prometheus: { listen: req(hostport), listen_freebind: opt(bool) } }))),
      control: opt(struct({ sockpath: opt(str) })),
      serve: opt(struct({ stdinserver: opt(struct({ sockdir: opt(str) })) })),
    }),
  ),
  include: opt(list(str)),
});

/** Errors zrepl v0.7.0 would report for a parsed zrepl.yml (plus job name rules of validateJobNames). */
function zreplErrors(doc: Json): string[] {
  const errors = zreplFile(doc, "config");
  const names = ((doc as { jobs?: { name?: string }[] }).jobs ?? []).map((j) => j.name ?? "");
  names.filter((n) => n.startsWith("_")).forEach((n) => errors.push(`job name "${n}" is reserved for internal use`));
  names.filter((n, i) => names.indexOf(n) !== i).forEach((n) => errors.push(`duplicate job name "${n}"`));
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------

const pushArgs = {
  sinkAddress: "zrepl-sink.zrepl.svc.cluster.local:8888",
  serverCn: "zrepl-sink",
  filesystems: { "tank/garage<": true },
  snapshotInterval: "10m",
  keepSenderLastN: 10,
  receiverGrid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d",
};
const GLOBAL = {
  logging: [{ type: "stdout", level: "info", format: "human" }],
  monitoring: [{ type: "prometheus", listen: ":9811" }],
};

describe("zrepl push config (docs/design.md §3.7)", () => {
  const text = renderZreplConfig(buildZreplPushConfig(pushArgs));
  const doc = parse(text, { version: "1.1" });

  it("round-trips to exactly the push file of docs/design.md §3.7", () => {
    expect(doc).toEqual({
      global: GLOBAL,
      jobs: [
        {
          name: "garage_push",
          type: "push",
          connect: {
            type: "tls",
            address: "zrepl-sink.zrepl.svc.cluster.local:8888",
            ca: "/etc/zrepl/tls/ca.crt",
            cert: "/etc/zrepl/tls/tls.crt",
            key: "/etc/zrepl/tls/tls.key",
            server_cn: "zrepl-sink",
            dial_timeout: "10s",
          },
          filesystems: { "tank/garage<": true },
          send: { encrypted: false },
          snapshotting: { type: "periodic", prefix: "zrepl_", interval: "10m" },
          pruning: {
            keep_sender: [
              { type: "not_replicated" },
              { type: "last_n", count: 10, regex: "^zrepl_.*" },
              { type: "regex", negate: true, regex: "^zrepl_.*" },
            ],
            keep_receiver: [{ type: "grid", grid: "1x1h(keep=all) | 24x1h | 30x1d | 6x30d", regex: "^zrepl_.*" }],
          },
        },
      ],
    });
  });

  it("is a file zrepl v0.7 accepts: known keys only, required fields set", () => {
    expect(zreplErrors(doc)).toEqual([]);
  });

  it("keeps the garage-data-zfs snapshots: every snapshot not taken by zrepl is kept by the negated regex rule", () => {
    const [, lastN, negated] = doc.jobs[0].pruning.keep_sender;
    expect(new RegExp(lastN.regex).test("zrepl_20260101_000000_000")).toBe(true);
    expect(new RegExp(negated.regex).test("snapshot-0b9c3d6e-1111-2222-3333-444455556666")).toBe(false);
    expect(negated.negate).toBe(true);
  });

  it("quotes every string value, so YAML 1.1 plain-scalar rules cannot change them", () => {
    expect(text).toContain('listen: ":9811"');
    expect(text).toContain('regex: "^zrepl_.*"');
    expect(text).toContain("tank/garage<: true");
    expect(text).toContain("count: 10");
  });

  it("passes the configured filter, interval, last_n count and grid through", () => {
    const custom = parse(
      renderZreplConfig(buildZreplPushConfig({ ...pushArgs, filesystems: { "tank/garage<": true, "tank/garage/tmp<": false }, snapshotInterval: "15m", keepSenderLastN: 24, receiverGrid: "24x1h(keep=2) | 14x1d" })),
    );
    expect(custom.jobs[0].filesystems).toEqual({ "tank/garage<": true, "tank/garage/tmp<": false });
    expect(custom.jobs[0].snapshotting.interval).toBe("15m");
    expect(custom.jobs[0].pruning.keep_sender[1]).toEqual({ type: "last_n", count: 24, regex: "^zrepl_.*" });
    expect(custom.jobs[0].pruning.keep_receiver).toEqual([{ type: "grid", grid: "24x1h(keep=2) | 14x1d", regex: "^zrepl_.*" }]);
    expect(zreplErrors(custom)).toEqual([]);
  });

  it("quotes a filter key that YAML 1.1 would read as a boolean", () => {
    const text = renderZreplConfig(buildZreplPushConfig({ ...pushArgs, filesystems: { on: true } }));
    expect(text).toContain('"on": true');
    expect(parse(text, { version: "1.1" }).jobs[0].filesystems).toEqual({ on: true });
  });

  it("throws on arguments zrepl would reject", () => {
    expect(() => buildZreplPushConfig({ ...pushArgs, filesystems: {} })).toThrow(`zrepl push: filesystems {} include no dataset; expected e.g. {"tank/garage<": true}`);
    expect(() => buildZreplPushConfig({ ...pushArgs, filesystems: { "tank/garage<": false } })).toThrow(
      `zrepl push: filesystems {"tank/garage<":false} include no dataset; expected e.g. {"tank/garage<": true}`,
    );
    expect(() => buildZreplPushConfig({ ...pushArgs, snapshotInterval: "1h30m" })).toThrow(
      "zrepl push: snapshot interval '1h30m' is no zrepl duration; expected one positive number with unit s, m, h, d or w, e.g. '10m'",
    );
    expect(() => buildZreplPushConfig({ ...pushArgs, keepSenderLastN: 0 })).toThrow("zrepl push: keepSenderLastN 0 must be an integer of at least 1");
    expect(() => buildZreplPushConfig({ ...pushArgs, receiverGrid: "24x1h | x1d" })).toThrow("grid interval 2 of 2 'x1d' is not of the form");
  });
});

describe("zrepl sink config (docs/design.md §3.7)", () => {
  const text = renderZreplConfig(buildZreplSinkConfig({ rootFs: "wdc/zrepl", clientCns: ["garage"] }));
  const doc = parse(text, { version: "1.1" });

  it("round-trips to exactly the sink file of docs/design.md §3.7: root_fs wdc/zrepl + client CN garage → wdc/zrepl/garage/...", () => {
    expect(doc).toEqual({
      global: GLOBAL,
      jobs: [
        {
          name: "sink",
          type: "sink",
          root_fs: "wdc/zrepl",
          serve: {
            type: "tls",
            listen: ":8888",
            ca: "/etc/zrepl/tls/ca.crt",
            cert: "/etc/zrepl/tls/tls.crt",
            key: "/etc/zrepl/tls/tls.key",
            client_cns: ["garage"],
          },
          recv: {
            properties: { override: { canmount: "noauto" } },
            placeholder: { encryption: "inherit" },
          },
        },
      ],
    });
  });

  it("is a file zrepl v0.7 accepts, and carries no pruning (sink jobs have none)", () => {
    expect(zreplErrors(doc)).toEqual([]);
    expect(doc.jobs[0]).not.toHaveProperty("pruning");
  });

  it("throws on arguments zrepl would reject", () => {
    expect(() => buildZreplSinkConfig({ rootFs: "wdc/zrepl", clientCns: [] })).toThrow("zrepl sink: expected at least one client CN (client_cns must not be empty)");
    expect(() => buildZreplSinkConfig({ rootFs: "", clientCns: ["garage"] })).toThrow("zrepl sink: expected a root_fs dataset such as 'wdc/zrepl'");
  });
});

describe("the zrepl acceptance check itself", () => {
  const push = parse(renderZreplConfig(buildZreplPushConfig(pushArgs)));
  const sink = parse(renderZreplConfig(buildZreplSinkConfig({ rootFs: "wdc/zrepl", clientCns: ["garage"] })));

  it("flags what zrepl would reject (so the checks above can fail)", () => {
    const wrong = structuredClone(sink);
    wrong.jobs[0].pruning = { keep_receiver: [] };
    wrong.jobs[0].serve.client_cns = [];
    delete wrong.jobs[0].root_fs;
    expect(zreplErrors(wrong)).toEqual([
      "config.jobs[0]: field pruning not found in type",
      "config.jobs[0].serve.client_cns: required but has zero value",
      "config.jobs[0]: field root_fs is required but not given",
    ]);
    const grid = structuredClone(push);
    grid.jobs[0].pruning.keep_receiver = [{ type: "grid", grid: "24x1h" }, { type: "last_n", count: 0 }, { type: "keep_all" }];
    grid.jobs[0].name = "_push";
    expect(zreplErrors(grid)).toEqual([
      "config.jobs[0].pruning.keep_receiver[0]: field regex is required but not given",
      "config.jobs[0].pruning.keep_receiver[1].count: required but has zero value",
      'config.jobs[0].pruning.keep_receiver[2]: invalid type name "keep_all"',
      'job name "_push" is reserved for internal use',
    ]);
  });
});
