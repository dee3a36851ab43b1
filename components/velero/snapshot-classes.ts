/**
 * Velero's VolumeSnapshotClasses (docs/design.md §3.4.5): one class per CSI driver, labelled
 * `velero.io/csi-volumesnapshot-class=true` so Velero picks it for that driver (`docs/v1.18/csi.md`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectMeta, requireProvider } from "../k8s";
import { VELERO_VSC_LABEL } from "../labels";

/** Class names. */
export const SNAPSHOT_CLASS_NAMES = { cephRbd: "velero-ceph-rbd", zfs: "velero-zfs" } as const;

/** ceph-csi snapshotter secret parameters (ceph/ceph-csi `examples/rbd/snapshotclass.yaml`). */
const CEPH_SNAPSHOTTER_SECRET_NAME = "csi.storage.k8s.io/snapshotter-secret-name";
const CEPH_SNAPSHOTTER_SECRET_NAMESPACE = "csi.storage.k8s.io/snapshotter-secret-namespace";

/** Ceph RBD class settings. */
export interface CephRbdClassArgs {
  /** CSI driver, e.g. `rook-ceph.rbd.csi.ceph.com` (plain ceph-csi: `rbd.csi.ceph.com`). */
  readonly driver: string;
  /** Ceph cluster ID as known to ceph-csi (Rook: its namespace, `rook-ceph`). */
  readonly clusterID: string;
  /** Secret the snapshotter authenticates with. */
  readonly snapshotterSecret: { readonly name: string; readonly namespace: string };
}

/** ZFS-LocalPV class settings. */
export interface ZfsClassArgs {
  /** CSI driver, e.g. `zfs.csi.openebs.io`. */
  readonly driver: string;
}

export interface SnapshotClassesArgs {
  /** Create `velero-ceph-rbd`; default: not created. */
  readonly cephRbd?: CephRbdClassArgs;
  /** Create `velero-zfs`; default: not created. */
  readonly zfs?: ZfsClassArgs;
}

/** One VolumeSnapshotClass's top-level fields. */
export interface SnapshotClassSpec {
  name: string;
  driver: string;
  deletionPolicy: "Delete" | "Retain";
  parameters?: Record<string, string>;
}

/** The classes to create. Pure. */
export function snapshotClassSpecs(args: SnapshotClassesArgs): SnapshotClassSpec[] {
  const specs: SnapshotClassSpec[] = [];
  if (args.cephRbd) {
    specs.push({
      name: SNAPSHOT_CLASS_NAMES.cephRbd,
      driver: args.cephRbd.driver,
      // The data mover uploads, then removes the snapshot.
      deletionPolicy: "Delete",
      parameters: {
        clusterID: args.cephRbd.clusterID,
        [CEPH_SNAPSHOTTER_SECRET_NAME]: args.cephRbd.snapshotterSecret.name,
        [CEPH_SNAPSHOTTER_SECRET_NAMESPACE]: args.cephRbd.snapshotterSecret.namespace,
      },
    });
  }
  if (args.zfs) {
    // Retain: the local snapshot survives the loss of its namespace; Velero sets Delete when the backup expires.
    specs.push({ name: SNAPSHOT_CLASS_NAMES.zfs, driver: args.zfs.driver, deletionPolicy: "Retain" });
  }
  return specs;
}

export class SnapshotClasses extends pulumi.ComponentResource {
  /** The VolumeSnapshotClass resources, by name. */
  readonly classes: Readonly<Record<string, k8s.apiextensions.CustomResource>>;

  constructor(name: string, args: SnapshotClassesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:velero:SnapshotClasses", name, {}, opts);
    const provider = requireProvider("SnapshotClasses", opts);
    const classes: Record<string, k8s.apiextensions.CustomResource> = {};
    for (const spec of snapshotClassSpecs(args)) {
      classes[spec.name] = new k8s.apiextensions.CustomResource(
        `${name}-${spec.name}`,
        {
          apiVersion: "snapshot.storage.k8s.io/v1",
          kind: "VolumeSnapshotClass",
          metadata: objectMeta(spec.name, undefined, undefined, { labels: { [VELERO_VSC_LABEL]: "true" } }),
          driver: spec.driver,
          deletionPolicy: spec.deletionPolicy,
          ...(spec.parameters ? { parameters: spec.parameters } : {}),
        },
        { parent: this, provider },
      );
    }
    this.classes = classes;
    this.registerOutputs({ names: Object.keys(classes) });
  }
}
