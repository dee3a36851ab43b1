/**
 * Rule images-digest (advisory): in production stacks, privileged containers, containers handed a Secret and Velero's
 * chart images are pinned by digest. Under the CLI wrappers and offline, with its exact messages.
 */
import { describe, expect, it } from "vitest";
import { evaluateRules } from "../policy/rules/index";
import { IMAGES_DIGEST } from "../policy/rules/images-digest";
import { k8sObject, resource } from "./policy-fixtures";
import { runPack } from "./policy-pack";

const D = "0123456789abcdef".repeat(4);
const pod = (containers: unknown[], volumes: unknown[] = []) => ({ spec: { selector: {}, template: { metadata: {}, spec: { containers, volumes } } } });

const privilegedTag = k8sObject("DaemonSet", "agent", { namespace: "zrepl" }, pod([{ name: "zrepl", image: "ghcr.io/acme/zrepl:0.7.0", securityContext: { privileged: true } }]));
const privilegedDigest = k8sObject("DaemonSet", "agent-pinned", { namespace: "zrepl" }, pod([{ name: "zrepl", image: `ghcr.io/acme/zrepl:0.7.0@sha256:${D}`, securityContext: { privileged: true } }]));
const secretEnv = k8sObject("Deployment", "tool", { namespace: "garage" }, pod([{ name: "curl", image: "docker.io/curlimages/curl:8.11.1", env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "garage-admin", key: "token" } } }], envFrom: [{ secretRef: { name: "extra" } }] }]));
const secretVolume = k8sObject(
  "Deployment",
  "mounted",
  { namespace: "benji" },
  pod(
    [{ name: "benji", image: "ghcr.io/elemental-lf/benji-k8s:0.17.0", volumeMounts: [{ name: "keys", mountPath: "/k" }, { name: "proj", mountPath: "/p" }] }],
    [
      { name: "keys", secret: { secretName: "benji-s3" } },
      { name: "proj", projected: { sources: [{ secret: { name: "benji-ceph" } }, { configMap: { name: "cfg" } }] } },
      { name: "unmounted", secret: { secretName: "not-this-one" } },
    ],
  ),
);
const token = k8sObject("CronJob", "optout", { namespace: "backup-system" }, { spec: { schedule: "*/15 * * * *", jobTemplate: { spec: { template: { spec: { serviceAccountName: "tenant-optout", containers: [{ name: "kubectl", image: "registry.k8s.io/kubectl:v1.34.2" }] } } } } } });
const noToken = k8sObject("CronJob", "no-token", { namespace: "backup-system" }, { spec: { schedule: "*/15 * * * *", jobTemplate: { spec: { template: { spec: { serviceAccountName: "tenant-optout", automountServiceAccountToken: false, containers: [{ name: "kubectl", image: "registry.k8s.io/kubectl:v1.34.2" }] } } } } } });
const plain = k8sObject("Deployment", "web", { namespace: "shop" }, pod([{ name: "nginx", image: "docker.io/library/nginx:1.27" }]));
const veleroChart = (image: Record<string, unknown>, init: string) =>
  resource("kubernetes:helm.sh/v4:Chart", `velero-${Object.keys(image).length}`, { chart: "velero", namespace: "backup-system", values: { image, initContainers: [{ name: "velero-plugin-for-aws", image: init }] } }, { custom: false });
const chartTag = veleroChart({ repository: "docker.io/velero/velero", tag: "v1.18.2" }, "docker.io/velero/velero-plugin-for-aws:v1.14.3");
const chartDigest = veleroChart({ repository: "docker.io/velero/velero", tag: "v1.18.2", digest: `sha256:${D}` }, `docker.io/velero/velero-plugin-for-aws:v1.14.3@sha256:${D}`);

const ALL = [privilegedTag, privilegedDigest, secretEnv, secretVolume, token, noToken, plain, chartTag, chartDigest];
const ADVICE = "pin it by digest ('<image>:<tag>@sha256:<digest>'; README \"Pinning images by digest\").";
const EXPECTED = [
  { urn: privilegedTag.urn, message: `DaemonSet zrepl/agent, container 'zrepl': image 'ghcr.io/acme/zrepl:0.7.0' runs privileged but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
  { urn: secretEnv.urn, message: `Deployment garage/tool, container 'curl': image 'docker.io/curlimages/curl:8.11.1' is handed Secret(s) extra, garage-admin but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
  { urn: secretVolume.urn, message: `Deployment benji/mounted, container 'benji': image 'ghcr.io/elemental-lf/benji-k8s:0.17.0' is handed Secret(s) benji-ceph, benji-s3 but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
  { urn: token.urn, message: `CronJob backup-system/optout, container 'kubectl': image 'registry.k8s.io/kubectl:v1.34.2' runs with the token of service account tenant-optout but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
  { urn: chartTag.urn, message: `chart velero, values.image: Velero (docker.io/velero/velero:v1.18.2) is handed the storage keys but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
  { urn: chartTag.urn, message: `chart velero, values.initContainers[0] 'velero-plugin-for-aws': image 'docker.io/velero/velero-plugin-for-aws:v1.14.3' runs in the Velero pod with the storage keys but is pinned by tag only in production stack 'prod'; ${ADVICE}` },
];

describe("images-digest", () => {
  it("is advisory and reads productionStacks", () => {
    expect([IMAGES_DIGEST.enforcementLevel, IMAGES_DIGEST.stackWide, IMAGES_DIGEST.settings]).toEqual(["advisory", false, ["productionStacks"]]);
  });

  it("offline: flags tag-only privileged and secret-handling containers and Velero's chart images, nothing else", () => {
    const found = evaluateRules(ALL).filter((v) => v.policy === "images-digest");
    expect(found.map(({ urn, message }) => ({ urn, message }))).toEqual(EXPECTED);
    expect(found.every((v) => v.enforcementLevel === "advisory")).toBe(true);
  });

  it("under the CLI wrappers: the same messages", async () => {
    const found = (await runPack(ALL)).filter((v) => v.policy === "images-digest");
    expect(found.map(({ urn, message }) => ({ urn, message }))).toEqual(EXPECTED);
  });

  it("outside production stacks it says nothing", () => {
    expect(evaluateRules(ALL, { "images-digest": { productionStacks: ["production"] } }).filter((v) => v.policy === "images-digest")).toEqual([]);
  });
});
