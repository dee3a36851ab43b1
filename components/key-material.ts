/**
 * Rules for the key material that makes backups readable: the kopia repository password and Benji's AES key
 * material. Generating either anew on a cluster whose backups already exist makes every existing backup unreadable,
 * so adopting or restoring one is an explicit choice and the program refuses the combinations that would rotate it.
 */
import type { ConfigProblem } from "./config-problem";
import type { ParsedConfig } from "./config-schema";
import { LEGACY_REPO_PASSWORD, REPO_CREDENTIALS_SECRET, REPO_PASSWORD_KEY } from "./velero/values";

/** Benji's AES key material in the form `pulumi stack output --show-secrets --json benjiEncryption` prints. */
export interface EscrowedBenjiEncryption {
  readonly kdfSalt: string;
  readonly kdfIterations: number;
  readonly password: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses the `benjiEncryption` secret; a string names what is wrong (never the value). */
export function parseBenjiEncryption(text: string): EscrowedBenjiEncryption | string {
  const expected = "expected the JSON printed by `pulumi stack output --show-secrets --json benjiEncryption`: {\"kdfSalt\": <base64>, \"kdfIterations\": <integer>, \"password\": <string>}";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${expected}; it is not JSON`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return expected;
  const { kdfSalt, kdfIterations, password, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `${expected}; unknown key ${Object.keys(rest).sort().join(", ")}`;
  if (typeof kdfSalt !== "string" || kdfSalt.length === 0 || !BASE64.test(kdfSalt)) return `${expected}; kdfSalt is not base64`;
  if (typeof kdfIterations !== "number" || !Number.isInteger(kdfIterations) || kdfIterations < 1) return `${expected}; kdfIterations is not a positive integer`;
  if (typeof password !== "string" || password.length === 0) return `${expected}; password is empty`;
  return { kdfSalt, kdfIterations, password };
}

/** Every problem with the key material settings of an otherwise well-formed config. */
export function keyMaterialProblems(cfg: ParsedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const mode = cfg.velero.repositoryPassword;
  const secretName = REPO_CREDENTIALS_SECRET;
  if (mode === "existing" && cfg.veleroRepositoryPassword === undefined) {
    problems.push({
      path: "veleroRepositoryPassword",
      message: `velero.repositoryPassword 'existing' takes the password of the existing kopia repositories from this secret: kubectl -n ${cfg.velero.namespace} get secret ${secretName} -o jsonpath='{.data.${REPO_PASSWORD_KEY}}' | base64 -d | pulumi config set --secret veleroRepositoryPassword`,
    });
  }
  if (mode !== "existing" && cfg.veleroRepositoryPassword !== undefined) {
    problems.push({ path: "velero.repositoryPassword", value: mode, message: "veleroRepositoryPassword is set but not used; expected 'existing' to use it (or remove the secret)" });
  }
  if (cfg.kubernetes.adoptExisting && mode === "random") {
    problems.push({
      path: "velero.repositoryPassword",
      value: mode,
      message: `kubernetes.adoptExisting adopts a Velero whose kopia repositories are encrypted with the password in Secret ${secretName}; a generated password would make every existing repository unreadable: expected 'existing' (with the secret veleroRepositoryPassword) or 'legacy-default' (if that Secret holds Velero's ${LEGACY_REPO_PASSWORD})`,
    });
  }
  if (cfg.benjiEncryption !== undefined) {
    const parsed = parseBenjiEncryption(cfg.benjiEncryption);
    if (typeof parsed === "string") problems.push({ path: "benjiEncryption", message: parsed });
    if (cfg.flows.benji.generateEncryption) {
      problems.push({ path: "flows.benji.generateEncryption", value: true, message: "benjiEncryption is set, so nothing is generated; expected false (or remove the secret benjiEncryption)" });
    }
  } else if (cfg.flows.benji.enabled && cfg.environment === "prod" && !cfg.flows.benji.generateEncryption) {
    problems.push({
      path: "flows.benji.generateEncryption",
      value: false,
      message:
        "in prod Benji's AES key material is never generated implicitly (new material makes existing backups unreadable): set the secret benjiEncryption to the existing or escrowed value (`pulumi stack output --show-secrets --json benjiEncryption`), or generateEncryption: true for a first deploy",
    });
  }
  return problems;
}
