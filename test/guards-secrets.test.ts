import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { readStackFile, securePlaceholder } from "../scripts/lib/stack-file";
import { runProgram } from "../scripts/lib/run-program";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { policyReport } from "../scripts/lib/policy-runner";
import { configProblems, ROOT, type Obj } from "./harness";

const CHART = "kubernetes:helm.sh/v4:Chart";
const PROXY_KEY = "cluster-backup:velero.extraValues.configuration.extraEnvVars.HTTPS_PROXY";

/** The dev stack file with a `secure:` proxy URL nested in velero.extraValues (plus plain extraValues beside it). */
function stackDirWithNestedSecret(): string {
  const doc = parse(readFileSync(join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, Obj> };
  doc.config["cluster-backup:velero"].extraValues = {
    configuration: { extraEnvVars: { HTTPS_PROXY: { secure: "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } }, logLevel: "debug" },
    podLabels: { team: "platform-backup" },
  };
  const dir = mkdtempSync(join(tmpdir(), "cb-secret-"));
  writeFileSync(join(dir, "Pulumi.dev.yaml"), stringify(doc));
  return dir;
}

describe("a secure value nested in velero.extraValues", () => {
  const input = readStackFile(stackDirWithNestedSecret(), "dev");
  const secret = securePlaceholder(PROXY_KEY);

  it("is read as secret, and only that value is a secret string", () => {
    expect(input.secretKeys).toEqual(["cluster-backup:velero"]);
    expect(input.secretValues).toEqual([secret]);
  });

  it("reaches the chart values as a Pulumi secret, and the plan redacts only it and reports no violation", async () => {
    vi.resetModules();
    const run = await runProgram({ stack: "dev", ...input, load: () => import("../index.ts") });
    const chart = run.registrations.find((r) => r.type === CHART)!;
    const values = chart.inputs.values as Obj;
    expect(values.configuration.extraEnvVars.HTTPS_PROXY).toBe(secret);
    // Marked secret on the wire (inside a secret envelope), not merely redacted by value.
    expect(run.secretMarked.has(secret)).toBe(true);
    // The rest of the chart values stays plain and readable.
    expect(values.configuration.logLevel).toBe("debug");
    expect(run.secretMarked.has("kopia")).toBe(false);
    expect(run.secretMarked.has("velero")).toBe(false);
    expect(run.secretStrings.has(secret)).toBe(true);
    for (const plain of ["velero", "tenants", "default", "debug", "platform-backup", "/var/lib/kubelet/pods"]) expect(run.secretStrings.has(plain)).toBe(false);

    expect(policyReport(run).mandatoryViolations).toBe(0);
    const files = buildPlanFiles("dev", run).files;
    const resources = files.get("resources.json")!;
    expect(resources).not.toContain(secret);
    expect(resources).toContain('"HTTPS_PROXY": "[secret]"');
    expect(resources).toContain('"namespace": "backup-system"');
    expect(resources).toContain('"logLevel": "debug"');
    expect(resources).toContain('"team": "platform-backup"');
    expect(resources).toContain('"bucket": "velero"');
  });

  it("is refused in any other structured key: its values go in plain text into resources", () => {
    const { config } = readStackFile(ROOT, "dev");
    expect(configProblems(config, ["cluster-backup:flows"], "dev")).toEqual([
      "cluster-backup:flows: holds a 'secure:' value, but its values are written in plain text into resources and outputs; secrets belong in velero.extraValues or garageAdminToken, benjiDatabaseUrl, benjiCephKey, veleroRepositoryPassword, benjiEncryption: remove the 'secure:' or move the value there",
    ]);
  });

  it("hides every value of a secret velero key in refusal lines", () => {
    const { config } = readStackFile(ROOT, "dev");
    const velero = JSON.parse(config["cluster-backup:velero"]);
    const bad = { ...config, "cluster-backup:velero": JSON.stringify({ ...velero, extraValues: { image: { tag: "s3cr3t-tag" } } }) };
    expect(configProblems(bad, ["cluster-backup:velero"], "dev")).toEqual([
      "cluster-backup:velero.extraValues.image.tag: is set by this program (chart value image.tag); use velero.image instead (got [secret])",
    ]);
  });
});
