/**
 * `cluster-backup:demo:Demo` (docs/design.md §5): the objects a newcomer's dev stack needs to exercise the backup flows end to
 * end on a laptop cluster.
 * - Tenant namespace `cust-demo` labelled like the panel labels tenants (`tenant=true`, `backup=true`), with a small
 *   app appending a timestamp to a file on a PVC every minute, so `tenants-daily` has fs-backup data to copy and a
 *   tenant restore can be tried at once.
 * - A single-replica Postgres StatefulSet in the postgres-backup flow's namespace, OWNED by this program: its pod
 *   template gets the dump hooks from the pod-template helper (no Patch), with a generated superuser password in a
 *   Secret, a headless Service and a volumeClaimTemplate for PGDATA.
 * Both run under PSA `restricted`: the official postgres image runs as its `postgres` user (uid 999) without root.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { objectMeta, ownedNamespace, requireProvider, RESTRICTED_CONTAINER, restrictedPodSecurity } from "../k8s";
import { APP_INSTANCE_LABEL, APP_NAME_LABEL, BACKUP_LABEL, podSecurityLabels, standardLabels, TENANT_LABEL, TENANT_NAMESPACE_PREFIX } from "../labels";
import { withDbDumpHooks, type DbDumpOptions } from "../postgres/hooks";

/** Names of the demo objects. */
export const DEMO = {
  /** The demo tenant namespace. */
  tenantNamespace: `${TENANT_NAMESPACE_PREFIX}demo`,
  /** Deployment and container of the demo app. */
  app: "demo-app",
  appContainer: "app",
  /** The app's PVC and its pod volume name. */
  appClaim: "demo-data",
  appVolume: "data",
  appMountPath: "/data",
  appSize: "1Gi",
  /** Secret of the demo Postgres (key {@link POSTGRES_PASSWORD_KEY}). */
  postgresSecret: "postgres-credentials",
  /** volumeClaimTemplate (and pod volume) of PGDATA. */
  postgresDataVolume: "data",
  postgresDataSize: "1Gi",
  /** Mount of the data volume; PGDATA is a subdirectory so initdb (non-root) owns it. */
  postgresDataMountPath: "/var/lib/postgresql/data",
  postgresPgdata: "/var/lib/postgresql/data/pgdata",
  postgresPort: 5432,
  /** Name of the container port and the Service's target port. */
  postgresPortName: "postgres",
  /** `app.kubernetes.io/name` of the demo Postgres pods. */
  postgresAppName: "postgres",
  /** Superuser of the demo database. */
  postgresUser: "postgres",
} as const;

/** Env var and Secret key of the superuser password (the official image's name). */
export const POSTGRES_PASSWORD_KEY = "POSTGRES_PASSWORD";
/** uid/gid of the `postgres` user in the official Debian-based postgres image. */
export const POSTGRES_UID = 999;
/** uid/gid `nobody`, for the busybox demo app. */
export const NOBODY_UID = 65534;

/** Appends a UTC timestamp to /data/log every minute; exits at once on SIGTERM. */
export const DEMO_APP_SCRIPT = `trap 'exit 0' TERM; while true; do date -u +%Y-%m-%dT%H:%M:%SZ >> ${DEMO.appMountPath}/log; sleep 60 & wait $!; done`;

/** The demo Postgres: where it lives and how its dump hooks are set. */
export interface DemoPostgres {
  /** StatefulSet (and headless Service) name; the flow's `workload.name`. */
  readonly name: string;
  /** Namespace, created by the demo with PSA `restricted`; the flow's `workload.namespace`. */
  readonly namespace: string;
  /** Pinned postgres image. */
  readonly image: string;
  /** Dump hook options; `container` names the Postgres container. */
  readonly hooks: DbDumpOptions;
}

export interface DemoArgs {
  /** Pinned image with `/bin/sh` and `date` for the demo app (busybox). */
  readonly appImage: string;
  /** The demo Postgres; omitted when the postgres-backup flow is off. */
  readonly postgres?: DemoPostgres;
  /** StorageClass of the demo PVCs. Default: the cluster's default class. */
  readonly storageClassName?: string;
}

/** Selector (and pod labels) of the demo Postgres. */
function postgresSelector(name: string): Record<string, string> {
  return { [APP_NAME_LABEL]: DEMO.postgresAppName, [APP_INSTANCE_LABEL]: name };
}

function claimSpec(size: string, storageClassName: string | undefined): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
  return { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } }, ...(storageClassName ? { storageClassName } : {}) };
}

/** The demo app's pod template (pure). */
export function buildDemoAppTemplate(image: string): k8s.types.input.core.v1.PodTemplateSpec {
  return {
    metadata: { labels: { ...standardLabels(), [APP_NAME_LABEL]: DEMO.app } },
    spec: {
      securityContext: restrictedPodSecurity(NOBODY_UID, { fsGroup: true }),
      containers: [
        {
          name: DEMO.appContainer,
          image,
          command: ["/bin/sh", "-c", DEMO_APP_SCRIPT],
          volumeMounts: [{ name: DEMO.appVolume, mountPath: DEMO.appMountPath }],
          securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true },
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
        },
      ],
      volumes: [{ name: DEMO.appVolume, persistentVolumeClaim: { claimName: DEMO.appClaim } }],
    },
  };
}

/** The demo Postgres pod template before the dump hooks are added (pure). */
export function buildPostgresTemplate(pg: DemoPostgres): k8s.types.input.core.v1.PodTemplateSpec {
  const ready = { exec: { command: ["pg_isready", "-U", DEMO.postgresUser] } };
  return {
    metadata: { labels: { ...standardLabels("postgres"), ...postgresSelector(pg.name) } },
    spec: {
      securityContext: restrictedPodSecurity(POSTGRES_UID, { fsGroup: true }),
      terminationGracePeriodSeconds: 60,
      containers: [
        {
          name: pg.hooks.container,
          image: pg.image,
          env: [
            { name: "POSTGRES_USER", value: DEMO.postgresUser },
            { name: POSTGRES_PASSWORD_KEY, valueFrom: { secretKeyRef: { name: DEMO.postgresSecret, key: POSTGRES_PASSWORD_KEY } } },
            { name: "PGDATA", value: DEMO.postgresPgdata },
          ],
          ports: [{ name: DEMO.postgresPortName, containerPort: DEMO.postgresPort }],
          volumeMounts: [{ name: DEMO.postgresDataVolume, mountPath: DEMO.postgresDataMountPath }],
          securityContext: RESTRICTED_CONTAINER,
          resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
          readinessProbe: { ...ready, periodSeconds: 10 },
          livenessProbe: { ...ready, initialDelaySeconds: 30, periodSeconds: 30, failureThreshold: 6 },
        },
      ],
    },
  };
}

export class Demo extends pulumi.ComponentResource {
  /** The demo tenant namespace. */
  public readonly tenantNamespace: k8s.core.v1.Namespace;
  /** The demo Postgres StatefulSet, when the postgres-backup flow is on. */
  public readonly postgres?: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: DemoArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const provider = requireProvider("Demo", opts);
    super("cluster-backup:demo:Demo", name, {}, opts);
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider, dependsOn });

    // The demo tenant: labelled the way the panel labels a tenant that wants backups.
    this.tenantNamespace = new k8s.core.v1.Namespace(
      `${name}-tenant-ns`,
      { metadata: objectMeta(DEMO.tenantNamespace, undefined, undefined, { labels: { ...podSecurityLabels("restricted"), [TENANT_LABEL]: "true", [BACKUP_LABEL]: "true" } }) },
      child(),
    );
    new k8s.core.v1.PersistentVolumeClaim(
      `${name}-app-data`,
      { metadata: objectMeta(DEMO.appClaim, DEMO.tenantNamespace), spec: claimSpec(DEMO.appSize, args.storageClassName) },
      child([this.tenantNamespace]),
    );
    new k8s.apps.v1.Deployment(
      `${name}-app`,
      {
        metadata: objectMeta(DEMO.app, DEMO.tenantNamespace, undefined, { labels: { [APP_NAME_LABEL]: DEMO.app } }),
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" },
          selector: { matchLabels: { [APP_NAME_LABEL]: DEMO.app } },
          template: buildDemoAppTemplate(args.appImage),
        },
      },
      // Not dependsOn the claim: with a WaitForFirstConsumer class the claim binds only once the pod exists.
      child([this.tenantNamespace]),
    );

    if (args.postgres) {
      const pg = args.postgres;
      const namespace = ownedNamespace(`${name}-postgres-ns`, pg.namespace, "restricted", child());
      const password = new random.RandomPassword(`${name}-postgres-password`, { length: 32, special: false }, { parent: this });
      const secret = new k8s.core.v1.Secret(
        `${name}-postgres-credentials`,
        { metadata: objectMeta(DEMO.postgresSecret, pg.namespace), type: "Opaque", stringData: { [POSTGRES_PASSWORD_KEY]: password.result } },
        child([namespace]),
      );
      const selector = postgresSelector(pg.name);
      new k8s.core.v1.Service(
        `${name}-postgres-headless`,
        {
          metadata: objectMeta(pg.name, pg.namespace, undefined, { labels: selector }),
          spec: { clusterIP: "None", selector, ports: [{ name: DEMO.postgresPortName, port: DEMO.postgresPort, targetPort: DEMO.postgresPortName }] },
        },
        child([namespace]),
      );
      this.postgres = new k8s.apps.v1.StatefulSet(
        `${name}-postgres`,
        {
          metadata: objectMeta(pg.name, pg.namespace, "postgres", { labels: selector }),
          spec: {
            serviceName: pg.name,
            replicas: 1,
            selector: { matchLabels: selector },
            template: withDbDumpHooks(buildPostgresTemplate(pg), pg.hooks),
            volumeClaimTemplates: [{ metadata: { name: DEMO.postgresDataVolume, labels: standardLabels("postgres") }, spec: claimSpec(DEMO.postgresDataSize, args.storageClassName) }],
          },
        },
        // Not dependsOn the Service: the StatefulSet only names it, and the pods need the Secret.
        child([namespace, secret]),
      );
    }

    this.registerOutputs({ tenantNamespace: this.tenantNamespace, postgres: this.postgres });
  }
}
