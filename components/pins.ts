/**
 * Pinned versions and images (docs/design.md §3.1). Digests (the multi-arch index of the tag) where one could be checked against
 * several independent pins of the same tag; the others run by tag and prod waives them by name (`images.allowTagOnly`).
 */
export const PINS = {
  veleroChart: "12.1.0",
  veleroChartRepo: "https://vmware-tanzu.github.io/helm-charts",
  veleroImage: "docker.io/velero/velero:v1.18.2@sha256:37396519f399536e5f01427d723565ae69294ec3fb5625cf1c87c09eaa9de16b",
  awsPluginImage: "docker.io/velero/velero-plugin-for-aws:v1.14.3",
  benjiImage: "ghcr.io/elemental-lf/benji-k8s:0.17.0",
  minioImage: "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z",
  mcImage: "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z",
  curlImage: "docker.io/curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69",
  kubectlImage: "registry.k8s.io/kubectl:v1.34.2",
  postgresImage: "docker.io/library/postgres:17.6",
  /** Restore drills: needs a shell, kubectl and jq (registry.k8s.io/kubectl has no shell). */
  drillImage: "docker.io/alpine/k8s:1.34.1@sha256:ec714df3813b5405292860f8a1c55c5727bf8c33c88992f1e981efad8065547f",
  /** Serves the zrepl sink check's text file (textfile collector only; unprivileged, no secret): components/zrepl/sink-check.ts. */
  nodeExporterImage: "quay.io/prometheus/node-exporter:v1.12.1",
  /** The dev demo's tenant app (appends a timestamp to a file on its PVC). */
  demoAppImage: "docker.io/library/busybox:1.37.0",
} as const;
