/**
 * Key material that makes backups readable is never replaced behind the user's back: adopting an existing Velero
 * needs its kopia password, prod never generates Benji's AES material implicitly, escrowed values are taken as they
 * were exported, and prod retains what holds them.
 */
import { describe, expect, it } from "vitest";
import { parseBenjiEncryption } from "../components/key-material";
import { readStackFile } from "../scripts/lib/stack-file";
import { configProblems, planStack, planWith, rawConfig, ROOT } from "./harness";

const prod = readStackFile(ROOT, "prod");
const json = (key: string) => JSON.parse(prod.config[`cluster-backup:${key}`]);
const flows = json("flows");
const velero = json("velero");
const kubernetes = json("kubernetes");
const ESCROWED = { kdfSalt: "c2FsdHNhbHRzYWx0c2FsdA==", kdfIterations: 20000, password: "escrowed-benji-password" };

function problems(overrides: Record<string, unknown>, secrets: Record<string, string> = {}): string[] {
  return configProblems({ ...prod.config, ...rawConfig(overrides), ...rawConfig(secrets) }, [...prod.secretKeys, ...Object.keys(rawConfig(secrets))], "prod");
}

describe("refusals", () => {
  it("repositoryPassword existing without the password", () => {
    expect(problems({ velero: { ...velero, repositoryPassword: "existing" } })).toEqual([
      "cluster-backup:veleroRepositoryPassword: velero.repositoryPassword 'existing' takes the password of the existing kopia repositories from this secret: kubectl -n backup-system get secret velero-repo-credentials -o jsonpath='{.data.repository-password}' | base64 -d | pulumi config set --secret veleroRepositoryPassword",
    ]);
  });

  it("a kopia password that would not be used", () => {
    expect(problems({}, { veleroRepositoryPassword: "kopia-pw-123" })).toEqual([
      "cluster-backup:velero.repositoryPassword: veleroRepositoryPassword is set but not used; expected 'existing' to use it (or remove the secret) (got \"random\")",
    ]);
  });

  it("adopting an existing Velero with a newly generated kopia password", () => {
    expect(problems({ kubernetes: { ...kubernetes, adoptExisting: true } })).toEqual([
      "cluster-backup:velero.repositoryPassword: kubernetes.adoptExisting adopts a Velero whose kopia repositories are encrypted with the password in Secret velero-repo-credentials; a generated password would make every existing repository unreadable: expected 'existing' (with the secret veleroRepositoryPassword) or 'legacy-default' (if that Secret holds Velero's static-passw0rd) (got \"random\")",
    ]);
    expect(problems({ kubernetes: { ...kubernetes, adoptExisting: true }, velero: { ...velero, repositoryPassword: "legacy-default" } })).toEqual([]);
    expect(problems({ kubernetes: { ...kubernetes, adoptExisting: true }, velero: { ...velero, repositoryPassword: "existing" } }, { veleroRepositoryPassword: "kopia-pw-123" })).toEqual([]);
  });

  it("prod Benji without a decision on its key material", () => {
    expect(problems({ flows: { ...flows, benji: { ...flows.benji, generateEncryption: false } } })).toEqual([
      "cluster-backup:flows.benji.generateEncryption: in prod Benji's AES key material is never generated implicitly (new material makes existing backups unreadable): set the secret benjiEncryption to the existing or escrowed value (`pulumi stack output --show-secrets --json benjiEncryption`), or generateEncryption: true for a first deploy (got false)",
    ]);
  });

  it("escrowed key material together with generateEncryption, or malformed (never echoing the secret)", () => {
    expect(problems({}, { benjiEncryption: JSON.stringify(ESCROWED) })).toEqual([
      "cluster-backup:flows.benji.generateEncryption: benjiEncryption is set, so nothing is generated; expected false (or remove the secret benjiEncryption) (got true)",
    ]);
    const off = { flows: { ...flows, benji: { ...flows.benji, generateEncryption: false } } };
    expect(problems(off, { benjiEncryption: "not-json-secret" })).toEqual([
      'cluster-backup:benjiEncryption: expected the JSON printed by `pulumi stack output --show-secrets --json benjiEncryption`: {"kdfSalt": <base64>, "kdfIterations": <integer>, "password": <string>}; it is not JSON',
    ]);
    expect(problems(off, { benjiEncryption: JSON.stringify(ESCROWED) })).toEqual([]);
  });

  it("parseBenjiEncryption names what is wrong", () => {
    expect(parseBenjiEncryption(JSON.stringify(ESCROWED))).toEqual(ESCROWED);
    expect(parseBenjiEncryption(JSON.stringify({ ...ESCROWED, kdfSalt: "abc!" }))).toMatch(/; kdfSalt is not base64$/);
    expect(parseBenjiEncryption(JSON.stringify({ ...ESCROWED, kdfIterations: 0 }))).toMatch(/; kdfIterations is not a positive integer$/);
    expect(parseBenjiEncryption(JSON.stringify({ ...ESCROWED, password: "" }))).toMatch(/; password is empty$/);
    expect(parseBenjiEncryption(JSON.stringify({ ...ESCROWED, key: 1 }))).toMatch(/; unknown key key$/);
    expect(parseBenjiEncryption("[1]")).not.toHaveProperty("kdfSalt");
  });
});

describe("adopted and escrowed values are used as given", () => {
  it("velero.repositoryPassword existing: the Secret holds the given password, nothing is generated", async () => {
    const plan = await planWith("prod", { velero: { ...velero, repositoryPassword: "existing" } }, { veleroRepositoryPassword: "kopia-pw-123" });
    expect(plan.object("Secret", "velero-repo-credentials", "backup-system").stringData).toEqual({ "repository-password": "kopia-pw-123" });
    expect(plan.ofType("random:index/randomPassword:RandomPassword").filter((r) => r.name === "velero-repo-password")).toEqual([]);
    expect(plan.exports.kopiaRepositoryPassword).toBe("kopia-pw-123");
    expect(plan.run.secretExports).toContain("kopiaRepositoryPassword");
  });

  it("benjiEncryption: benji.yaml and the export carry the escrowed material, no random resource", async () => {
    const off = { flows: { ...flows, benji: { ...flows.benji, generateEncryption: false } } };
    const plan = await planWith("prod", off, { benjiEncryption: JSON.stringify(ESCROWED) });
    expect(plan.exports.benjiEncryption).toEqual(ESCROWED);
    expect(plan.registrations.filter((r) => r.name.startsWith("benji-aes-"))).toEqual([]);
    const yaml = plan.object("Secret", "benji", "benji").stringData["benji.yaml"] as string;
    expect(yaml).toContain(`kdfSalt: ${ESCROWED.kdfSalt}`);
    expect(yaml).toContain(`password: ${ESCROWED.password}`);
    expect(plan.run.secretMarked.has(yaml)).toBe(true);
  });
});

describe("prod retains what holds keys", () => {
  it("the Velero and Benji namespaces, the kopia and Benji Secrets and the generators are protected and retained", async () => {
    const plan = await planStack("prod");
    const flags = (kind: string, name: string, ns?: string) => {
      const r = plan.registrationOf(kind, name, ns);
      return [r.protect, r.retainOnDelete];
    };
    expect(flags("Namespace", "backup-system")).toEqual([true, true]);
    expect(flags("Namespace", "benji")).toEqual([true, true]);
    expect(flags("Secret", "velero-repo-credentials", "backup-system")).toEqual([true, true]);
    expect(flags("Secret", "benji", "benji")).toEqual([true, true]);
    const pw = plan.resource("random:index/randomPassword:RandomPassword", "velero-repo-password");
    expect([pw.protect, pw.retainOnDelete]).toEqual([true, true]);
  });

  it("dev protects none of them", async () => {
    const plan = await planStack("dev");
    const r = plan.registrationOf("Namespace", "backup-system");
    expect([r.protect, r.retainOnDelete]).toEqual([false, false]);
  });
});
