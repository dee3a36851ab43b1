/**
 * No generated secret is derivable from a resource ID or a non-secret output: IDs are never secret (they sit in clear
 * in the state and the console), so a key whose ID carries its bytes leaks whatever additionalSecretOutputs says. The
 * mocks give every resource the ID its real provider gives it (scripts/lib/mocks.ts cites the provider sources).
 */
import { describe, expect, it } from "vitest";
import { PlanMocks } from "../scripts/lib/mocks";
import type { ProgramRun, ResourceState } from "../scripts/lib/run-program";
import { planStack } from "./harness";

/** The forms a secret is found in: itself, its UTF-8 in base64/hex, and when it is hex or base64, its bytes re-encoded. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const add = (bytes: Buffer) => {
    if (bytes.length < 6) return;
    forms.add(bytes.toString("hex"));
    forms.add(bytes.toString("base64"));
    forms.add(bytes.toString("base64").replace(/=+$/, ""));
    forms.add(bytes.toString("base64url"));
  };
  add(Buffer.from(secret, "utf8"));
  if (/^(?:[0-9a-fA-F]{2})+$/.test(secret)) add(Buffer.from(secret, "hex"));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(secret) && secret.length % 4 !== 1) add(Buffer.from(secret.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
  return [...forms].filter((f) => f.length >= 8);
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/** `<urn> <where>: holds <secret form>` for every ID or non-secret output or export that carries a secret. */
export function leaks(states: readonly ResourceState[], secrets: Iterable<string>, exports: Record<string, unknown> = {}, secretExports: readonly string[] = []): string[] {
  const forms = [...secrets].filter((s) => s.length >= 8).flatMap(secretForms);
  const found: string[] = [];
  const check = (where: string, texts: string[]) => {
    for (const text of texts) {
      const form = forms.find((f) => text.includes(f));
      if (form) found.push(`${where}: holds ${form.slice(0, 6)}…`);
    }
  };
  for (const state of states) {
    check(`${state.urn} id`, [state.id]);
    for (const [key, value] of Object.entries(state.outputs)) {
      if (!state.secretOutputs.includes(key)) check(`${state.urn} output ${key}`, strings(value));
    }
  }
  for (const [key, value] of Object.entries(exports)) if (!secretExports.includes(key)) check(`export ${key}`, strings(value));
  return found;
}

/** Generated secrets (provider secret outputs: passwords, key bytes, private keys, secret keys) and `secure:` config. */
function secretsOf(run: ProgramRun): Set<string> {
  return run.secretStrings;
}

describe("the mocks give resources their real provider's ID", () => {
  const mocks = new PlanMocks();
  const created = (type: string, inputs: Record<string, unknown>) => mocks.newResource({ type, name: "k", inputs, custom: true } as never);

  it("random_id: the bytes in unpadded base64url (resource_id.go)", () => {
    const { id, state } = created("random:index/randomId:RandomId", { byteLength: 16 });
    expect(id).toBe(Buffer.from(String(state.hex), "hex").toString("base64url"));
    expect(id).not.toMatch(/=/);
  });

  it("random_string: its result; random_password and random_bytes: none", () => {
    const str = created("random:index/randomString:RandomString", { length: 20 });
    expect(str.id).toBe(str.state.result);
    expect(created("random:index/randomPassword:RandomPassword", { length: 20 }).id).toBe("none");
    const bytes = created("random:index/randomBytes:RandomBytes", { length: 16 });
    expect(bytes.id).toBe("none");
    expect(Buffer.from(String(bytes.state.base64), "base64").toString("hex")).toBe(bytes.state.hex);
    expect(String(bytes.state.hex)).toHaveLength(32);
  });

  it("tls private key: the SHA-1 of the public key's DER (common_key.go)", async () => {
    const { createHash } = await import("node:crypto");
    const { id, state } = created("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA" });
    const der = Buffer.from(String(state.publicKeyPem).replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    expect(id).toBe(createHash("sha1").update(der).digest("hex"));
  });
});

describe("the leak check", () => {
  it("flags a RandomId used as a key: its ID is the key's bytes", () => {
    const hex = "00112233445566778899aabbccddeeff";
    const state: ResourceState = { urn: "urn:x", type: "random:index/randomId:RandomId", id: Buffer.from(hex, "hex").toString("base64url"), outputs: { hex }, secretOutputs: ["hex"] };
    expect(leaks([state], [hex])).toEqual(["urn:x id: holds ABEiM0…"]);
  });

  it("flags a secret in a non-secret output and a non-secret export, not in secret ones", () => {
    const state: ResourceState = { urn: "urn:y", type: "t", id: "none", outputs: { a: { b: "xx-supersecretvalue" }, c: "supersecretvalue" }, secretOutputs: ["c"] };
    expect(leaks([state], ["supersecretvalue"], { open: "supersecretvalue", closed: "supersecretvalue" }, ["closed"])).toEqual(["urn:y output a: holds supers…", "export open: holds supers…"]);
  });
});

describe.each(["dev", "prod"])("stack %s: no secret in an ID or a non-secret output", (stack) => {
  it("walks every registered resource's ID and outputs and every export", async () => {
    const plan = await planStack(stack);
    const run = plan.run;
    expect(run.states.length).toBeGreaterThan(20);
    expect(run.states.filter((s) => s.type === "random:index/randomId:RandomId")).toEqual([]);
    expect(leaks(run.states, secretsOf(run), run.exports as Record<string, unknown>, run.secretExports)).toEqual([]);
  });
});

describe("the key material is RandomBytes in the consumers' formats", () => {
  it("prod: Garage keys are GK + 24 hex and 64 hex, Benji's salt 16 bytes in base64, all from RandomBytes", async () => {
    const plan = await planStack("prod");
    const bytes = plan.ofType("random:index/randomBytes:RandomBytes").map((r) => `${r.name}:${r.inputs.length}:${r.protect}:${r.retainOnDelete}`);
    expect(bytes).toEqual(["garage-velero-key-id:12:true:true", "garage-velero-key-secret:32:true:true", "benji-aes-salt:16:true:true"]);
    const salt = (plan.exports.benjiEncryption as { kdfSalt: string }).kdfSalt;
    expect(Buffer.from(salt, "base64")).toHaveLength(16);
    expect(plan.run.secretExports).toEqual(expect.arrayContaining(["benjiEncryption", "kopiaRepositoryPassword", "s3Credentials"]));
  });
});
