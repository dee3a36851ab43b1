/**
 * Mock provider answers for the offline plan and the tests. Every computed output a component reads is filled with a
 * deterministic, realistic value (a hash of type and name), so two runs are byte-identical and dependent inputs
 * resolve. Values of outputs that providers mark secret are recorded so the plan can redact them.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

type Inputs = Record<string, unknown>;

/** Output names that providers return as secrets whatever the program asks (provider schemas). */
const ALWAYS_SECRET: Record<string, readonly string[]> = {
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "random:index/randomBytes:RandomBytes": ["base64", "hex"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
  "aws:iam/accessKey:AccessKey": ["secret", "sesSmtpPasswordV4"],
  "scaleway:iam/apiKey:ApiKey": ["secretKey"],
};

function digest(...parts: string[]): Buffer {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

/** A deterministic string of `length` characters from `alphabet`. */
export function fakeString(seed: string, length: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"): string {
  let out = "";
  for (let round = 0; out.length < length; round++) {
    for (const byte of digest(seed, String(round))) {
      if (out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

function fakeBytes(seed: string, length: number): Buffer {
  const chunks: Buffer[] = [];
  for (let round = 0; Buffer.concat(chunks).length < length; round++) chunks.push(digest(seed, "bytes", String(round)));
  return Buffer.concat(chunks).subarray(0, length);
}

function fakePem(label: string, seed: string): string {
  return pemOf(label, fakeBytes(seed, 96));
}

function pemOf(label: string, der: Buffer): string {
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** The stand-in DER of a key's public half or of a certificate request (what the tls provider hashes into the ID). */
function fakeDer(seed: string): Buffer {
  return fakeBytes(seed, 91);
}

function fakeKubeconfig(seed: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: mock, cluster: {server: "https://mock-cluster.invalid:6443", certificate-authority-data: ${fakeString(seed + "ca", 32)}}}]`,
    `users: [{name: mock, user: {token: ${fakeString(seed + "token", 40)}}}]`,
    "contexts: [{name: mock, context: {cluster: mock, user: mock}}]",
    "current-context: mock",
    "",
  ].join("\n");
}

/** Computed outputs of one resource type, beside its inputs. */
export function computedOutputs(type: string, name: string, inputs: Inputs): Inputs {
  const seed = `${type}/${name}`;
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      return { result: fakeString(seed, Number(inputs.length ?? 32)), bcryptHash: `$2a$10$${fakeString(seed + "bcrypt", 53)}` };
    case "random:index/randomBytes:RandomBytes": {
      const bytes = fakeBytes(seed, Number(inputs.length ?? 32));
      return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    case "random:index/randomId:RandomId": {
      const bytes = fakeBytes(seed, Number(inputs.byteLength ?? 8));
      return { hex: bytes.toString("hex"), b64Std: bytes.toString("base64"), b64Url: bytes.toString("base64url"), dec: BigInt(`0x${bytes.toString("hex")}`).toString() };
    }
    case "tls:index/privateKey:PrivateKey":
      return {
        privateKeyPem: fakePem("PRIVATE KEY", seed),
        privateKeyPemPkcs8: fakePem("PRIVATE KEY", seed + "pkcs8"),
        privateKeyOpenssh: fakePem("OPENSSH PRIVATE KEY", seed),
        publicKeyPem: pemOf("PUBLIC KEY", fakeDer(seed + "pub")),
        publicKeyOpenssh: `ecdsa-sha2-nistp256 ${fakeString(seed + "ssh", 40)}`,
        publicKeyFingerprintSha256: `SHA256:${fakeString(seed + "fp", 43)}`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: fakePem("CERTIFICATE", seed), validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: "2036-01-01T00:00:00Z" };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: pemOf("CERTIFICATE REQUEST", fakeDer(seed + "csr")) };
    case "aws:iam/accessKey:AccessKey":
      return { secret: fakeString(seed, 40), sesSmtpPasswordV4: fakeString(seed + "smtp", 44) };
    case "aws:iam/user:User":
      return { arn: `arn:aws:iam::123456789012:user/${inputs.name ?? name}` };
    case "aws:s3/bucket:Bucket": {
      const bucket = String(inputs.bucket ?? name);
      return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com` };
    }
    case "scaleway:iam/apiKey:ApiKey":
      return { accessKey: `SCW${fakeString(seed, 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`, secretKey: fakeUuid(seed + "secret") };
    case "scaleway:object/bucket:Bucket": {
      const bucket = String(inputs.name ?? name);
      const region = String(inputs.region ?? "fr-par");
      return { endpoint: `https://${bucket}.s3.${region}.scw.cloud`, apiEndpoint: `https://s3.${region}.scw.cloud` };
    }
    case "pulumi:pulumi:StackReference":
      return { outputs: { kubeconfig: fakeKubeconfig(seed) }, secretOutputNames: ["kubeconfig"] };
    default:
      return {};
  }
}

function fakeUuid(seed: string): string {
  const h = digest(seed).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** SHA-1 hex of a value, as terraform-provider-tls's `hashForState` (internal/provider/util.go) computes IDs. */
function hashForState(value: Buffer): string {
  return createHash("sha1").update(value).digest("hex");
}

/**
 * The ID the real provider gives a resource. IDs are never secret, so the ones that carry the generated value are
 * modelled exactly: terraform-provider-random (pulumi-random 4.21.2) internal/provider/resource_id.go sets the ID of
 * random_id to the bytes in unpadded base64url, resource_string.go the ID of random_string to its result, while
 * resource_password.go and resource_bytes.go set "none"; terraform-provider-tls (pulumi-tls 5.6.1)
 * internal/provider/common_key.go sets a private key's ID to the SHA-1 of its public key's DER, resource_cert_request.go
 * a request's to the SHA-1 of its DER, and certificates carry their serial number.
 */
function resourceId(type: string, name: string, inputs: Inputs, computed: Inputs): string {
  const seed = `${type}/${name}`;
  switch (type) {
    case "random:index/randomId:RandomId":
      return String(computed.b64Url).replace(/=+$/, "");
    case "random:index/randomString:RandomString":
      return String(computed.result);
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomBytes:RandomBytes":
      return "none";
    case "tls:index/privateKey:PrivateKey":
      return hashForState(fakeDer(seed + "pub"));
    case "tls:index/certRequest:CertRequest":
      return hashForState(fakeDer(seed + "csr"));
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return BigInt(`0x${digest(seed, "serial").toString("hex").slice(0, 32)}`).toString();
  }
  if (type.startsWith("kubernetes:")) {
    const meta = (inputs.metadata ?? {}) as { name?: string; namespace?: string };
    const objectName = meta.name ?? name;
    return meta.namespace ? `${meta.namespace}/${objectName}` : objectName;
  }
  // IAM is global: its ids are bare UUIDs (the bucket policies embed them as `application_id:<id>`); others are regional.
  if (type.startsWith("scaleway:iam/")) return fakeUuid(type + name);
  if (type.startsWith("scaleway:")) return `fr-par/${fakeUuid(type + name)}`;
  if (type === "aws:iam/accessKey:AccessKey") return `AKIA${fakeString(type + name, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`;
  return `${name}-${digest(type, name).toString("hex").slice(0, 8)}`;
}

/** The mocks plus the values of every secret output they returned. */
export class PlanMocks implements pulumi.runtime.Mocks {
  /** Values that a provider returned as secret outputs (for redaction). */
  readonly secretOutputs = new Set<string>();

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Inputs } {
    const computed = computedOutputs(args.type, args.name, args.inputs);
    for (const key of ALWAYS_SECRET[args.type] ?? []) this.remember(computed[key]);
    if (args.type === "pulumi:pulumi:StackReference") this.remember((computed.outputs as Inputs).kubeconfig);
    return { id: args.custom === false ? undefined : resourceId(args.type, args.name, args.inputs, computed), state: { ...args.inputs, ...computed } };
  }

  /** The program reads nothing from providers at run time (no invokes), so an invoke here is a change to review. */
  call(args: pulumi.runtime.MockCallArgs): Inputs {
    throw new Error(`the offline plan has no mock for invoke ${args.token}`);
  }

  /** Records a generated value as secret (also used for outputs a resource asks to be secret). */
  remember(value: unknown): void {
    if (typeof value === "string" && value.length > 0) this.secretOutputs.add(value);
  }
}
