/**
 * The policy pack's rules through the exported policies (policy/policies.ts, as the Pulumi CLI runs them) and through
 * the offline engine: for each rule, objects that pass and objects that violate it with the exact message.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../policy/policies";
import { RULES, evaluateRules } from "../policy/rules/index";
import { ADMISSION_COMPONENT_TYPE } from "../policy/rules/context";
import { parseImage } from "../policy/rules/workloads";
import { PolicyInputError, policyConfigFromJson, resourcesFromJson } from "../scripts/lib/policy-runner";
import { allFixtureResources, FIXTURES, k8sObject, PACK_CONFIG, resource } from "./policy-fixtures";
import { runPack, type PackViolation } from "./policy-pack";

// The SDK's own proxy, as the CLI wraps props during a preview.
const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(v: T) => T; unknownStringValue: string };

/** images-digest is advisory and prod-only: the shared fixtures (stack prod) trip it, so it has its own file (policy-images-digest.test.ts). */
const OWN_FILE = "images-digest";
const GENERIC = { [OWN_FILE]: "disabled" } as const;

const byUrnAndMessage = (a: { urn: string; message: string }, b: { urn: string; message: string }) => (a.urn + a.message < b.urn + b.message ? -1 : 1);
const strip = (v: PackViolation[], policy: string) => v.filter((x) => x.policy === policy).map(({ urn, message }) => ({ urn, message }));

describe("the policy pack", () => {
  let pack: PackViolation[];
  const resources = allFixtureResources();

  beforeAll(async () => {
    pack = (await runPack(resources, PACK_CONFIG)).filter((v) => v.policy !== OWN_FILE);
  });

  it("has one fixture per rule and every policy is mandatory by default", () => {
    expect(FIXTURES.map((f) => f.policy).sort()).toEqual(RULES.map((r) => r.name).filter((n) => n !== OWN_FILE).sort());
    expect(policies.map((p) => p.name)).toEqual(RULES.map((r) => r.name));
    // The least-privilege rules (policy/rules/security.ts, test/policy-security.test.ts) close the list.
    expect(RULES.slice(-4).map((r) => r.name)).toEqual([OWN_FILE, "benji-label-not-on-tenants", "rbac-unnarrowable-grants-guarded", "rbac-no-escalation"]);
    expect(policies.filter((p) => p.enforcementLevel !== "mandatory").map((p) => [p.name, p.enforcementLevel])).toEqual([[OWN_FILE, "advisory"]]);
    expect(RULES).toHaveLength(23);
  });

  it("runs every rule on each resource's inputs, except the two that compare custom resources (stack policies see outputs)", () => {
    const stack = policies.filter((p) => "validateStack" in p).map((p) => p.name);
    expect(stack).toEqual(["prod-buckets-protected", "vsc-velero-label"]);
    const resource = policies.filter((p) => "validateResource" in p).map((p) => p.name);
    expect(resource).toHaveLength(RULES.length - 2);
    expect(resource).toEqual(expect.arrayContaining(["node-agent-kopia", "images-pinned", "privileged-pods-in-their-namespaces", "benji-pvc-ceph-rbd", "garage-pvc-one-strategy", "privileged-namespaces-psa"]));
  });

  for (const fixture of FIXTURES) {
    describe(fixture.policy, () => {
      it("reports exactly the expected messages on the violating objects", () => {
        expect(strip(pack, fixture.policy).sort(byUrnAndMessage)).toEqual([...fixture.expected].sort(byUrnAndMessage));
        expect(new Set(fixture.expected.map((e) => e.urn))).toEqual(new Set(fixture.fail.map((r) => r.urn)));
      });
      it("lets the passing objects through", () => {
        const flagged = new Set(strip(pack, fixture.policy).map((v) => v.urn));
        for (const r of fixture.pass) expect(flagged.has(r.urn), `${r.urn} should pass ${fixture.policy}`).toBe(false);
      });
      it("gives the same verdict offline", () => {
        const offline = evaluateRules(resources, GENERIC).filter((v) => v.policy === fixture.policy);
        expect(offline.map(({ urn, message }) => ({ urn, message })).sort(byUrnAndMessage)).toEqual([...fixture.expected].sort(byUrnAndMessage));
        expect(offline.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
      });
    });
  }

  it("finds the same violations under the CLI wrappers and offline, in total", () => {
    const offline = evaluateRules(resources, GENERIC).map(({ policy, urn, message }) => ({ policy, urn, message }));
    expect(offline).toHaveLength(FIXTURES.reduce((n, f) => n + f.expected.length, 0));
    expect([...pack].sort(byUrnAndMessage)).toEqual([...offline].sort(byUrnAndMessage));
  });
});

describe("the pack during a preview", () => {
  const tenant = k8sObject("Namespace", "cust-3001", { labels: { tenant: "true" } });
  const pvc = k8sObject("PersistentVolumeClaim", "files", { namespace: "shop", labels: { "backup-this-pvc": "true" } }, { spec: { storageClassName: "local-path" } });

  it("judges the objects when every value is known", async () => {
    const found = await runPack([tenant, pvc], {}, (r) => proxy.unknownCheckingProxy(r.inputs as Record<string, unknown>));
    expect(found.map((v) => v.policy)).toEqual(["tenant-namespace-labels", "benji-pvc-ceph-rbd"]);
  });

  it("leaves out a resource whose values are not known yet, in resource and stack policies alike", async () => {
    const unknown = (r: typeof tenant) => {
      const inputs = structuredClone(r.inputs) as { metadata: { labels: Record<string, string> } };
      inputs.metadata.labels = { ...inputs.metadata.labels, backup: proxy.unknownStringValue };
      return proxy.unknownCheckingProxy(inputs as unknown as Record<string, unknown>);
    };
    expect(await runPack([tenant, pvc], {}, unknown)).toEqual([]);
  });
});

describe("policy config and the stack's declared context", () => {
  const pvc = k8sObject("PersistentVolumeClaim", "db", { namespace: "shop", labels: { "backup-this-pvc": "true" } }, { spec: { storageClassName: "fast-rbd" } });
  const garagePvc = k8sObject("PersistentVolumeClaim", "data-0", { namespace: "s3" }, { spec: { storageClassName: "zfs" } });
  const declared = resource(ADMISSION_COMPONENT_TYPE, "admission-policies", {
    policyContext: { production: false, garageNamespaces: ["s3"], cephRbdStorageClasses: ["fast-rbd"], privilegedNamespaces: ["backup-system"] },
  }, { custom: false });

  it("without either, a PVC on an unknown class violates benji-pvc-ceph-rbd and a PVC outside 'garage' is not Garage's", async () => {
    expect((await runPack([pvc, garagePvc])).map((v) => `${v.policy} ${v.urn}`)).toEqual([`benji-pvc-ceph-rbd ${pvc.urn}`]);
  });

  it("offline, takes Ceph RBD classes and Garage namespaces from the AdmissionPolicies component of the stack", () => {
    expect(evaluateRules([declared, pvc, garagePvc]).map((v) => `${v.policy} ${v.urn}`)).toEqual([`garage-pvc-one-strategy ${garagePvc.urn}`]);
  });

  it("under the CLI, judges each resource on its own: the stack's declarations do not reach a resource policy", async () => {
    const found = await runPack([declared, pvc, garagePvc]);
    expect(found.map((v) => `${v.policy} ${v.urn}`)).toEqual([`benji-pvc-ceph-rbd ${pvc.urn}`]);
    const config = { "benji-pvc-ceph-rbd": { cephRbdStorageClasses: ["fast-rbd"] }, "garage-pvc-one-strategy": { garageNamespaces: ["s3"] } };
    expect((await runPack([declared, pvc, garagePvc], config)).map((v) => `${v.policy} ${v.urn}`)).toEqual([`garage-pvc-one-strategy ${garagePvc.urn}`]);
  });

  it("takes them from the policy config (pulumi --policy-pack-config form)", async () => {
    const config = { "benji-pvc-ceph-rbd": { cephRbdStorageClasses: ["fast-rbd"] } };
    expect(await runPack([pvc], config)).toEqual([]);
    expect(evaluateRules([pvc], config)).toEqual([]);
  });

  it("lowers or disables a policy offline by its enforcement level", () => {
    expect(evaluateRules([pvc], { "benji-pvc-ceph-rbd": "advisory" }).map((v) => v.enforcementLevel)).toEqual(["advisory"]);
    expect(evaluateRules([pvc], { "benji-pvc-ceph-rbd": { enforcementLevel: "disabled" } })).toEqual([]);
  });

  it("treats production by stack name (productionStacks) or by the stack's own declaration", () => {
    const bucket = (stack: string) => ({ ...resource("scaleway:object/bucket:Bucket", "velero", { name: "acme-velero", versioning: { enabled: true } }), urn: `urn:pulumi:${stack}::cluster-backup::scaleway:object/bucket:Bucket::velero` });
    expect(evaluateRules([bucket("staging")])).toEqual([]);
    expect(evaluateRules([bucket("staging")], { "prod-buckets-protected": { productionStacks: ["staging"] } }).map((v) => v.policy)).toEqual(["prod-buckets-protected"]);
    const prodDeclared = { ...declared, urn: declared.urn.replace(":prod::", ":staging::"), inputs: { policyContext: { production: true, garageNamespaces: [], cephRbdStorageClasses: [], privilegedNamespaces: [] } } };
    expect(evaluateRules([prodDeclared, bucket("staging")]).map((v) => v.message)).toEqual([
      "Bucket acme-velero holds backups in production stack 'staging' but is not protected: set the resource options protect: true and retainOnDelete: true, so no update or destroy can delete it.",
    ]);
  });

  it("exposes the settings as each policy's config schema with the defaults", () => {
    const benji = policies.find((p) => p.name === "benji-pvc-ceph-rbd");
    expect(benji?.configSchema?.properties).toEqual({ cephRbdStorageClasses: { type: "array", items: { type: "string" }, description: "StorageClass names backed by Ceph RBD, beside those defined in the stack.", default: [] } });
    expect(policies.find((p) => p.name === "privileged-pods-in-their-namespaces")?.configSchema?.properties?.privilegedNamespaces).toMatchObject({ default: ["backup-system", "benji", "zrepl"] });
  });
});

describe("image references", () => {
  it("splits tag and digest, not a registry port", () => {
    expect(parseImage("registry.example.com:5000/acme/api")).toEqual({ name: "registry.example.com:5000/acme/api", digest: undefined });
    expect(parseImage("registry.example.com:5000/acme/api:1.2")).toEqual({ name: "registry.example.com:5000/acme/api", tag: "1.2", digest: undefined });
    expect(parseImage("ghcr.io/x/y@sha256:ab")).toEqual({ name: "ghcr.io/x/y", digest: "sha256:ab" });
  });
});

describe("reading resources.json and a policy config offline", () => {
  const message = (read: () => unknown): string => {
    try {
      read();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyInputError);
      return (err as Error).message;
    }
    throw new Error("no error");
  };
  const ns = { urn: "urn:pulumi:dev::cluster-backup::kubernetes:core/v1:Namespace::web", type: "kubernetes:core/v1:Namespace", name: "web", custom: true };

  it("turns entries into the rules' view: no parent, not protected, no inputs by default", () => {
    expect(resourcesFromJson([{ ...ns, parent: null }])).toEqual([{ ...ns, protect: false, parent: undefined, inputs: {} }]);
    expect(resourcesFromJson([{ ...ns, parent: "urn:p", protect: true, inputs: { metadata: { name: "web" } } }])).toEqual([{ ...ns, protect: true, parent: "urn:p", inputs: { metadata: { name: "web" } } }]);
  });

  it("names the entry, the field and the expected form of a malformed entry", () => {
    expect(message(() => resourcesFromJson([ns, "web"], "out/dev/resources.json"))).toBe("out/dev/resources.json[1] must be an object {urn, type, name, custom, inputs, ...}");
    expect(message(() => resourcesFromJson([{ ...ns, type: "" }]))).toBe('resources.json[0].type must be a non-empty string (got "")');
    expect(message(() => resourcesFromJson([{ ...ns, custom: "yes" }]))).toBe('resources.json[0].custom must be true or false (got "yes")');
    expect(message(() => resourcesFromJson([{ ...ns, inputs: [] }]))).toBe("resources.json[0].inputs must be an object");
    expect(message(() => resourcesFromJson([{ ...ns, protect: 1 }]))).toBe("resources.json[0].protect must be true or false");
    expect(message(() => resourcesFromJson([{ ...ns, parent: 7 }]))).toBe("resources.json[0].parent must be a URN or null");
  });

  it("accepts enforcement levels and settings per policy, and refuses anything else naming the policy and the value", () => {
    const config = { "benji-pvc-ceph-rbd": { enforcementLevel: "advisory", cephRbdStorageClasses: ["rbd"] }, "images-pinned": "disabled" };
    expect(policyConfigFromJson(config)).toBe(config);
    expect(message(() => policyConfigFromJson(["images-pinned"], "cfg.json"))).toBe("cfg.json must be a JSON object mapping policy names to an enforcement level or settings");
    expect(message(() => policyConfigFromJson({ "images-pinned": "strict" }, "cfg.json"))).toBe('cfg.json: \'images-pinned\' has enforcement level "strict"; expected advisory, mandatory or disabled, or an object of settings');
    expect(message(() => policyConfigFromJson({ "images-pinned": 3 }, "cfg.json"))).toBe("cfg.json: 'images-pinned' has enforcement level 3; expected advisory, mandatory or disabled, or an object of settings");
    expect(message(() => policyConfigFromJson({ "benji-pvc-ceph-rbd": { cephRbdStorageClass: ["rbd"] } }, "cfg.json"))).toBe("cfg.json: 'benji-pvc-ceph-rbd.cephRbdStorageClass' is no setting of that policy; expected enforcementLevel, cephRbdStorageClasses");
    expect(message(() => policyConfigFromJson({ "prod-buckets-protected": { productionStacks: "prod" } }, "cfg.json"))).toBe('cfg.json: \'prod-buckets-protected.productionStacks\' is "prod"; expected a list of names such as ["prod"]');
  });
});

describe("images-pinned: velero-plugin-for-aws releases", () => {
  const deployment = (image: string) =>
    k8sObject("Deployment", "velero", { namespace: "backup-system" }, { spec: { template: { spec: { initContainers: [{ name: "plugin", image }], containers: [{ name: "velero", image: "docker.io/velero/velero:v1.18.2" }] } } } });
  const messages = (image: string) => evaluateRules([deployment(image)]).filter((v) => v.policy === "images-pinned").map((v) => v.message);

  it("refuses every release before v1.14.3, older minors included, and passes later ones", () => {
    expect(messages("docker.io/velero/velero-plugin-for-aws:v1.13.1")).toEqual([
      "image 'docker.io/velero/velero-plugin-for-aws:v1.13.1' (Deployment backup-system/velero, init container 'plugin'): velero-plugin-for-aws before v1.14.3 corrupts or rejects uploads to S3-compatible stores (velero#9951, #9804); use v1.14.3 or later.",
    ]);
    expect(messages("docker.io/velero/velero-plugin-for-aws:v1.14.3")).toEqual([]);
    expect(messages("docker.io/velero/velero-plugin-for-aws:v1.15.0")).toEqual([]);
  });
});
