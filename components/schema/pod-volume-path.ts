/**
 * The kubelet pods directory node-agent mounts (`nodeAgent.podVolumePath`, hostPath `host-pods`). It is always
 * `<kubelet --root-dir>/pods`; a wrong path gives node-agent an empty or foreign directory and every fs-backup of a
 * pod volume fails (or, as `/etc`, mounts the node's configuration into a privileged pod).
 */
export const KNOWN_POD_VOLUME_PATHS: Readonly<Record<string, string>> = {
  "/var/lib/kubelet/pods": "kubelet default; also k3s since v0.10 (k3s-io/k3s#840), RKE2, kind, kubeadm",
  "/var/lib/rancher/k3s/agent/kubelet/pods": "k3s before v0.10",
  "/var/snap/microk8s/common/var/lib/kubelet/pods": "MicroK8s",
  "/var/lib/k0s/kubelet/pods": "k0s",
  "/opt/rke/var/lib/kubelet/pods": "RKE1 on RancherOS",
};

/** Host trees that are never a kubelet root. */
const SYSTEM_TREES = ["/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/usr", "/lib", "/lib64", "/root", "/run", "/tmp"];

/** Why `path` is not a kubelet pods directory, or undefined. */
export function podVolumePathError(path: string): string | undefined {
  if (path in KNOWN_POD_VOLUME_PATHS) return undefined;
  const list = Object.keys(KNOWN_POD_VOLUME_PATHS).join(", ");
  const segments = path.split("/").slice(1);
  const wellFormed = path.startsWith("/") && segments.length >= 2 && segments.every((s) => /^[A-Za-z0-9_.-]+$/.test(s) && s !== "." && s !== "..");
  const system = SYSTEM_TREES.find((tree) => path === tree || path.startsWith(`${tree}/`));
  if (wellFormed && segments[segments.length - 1] === "pods" && !system) return undefined;
  return `is not a kubelet pods directory; expected one of ${list}, or a custom kubelet --root-dir followed by '/pods' (an absolute path outside ${SYSTEM_TREES.join(", ")})`;
}
