/**
 * The values the program passes to the Velero chart, merged over the chart's defaults as Helm coalesces them, must
 * satisfy the chart's own values.schema.json (vendored from vmware-tanzu/helm-charts velero-12.1.0, see
 * fixtures/velero-chart/SOURCE.md): Helm validates the merged values before rendering, so a value the chart refuses
 * would otherwise fail only at `pulumi up`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PINS } from "../components/pins";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, planStack, planWith, type Obj, type Plan } from "./harness";

const DIR = join(__dirname, "fixtures", "velero-chart");
const read = (file: string) => readFileSync(join(DIR, file), "utf8");
const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(read("values.schema.json")) as object);
const DEFAULTS = parse(read("values.yaml")) as Obj;

const isMap = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
/** Helm's coalescing of user values over chart defaults: maps merge key by key, the user's value wins, null removes. */
function coalesce(defaults: unknown, user: unknown): unknown {
  if (!isMap(defaults) || !isMap(user)) return user === undefined ? defaults : user;
  const out: Obj = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === null) delete out[key];
    else out[key] = coalesce(defaults[key], value);
  }
  return out;
}

function schemaProblems(values: unknown): string[] {
  return validate(coalesce(DEFAULTS, values)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

const chartValues = (plan: Plan) => plan.ofType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "velero")!.inputs.values as Obj;

describe(`the Velero chart ${PINS.veleroChart} accepts the program's values`, () => {
  let dev: Plan;
  let prod: Plan;
  beforeAll(async () => {
    [dev, prod] = await Promise.all([planStack("dev"), planStack("prod")]);
  });

  it("the vendored files are those of the pinned chart version, unchanged", () => {
    expect(PINS.veleroChart).toBe("12.1.0");
    const listed = read("SHA256SUMS").trim().split("\n").map((line) => line.split(/\s+/));
    expect(listed).toEqual(["values.schema.json", "values.yaml"].map((f) => [createHash("sha256").update(read(f)).digest("hex"), f]));
  });

  it("dev and prod values, merged over the chart's defaults, satisfy values.schema.json", () => {
    expect(schemaProblems(chartValues(dev))).toEqual([]);
    expect(schemaProblems(chartValues(prod))).toEqual([]);
  });

  it("pass-through extraValues are checked the same way", async () => {
    const velero = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:velero"]) as Obj;
    const plan = await planWith("prod", { velero: { ...velero, extraValues: { podAnnotations: { "example.org/team": "backup" }, resources: { limits: { memory: "1Gi" } } } } });
    expect(schemaProblems(chartValues(plan))).toEqual([]);
  });

  it("the check refuses what the chart refuses", () => {
    expect(schemaProblems({ ...chartValues(prod), metrics: { ...(chartValues(prod).metrics as Obj), enabled: "yes" } })).toEqual(["/metrics/enabled must be boolean"]);
    // deployNodeAgent also decides which branch of the schema's oneOf applies.
    expect(schemaProblems({ ...chartValues(prod), deployNodeAgent: "true" })).toEqual([
      "/deployNodeAgent must be equal to constant",
      "/deployNodeAgent must be equal to constant",
      "/ must match exactly one schema in oneOf",
      "/deployNodeAgent must be boolean",
    ]);
  });
});
