/**
 * Every Role and ClusterRole the program creates grants only what is listed here for its account, each grant with the
 * reason it is needed; every binding binds its role to that account only. A new verb, resource or binding fails this
 * test until it is argued for here. (Velero's own account comes from its Helm chart, which binds it to cluster-admin:
 * Velero restores arbitrary objects by design. It is not among these objects.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFile } from "../scripts/lib/stack-file";
import { planStack, planWith, ROOT, type Obj, type Plan } from "./harness";

interface RoleAllowance {
  /** The only subject its bindings may name (`<namespace>/<serviceaccount>`); undefined: it must not be bound by the stack. */
  readonly account?: string;
  /** `<group>/<resource>:<verb>` (core group: `core`), `@<names>` when limited to names → why. */
  readonly grants: Readonly<Record<string, string>>;
}

const ALLOWED: Record<string, RoleAllowance> = {
  "ClusterRole/cluster-backup-restore-drill": {
    account: "backup-system/restore-drill",
    grants: {
      "core/namespaces:get": "read the source namespace's Pod Security labels; check a leftover carries the drill label",
      "core/namespaces:list": "find the tenants to rotate through and the leftovers of earlier runs",
      "core/namespaces:watch": "kubectl delete --wait follows the scratch namespace until it is gone",
      "core/namespaces:create": "the scratch namespace (name, labels, Pod Security level checked by the drill admission policy)",
      "core/namespaces:delete": "the scratch namespace (only drill-* labelled by the drill, checked by the admission policy)",
      "rbac.authorization.k8s.io/rolebindings:create": "bind the scratch rights in the scratch namespace (namespace, role, subject checked by the admission policy)",
      "rbac.authorization.k8s.io/clusterroles:bind@cluster-backup-restore-drill-scratch": "RBAC escalation check: bind exactly the scratch ClusterRole, nothing else",
    },
  },
  "ClusterRole/cluster-backup-restore-drill-scratch": {
    // Bound by the drill itself, in each scratch namespace only.
    grants: {
      "core/pods:get": "which PVCs the restored pods mount",
      "core/pods:list": "which PVCs the restored pods mount",
      "core/persistentvolumeclaims:get": "whether the restored PVCs are Bound",
      "core/persistentvolumeclaims:list": "whether the restored PVCs are Bound",
      "apps/deployments:get": "kubectl scale --replicas=0 reads the workload it scales",
      "apps/deployments:list": "find the restored Deployments to scale to zero",
      "apps/statefulsets:get": "kubectl scale --replicas=0 reads the workload it scales",
      "apps/statefulsets:list": "find the restored StatefulSets to scale to zero",
      "apps/deployments/scale:patch": "scale restored Deployments to zero",
      "apps/statefulsets/scale:patch": "scale restored StatefulSets to zero",
      "networking.k8s.io/networkpolicies:create": "the deny-all NetworkPolicy before the Restore",
    },
  },
  "Role/restore-drill": {
    account: "backup-system/restore-drill",
    grants: {
      "velero.io/backups:get": "find the newest completed backup of its Schedule",
      "velero.io/backups:list": "find the newest completed backup of its Schedule",
      "velero.io/restores:get": "follow the Restore's phase until it ends",
      "velero.io/restores:list": "follow the Restore's phase until it ends",
      "velero.io/restores:create": "the drill's Restore (content checked by the admission policy)",
      "velero.io/restores:delete": "remove its Restore after a success (name and label checked by the admission policy)",
      "velero.io/podvolumerestores:get": "check every pod volume restore completed",
      "velero.io/podvolumerestores:list": "check every pod volume restore completed",
      "velero.io/podvolumebackups:list": "judge a PartiallyFailed backup per namespace: its failed pod volume backups",
      "velero.io/downloadrequests:get": "judge a PartiallyFailed backup per namespace: read the signed URL of its results file",
      "velero.io/downloadrequests:create": "judge a PartiallyFailed backup per namespace: ask Velero for its results file",
      "core/events:create": "report the outcome on its CronJob",
      "batch/cronjobs:get@restore-drill-tenants,restore-drill-postgres": "the uid of its own CronJob for the Event",
    },
  },
  "ClusterRole/tenant-backup-optout": {
    account: "backup-system/tenant-backup-optout",
    grants: {
      "core/namespaces:get": "kubectl label reads the namespace it patches",
      "core/namespaces:list": "select tenant namespaces by label",
      "core/namespaces:patch": "add or remove velero.io/exclude-from-backup (only that, only on tenants: the opt-out admission policy)",
    },
  },
  "ClusterRole/cluster-backup-benji": {
    account: "benji/benji",
    grants: { "core/persistentvolumes:get": "benji-backup-pvc reads the PV of each labelled PVC (cluster-scoped) to find its RBD image" },
  },
  "Role/benji-backup": {
    account: "benji/benji",
    grants: {
      "core/persistentvolumeclaims:get": "benji-backup-pvc reads a labelled PVC of a namespace it backs up",
      "core/persistentvolumeclaims:list": "benji-backup-pvc --namespace <ns> lists the labelled PVCs",
      "core/events:create": "benji-backup-pvc records SuccessfulBackup/FailedBackup on the PVC",
    },
  },
  "Role/benji-backup (Benji's namespace)": {
    account: "benji/benji",
    grants: {
      "core/persistentvolumeclaims:get": "as in the other namespaces, when Benji's own namespace is backed up",
      "core/persistentvolumeclaims:list": "as in the other namespaces, when Benji's own namespace is backed up",
      "core/events:create": "as in the other namespaces, when Benji's own namespace is backed up",
      "core/pods:list": "benji-backup-pvc looks for a fsfreeze pod in its own namespace for PVCs annotated for fsfreeze",
    },
  },
  "ClusterRole/cluster-backup-benji-restore": {
    // Bound by the restore runbook in the target namespace, for the time of a restore only.
    grants: {
      "core/persistentvolumeclaims:get": "benji-restore-pvc reads the target PVC",
      "core/persistentvolumeclaims:create": "benji-restore-pvc creates the target PVC when missing",
    },
  },
};

const ROLE_KINDS = new Set(["Role", "ClusterRole"]);

/** Which allowance a role falls under. */
function keyOf(role: Obj, benjiNamespace: string): string {
  if (role.kind === "Role" && role.metadata.name === "benji-backup" && role.metadata.namespace === benjiNamespace) return "Role/benji-backup (Benji's namespace)";
  return `${role.kind}/${role.metadata.name}`;
}

/** The grants of one role, one string per (group, resource, verb[, names]). */
function grantsOf(role: Obj): string[] {
  return (role.rules as Obj[]).flatMap((r) =>
    (r.apiGroups as string[]).flatMap((g) =>
      (r.resources as string[]).flatMap((res) => (r.verbs as string[]).map((v) => `${g === "" ? "core" : g}/${res}:${v}${r.resourceNames ? `@${(r.resourceNames as string[]).join(",")}` : ""}`)),
    ),
  );
}

/** Problems of a plan's RBAC against the allow-list: unknown roles, grants beyond it, wrong subjects, wildcards. */
function rbacProblems(objects: readonly Obj[], benjiNamespace = "benji"): string[] {
  const problems: string[] = [];
  const roles = objects.filter((o) => ROLE_KINDS.has(o.kind));
  for (const role of roles) {
    const key = keyOf(role, benjiNamespace);
    const allowed = ALLOWED[key];
    if (!allowed) {
      problems.push(`${key}: not in the allow-list`);
      continue;
    }
    for (const grant of grantsOf(role)) {
      if (grant.includes("*")) problems.push(`${key}: wildcard grant ${grant}`);
      else if (!(grant in allowed.grants)) problems.push(`${key}: ${grant} is not allowed`);
    }
  }
  for (const binding of objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")) {
    const role = roles.find((r) => r.kind === binding.roleRef.kind && r.metadata.name === binding.roleRef.name && (r.kind === "ClusterRole" || r.metadata.namespace === binding.metadata.namespace));
    const key = role ? keyOf(role, benjiNamespace) : `${binding.roleRef.kind}/${binding.roleRef.name}`;
    const account = ALLOWED[key]?.account;
    const subjects = (binding.subjects as Obj[]).map((s) => `${s.namespace}/${s.name}`);
    if (!account) problems.push(`${binding.kind} ${binding.metadata.name}: binds ${key}, which the stack must not bind`);
    else if (subjects.length !== 1 || subjects[0] !== account || binding.subjects[0].kind !== "ServiceAccount") problems.push(`${binding.kind} ${binding.metadata.name}: binds ${key} to ${subjects.join(", ")}, expected ${account}`);
  }
  return problems;
}

describe("RBAC: every grant is on the allow-list of its account", () => {
  let prod: Plan;
  beforeAll(async () => {
    prod = await planStack("prod");
  });

  it("prod: every role and binding complies, and every allowed role exists", () => {
    expect(rbacProblems(prod.objects())).toEqual([]);
    const keys = new Set(prod.objects().filter((o) => ROLE_KINDS.has(o.kind)).map((r) => keyOf(r, "benji")));
    expect([...keys].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it("dev and a prod with more Benji namespaces comply too", async () => {
    expect(rbacProblems((await planStack("dev")).objects())).toEqual([]);
    const flows = JSON.parse(readStackFile(ROOT, "prod").config["cluster-backup:flows"]);
    const wider = await planWith("prod", { flows: { ...flows, benji: { ...flows.benji, pvcNamespaces: ["garage", "platform-db", "benji"] } } });
    expect(wider.objects("Role").filter((r) => r.metadata.name === "benji-backup").map((r) => r.metadata.namespace)).toEqual(["garage", "platform-db", "benji"]);
    expect(rbacProblems(wider.objects())).toEqual([]);
  });

  it("the check catches an extra verb, a wildcard, a secret read and a binding to another subject", () => {
    const drill = prod.object("ClusterRole", "cluster-backup-restore-drill");
    const widened = [
        ...prod.objects().filter((o) => !(o.kind === "ClusterRole" && o.metadata.name === "cluster-backup-restore-drill")),
        { ...drill, rules: [...drill.rules, { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }, { apiGroups: ["apps"], resources: ["*"], verbs: ["patch"] }] },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "x" }, roleRef: { kind: "ClusterRole", name: "cluster-backup-benji" }, subjects: [{ kind: "Group", name: "system:authenticated" }] },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "y", namespace: "cust-1" }, roleRef: { kind: "ClusterRole", name: "cluster-backup-restore-drill-scratch" }, subjects: [{ kind: "ServiceAccount", name: "restore-drill", namespace: "backup-system" }] },
    ];
    expect(rbacProblems(widened)).toEqual([
      "ClusterRole/cluster-backup-restore-drill: core/secrets:get is not allowed",
      "ClusterRole/cluster-backup-restore-drill: wildcard grant apps/*:patch",
      "ClusterRoleBinding x: binds ClusterRole/cluster-backup-benji to undefined/system:authenticated, expected benji/benji",
      "RoleBinding y: binds ClusterRole/cluster-backup-restore-drill-scratch, which the stack must not bind",
    ]);
  });

  it("every allowed grant states its reason", () => {
    for (const [key, allowance] of Object.entries(ALLOWED)) for (const [grant, reason] of Object.entries(allowance.grants)) expect(reason.length, `${key} ${grant}`).toBeGreaterThan(20);
  });
});
