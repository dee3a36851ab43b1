/**
 * zrepl replication of the Garage data datasets to the backup node (docs/design.md §2(d), §3.7): a private CA with one server
 * and one client certificate, the push and sink configs, one DaemonSet per side pinned to its node, and the Service
 * the push job dials.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { objectMeta, ownedNamespace, requireProvider } from "../k8s";
import { APP_COMPONENT_LABEL, APP_NAME_LABEL, standardLabels } from "../labels";
import { ZREPL_DEFAULTS } from "./defaults";
import {
  buildZreplPushConfig,
  buildZreplSinkConfig,
  renderZreplConfig,
  ZREPL_CONFIG_KEY,
  ZREPL_METRICS_PORT,
  ZREPL_PATHS,
  ZREPL_PORT,
  ZREPL_TLS_FILES,
  type ZreplFilesystems,
} from "./config";
import { parseZreplDuration } from "./grid";
import { sinkCheckDatasets, sinkCheckPodParts, sinkClientPrefix, SINK_CHECK_DEFAULT_INTERVAL } from "./sink-check";

/** Kubernetes names, labels and annotations of this module. */
export const ZREPL_K8S = {
  /** Push side (Garage node): DaemonSet and ConfigMap. */
  push: "zrepl-garage-push",
  /** TLS Secret of the push side. */
  pushTls: "zrepl-garage-push-tls",
  /** Sink side (backup node): DaemonSet, ConfigMap and the Service the push job dials. */
  sink: "zrepl-sink",
  /** TLS Secret of the sink. */
  sinkTls: "zrepl-sink-tls",
  /** The one container of both DaemonSets. */
  container: "zrepl",
  /** Container port names. */
  portName: "zrepl",
  metricsPortName: "metrics",
  /** {@link APP_NAME_LABEL} of both sides' pods ({@link APP_COMPONENT_LABEL} tells them apart). */
  appValue: "zrepl",
  /** Node label the DaemonSets are pinned with. */
  hostnameLabel: "kubernetes.io/hostname",
  /** Pod annotations that roll the pods when the config or the certificates change (zrepl reads both only at start). */
  configChecksum: "checksum/config",
  tlsChecksum: "checksum/tls",
  /** Cluster DNS domain of the sink Service address. */
  clusterDomain: "cluster.local",
} as const;

/** Certificate lifetimes (docs/design.md §3.7). Renewal happens only when `pulumi up` runs inside the early-renewal window. */
const CERT_HOURS = { ca: 87600, leaf: 8760, earlyRenewal: 720 } as const;

/** Requests for scheduling; a memory limit only (a CPU limit would throttle zfs send/receive). */
const CONTAINER_RESOURCES: k8s.types.input.core.v1.ResourceRequirements = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { memory: "1Gi" },
};

/** Prepares the runtime dir (zrepl refuses a world-accessible one; emptyDir is 0777), checks the config, starts. */
export const ZREPL_START_SCRIPT =
  `mkdir -p ${ZREPL_PATHS.runDir}/stdinserver && chmod -R 0700 ${ZREPL_PATHS.runDir} && ` +
  `zrepl --config ${ZREPL_PATHS.config} configcheck && exec zrepl --config ${ZREPL_PATHS.config} daemon`;

export interface ZreplReplicationArgs {
  /** Namespace created for zrepl with Pod Security `privileged`. Default `zrepl`. */
  readonly namespace?: string;
  /** Pinned zrepl image whose zfsutils match the nodes' OpenZFS (no official image exists). */
  readonly image: string;
  /** Node (kubernetes.io/hostname) holding the Garage data pool; runs the push DaemonSet. */
  readonly sourceNode: string;
  /** Backup node (kubernetes.io/hostname) holding the sink pool; runs the sink DaemonSet. */
  readonly sinkNode: string;
  /** Datasets to replicate (zrepl `filesystems`). Default `{"tank/garage<": true}`. */
  readonly sourceFilesystems?: ZreplFilesystems;
  /** Existing dataset on the sink node receiving `<clientCn>/<source path>`. Default `wdc/zrepl`. */
  readonly sinkRootFs?: string;
  /** CN of the push client certificate = zrepl client identity = first path component below sinkRootFs. Default `garage`. */
  readonly clientCn?: string;
  /** CN and DNS SAN of the sink certificate (zrepl `server_cn`). Default `zrepl-sink`. */
  readonly serverCn?: string;
  /** zrepl snapshot interval. Default `10m`. */
  readonly snapshotInterval?: string;
  /** zrepl snapshots the sender keeps besides unreplicated ones. Default 10. */
  readonly keepSenderLastN?: number;
  /** Receiver retention grid. Default `1x1h(keep=all) | 24x1h | 30x1d | 6x30d`. */
  readonly receiverGrid?: string;
  /**
   * The sink readability check (components/zrepl/sink-check.ts): node_exporter image serving its result and the zrepl
   * duration between two checks (default `5m`). Unset = no check.
   */
  readonly sinkCheck?: { readonly exporterImage: string; readonly interval?: string };
  /** Production: protect the CA key (a new CA re-issues both certificates; harmless, but rolls both DaemonSets). Default false. */
  readonly protect?: boolean;
}

/** host:port of the sink Service in `namespace`: what the push job dials. */
export function zreplSinkAddress(namespace: string): string {
  return `${ZREPL_K8S.sink}.${namespace}.svc.${ZREPL_K8S.clusterDomain}:${ZREPL_PORT}`;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Pod labels (and DaemonSet selector) of one side. */
export function zreplPodSelector(side: "push" | "sink"): Record<string, string> {
  return { [APP_NAME_LABEL]: ZREPL_K8S.appValue, [APP_COMPONENT_LABEL]: side };
}

interface SideSpec {
  readonly side: "push" | "sink";
  readonly name: string;
  readonly tlsSecret: string;
  readonly node: string;
  readonly yaml: string;
  /** Public certificates only (CA + own cert): their hash rolls the pods on renewal without exposing the key. */
  readonly certs: pulumi.Output<string>;
  readonly listen: boolean;
  /** Extra containers and volumes of the pod (the sink check). */
  readonly extra?: { containers: k8s.types.input.core.v1.Container[]; volumes: k8s.types.input.core.v1.Volume[] };
}

export class ZreplReplication extends pulumi.ComponentResource {
  /** PEM of the CA that signs both certificates (public). */
  readonly caCertPem: pulumi.Output<string>;
  /** host:port the push job dials: the sink Service. */
  readonly sinkAddress: string;
  /** Namespace of the DaemonSets. */
  readonly namespace: string;
  /** Text of the push and sink zrepl.yml. */
  readonly pushConfigYaml: string;
  readonly sinkConfigYaml: string;

  constructor(name: string, args: ZreplReplicationArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("cluster-backup:zrepl:ZreplReplication", name, {}, opts);
    const provider = requireProvider("ZreplReplication", opts);
    const namespace = args.namespace ?? ZREPL_DEFAULTS.namespace;
    const clientCn = args.clientCn ?? ZREPL_DEFAULTS.clientCn;
    const serverCn = args.serverCn ?? ZREPL_DEFAULTS.serverCn;
    const sinkRootFs = args.sinkRootFs ?? ZREPL_DEFAULTS.sinkRootFs;
    if (args.sourceNode === args.sinkNode) {
      throw new Error(`ZreplReplication ${name}: sinkNode '${args.sinkNode}' is the source node; the replica must live on another node`);
    }
    this.namespace = namespace;
    this.sinkAddress = zreplSinkAddress(namespace);

    // The generated files are built first: bad arguments throw before any resource is registered.
    this.pushConfigYaml = renderZreplConfig(
      buildZreplPushConfig({
        sinkAddress: this.sinkAddress,
        serverCn,
        filesystems: args.sourceFilesystems ?? ZREPL_DEFAULTS.sourceFilesystems,
        snapshotInterval: args.snapshotInterval ?? ZREPL_DEFAULTS.snapshotInterval,
        keepSenderLastN: args.keepSenderLastN ?? ZREPL_DEFAULTS.keepSenderLastN,
        receiverGrid: args.receiverGrid ?? ZREPL_DEFAULTS.receiverGrid,
      }),
    );
    this.sinkConfigYaml = renderZreplConfig(buildZreplSinkConfig({ rootFs: sinkRootFs, clientCns: [clientCn] }));

    const checkInterval = args.sinkCheck?.interval ?? SINK_CHECK_DEFAULT_INTERVAL;
    if (args.sinkCheck && parseZreplDuration(checkInterval) === undefined) {
      throw new Error(`ZreplReplication ${name}: sink check interval '${checkInterval}' is no zrepl duration; expected e.g. '5m'`);
    }
    const sinkCheck = args.sinkCheck
      ? sinkCheckPodParts(
          {
            image: args.image,
            exporterImage: args.sinkCheck.exporterImage,
            intervalSeconds: parseZreplDuration(checkInterval) ?? 0,
            datasets: sinkCheckDatasets(args.sourceFilesystems ?? ZREPL_DEFAULTS.sourceFilesystems, sinkRootFs, clientCn),
            clientPrefix: sinkClientPrefix(sinkRootFs, clientCn),
          },
          "dev-zfs",
        )
      : undefined;
    const k8sOpts: pulumi.CustomResourceOptions = { parent: this, provider };
    const ns = ownedNamespace(`${name}-namespace`, namespace, "privileged", k8sOpts, "zrepl");

    // --- PKI: one CA signs the sink's server certificate and the push side's client certificate.
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this, protect: args.protect ?? false });
    const caCert = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: "zrepl-ca", organization: "cluster-backup" },
        isCaCertificate: true,
        allowedUses: ["cert_signing", "crl_signing"],
        validityPeriodHours: CERT_HOURS.ca,
        earlyRenewalHours: CERT_HOURS.earlyRenewal,
      },
      { parent: this },
    );
    this.caCertPem = caCert.certPem;

    const leaf = (role: string, cn: string, usage: "server_auth" | "client_auth") => {
      const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
      const request = new tls.CertRequest(
        `${name}-${role}-csr`,
        { privateKeyPem: key.privateKeyPem, subject: { commonName: cn }, dnsNames: [cn] },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${role}-cert`,
        {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: caCert.certPem,
          allowedUses: ["digital_signature", "key_encipherment", usage],
          validityPeriodHours: CERT_HOURS.leaf,
          earlyRenewalHours: CERT_HOURS.earlyRenewal,
        },
        { parent: this },
      );
      return { key, cert };
    };
    const sinkPki = leaf("sink", serverCn, "server_auth");
    const pushPki = leaf("push", clientCn, "client_auth");

    const side = (spec: SideSpec, pki: { key: tls.PrivateKey; cert: tls.LocallySignedCert }): k8s.apps.v1.DaemonSet => {
      const secret = new k8s.core.v1.Secret(
        `${name}-${spec.side}-tls`,
        {
          metadata: { ...objectMeta(spec.tlsSecret, namespace, "zrepl"), namespace: ns.metadata.name },
          type: "kubernetes.io/tls",
          stringData: {
            [ZREPL_TLS_FILES.ca]: caCert.certPem,
            [ZREPL_TLS_FILES.cert]: pki.cert.certPem,
            [ZREPL_TLS_FILES.key]: pulumi.secret(pki.key.privateKeyPem),
          },
        },
        k8sOpts,
      );
      const configMap = new k8s.core.v1.ConfigMap(
        `${name}-${spec.side}-config`,
        { metadata: { ...objectMeta(spec.name, namespace, "zrepl"), namespace: ns.metadata.name }, data: { [ZREPL_CONFIG_KEY]: spec.yaml } },
        k8sOpts,
      );
      const selector = zreplPodSelector(spec.side);
      const ports: k8s.types.input.core.v1.ContainerPort[] = [
        ...(spec.listen ? [{ name: ZREPL_K8S.portName, containerPort: ZREPL_PORT, protocol: "TCP" }] : []),
        { name: ZREPL_K8S.metricsPortName, containerPort: ZREPL_METRICS_PORT, protocol: "TCP" },
      ];
      return new k8s.apps.v1.DaemonSet(
        `${name}-${spec.side}`,
        {
          metadata: { ...objectMeta(spec.name, namespace, "zrepl", { labels: selector }), namespace: ns.metadata.name },
          spec: {
            selector: { matchLabels: selector },
            updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
            template: {
              metadata: {
                labels: { ...standardLabels("zrepl"), ...selector },
                annotations: {
                  [ZREPL_K8S.configChecksum]: sha256(spec.yaml),
                  [ZREPL_K8S.tlsChecksum]: spec.certs.apply(sha256),
                },
              },
              spec: {
                nodeSelector: { [ZREPL_K8S.hostnameLabel]: spec.node },
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                containers: [
                  {
                    name: ZREPL_K8S.container,
                    image: args.image,
                    command: ["/bin/sh", "-c"],
                    args: [ZREPL_START_SCRIPT],
                    // The zfs CLI drives the kernel module through /dev/zfs ioctls, which need root with every capability.
                    securityContext: { privileged: true },
                    ports,
                    readinessProbe: { httpGet: { path: "/metrics", port: ZREPL_K8S.metricsPortName }, periodSeconds: 30, timeoutSeconds: 5 },
                    resources: CONTAINER_RESOURCES,
                    volumeMounts: [
                      { name: "dev-zfs", mountPath: "/dev/zfs" },
                      { name: "config", mountPath: ZREPL_PATHS.config, subPath: ZREPL_CONFIG_KEY, readOnly: true },
                      { name: "tls", mountPath: ZREPL_PATHS.tlsDir, readOnly: true },
                      { name: "run", mountPath: ZREPL_PATHS.runDir },
                    ],
                  },
                  ...(spec.extra?.containers ?? []),
                ],
                volumes: [
                  { name: "dev-zfs", hostPath: { path: "/dev/zfs", type: "CharDevice" } },
                  { name: "config", configMap: { name: spec.name } },
                  { name: "tls", secret: { secretName: spec.tlsSecret, defaultMode: 0o400 } },
                  { name: "run", emptyDir: { medium: "Memory" } },
                  ...(spec.extra?.volumes ?? []),
                ],
              },
            },
          },
        },
        { ...k8sOpts, dependsOn: [secret, configMap] },
      );
    };

    side(
      {
        side: "sink",
        name: ZREPL_K8S.sink,
        tlsSecret: ZREPL_K8S.sinkTls,
        node: args.sinkNode,
        yaml: this.sinkConfigYaml,
        certs: pulumi.concat(caCert.certPem, sinkPki.cert.certPem),
        listen: true,
        ...(sinkCheck ? { extra: sinkCheck } : {}),
      },
      sinkPki,
    );

    // A ClusterIP Service rather than hostNetwork: the push pod reaches the sink over the pod network by a stable
    // DNS name, nothing listens on the backup node's host interfaces, and no node IP is written into the config.
    // The certificate is checked against server_cn (a DNS SAN), not against the Service name.
    new k8s.core.v1.Service(
      `${name}-sink-service`,
      {
        metadata: { ...objectMeta(ZREPL_K8S.sink, namespace, "zrepl"), namespace: ns.metadata.name },
        spec: {
          type: "ClusterIP",
          selector: zreplPodSelector("sink"),
          ports: [{ name: ZREPL_K8S.portName, port: ZREPL_PORT, targetPort: ZREPL_K8S.portName, protocol: "TCP" }],
        },
      },
      k8sOpts,
    );

    side(
      { side: "push", name: ZREPL_K8S.push, tlsSecret: ZREPL_K8S.pushTls, node: args.sourceNode, yaml: this.pushConfigYaml, certs: pulumi.concat(caCert.certPem, pushPki.cert.certPem), listen: false },
      pushPki,
    );

    this.registerOutputs({ caCertPem: this.caCertPem, sinkAddress: this.sinkAddress, namespace: this.namespace });
  }
}
