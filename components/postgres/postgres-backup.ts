/**
 * `cluster-backup:postgres:PostgresBackup` (docs/design.md §3.5): puts the `pg_dumpall` hooks of the postgres-backup flow on the
 * Postgres pods. The Schedule `postgres-backup` itself is written by the Velero schedules component.
 *
 * The Postgres workload belongs to someone else (Helm chart, operator, another stack). Two ways to reach its pods:
 * - `patchWorkload: true`: a server-side-apply Patch resource (`apps/v1` StatefulSetPatch / DeploymentPatch) that
 *   carries ONLY the hook fields: the pod template's annotations, the `backups` volume, and the database container
 *   reduced to its list-map key `name` plus the `/backups` volumeMount (keyed by mountPath). The API server merges
 *   these into the object and records this program's field manager as owner of exactly those fields, so the owner's
 *   image, env, resources, probes... stay untouched and stay the owner's. Applying it restarts Postgres once; deleting
 *   the Patch resource removes the fields again (another restart).
 * - `patchWorkload: false`: nothing is applied; `podTemplatePatch` is exported for the owner to add to its template
 *   (operator/Helm-owned StatefulSets that would revert a foreign change).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { requireProvider } from "../k8s";
import { dbDumpTemplateFragment, type DbDumpOptions } from "./hooks";

/**
 * pulumi-kubernetes annotation that forces server-side apply over conflicting field managers. Set because every field
 * the Patch carries is the backup system's by name (Velero's hook annotation keys, the `backups` volume, the `/backups`
 * mount): a conflict can only come from an earlier hand-made copy of the same hooks (e.g. `kubectl apply
 * --server-side`), which this program is meant to replace; without force the first `pulumi up` would stop at the
 * conflict. Force takes over only the fields in the Patch, never the owner's other fields.
 *
 * No `pulumi.com/patchFieldManager` is set on purpose: the provider then generates a field-manager name per Patch
 * resource and keeps it in the resource's state, so it is stable across updates, and two Patch resources (e.g. old and
 * new during a rename, which creates before it deletes) never share one — deleting the old would otherwise strip the
 * fields the new one just applied.
 */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/** The workload whose pods run Postgres. */
export interface PostgresWorkload {
  /** `StatefulSet` or `Deployment`. */
  readonly kind: "StatefulSet" | "Deployment";
  /** Its `metadata.name`. */
  readonly name: string;
  /** Its namespace (the flow's Schedule backs up this namespace). */
  readonly namespace: string;
  /** The container running Postgres; the hooks exec into it. */
  readonly container: string;
}

export interface PostgresBackupArgs {
  /** The Postgres workload (owned elsewhere unless the dev demo created it). */
  readonly workload: PostgresWorkload;
  /** Apply the hooks to the workload with a server-side-apply Patch (needs `opts.provider`); `false` only exports `podTemplatePatch`. Default `false`. */
  readonly patchWorkload?: boolean;
  /** `sizeLimit` of the `backups` emptyDir (≥ 2 × dump), e.g. `20Gi`. */
  readonly dumpVolumeSizeLimit: string;
  /** Pre-hook (pg_dumpall) timeout, Go duration, e.g. `30m`. */
  readonly hookTimeout: string;
  /** Post-hook (cleanup) timeout, Go duration, e.g. `2m`. */
  readonly postHookTimeout: string;
}

/** The hook options of a Postgres workload (engine `postgres`, no excluded volumes: the flow's Schedule backs up only opted-in volumes). */
export function postgresHookOptions(args: Pick<PostgresBackupArgs, "workload" | "dumpVolumeSizeLimit" | "hookTimeout" | "postHookTimeout">): DbDumpOptions {
  return {
    container: args.workload.container,
    engine: "postgres",
    dumpVolumeSizeLimit: args.dumpVolumeSizeLimit,
    hookTimeout: args.hookTimeout,
    postHookTimeout: args.postHookTimeout,
  };
}

/**
 * The workload patch as the owner would apply it (`spec.template` fragment), e.g.
 * `kubectl -n postgres patch statefulset postgres --type strategic -p "$(pulumi stack output podTemplatePatch --json)"`.
 */
export function buildPodTemplatePatch(args: Pick<PostgresBackupArgs, "workload" | "dumpVolumeSizeLimit" | "hookTimeout" | "postHookTimeout">) {
  return { spec: { template: dbDumpTemplateFragment(postgresHookOptions(args)) } };
}

/** The arguments of the server-side-apply Patch resource: target name/namespace, the force annotation, the fragment. */
export function buildWorkloadPatchArgs(args: Pick<PostgresBackupArgs, "workload" | "dumpVolumeSizeLimit" | "hookTimeout" | "postHookTimeout">) {
  return {
    metadata: {
      name: args.workload.name,
      namespace: args.workload.namespace,
      annotations: { [PATCH_FORCE_ANNOTATION]: "true" },
    },
    ...buildPodTemplatePatch(args),
  };
}

export class PostgresBackup extends pulumi.ComponentResource {
  /** The `spec.template` fragment for the workload's owner (also when the patch is applied, for review). */
  public readonly podTemplatePatch: ReturnType<typeof buildPodTemplatePatch>;
  /** The server-side-apply Patch, when `patchWorkload` is true. */
  public readonly patch?: k8s.apps.v1.StatefulSetPatch | k8s.apps.v1.DeploymentPatch;

  constructor(name: string, args: PostgresBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Checked before anything registers: a Patch through the ambient kubeconfig could reach another cluster.
    const provider = args.patchWorkload ? requireProvider("PostgresBackup", opts) : undefined;
    super("cluster-backup:postgres:PostgresBackup", name, {}, opts);
    this.podTemplatePatch = buildPodTemplatePatch(args);

    if (args.patchWorkload) {
      const childOpts: pulumi.CustomResourceOptions = { parent: this, provider };
      const patchArgs = buildWorkloadPatchArgs(args);
      this.patch =
        args.workload.kind === "StatefulSet"
          ? new k8s.apps.v1.StatefulSetPatch(`${name}-patch`, patchArgs, childOpts)
          : new k8s.apps.v1.DeploymentPatch(`${name}-patch`, patchArgs, childOpts);
    }

    this.registerOutputs({ podTemplatePatch: this.podTemplatePatch, patch: this.patch });
  }
}
