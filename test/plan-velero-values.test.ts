/** `npm run plan` writes the Velero chart's values as velero-values.yaml (docs/plan-contract.md), redacted. */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildPlanFiles, veleroValuesFile, VELERO_VALUES_FILE } from "../scripts/lib/plan-output";
import { Redactor } from "../scripts/lib/redact";
import type { Registration } from "../scripts/lib/run-program";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT, planStack, planWith, type Plan } from "./harness";

const HEADER = "# Values of the Helm chart velero 12.1.0 (https://vmware-tanzu.github.io/helm-charts), release velero in namespace backup-system, as the program passes them.\n";

function chartOf(plan: Plan): Registration {
  const [chart] = plan.ofType("kubernetes:helm.sh/v4:Chart").filter((r) => r.inputs.chart === "velero");
  return chart;
}

describe("velero-values.yaml", () => {
  let prod: Plan;
  beforeAll(async () => {
    prod = await planStack("prod");
  });

  it("is the chart's values input, after a header naming chart, version, repository, release and namespace", () => {
    const text = buildPlanFiles("prod", prod.run).files.get(VELERO_VALUES_FILE) ?? "";
    expect(text.startsWith(HEADER)).toBe(true);
    expect(parse(text)).toEqual(chartOf(prod).inputs.values);
    expect(parse(text).configuration.backupStorageLocation[0].bucket).toBe("acme-k8s-prod-velero");
  });

  it("follows velero.extraValues (a chart input change shows in the diff)", async () => {
    const velero = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:velero"]);
    const plan = await planWith("prod", { velero: { ...velero, extraValues: { podAnnotations: { "example.org/team": "backup" } } } });
    const values = parse(buildPlanFiles("prod", plan.run).files.get(VELERO_VALUES_FILE) ?? "");
    expect(values.podAnnotations["example.org/team"]).toBe("backup");
    expect(parse(buildPlanFiles("prod", prod.run).files.get(VELERO_VALUES_FILE) ?? "").podAnnotations?.["example.org/team"]).toBeUndefined();
  });

  it("redacts secrets by value, whole and inside a string", () => {
    const chart = { ...chartOf(prod), inputs: { ...chartOf(prod).inputs, values: { credentials: { secretContents: { cloud: "[default]\naws_secret_access_key=s3cr3t-value\n" } }, token: "s3cr3t-value" } } };
    const text = veleroValuesFile([chart], new Redactor(["s3cr3t-value"])) ?? "";
    expect(text).not.toContain("s3cr3t");
    expect(parse(text)).toEqual({ credentials: { secretContents: { cloud: "[default]\naws_secret_access_key=[secret]\n" } }, token: "[secret]" });
  });

  it("is absent when the stack installs no Velero chart", () => {
    expect(veleroValuesFile([], new Redactor([]))).toBeUndefined();
  });
});
