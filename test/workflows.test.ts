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
/** Per workflow, the jobs that read the Pulumi token and the GitHub environment each runs in. */
const TOKEN_ENVIRONMENTS: Record<string, Record<string, string>> = {
  "deploy.yml": { "up-dev": "dev", "up-prod": "prod" },
  "pr.yml": { preview: "prod-preview" },
};
const sdkVersion = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];

it("the workflows are the ones whose token use is listed", () => {
  expect(workflows.map((w) => w.file).sort()).toEqual(Object.keys(TOKEN_ENVIRONMENTS).sort());
});

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
    const withToken = Object.entries(workflow.doc.jobs).filter(([, job]) => JSON.stringify(job).includes("secrets.PULUMI_ACCESS_TOKEN"));
    expect(Object.fromEntries(withToken.map(([name, job]) => [name, job.environment]))).toEqual(TOKEN_ENVIRONMENTS[workflow.file]);
  });
});

describe("pull requests", () => {
  it("preview prod's branch code only behind the prod-preview environment, never for forks", () => {
    const preview = workflows.find((w) => w.file === "pr.yml")!.doc.jobs.preview;
    expect(preview.environment).toBe("prod-preview");
    expect(preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });
});
