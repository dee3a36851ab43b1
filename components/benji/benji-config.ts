/**
 * Pure builders for the files Benji reads: `benji.yaml` (configuration schema v1 of Benji 0.17.0,
 * elemental-lf/benji `src/benji/schemas/v1/*.yaml`), `ceph.conf` and the Ceph client keyring. They take resolved
 * strings, so tests call them with literals and parse the result back; the component feeds them Pulumi outputs.
 */
import { stringify } from "yaml";

/** Where the component mounts Benji's files (docs/design.md §3.6). */
export const BENJI_PATHS = {
  /** Secret `benji` (key `benji.yaml`); the image's `/etc/benji/benji.yaml` is a symlink into this folder. */
  configDir: "/benji/etc",
  /** Secret `benji-s3`. */
  s3Dir: "/benji/s3",
  /** Secret `benji-ceph`; also the default search path of librados and the `rbd` CLI. */
  cephDir: "/etc/ceph",
} as const;

/** File names inside the mounted Secrets. */
export const BENJI_FILES = {
  config: "benji.yaml",
  accessKeyId: "access-key-id",
  secretAccessKey: "secret-access-key",
  cephConf: "ceph.conf",
} as const;

/** The keyring file librados finds by default for client `<id>` (`/etc/ceph/$cluster.$name.keyring`). */
export function cephKeyringFile(clientId: string): string {
  return `ceph.client.${clientId}.keyring`;
}

/** Names of the transforms; blocks record them, so they never change once data is written. */
export const BENJI_TRANSFORMS = { zstd: "zstd", aes: "aes" } as const;
/** PBKDF2 iterations for the AES master key; stored with nothing, so changing it makes every block unreadable. */
export const BENJI_KDF_ITERATIONS = 20000;
/** zstd level: Benji's default, a good ratio at low CPU. */
export const BENJI_ZSTD_LEVEL = 3;
/** Parallel S3 requests per Benji process (Benji's default is 3 writes, 3 reads, 5 removals). */
export const BENJI_S3_PARALLELISM = 8;
/** Parallel RBD reads/writes per Benji process. */
export const BENJI_RBD_PARALLELISM = 8;
/** Features of images Benji creates on restore: what Rook's default RBD StorageClass uses. */
export const BENJI_NEW_IMAGE_FEATURES = ["RBD_FEATURE_LAYERING", "RBD_FEATURE_EXCLUSIVE_LOCK", "RBD_FEATURE_OBJECT_MAP", "RBD_FEATURE_FAST_DIFF"] as const;
/** Parallel reads/writes of the `file` io (Benji's default). */
export const BENJI_FILE_IO_PARALLELISM = 3;
/** Name of the `file` io (restores to files, `benji backup file:...`); a Ceph pool may not take this name. */
export const BENJI_FILE_IO = "file";
/**
 * Ceph pools Benji can read from. A pool names a Benji io, and io names follow Benji's `^(?!-)[-a-zA-Z0-9_.:/@]+(?<!-)$`
 * (`InputValidation.VALUE_REGEXP`); ':', '/' and '@' are left out because they separate io, pool, image and snapshot
 * in Benji's source URLs (`<io>:<pool>/<image>@<snapshot>`).
 */
export const BENJI_POOL = /^(?!-)[-a-zA-Z0-9_.]+(?<!-)$/;

// ---- benji.yaml, configurationVersion '1' -------------------------------------------------------------------

/** `configuration` of a `module: s3` storage (`benji.storage.s3.yaml` + `benji.storage.base.yaml`). */
export interface BenjiS3StorageConfiguration {
  readonly awsAccessKeyIdFile: string;
  readonly awsSecretAccessKeyFile: string;
  readonly bucketName: string;
  /** Omitted for AWS, where boto3 derives the endpoint from the region. */
  readonly endpointUrl?: string;
  /** The region requests are signed with (Garage: its `s3_region`). */
  readonly regionName: string;
  readonly addressingStyle: "path" | "virtual";
  readonly signatureVersion: "s3v4";
  readonly simultaneousWrites: number;
  readonly simultaneousReads: number;
  readonly simultaneousRemovals: number;
  readonly activeTransforms: readonly string[];
}

export interface BenjiS3Storage {
  readonly name: string;
  readonly module: "s3";
  readonly configuration: BenjiS3StorageConfiguration;
}

export interface BenjiZstdTransform {
  readonly name: string;
  readonly module: "zstd";
  readonly configuration: { readonly level: number };
}

/** `aes_256_gcm` in its password form: the master key is derived with PBKDF2 from password and salt. */
export interface BenjiAesTransform {
  readonly name: string;
  readonly module: "aes_256_gcm";
  readonly configuration: { readonly kdfSalt: string; readonly kdfIterations: number; readonly password: string };
}

export type BenjiTransform = BenjiZstdTransform | BenjiAesTransform;

export interface BenjiFileIo {
  readonly name: string;
  readonly module: "file";
  /** The schema marks the file io's `configuration` required and non-empty, so it is always written. */
  readonly configuration: { readonly simultaneousReads: number; readonly simultaneousWrites: number };
}

/** `configuration` of a `module: rbdaio` io (`benji.io.rbd.yaml`). */
export interface BenjiRbdIoConfiguration {
  readonly simultaneousReads: number;
  readonly simultaneousWrites: number;
  readonly cephConfigFile: string;
  readonly clientIdentifier: string;
  readonly newImageFeatures: readonly string[];
}

/** One io per Ceph pool: `benji-backup-pvc` addresses images as `<pool>:<pool>/<image>`, so name = pool name. */
export interface BenjiRbdIo {
  readonly name: string;
  readonly module: "rbdaio";
  readonly configuration: BenjiRbdIoConfiguration;
}

export type BenjiIo = BenjiFileIo | BenjiRbdIo;

/** The whole `benji.yaml`. Benji rejects unknown keys (Cerberus `allow_unknown: False`): only these exist. */
export interface BenjiConfigFile {
  readonly configurationVersion: "1";
  /** null: log to the container's stderr only. */
  readonly logFile: null;
  readonly databaseEngine: string;
  readonly defaultStorage: string;
  readonly storages: readonly BenjiS3Storage[];
  readonly transforms: readonly BenjiTransform[];
  readonly ios: readonly BenjiIo[];
}

/** What {@link buildBenjiConfig} needs, all resolved. */
export interface BenjiConfigArgs {
  /** SQLAlchemy URL of the PostgreSQL database (`postgresql://user:pw@host:5432/benji`). */
  readonly databaseEngine: string;
  /** The object store. */
  readonly storage: {
    /** Storage name recorded with every version; never rename it once versions exist. */
    readonly name: string;
    readonly bucket: string;
    /** Scheme and host[:port]; undefined for AWS. */
    readonly endpoint: string | undefined;
    readonly region: string;
    /** Path-style addressing (every S3 clone); false = virtual-hosted (AWS). */
    readonly forcePathStyle: boolean;
  };
  /** The AES key material; never changes once blocks are written. */
  readonly encryption: { readonly kdfSalt: string; readonly kdfIterations: number; readonly password: string };
  /** Ceph pools holding the RBD images to back up, and the Ceph client Benji authenticates as. */
  readonly ceph: { readonly pools: readonly string[]; readonly clientId: string };
}

/** The `benji.yaml` object of docs/design.md §3.6. Throws when a pool cannot be an io name. */
export function buildBenjiConfig(args: BenjiConfigArgs): BenjiConfigFile {
  for (const pool of args.ceph.pools) {
    if (!BENJI_POOL.test(pool) || pool === BENJI_FILE_IO) {
      throw new Error(`Ceph pool '${pool}' cannot name a Benji io: expected letters, digits, '-', '_', '.' (no leading or trailing '-'), not '${BENJI_FILE_IO}'`);
    }
  }
  const { storage, encryption, ceph } = args;
  return {
    configurationVersion: "1",
    logFile: null,
    databaseEngine: args.databaseEngine,
    defaultStorage: storage.name,
    storages: [
      {
        name: storage.name,
        module: "s3",
        configuration: {
          awsAccessKeyIdFile: `${BENJI_PATHS.s3Dir}/${BENJI_FILES.accessKeyId}`,
          awsSecretAccessKeyFile: `${BENJI_PATHS.s3Dir}/${BENJI_FILES.secretAccessKey}`,
          bucketName: storage.bucket,
          ...(storage.endpoint !== undefined ? { endpointUrl: storage.endpoint } : {}),
          regionName: storage.region,
          addressingStyle: storage.forcePathStyle ? "path" : "virtual",
          signatureVersion: "s3v4",
          simultaneousWrites: BENJI_S3_PARALLELISM,
          simultaneousReads: BENJI_S3_PARALLELISM,
          simultaneousRemovals: BENJI_S3_PARALLELISM,
          activeTransforms: [BENJI_TRANSFORMS.zstd, BENJI_TRANSFORMS.aes],
        },
      },
    ],
    transforms: [
      { name: BENJI_TRANSFORMS.zstd, module: "zstd", configuration: { level: BENJI_ZSTD_LEVEL } },
      {
        name: BENJI_TRANSFORMS.aes,
        module: "aes_256_gcm",
        configuration: { kdfSalt: encryption.kdfSalt, kdfIterations: encryption.kdfIterations, password: encryption.password },
      },
    ],
    ios: [
      { name: BENJI_FILE_IO, module: "file", configuration: { simultaneousReads: BENJI_FILE_IO_PARALLELISM, simultaneousWrites: BENJI_FILE_IO_PARALLELISM } },
      ...ceph.pools.map(
        (pool): BenjiRbdIo => ({
          name: pool,
          module: "rbdaio",
          configuration: {
            simultaneousReads: BENJI_RBD_PARALLELISM,
            simultaneousWrites: BENJI_RBD_PARALLELISM,
            cephConfigFile: `${BENJI_PATHS.cephDir}/${BENJI_FILES.cephConf}`,
            clientIdentifier: ceph.clientId,
            newImageFeatures: [...BENJI_NEW_IMAGE_FEATURES],
          },
        }),
      ),
    ],
  };
}

/** `benji.yaml` text. */
export function serializeBenjiConfig(config: BenjiConfigFile): string {
  return stringify(config, { lineWidth: 0 });
}

// ---- Ceph files -----------------------------------------------------------------------------------------------

/** An INI document: section name → key → value, in order. */
export type IniDocument = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * Ceph's INI dialect, as `ceph config generate-minimal-conf` and `ceph auth get` write it: `[section]` headers,
 * tab-indented `key = value` lines, a blank line between sections. Throws on values Ceph would misread.
 */
export function serializeIni(doc: IniDocument): string {
  return Object.entries(doc)
    .map(([section, entries]) => {
      if (!/^[A-Za-z0-9_.-]+$/.test(section)) throw new Error(`INI section name '${section}' must be letters, digits, '_', '.', '-'`);
      const lines = Object.entries(entries).map(([key, value]) => {
        if (!/^[A-Za-z0-9_ ]+$/.test(key)) throw new Error(`INI key '${key}' in [${section}] must be letters, digits, '_' or spaces`);
        if (/[\r\n;#]/.test(value) || value.trim() !== value || value === "") {
          throw new Error(`INI value of '${key}' in [${section}] must be non-empty, one line, without ';', '#' or surrounding spaces`);
        }
        return `\t${key} = ${value}`;
      });
      return [`[${section}]`, ...lines].join("\n");
    })
    .join("\n\n")
    .concat("\n");
}

/** `ceph.conf`: only the monitors; everything else comes from the cluster's config database. */
export function buildCephConf(monHost: string): string {
  return serializeIni({ global: { mon_host: monHost } });
}

/** The client keyring `[client.<id>] key = <key>`. */
export function buildCephKeyring(clientId: string, key: string): string {
  return serializeIni({ [`client.${clientId}`]: { key } });
}

// ---- where the Benji database lives ---------------------------------------------------------------------------

/**
 * The Kubernetes namespace of the database host in a PostgreSQL URL, as a pod in `benjiNamespace` resolves it:
 * `svc` / `svc.ns` / `svc.ns.svc[.<cluster domain>]`. Undefined for IP addresses, external hosts, sockets and
 * unparsable URLs.
 */
export function databaseNamespace(url: string, benjiNamespace: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (host === "" || /^[\d.]+$/.test(host) || host.startsWith("[")) return undefined;
  const labels = host.split(".");
  if (labels.length === 1) return benjiNamespace;
  if (labels.length === 2 || labels[2] === "svc") return labels[1];
  return undefined;
}
