/**
 * The in-cluster ValidatingAdmissionPolicies: generated from the same rule definitions as the pack, their CEL is
 * evaluated (with a CEL implementation) on the same objects as the pack's rules, so both are proven to agree; and the
 * program deploys them with the configured action.
 */
import { Environment } from "@marcbachmann/cel-js";
import { beforeAll, describe, expect, it } from "vitest";
import {
  admissionViolations,
  buildAdmissionPolicies,
  celString,
  type AdmissionContext,
  type AdmissionObjects,
} from "../policy/rules/admission";
import { parseStackConfig, ConfigError } from "../components/config";
import { readStackFile } from "../scripts/lib/stack-file";
import { policyReport } from "../scripts/lib/policy-runner";
import { allFixtureResources, FIXTURES, k8sObject } from "./policy-fixtures";
import { planStack, planWith, rawConfig, ROOT, type Obj, type Plan } from "./harness";

const cel = new Environment({ unlistedVariablesAreDyn: true });

/** What the API server would report for `object`: the messages of the failing validations, when the policy matches. */
function celViolations(objects: AdmissionObjects, object: unknown): string[] {
  const vars = { object };
  if (!objects.policy.spec.matchConditions.every((m) => cel.evaluate(m.expression, vars) === true)) return [];
  return objects.policy.spec.validations.filter((v) => cel.evaluate(v.expression, vars) !== true).map((v) => v.message);
}

/** The context the fixtures' stack yields: its StorageClass ceph-block (rook-ceph RBD), the default Garage namespace. */
const CONTEXT: AdmissionContext = { garageNamespaces: ["garage"], cephRbdStorageClasses: ["ceph-block"] };
const generated = buildAdmissionPolicies(CONTEXT, "Warn");

const EDGE_OBJECTS = [
  k8sObject("Namespace", "cust-4001", {}),
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "cust-4002", deletionTimestamp: "2026-01-01T00:00:00Z", labels: { tenant: "true" } } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "ops", labels: { tenant: "true" }, deletionTimestamp: "2026-01-01T00:00:00Z" } },
  k8sObject("Namespace", "customer", { labels: { tenant: "true" } }),
  k8sObject("PersistentVolumeClaim", "bare", { namespace: "garage" }),
  { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "nospec", namespace: "shop", labels: { "backup-this-pvc": "true" } } },
  k8sObject("PersistentVolumeClaim", "wrong-value", { namespace: "shop", labels: { "backup-this-pvc": "yes" } }, { spec: { storageClassName: "zfs-local" } }),
].map((o) => ("inputs" in o ? o.inputs : o));

describe("CEL generated from the rules", () => {
  it("covers rules 1-4, one policy and one binding each", () => {
    expect(generated.map((g) => [g.policy.metadata.name, g.binding.spec.policyName])).toEqual([
      ["cluster-backup-tenant-namespace-labels", "cluster-backup-tenant-namespace-labels"],
      ["cluster-backup-tenant-label-only-on-tenant-namespaces", "cluster-backup-tenant-label-only-on-tenant-namespaces"],
      ["cluster-backup-garage-pvc-one-strategy", "cluster-backup-garage-pvc-one-strategy"],
      ["cluster-backup-benji-pvc-ceph-rbd", "cluster-backup-benji-pvc-ceph-rbd"],
    ]);
  });

  for (const objects of generated) {
    const fixture = FIXTURES.find((f) => f.policy === objects.rule.name)!;
    describe(objects.rule.name, () => {
      it("reports through CEL exactly the pack's messages on the rule's violating objects, and nothing on its passing ones", () => {
        for (const r of fixture.fail) expect(celViolations(objects, r.inputs)).toEqual(fixture.expected.filter((e) => e.urn === r.urn).map((e) => e.message));
        for (const r of fixture.pass.filter((p) => p.type === objects.rule.target.pulumiType)) expect(celViolations(objects, r.inputs)).toEqual([]);
      });

      it("agrees with the pack's evaluation on every namespace and PVC of the fixtures and on edge cases", () => {
        const objectsOfType = [...allFixtureResources().filter((r) => r.type === objects.rule.target.pulumiType).map((r) => r.inputs), ...EDGE_OBJECTS.filter((o) => o.kind === objects.rule.target.pulumiType.split(":").pop())];
        expect(objectsOfType.length).toBeGreaterThan(5);
        for (const object of objectsOfType) expect(celViolations(objects, object), JSON.stringify(object)).toEqual(admissionViolations(objects.rule, object, CONTEXT));
      });
    });
  }

  it("never judges an object that is being deleted (finalizer removal must go through)", () => {
    const deleting = EDGE_OBJECTS.filter((o) => "deletionTimestamp" in (o.metadata as object));
    expect(deleting).toHaveLength(2);
    for (const objects of generated) for (const o of deleting) expect(celViolations(objects, o)).toEqual([]);
  });

  it("writes the tenant namespace policy as expected", () => {
    expect(generated[0].policy).toEqual({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "cluster-backup-tenant-namespace-labels", labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" } },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["namespaces"] }] },
        matchConditions: [
          { name: "not-being-deleted", expression: "!(has(object.metadata) && has(object.metadata.deletionTimestamp))" },
          { name: "tenant-namespace", expression: "has(object.metadata) && has(object.metadata.name) && object.metadata.name.startsWith('cust-')" },
        ],
        validations: [
          {
            expression: "has(object.metadata) && has(object.metadata.labels) && 'tenant' in object.metadata.labels && object.metadata.labels['tenant'] == 'true'",
            message: FIXTURES[0].expected[0].message,
            reason: "Invalid",
          },
          {
            expression:
              "(has(object.metadata) && has(object.metadata.labels) && 'backup' in object.metadata.labels && object.metadata.labels['backup'] == 'true') || (has(object.metadata) && has(object.metadata.labels) && 'backup' in object.metadata.labels && object.metadata.labels['backup'] == 'false')",
            message: FIXTURES[0].expected[1].message,
            reason: "Invalid",
          },
          {
            expression:
              "!(has(object.metadata) && has(object.metadata.labels) && 'backup' in object.metadata.labels && object.metadata.labels['backup'] == 'false') || (has(object.metadata) && has(object.metadata.labels) && 'velero.io/exclude-from-backup' in object.metadata.labels && object.metadata.labels['velero.io/exclude-from-backup'] == 'true')",
            message: FIXTURES[0].expected[2].message,
            reason: "Invalid",
          },
          {
            expression:
              "!(has(object.metadata) && has(object.metadata.labels) && 'backup' in object.metadata.labels && object.metadata.labels['backup'] == 'true') || (!(has(object.metadata) && has(object.metadata.labels) && 'velero.io/exclude-from-backup' in object.metadata.labels && object.metadata.labels['velero.io/exclude-from-backup'] == 'true'))",
            message: FIXTURES[0].expected[3].message,
            reason: "Invalid",
          },
        ],
      },
    });
  });

  it("embeds the context lists as CEL literals", () => {
    const [, , garage, benji] = buildAdmissionPolicies({ garageNamespaces: ["garage", "s3"], cephRbdStorageClasses: ["ceph-block", "rbd-fast"] }, "Deny");
    expect(garage.policy.spec.matchConditions[1].expression).toBe("has(object.metadata) && has(object.metadata.namespace) && object.metadata.namespace in ['garage', 's3']");
    expect(benji.policy.spec.validations[0].expression).toBe("has(object.spec) && has(object.spec.storageClassName) && object.spec.storageClassName in ['ceph-block', 'rbd-fast']");
    expect(celString("it's a \\ path")).toBe("'it\\'s a \\\\ path'");
    expect(cel.evaluate(celString("it's a \\ path"))).toBe("it's a \\ path");
  });

  it("maps the action to the bindings' validationActions", () => {
    expect(buildAdmissionPolicies(CONTEXT, "Warn").map((g) => g.binding.spec.validationActions)).toEqual(Array(4).fill(["Warn", "Audit"]));
    expect(buildAdmissionPolicies(CONTEXT, "Audit")[0].binding.spec.validationActions).toEqual(["Audit"]);
    expect(buildAdmissionPolicies(CONTEXT, "Deny")[0].binding.spec.validationActions).toEqual(["Deny"]);
  });
});

describe("config policy.admission", () => {
  const dev = readStackFile(ROOT, "dev");
  const parse = (policy: unknown) => parseStackConfig({ ...dev.config, ...rawConfig({ policy }) }, new Set(dev.secretKeys), "dev");

  it("defaults to enabled, Warn, classes from csi.cephRbd", () => {
    expect(parse({}).policy).toEqual({ admission: { enabled: true, action: "Warn" } });
  });

  it("rejects an unknown action naming key, value and the forms expected", () => {
    let error: unknown;
    try {
      parse({ admission: { action: "Block" } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`cluster-backup:policy.admission.action: expected 'Warn' (warn and audit), 'Audit' (audit only) or 'Deny' (reject) (got "Block")`]);
  });
});

describe("the program deploys the admission policies", () => {
  let dev: Plan;
  let prod: Plan;
  beforeAll(async () => {
    dev = await planStack("dev");
    prod = await planStack("prod");
  });

  /** The objects of a kind created by the AdmissionPolicies component (other components create their own policies). */
  const ours = (plan: Plan, kind: string) => {
    const component = plan.resource("cluster-backup:policy:AdmissionPolicies", "admission-policies");
    return plan.registrations.filter((r) => r.parent === component.urn && r.type === `kubernetes:admissionregistration.k8s.io/v1:${kind}`).map((r) => r.inputs as Obj);
  };
  const names = ["tenant-namespace-labels", "tenant-label-only-on-tenant-namespaces", "garage-pvc-one-strategy", "benji-pvc-ceph-rbd"].map((n) => `cluster-backup-${n}`);

  it("dev: four policies in Warn mode, bound after their policy, declared context from the config", () => {
    expect(ours(dev, "ValidatingAdmissionPolicy").map((o) => o.metadata.name).sort()).toEqual([...names].sort());
    expect(ours(dev, "ValidatingAdmissionPolicyBinding").map((o) => [o.metadata.name, o.spec.policyName, o.spec.validationActions]).sort()).toEqual(names.map((n) => [n, n, ["Warn", "Audit"]]).sort());
    const binding = dev.registrationOf("ValidatingAdmissionPolicyBinding", "cluster-backup-benji-pvc-ceph-rbd");
    expect(binding.dependsOn).toContain(dev.registrationOf("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-ceph-rbd").urn);
    expect(dev.object("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-ceph-rbd").spec.validations[0].expression).toBe("has(object.spec) && has(object.spec.storageClassName) && object.spec.storageClassName in []");
    expect(dev.resource("cluster-backup:policy:AdmissionPolicies", "admission-policies").inputs).toEqual({
      action: "Warn",
      enabled: true,
      policyContext: { production: false, garageNamespaces: ["garage"], cephRbdStorageClasses: [], privilegedNamespaces: ["backup-system", "benji", "zrepl"] },
    });
    expect(dev.exports.admissionPolicies).toEqual(names);
  });

  it("prod: the Ceph RBD classes of csi.cephRbd.storageClasses are embedded; production is declared", () => {
    expect(prod.object("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-ceph-rbd").spec.validations[0].expression).toBe("has(object.spec) && has(object.spec.storageClassName) && object.spec.storageClassName in ['ceph-block']");
    expect((prod.resource("cluster-backup:policy:AdmissionPolicies", "admission-policies").inputs.policyContext as { production: boolean }).production).toBe(true);
  });

  it("the dev and prod plans pass every mandatory policy; prod's tag-only waivers show as advisory images-digest lines", () => {
    const devReport = policyReport(dev.run);
    expect(devReport.lines).toEqual([]);
    expect(devReport.summary.slice(0, 3)).toEqual(["## Policies", "", `23 policies of the pack \`policy/\` ran over ${dev.registrations.length} resources: no violation.`]);
    const report = policyReport(prod.run);
    expect(report.mandatoryViolations).toBe(0);
    expect(report.summary.slice(0, 3)).toEqual(["## Policies", "", `23 policies of the pack \`policy/\` ran over ${prod.registrations.length} resources: 13 violations (0 mandatory).`]);
    // Exactly the containers running the images of Pulumi.prod.yaml's images.allowTagOnly waiver (what each gets is tested in policy-images-digest.test.ts).
    expect(report.lines.map((l) => l.replace(/^advisory images-digest \S+: /, "").replace(/ (runs|is handed) .*$/, "")).sort()).toEqual([
      "CronJob backup-system/tenant-backup-optout, container 'unlabel-opted-in': image 'registry.k8s.io/kubectl:v1.34.2'",
      "CronJob backup-system/tenant-backup-optout, init container 'label-opted-out': image 'registry.k8s.io/kubectl:v1.34.2'",
      "CronJob benji/benji-backup-all, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "CronJob benji/benji-cleanup, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "CronJob benji/benji-deep-scrub, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "CronJob benji/benji-enforce, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "CronJob benji/benji-metadata-backup, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "CronJob benji/benji-restore-drill, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "DaemonSet zrepl/zrepl-garage-push, container 'zrepl': image 'ghcr.io/acme/zrepl:0.7.0-openzfs2.2'",
      "DaemonSet zrepl/zrepl-sink, container 'sink-check': image 'ghcr.io/acme/zrepl:0.7.0-openzfs2.2'",
      "DaemonSet zrepl/zrepl-sink, container 'zrepl': image 'ghcr.io/acme/zrepl:0.7.0-openzfs2.2'",
      "Job benji/benji-db-init-e4c34fb7, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0'",
      "chart velero, values.initContainers[0] 'velero-plugin-for-aws': image 'docker.io/velero/velero-plugin-for-aws:v1.14.3'",
    ]);
  });

  it("Deny mode and configured classes reach the objects", async () => {
    const plan = await planWith("dev", { policy: { admission: { action: "Deny", cephRbdStorageClasses: ["rbd-fast"] } } });
    expect(plan.object("ValidatingAdmissionPolicyBinding", "cluster-backup-tenant-namespace-labels").spec.validationActions).toEqual(["Deny"]);
    expect(plan.object("ValidatingAdmissionPolicy", "cluster-backup-benji-pvc-ceph-rbd").spec.validations[0].expression).toBe("has(object.spec) && has(object.spec.storageClassName) && object.spec.storageClassName in ['rbd-fast']");
  });

  it("disabled: no admission objects, the context is still declared for the pack", async () => {
    const plan = await planWith("dev", { policy: { admission: { enabled: false } } });
    expect(ours(plan, "ValidatingAdmissionPolicy")).toEqual([]);
    expect(ours(plan, "ValidatingAdmissionPolicyBinding")).toEqual([]);
    expect(plan.resource("cluster-backup:policy:AdmissionPolicies", "admission-policies").inputs).toEqual({
      action: "Warn",
      enabled: false,
      policyContext: { production: false, garageNamespaces: ["garage"], cephRbdStorageClasses: [], privilegedNamespaces: ["backup-system", "benji", "zrepl"] },
    });
    expect(plan.exports.admissionPolicies).toEqual([]);
  });
});
