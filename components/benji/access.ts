/**
 * What each Benji account may do, and the admission policy that keeps the Benji label to the
 * namespaces the platform owns (item 6). Pure: components/benji/benji.ts creates the objects.
 *
 * From benji-k8s 0.17.0 (`images/benji-k8s/k8s-tools/src/benji/k8s_tools/`): `benji-backup-pvc --namespace <ns>`
 * lists the labelled PVCs of that namespace, reads each bound PV, records Events on the PVC and, for a PVC annotated
 * for fsfreeze, lists the pods of its own namespace (freezing itself needs pods/exec, which it is not given);
 * `benji-restore-pvc` reads or creates the target PVC and reads its PV; `benji-command` (enforce, cleanup, ls) never
 * calls the Kubernetes API.
 */
import type * as k8s from "@pulumi/kubernetes";
import { celList, celStr } from "../admission/cel";
import { BACKUP_THIS_PVC_LABEL } from "../labels";

/** Names of the Benji RBAC and admission objects. */
export const BENJI_ACCESS = {
  /** Cluster-wide, bound to SA benji: read PVs. */
  clusterRole: "cluster-backup-benji",
  /** Role `benji-backup` in each namespace of flows.benji.pvcNamespaces and in Benji's own. */
  backupRole: "benji-backup",
  /** Not bound by this program: the restore runbook binds it in the one namespace it restores into, then removes it. */
  restoreClusterRole: "cluster-backup-benji-restore",
  admissionPolicy: "cluster-backup-benji-pvc-namespaces",
} as const;

/** Cluster-wide: get the PV of each labelled PVC (PVs are cluster-scoped). */
export const BENJI_BACKUP_CLUSTER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [{ apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get"] }];

/** In each namespace it backs up: list the labelled PVCs (get one), record the backup's Event on the PVC. */
export const BENJI_BACKUP_NAMESPACE_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];

/** In Benji's own namespace: list pods (its fsfreeze lookup; without a freeze pod it backs up unfrozen). */
export const BENJI_BACKUP_OWN_NAMESPACE_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }];

/** A restore into one namespace (bound there for the restore only): read or create the target PVC. */
export const BENJI_RESTORE_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [{ apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "create"] }];

/** The message of the PVC policy. */
export function benjiPvcPolicyMessage(pvcNamespaces: readonly string[]): string {
  return `Only PVCs in the namespaces the platform owns (${pvcNamespaces.join(", ")}; flows.benji.pvcNamespaces) may carry ${BACKUP_THIS_PVC_LABEL}=true: Benji backs up no other namespace, and tenants are backed up by tenants-daily. Remove the label.`;
}

/** The ValidatingAdmissionPolicy: a PVC labelled `backup-this-pvc=true` outside `pvcNamespaces` is refused (or warned). */
export function benjiPvcAdmissionPolicySpec(pvcNamespaces: readonly string[]): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
  const labels = "object.metadata.labels";
  const key = celStr(BACKUP_THIS_PVC_LABEL);
  return {
    failurePolicy: "Fail",
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["persistentvolumeclaims"] }] },
    matchConditions: [
      { name: "not-being-deleted", expression: "!has(object.metadata.deletionTimestamp)" },
      { name: "benji-pvc", expression: `has(${labels}) && ${key} in ${labels} && ${labels}[${key}] == 'true'` },
    ],
    validations: [{ expression: `request.namespace in ${celList(pvcNamespaces)}`, message: benjiPvcPolicyMessage(pvcNamespaces), reason: "Invalid" }],
  };
}

/** Config problems of flows.benji.pvcNamespaces: never a tenant namespace. */
export function benjiPvcNamespaceProblems(pvcNamespaces: readonly string[] | undefined, isTenant: (namespace: string) => boolean): { path: string; value: string; message: string }[] {
  return (pvcNamespaces ?? []).flatMap((ns, i) =>
    isTenant(ns)
      ? [{ path: `flows.benji.pvcNamespaces.${i}`, value: ns, message: "is a tenant namespace: Benji backs up only namespaces the platform owns (tenants are backed up by tenants-daily); expected e.g. 'garage'" }]
      : [],
  );
}

/** The namespaces Benji backs up: flows.benji.pvcNamespaces, else the Garage metadata namespace. */
export function benjiPvcNamespaces(configured: readonly string[] | undefined, garageNamespace: string): string[] {
  return [...new Set(configured ?? [garageNamespace])];
}

