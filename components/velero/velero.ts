/**
 * Velero itself (docs/design.md §3.4.1-§3.4.4): its privileged namespace, one credentials Secret per backend key in use, the
 * kopia repository password, and the `velero` chart (helm.v4, so every rendered object is a Pulumi resource) whose
 * values come from the pure {@link buildVeleroValues}.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PINS } from "../pins";
import type { Backend } from "../schema/backends";
import { objectMeta, ownedNamespace, requireProvider } from "../k8s";
import { protection } from "../storage/common";
import { veleroCloudCredentials } from "../storage/credentials";
import type { S3Target } from "../storage/types";
import {
  buildVeleroValues,
  credentialSecretName,
  CREDENTIALS_KEY,
  DEFAULT_VELERO_NAMESPACE,
  defaultLocationName,
  LEGACY_REPO_PASSWORD,
  REPO_CREDENTIALS_SECRET,
  REPO_PASSWORD_KEY,
  VELERO_RELEASE,
  type VeleroLocationValues,
} from "./values";

export { DEFAULT_VELERO_NAMESPACE } from "./values";
/** The chart's name in its repository. */
const CHART = "velero";

/** One backup storage location handed to Velero. */
export interface VeleroLocation {
  /** The bucket and how to reach it (from the storage components). */
  readonly target: S3Target;
  /** Key prefix inside the bucket; none by default. */
  readonly prefix?: string;
  /** Whether this is Velero's default location (exactly one). */
  readonly default: boolean;
}

/** What other stacks read about one location (`backupStorageLocations` output). */
export interface LocationSummary {
  backend: Backend;
  bucket: string;
  prefix: string | null;
  endpoint: string | null;
  region: string;
}

export interface VeleroArgs {
  /** The backup storage locations to render, by BSL name (only those in use; exactly one default). */
  readonly locations: Readonly<Record<string, VeleroLocation>>;
  /** Namespace created for Velero (PSA privileged); default `backup-system`. */
  readonly namespace?: string;
  /** Chart version; default PINS.veleroChart (12.1.0). */
  readonly chartVersion?: string;
  /** Chart repository; default PINS.veleroChartRepo. */
  readonly chartRepo?: string;
  /** Velero image; default PINS.veleroImage. */
  readonly image?: string;
  /** velero-plugin-for-aws image; default PINS.awsPluginImage. */
  readonly awsPluginImage?: string;
  /** node-agent settings; defaults `/var/lib/kubelet/pods`, not privileged, memory limit `2Gi`. */
  readonly nodeAgent?: { readonly podVolumePath?: string; readonly privileged?: boolean; readonly memoryLimit?: string };
  /** `--concurrent-backups`; default unset (one backup at a time). */
  readonly concurrentBackups?: number;
  /** `--fs-backup-timeout`; default `4h`. */
  readonly fsBackupTimeout?: string;
  /** Render the chart's ServiceMonitor; default false. */
  readonly serviceMonitor?: boolean;
  /** Labels the Prometheus operator selects the ServiceMonitor by; default none. */
  readonly serviceMonitorLabels?: Readonly<Record<string, string>>;
  /** Enable CSI snapshots (`EnableCSI`); default false. */
  readonly enableCsi?: boolean;
  /**
   * `random` (default): a generated kopia password; `legacy-default`: keep Velero's `static-passw0rd`; `existing`: the
   * password of repositories that already exist, from {@link existingRepositoryPassword}.
   */
  readonly repositoryPassword?: "random" | "legacy-default" | "existing";
  /** The password of the existing kopia repositories (a secret), with `repositoryPassword: existing`. */
  readonly existingRepositoryPassword?: pulumi.Input<string>;
  /** Chart values deep-merged over the generated ones; default none. */
  readonly extraValues?: Readonly<Record<string, unknown>>;
  /** Protect and retain the namespace and the repository password and its Secret (prod); default false. */
  readonly production?: boolean;
}

export class Velero extends pulumi.ComponentResource {
  /** Name of Velero's namespace. */
  readonly namespaceName: string;
  /** Velero's namespace. */
  readonly namespace: k8s.core.v1.Namespace;
  /** The chart (its CRDs included): Velero custom resources depend on it. */
  readonly chart: k8s.helm.v4.Chart;
  /** Credentials Secrets, by Secret name. */
  readonly credentialSecrets: Readonly<Record<string, k8s.core.v1.Secret>>;
  /** The `velero-repo-credentials` Secret; undefined with `legacy-default`. */
  readonly repositorySecret: k8s.core.v1.Secret | undefined;
  /** The kopia repository password (secret): a rebuilt cluster needs it before Velero starts. */
  readonly repositoryPassword: pulumi.Output<string>;
  /** Name → {backend, bucket, prefix, endpoint, region} of every rendered location. */
  readonly backupStorageLocations: pulumi.Output<Record<string, LocationSummary>>;

  constructor(name: string, args: VeleroArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.repositoryPassword === "existing" && args.existingRepositoryPassword === undefined) {
      throw new Error(`Velero ${name}: repositoryPassword 'existing' needs existingRepositoryPassword (config: the secret veleroRepositoryPassword)`);
    }
    super("cluster-backup:velero:Velero", name, {}, opts);
    const provider = requireProvider("Velero", opts);
    const retain = protection(args.production ?? false);
    const namespace = args.namespace ?? DEFAULT_VELERO_NAMESPACE;
    const defaultLocation = defaultLocationName(args.locations);
    this.namespaceName = namespace;

    // Retained in prod: deleting the namespace deletes the repository password Secret with it.
    this.namespace = ownedNamespace(`${name}-namespace`, namespace, "privileged", { parent: this, provider, ...retain });
    const inNamespace = { parent: this, provider, dependsOn: [this.namespace] };

    // One Secret per distinct key: locations sharing a key (same bucket, or one key per backend) share a Secret.
    const secretOf = new Map<pulumi.Output<string>, string>();
    const perBackend = new Map<Backend, number>();
    const secrets: Record<string, k8s.core.v1.Secret> = {};
    const credentialOf: Record<string, string> = {};
    for (const [location, { target }] of Object.entries(args.locations)) {
      let secretName = secretOf.get(target.accessKeyId);
      if (secretName === undefined) {
        const count = perBackend.get(target.backend) ?? 0;
        perBackend.set(target.backend, count + 1);
        secretName = credentialSecretName(target.backend, count === 0 ? undefined : location);
        secrets[secretName] = new k8s.core.v1.Secret(
          `${name}-${secretName.replace(/^velero-/, "")}`,
          { metadata: objectMeta(secretName, namespace), type: "Opaque", stringData: { [CREDENTIALS_KEY]: veleroCloudCredentials(target) } },
          inNamespace,
        );
        secretOf.set(target.accessKeyId, secretName);
      }
      credentialOf[location] = secretName;
    }
    this.credentialSecrets = secrets;

    const mode = args.repositoryPassword ?? "random";
    if (mode === "random" || mode === "existing") {
      // retainOnDelete on the RandomPassword keeps nothing (its value lives only in the state): the Secret and the
      // kopiaRepositoryPassword output are what survive a teardown.
      const password =
        mode === "random"
          ? new random.RandomPassword(`${name}-repo-password`, { length: 48, special: false }, { parent: this, ...retain }).result
          : pulumi.secret(pulumi.output(args.existingRepositoryPassword!));
      this.repositorySecret = new k8s.core.v1.Secret(
        `${name}-repo-credentials`,
        { metadata: objectMeta(REPO_CREDENTIALS_SECRET, namespace), type: "Opaque", stringData: { [REPO_PASSWORD_KEY]: password } },
        { ...inNamespace, ...retain },
      );
      this.repositoryPassword = pulumi.secret(password);
    } else {
      this.repositorySecret = undefined;
      this.repositoryPassword = pulumi.secret(LEGACY_REPO_PASSWORD);
    }

    const entries = Object.entries(args.locations);
    const buckets = pulumi.all(entries.map(([, location]) => location.target.bucket));
    const values = buckets.apply((resolved) => {
      const locations: Record<string, VeleroLocationValues> = {};
      entries.forEach(([location, { target, prefix }], i) => {
        locations[location] = {
          backend: target.backend,
          bucket: resolved[i],
          prefix,
          default: location === defaultLocation,
          endpoint: target.endpoint,
          region: target.region,
          forcePathStyle: target.forcePathStyle,
          checksumAlgorithm: target.checksumAlgorithm,
          credentialSecret: credentialOf[location],
        };
      });
      return buildVeleroValues({
        image: args.image ?? PINS.veleroImage,
        awsPluginImage: args.awsPluginImage ?? PINS.awsPluginImage,
        nodeAgent: {
          podVolumePath: args.nodeAgent?.podVolumePath ?? "/var/lib/kubelet/pods",
          privileged: args.nodeAgent?.privileged ?? false,
          memoryLimit: args.nodeAgent?.memoryLimit ?? "2Gi",
        },
        concurrentBackups: args.concurrentBackups,
        fsBackupTimeout: args.fsBackupTimeout ?? "4h",
        serviceMonitor: args.serviceMonitor ?? false,
        serviceMonitorLabels: args.serviceMonitorLabels,
        enableCsi: args.enableCsi ?? false,
        locations,
        extraValues: args.extraValues,
      });
    });

    const ready = entries.flatMap(([, location]) => location.target.ready);
    // The resource name is the release name and must never change: the chart owns Velero's CRDs (docs/design.md §4.3).
    this.chart = new k8s.helm.v4.Chart(
      VELERO_RELEASE,
      {
        chart: CHART,
        version: args.chartVersion ?? PINS.veleroChart,
        repositoryOpts: { repo: args.chartRepo ?? PINS.veleroChartRepo },
        namespace,
        name: VELERO_RELEASE,
        values,
      },
      {
        parent: this,
        provider,
        dependsOn: [this.namespace, ...Object.values(secrets), ...(this.repositorySecret ? [this.repositorySecret] : []), ...ready],
      },
    );

    this.backupStorageLocations = buckets.apply((resolved) =>
      Object.fromEntries(
        entries.map(([location, { target, prefix }], i) => [
          location,
          { backend: target.backend, bucket: resolved[i], prefix: prefix ?? null, endpoint: target.endpoint ?? null, region: target.region },
        ]),
      ),
    );

    this.registerOutputs({
      namespaceName: this.namespaceName,
      repositoryPassword: this.repositoryPassword,
      backupStorageLocations: this.backupStorageLocations,
    });
  }
}
