/**
 * Issue 14 items 7 and 9 in the config: digest pins accepted everywhere, refused tag-only for privileged or
 * secret-handling images in prod (one line per key, naming the form expected) unless `images.allowTagOnly` waives the
 * key; Garage endpoints in prod only over https or to an in-cluster Service.
 */
import { describe, expect, it } from "vitest";
import { PINS } from "../components/config-schema";
import { imageDigestProblems, sensitiveImages, SENSITIVE_IMAGE_KEYS } from "../components/image-pins";
import { hasDigest, parseImageReference } from "../components/schema/image";
import { imageValues } from "../components/velero/values";
import { parseStackConfig } from "../components/config";
import { configProblems, rawConfig } from "./harness";
import { readStackFile } from "../scripts/lib/stack-file";
import { ROOT } from "./harness";

const D = "0123456789abcdef".repeat(4);
const garage = { s3Endpoint: "http://garage.garage.svc.cluster.local:3900", adminEndpoint: "http://garage.garage.svc.cluster.local:3903", adminTokenSecret: { name: "garage-admin-token", key: "token" } };
const base = {
  environment: "prod",
  kubernetes: { context: "ctx" },
  storage: { garage },
  velero: { locations: { default: { backend: "garage", bucket: "velero", default: true } } },
};
const problems = (overrides: Record<string, unknown>, stack = "prod") => configProblems(rawConfig({ ...base, ...overrides }), [], stack);
const FORM = "'<registry>/<repository>:<tag>@sha256:<64 hex>' (README \"Pinning images by digest\")";

describe("image references", () => {
  it("parse tag, digest or both; the digest is what counts as a pin by content", () => {
    expect(parseImageReference("docker.io/velero/velero:v1.18.2")).toEqual({ name: "docker.io/velero/velero", tag: "v1.18.2" });
    expect(parseImageReference(`docker.io/velero/velero@sha256:${D}`)).toEqual({ name: "docker.io/velero/velero", digest: D });
    expect(parseImageReference(`registry.local:5000/velero/velero:v1.18.2@sha256:${D}`)).toEqual({ name: "registry.local:5000/velero/velero", tag: "v1.18.2", digest: D });
    expect(parseImageReference("velero:v1")).toBeUndefined(); // no registry or path
    expect(parseImageReference(`docker.io/velero/velero@sha256:${D.slice(1)}`)).toBeUndefined();
    expect(hasDigest(`docker.io/a/b:1@sha256:${D}`)).toBe(true);
    expect(hasDigest("docker.io/a/b:1")).toBe(false);
  });

  it("the config accepts repo:tag@sha256 for every image key, still refuses untagged and :latest without digest", () => {
    expect(problems({ environment: "dev", drills: { image: `docker.io/alpine/k8s:1.34.1@sha256:${D}` } }, "dev")).toEqual([]);
    expect(problems({ environment: "dev", drills: { image: `docker.io/alpine/k8s:latest@sha256:${D}` } }, "dev")).toEqual([]);
    expect(problems({ environment: "dev", drills: { image: "docker.io/alpine/k8s:latest" } }, "dev")).toEqual([
      "cluster-backup:drills.image: ':latest' is not a pin; use a version tag or a sha256 digest (got \"docker.io/alpine/k8s:latest\")",
    ]);
    expect(problems({ environment: "dev", drills: { image: "docker.io/alpine/k8s" } }, "dev")).toEqual([
      "cluster-backup:drills.image: expected a fully qualified image with a tag or digest, e.g. 'docker.io/velero/velero:v1.18.2' (no ':latest', no untagged images) (got \"docker.io/alpine/k8s\")",
    ]);
  });

  it("version checks still see the tag behind a digest", () => {
    expect(problems({ environment: "dev", velero: { ...base.velero, image: `docker.io/velero/velero:v1.18.1@sha256:${D}`, awsPluginImage: `docker.io/velero/velero-plugin-for-aws:v1.14.2@sha256:${D}` } }, "dev")).toEqual([
      `cluster-backup:velero.awsPluginImage: velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); expected v1.14.3 or later (got "docker.io/velero/velero-plugin-for-aws:v1.14.2@sha256:${D}")`,
      `cluster-backup:velero.image: expected Velero v1.18.2 or later: namespace globs ('cust-*') are unreliable before it (velero#9743, #9870) (got "docker.io/velero/velero:v1.18.1@sha256:${D}")`,
    ]);
  });

  it("the Velero chart gets repository, tag and digest apart (it renders repository@digest)", () => {
    expect(imageValues(`docker.io/velero/velero:v1.18.2@sha256:${D}`)).toEqual({ repository: "docker.io/velero/velero", tag: "v1.18.2", digest: `sha256:${D}`, pullPolicy: "IfNotPresent" });
    expect(imageValues(`registry.local:5000/velero/velero@sha256:${D}`)).toEqual({ repository: "registry.local:5000/velero/velero", tag: "", digest: `sha256:${D}`, pullPolicy: "IfNotPresent" });
  });

  it("defaults: Velero, the Garage curl and the drill image come pinned by digest", () => {
    expect([PINS.veleroImage, PINS.curlImage, PINS.drillImage].map(hasDigest)).toEqual([true, true, true]);
    expect([PINS.awsPluginImage, PINS.benjiImage, PINS.kubectlImage, PINS.minioImage, PINS.mcImage].map(hasDigest)).toEqual([false, false, false, false, false]);
  });
});

describe("prod refuses tag-only images that run privileged or hold a secret", () => {
  it("one line per key in use, naming what the image gets and the form expected", () => {
    expect(problems({ flows: { benji: { enabled: false } } })).toEqual([
      `cluster-backup:velero.awsPluginImage: runs inside the Velero pod with the storage keys: in prod expected a digest pin ${FORM}, or list 'velero.awsPluginImage' in images.allowTagOnly (got "docker.io/velero/velero-plugin-for-aws:v1.14.3")`,
      `cluster-backup:flows.tenants.optOutImage: runs with a token that may patch every namespace: in prod expected a digest pin ${FORM}, or list 'flows.tenants.optOutImage' in images.allowTagOnly (got "registry.k8s.io/kubectl:v1.34.2")`,
    ]);
    expect(problems({ velero: { ...base.velero, image: "docker.io/velero/velero:v1.18.2" }, images: { allowTagOnly: ["velero.awsPluginImage", "flows.tenants.optOutImage"] } })).toEqual([
      `cluster-backup:velero.image: runs Velero (cluster-admin, the storage keys, the kopia password) and the node-agent (host paths): in prod expected a digest pin ${FORM}, or list 'velero.image' in images.allowTagOnly (got "docker.io/velero/velero:v1.18.2")`,
    ]);
  });

  it("a digest satisfies it; the same config in dev is fine by tag", () => {
    const pinned = { velero: { ...base.velero, awsPluginImage: `docker.io/velero/velero-plugin-for-aws:v1.14.3@sha256:${D}` }, flows: { tenants: { optOutImage: `registry.k8s.io/kubectl:v1.34.2@sha256:${D}` } } };
    expect(problems(pinned)).toEqual([]);
    expect(problems({ environment: "dev" }, "dev")).toEqual([]);
  });

  it("images.allowTagOnly waives by key; a waiver naming no sensitive image, or one already pinned, is refused", () => {
    expect(problems({ images: { allowTagOnly: ["velero.awsPluginImage", "flows.tenants.optOutImage"] } })).toEqual([]);
    expect(problems({ images: { allowTagOnly: ["velero.awsPluginImage", "flows.tenants.optOutImage", "demo.appImage", "drills.image"] } })).toEqual([
      `cluster-backup:images.allowTagOnly.2: names no image that runs privileged or is handed a secret; expected one of: ${Object.keys(SENSITIVE_IMAGE_KEYS).join(", ")} (got "demo.appImage")`,
      'cluster-backup:images.allowTagOnly.3: drills.image is pinned by digest already; remove it from images.allowTagOnly (got "drills.image")',
    ]);
  });

  it("only images the stack deploys count: Benji, zrepl, MinIO and the Garage Job when used", () => {
    const cfg = parseStackConfig(readStackFile(ROOT, "prod").config, new Set(readStackFile(ROOT, "prod").secretKeys), "prod");
    expect(sensitiveImages(cfg).map((i) => i.path)).toEqual(["velero.image", "velero.awsPluginImage", "flows.tenants.optOutImage", "flows.benji.image", "flows.zrepl.image", "drills.image", "storage.garage.jobImage"]);
    expect(imageDigestProblems(cfg)).toEqual([]);
    expect(cfg.images.allowTagOnly).toEqual(["velero.awsPluginImage", "flows.tenants.optOutImage", "flows.benji.image", "flows.zrepl.image"]);
  });
});

describe("prod: Garage endpoints carry the admin token only over https or inside the cluster", () => {
  const withGarage = (g: Record<string, unknown>, stack = "prod") => problems({ storage: { garage: { ...garage, ...g } }, images: { allowTagOnly: ["velero.awsPluginImage", "flows.tenants.optOutImage"] }, ...(stack === "dev" ? { environment: "dev" } : {}) }, stack);

  it("refuses a plain http host outside the cluster, one line per key", () => {
    expect(withGarage({ adminEndpoint: "http://10.0.0.5:3903", s3Endpoint: "http://garage.example.com:3900" })).toEqual([
      "cluster-backup:storage.garage.adminEndpoint: carries the Garage admin token: in prod expected https:// or an in-cluster Service address 'http://<service>.<namespace>.svc[.cluster.local][:port]' (got \"http://10.0.0.5:3903\")",
      "cluster-backup:storage.garage.s3Endpoint: carries the backups and the keys' signatures: in prod expected https:// or an in-cluster Service address 'http://<service>.<namespace>.svc[.cluster.local][:port]' (got \"http://garage.example.com:3900\")",
    ]);
    // Look-alikes of a Service name are refused too.
    expect(withGarage({ adminEndpoint: "http://garage.garage.svc.evil.com:3903" })).toHaveLength(1);
    expect(withGarage({ adminEndpoint: "http://garage.svc:3903" })).toHaveLength(1);
  });

  it("accepts https anywhere and http://<svc>.<ns>.svc[.cluster.local]; dev accepts any http host", () => {
    expect(withGarage({ adminEndpoint: "https://garage-admin.example.com", s3Endpoint: "https://s3.example.com:443" })).toEqual([]);
    expect(withGarage({ adminEndpoint: "http://garage.garage.svc:3903", s3Endpoint: "http://garage.garage.svc.cluster.local" })).toEqual([]);
    expect(withGarage({ adminEndpoint: "http://10.0.0.5:3903" }, "dev")).toEqual([]);
  });
});
