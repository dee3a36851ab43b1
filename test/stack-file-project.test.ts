/**
 * The offline plan reads config as the CLI would: project-level `config:` of Pulumi.yaml as defaults, no ESC
 * environment it cannot open, and no key in a namespace nothing reads.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { unknownNamespaceProblems } from "../components/config-namespaces";
import { readStackFile, StackFileError } from "../scripts/lib/stack-file";
import { configProblems, rawConfig, ROOT } from "./harness";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-file-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const PROJECT = "name: cluster-backup\nruntime: nodejs\n";

function refusal(dir: string, stack: string): string {
  try {
    readStackFile(dir, stack);
  } catch (err) {
    if (err instanceof StackFileError) return err.message;
    throw err;
  }
  return "accepted";
}

describe("project-level config of Pulumi.yaml", () => {
  it("this project declares environment and timeZone and denies the default kubernetes provider", () => {
    const config = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).config;
    expect(config["pulumi:disable-default-providers"]).toEqual(["kubernetes"]);
    expect(config.environment).toEqual({ type: "string", description: expect.any(String) });
    expect(config.timeZone).toMatchObject({ type: "string", default: "UTC" });
    expect(readStackFile(ROOT, "dev").config["pulumi:disable-default-providers"]).toBe('["kubernetes"]');
  });

  it("defaults, plain values and {value: ...} reach the program unless the stack sets the key", () => {
    const dir = project({
      "Pulumi.yaml": `${PROJECT}config:\n  timeZone: {type: string, default: Europe/Paris}\n  environment: {type: string}\n  aws:region: eu-west-3\n  demo: {value: {enabled: true}}\n`,
      "Pulumi.a.yaml": "config:\n  cluster-backup:environment: dev\n",
      "Pulumi.b.yaml": "config:\n  cluster-backup:environment: dev\n  cluster-backup:timeZone: UTC\n  aws:region: us-east-1\n",
    });
    expect(readStackFile(dir, "a").config).toEqual({
      "cluster-backup:timeZone": "Europe/Paris",
      "cluster-backup:environment": "dev",
      "aws:region": "eu-west-3",
      "cluster-backup:demo": '{"enabled":true}',
    });
    expect(readStackFile(dir, "b").config).toMatchObject({ "cluster-backup:timeZone": "UTC", "aws:region": "us-east-1" });
  });

  it("refuses a declared key the stack lacks, a value of the wrong type, and a declaration outside the project", () => {
    const dir = project({
      "Pulumi.yaml": `${PROJECT}config:\n  environment: {type: string}\n  retries: {type: integer, default: 2}\n  names: {type: array, items: {type: string}, default: []}\n`,
      "Pulumi.none.yaml": "config:\n  cluster-backup:timeZone: UTC\n",
      "Pulumi.int.yaml": "config:\n  cluster-backup:environment: dev\n  cluster-backup:retries: two\n",
      "Pulumi.arr.yaml": "config:\n  cluster-backup:environment: dev\n  cluster-backup:names: [a, 1]\n",
    });
    expect(refusal(dir, "none")).toBe("Pulumi.none.yaml: missing config 'cluster-backup:environment', which Pulumi.yaml declares without a default");
    expect(refusal(dir, "int")).toBe('Pulumi.int.yaml: config \'cluster-backup:retries\' must be of type integer, as Pulumi.yaml declares (got "two")');
    expect(refusal(dir, "arr")).toBe('Pulumi.arr.yaml: config \'cluster-backup:names\' must be an array of string, as Pulumi.yaml declares (got ["a",1])');
    const other = project({ "Pulumi.yaml": `${PROJECT}config:\n  aws:region: {type: string, default: x}\n`, "Pulumi.s.yaml": "config: {}\n" });
    expect(refusal(other, "s")).toBe("Pulumi.yaml: config 'aws:region' is not in the project's namespace and cannot be declared; give it a value only");
  });
});

describe("ESC environments", () => {
  it("a stack file importing an environment is refused offline, naming it", () => {
    const dir = project({ "Pulumi.yaml": PROJECT, "Pulumi.esc.yaml": "environment:\n  - acme/backup-prod\nconfig:\n  cluster-backup:environment: prod\n" });
    expect(refusal(dir, "esc")).toBe(
      "Pulumi.esc.yaml imports the Pulumi ESC environment acme/backup-prod: the offline plan cannot open an ESC environment and would plan without its values; run `pulumi preview -s esc`, or copy the values into the stack file's config to plan offline",
    );
  });
});

describe("config namespaces", () => {
  const dev = readStackFile(ROOT, "dev");
  const problems = (extra: Record<string, string>) => configProblems({ ...dev.config, ...extra }, dev.secretKeys, "dev");

  it("a look-alike of the project's namespace is refused naming the key it was meant to be", () => {
    expect(problems({ "cluster-backups:flows": "{}" })).toEqual([
      "cluster-backups:flows: unknown config namespace 'cluster-backups', which nothing reads; expected cluster-backup:flows (this project reads cluster-backup, pulumi, kubernetes, random, tls, aws, scaleway)",
    ]);
    expect(problems({ "clusterbackup:flow": "{}" })).toEqual([
      "clusterbackup:flow: unknown config namespace 'clusterbackup', which nothing reads; expected cluster-backup:flows (this project reads cluster-backup, pulumi, kubernetes, random, tls, aws, scaleway)",
    ]);
  });

  it("any other namespace is refused naming the nearest one read; the providers' own are accepted", () => {
    expect(problems({ "scaleway:region": "fr-par", "aws:region": "eu-west-3", "kubernetes:context": "x" })).toEqual([]);
    expect(problems({ "scw:region": "fr-par" })).toEqual([
      "scw:region: unknown config namespace 'scw', which nothing reads; expected scaleway:region (this project reads cluster-backup, pulumi, kubernetes, random, tls, aws, scaleway)",
    ]);
    expect(unknownNamespaceProblems(["gcp:project"], "cluster-backup", ["flows"])).toEqual([
      "gcp:project: unknown config namespace 'gcp', which nothing reads; expected a key in a namespace this project reads (this project reads cluster-backup, pulumi, kubernetes, random, tls, aws, scaleway)",
    ]);
  });

  it("is checked before anything else and alongside the project's own problems", () => {
    expect(configProblems({ ...rawConfig({ environment: "dev", kubernetes: { context: "k" }, flow: {} }), "cluster-backups:flows": "{}" }, [], "dev")[0]).toMatch(/^cluster-backups:flows: unknown config namespace/);
  });
});

describe("secure placeholders", () => {
  it("an encrypted benjiEncryption becomes a placeholder of the form the program checks", () => {
    const dir = project({
      "Pulumi.yaml": PROJECT,
      "Pulumi.p.yaml": "config:\n  cluster-backup:environment: prod\n  cluster-backup:benjiEncryption:\n    secure: v1:AAAA\n",
    });
    const { config, secretKeys } = readStackFile(dir, "p");
    expect(secretKeys).toEqual(["cluster-backup:benjiEncryption"]);
    expect(JSON.parse(config["cluster-backup:benjiEncryption"])).toEqual({ kdfSalt: "b2ZmbGluZS1wbGFjZWhvbGRlcg==", kdfIterations: 20000, password: "offline-placeholder" });
  });
});
