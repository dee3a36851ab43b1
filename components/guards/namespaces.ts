/**
 * Namespaces: the ones this program creates (and labels, and deletes on destroy) must be its own; system-daily must
 * keep out the namespaces other flows already cover or that hold the backup system itself.
 */
import { namespaceGlobMatches } from "../schema/namespace-glob";
import { systemExcludedNamespaces } from "../velero/schedule-specs";
import type { Guard, GuardConfig, GuardProblem } from "./types";

/** Namespaces Kubernetes itself owns; `kube-` is reserved for the system. */
export const KUBERNETES_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

interface Owned {
  readonly path: string;
  readonly name: string;
  readonly example: string;
}

/** The namespaces this stack creates, with their config keys. */
function ownedNamespaces(cfg: GuardConfig): Owned[] {
  return [
    { path: "velero.namespace", name: cfg.velero.namespace, example: "backup-system" },
    ...(cfg.flows.benji.enabled ? [{ path: "flows.benji.namespace", name: cfg.flows.benji.namespace, example: "benji" }] : []),
    ...(cfg.flows.zrepl.enabled ? [{ path: "flows.zrepl.namespace", name: cfg.flows.zrepl.namespace, example: "zrepl" }] : []),
    ...(cfg.storage.minio?.deploy ? [{ path: "storage.minio.namespace", name: cfg.storage.minio.namespace, example: "minio" }] : []),
  ];
}

/** Namespaces the config names as someone else's (Garage, the Postgres owner, Rook). */
function foreignNamespaces(cfg: GuardConfig): { path: string; name: string; owner: string }[] {
  const f = cfg.flows;
  return [
    ...(cfg.storage.garage ? [{ path: "storage.garage.namespace", name: cfg.storage.garage.namespace, owner: "Garage's namespace" }] : []),
    ...(f.garageMetaCeph.enabled ? [{ path: "flows.garageMetaCeph.namespace", name: f.garageMetaCeph.namespace, owner: "Garage's namespace" }] : []),
    ...(f.garageDataZfs.enabled ? [{ path: "flows.garageDataZfs.namespace", name: f.garageDataZfs.namespace, owner: "Garage's namespace" }] : []),
    ...(f.postgres.enabled && !cfg.demo.enabled ? [{ path: "flows.postgres.workload.namespace", name: f.postgres.workload.namespace, owner: "the Postgres workload's namespace" }] : []),
    ...(cfg.csi.cephRbd ? [{ path: "csi.cephRbd.snapshotterSecret.namespace", name: cfg.csi.cephRbd.snapshotterSecret.namespace, owner: "Rook-Ceph's namespace" }] : []),
  ];
}

const OWNERSHIP = "this program creates the namespace, sets its Pod Security labels and deletes it (with everything in it) on destroy";

export const ownedNamespaceGuard: Guard = (cfg) => {
  const owned = ownedNamespaces(cfg);
  const foreign = foreignNamespaces(cfg);
  return owned.flatMap((ns, i): GuardProblem[] => {
    const expected = `expected a namespace of its own such as '${ns.example}'`;
    if (KUBERNETES_NAMESPACES.includes(ns.name) || ns.name.startsWith("kube-")) {
      return [{ path: ns.path, value: ns.name, message: `'${ns.name}' belongs to Kubernetes${ns.name.startsWith("kube-") ? " (the 'kube-' prefix is reserved)" : ""}: ${OWNERSHIP}; ${expected}` }];
    }
    const twin = owned.slice(0, i).find((other) => other.name === ns.name);
    if (twin) return [{ path: ns.path, value: ns.name, message: `is also ${twin.path}: each component owns its namespace (one Namespace object each, with its own Pod Security level); ${expected}` }];
    const theirs = foreign.find((other) => other.name === ns.name);
    if (theirs) return [{ path: ns.path, value: ns.name, message: `is ${theirs.path} (${theirs.owner}): ${OWNERSHIP}; ${expected}` }];
    return [];
  });
};

/** What system-daily must leave out, and why. */
function requiredExclusions(cfg: GuardConfig): { name: string; shown?: string; source: string; why: string }[] {
  const f = cfg.flows;
  const garage = "Garage's data and metadata volumes (covered by their own flows) would be copied file by file every day";
  const sampleTenant = f.tenants.namespaceGlob.replace(/\[(.)[^\]]*\]/g, "$1").replace(/[*?]/g, "x");
  return [
    { name: sampleTenant, shown: f.tenants.namespaceGlob, source: "flows.tenants.namespaceGlob", why: "every tenant volume would be copied a second time" },
    { name: cfg.velero.namespace, source: "velero.namespace", why: "Velero's credentials and kopia password would be copied into the backups" },
    ...(cfg.storage.minio ? [{ name: cfg.storage.minio.namespace, source: "storage.minio.namespace", why: "MinIO's volume, the backups themselves, would be copied into the backups" }] : []),
    ...(f.zrepl.enabled ? [{ name: f.zrepl.namespace, source: "flows.zrepl.namespace", why: "zrepl's TLS keys would be copied into the backups" }] : []),
    ...(cfg.storage.garage ? [{ name: cfg.storage.garage.namespace, source: "storage.garage.namespace", why: garage }] : []),
    ...(f.garageMetaCeph.enabled ? [{ name: f.garageMetaCeph.namespace, source: "flows.garageMetaCeph.namespace", why: garage }] : []),
    ...(f.garageDataZfs.enabled ? [{ name: f.garageDataZfs.namespace, source: "flows.garageDataZfs.namespace", why: garage }] : []),
  ];
}

export const systemExclusionsGuard: Guard = (cfg) => {
  const system = cfg.flows.system;
  if (!system.enabled) return [];
  const excluded = system.excludedNamespaces;
  // What system-daily really leaves out: the default names of the namespaces this program owns follow their renames.
  const effective = systemExcludedNamespaces(cfg);
  const path = "flows.system.excludedNamespaces";
  const everything = excluded.find((glob) => /^[*?]+$/.test(glob) && glob.includes("*"));
  if (everything) {
    return [{ path, value: excluded, message: `'${everything}' excludes every namespace: system-daily would back up no namespaced resource at all; to back up nothing, set flows.system.enabled: false` }];
  }
  const seen = new Set<string>();
  return requiredExclusions(cfg)
    .filter(({ name }) => !effective.some((glob) => namespaceGlobMatches(glob, name)))
    .filter(({ name }) => !seen.has(name) && seen.add(name))
    .map(({ name, shown = name, source, why }) => ({ path, value: excluded, overridable: true, message: `does not exclude '${shown}' (${source}): ${why}; add '${shown}'` }));
};
