/**
 * The GitHub workflows: actions pinned by commit, the Pulumi CLI pinned to the SDK's version, and the Pulumi token
 * (which opens prod's decrypted config and the cluster's kubeconfig) only inside GitHub environments.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness";

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  environment?: string;
  if?: string;
  env?: Record<string, string>;
  steps: Step[];
}

const DIR = join(ROOT, ".github", "workflows");
const workflows = readdirSync(DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((file) => ({ file, text: readFileSync(join(DIR, file), "utf8"), doc: parse(readFileSync(join(DIR, file), "utf8")) as { jobs: Record<string, Job> } }));
const sdkVersion = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];

describe.each(workflows.map((w) => [w.file, w] as const))("%s", (_file, workflow) => {
  const steps = Object.values(workflow.doc.jobs).flatMap((job) => job.steps);

  it("pins every action by a full commit SHA", () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter((u) => !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(u))).toEqual([]);
  });

  it("runs the Pulumi CLI of the SDK's version", () => {
    const pulumi = steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi.length).toBeGreaterThan(0);
    for (const step of pulumi) expect(step.with?.["pulumi-version"]).toBe(sdkVersion);
  });

  it("reads the Pulumi token only in jobs that run inside a GitHub environment", () => {
    for (const [name, job] of Object.entries(workflow.doc.jobs)) {
      if (JSON.stringify(job).includes("secrets.PULUMI_ACCESS_TOKEN")) expect(job.environment, name).toBeTruthy();
    }
  });
});

describe("pull requests", () => {
  it("preview prod's branch code only behind the prod-preview environment, never for forks", () => {
    const preview = workflows.find((w) => w.file === "pr.yml")!.doc.jobs.preview;
    expect(preview.environment).toBe("prod-preview");
    expect(preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });
});
