/**
 * The opt-out CronJob's account against its ValidatingAdmissionPolicy (components/velero/optout-admission.ts), CEL
 * evaluated on crafted requests: what `kubectl label` of the job sends is allowed; every other use of its
 * `patch namespaces` right is refused.
 */
import { describe, expect, it } from "vitest";
import { optOutAdmissionPolicySpec, optOutPolicyMessages } from "../components/velero/optout-admission";
import type { Obj } from "./harness";
import { admit, type AdmissionRequest } from "./lib/vap";

const policy = optOutAdmissionPolicySpec("backup-system", "tenant-backup-optout", "cust-*") as Obj;
const M = optOutPolicyMessages("cust-*");
const user = { username: "system:serviceaccount:backup-system:tenant-backup-optout" };
const req = (operation: AdmissionRequest["operation"]): AdmissionRequest => ({ operation, userInfo: user, resource: { group: "", version: "v1", resource: "namespaces" } });
const EXCLUDE = "velero.io/exclude-from-backup";

function ns(name: string, labels: Record<string, string>, extra: Obj = {}): Obj {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels }, annotations: { "panel/owner": "1001" }, ...extra },
    spec: { finalizers: ["kubernetes"] },
  };
}
const optedOut = ns("cust-1001", { tenant: "true", backup: "false" });
const withLabels = (o: Obj, labels: Record<string, string>): Obj => ({ ...o, metadata: { ...o.metadata, labels } });
const update = (object: Obj, oldObject: Obj) => admit(policy, req("UPDATE"), object, oldObject);

describe("opt-out policy: the job's own requests", () => {
  it("adds velero.io/exclude-from-backup=true to an opted-out tenant and removes it from an opted-in one", () => {
    expect(update(withLabels(optedOut, { ...optedOut.metadata.labels, [EXCLUDE]: "true" }), optedOut)).toEqual([]);
    const optedIn = ns("cust-1002", { tenant: "true", backup: "true", [EXCLUDE]: "true" });
    const rest = Object.fromEntries(Object.entries(optedIn.metadata.labels as Record<string, string>).filter(([k]) => k !== EXCLUDE));
    expect(update(withLabels(optedIn, rest), optedIn)).toEqual([]);
  });

  it("matches only that account's namespace requests", () => {
    expect(admit(policy, { ...req("UPDATE"), userInfo: { username: "system:serviceaccount:panel:panel" } }, optedOut, optedOut)).toBe("not matched");
    expect(admit(policy, { ...req("UPDATE"), resource: { group: "", version: "v1", resource: "pods" } }, optedOut, optedOut)).toBe("not matched");
  });
});

describe("opt-out policy: a stolen token can do nothing else", () => {
  it("mark a system or non-tenant namespace excluded (backups then succeed with almost nothing in them)", () => {
    for (const [name, labels] of [
      ["kube-system", {}],
      ["postgres", {}],
      ["garage", { tenant: "true" }],
      ["cust-1003", {}],
      ["cust-1004", { tenant: "false" }],
    ] as [string, Record<string, string>][]) {
      const old = ns(name, labels);
      expect(update(withLabels(old, { ...old.metadata.labels, [EXCLUDE]: "true" }), old), name).toEqual([M.tenant]);
    }
  });

  it("set a privileged Pod Security level on a tenant, or change any other label", () => {
    expect(update(withLabels(optedOut, { ...optedOut.metadata.labels, "pod-security.kubernetes.io/enforce": "privileged" }), optedOut)).toEqual([M.labels]);
    expect(update(withLabels(optedOut, { ...optedOut.metadata.labels, backup: "true" }), optedOut)).toEqual([M.labels]);
    const noTenant = Object.fromEntries(Object.entries(optedOut.metadata.labels as Record<string, string>).filter(([k]) => k !== "tenant"));
    expect(update(withLabels(optedOut, noTenant), optedOut)).toEqual([M.labels]);
  });

  it("set the exclude label to another value", () => {
    expect(update(withLabels(optedOut, { ...optedOut.metadata.labels, [EXCLUDE]: "maybe" }), optedOut)).toEqual([M.value]);
  });

  it("change annotations, finalizers, owner references or spec", () => {
    const labelled = { ...optedOut.metadata.labels, [EXCLUDE]: "true" };
    const changed = (metadata: Obj, spec?: Obj) => ({ ...optedOut, metadata: { ...optedOut.metadata, labels: labelled, ...metadata }, ...(spec ? { spec } : {}) });
    expect(update(changed({ annotations: { "panel/owner": "6666" } }), optedOut)).toEqual([M.rest]);
    expect(update(changed({ finalizers: ["evil.example/hold"] }), optedOut)).toEqual([M.rest]);
    expect(update(changed({ ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "u" }] }), optedOut)).toEqual([M.rest]);
    expect(update(changed({}, { finalizers: [] }), optedOut)).toEqual([M.rest]);
  });

  it("create or delete a namespace", () => {
    expect(admit(policy, req("CREATE"), ns("cust-9999", { tenant: "true", backup: "true" }))).toEqual([M.update]);
    expect(admit(policy, req("DELETE"), null, optedOut)).toEqual([M.update]);
  });
});
