/**
 * What the program generates for the dev stack, taken from its own output: the Postgres pre-hook argv (parsed from the
 * pod-template annotation `pre.hook.backup.velero.io/command`) and RESTORE.md (the file `npm run plan` writes), plus
 * the few rewrites that let RESTORE.md's Postgres commands run against a local server instead of a pod.
 */
import { buildPlanFiles } from "../../scripts/lib/plan-output";
import { planStack } from "../harness";
import { DUMP_PATH } from "../../components/postgres/hooks";

export interface Generated {
  /** `["/bin/sh", "-c", "<script>"]` exactly as Velero receives it. */
  readonly preHook: string[];
  readonly runbook: string;
  /** Namespace, `kind/name` and container of the Postgres workload the runbook execs into. */
  readonly namespace: string;
  readonly workload: string;
  readonly container: string;
}

export async function generatedDev(): Promise<Generated> {
  const plan = await planStack("dev");
  const sts = plan.objects("StatefulSet").find((o) => o.spec?.template?.metadata?.annotations?.["pre.hook.backup.velero.io/command"]);
  if (!sts) throw new Error("the dev stack has no workload with the Postgres dump hook");
  const annotations = sts.spec.template.metadata.annotations as Record<string, string>;
  const runbook = buildPlanFiles("dev", plan.run).files.get("RESTORE.md");
  if (!runbook) throw new Error("npm run plan wrote no RESTORE.md");
  return {
    preHook: JSON.parse(annotations["pre.hook.backup.velero.io/command"]) as string[],
    runbook,
    namespace: String(sts.metadata.namespace),
    workload: `statefulset/${sts.metadata.name}`,
    container: annotations["pre.hook.backup.velero.io/container"],
  };
}

/** The fenced `sh` blocks of the `###` section with that title (up to the next heading or anchor). */
export function shBlocks(md: string, title: string): string[] {
  const start = md.indexOf(`\n### ${title}\n`);
  if (start < 0) throw new Error(`RESTORE.md has no section '### ${title}'`);
  const rest = md.slice(start + 1);
  const end = rest.slice(1).search(/\n(#{2,3} |<a id=")/);
  const section = end < 0 ? rest : rest.slice(0, end + 1);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Where a namespace's Postgres "pod" is: the environment of a local server, and the shell standing in for its `sh`. */
export interface LocalPod {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly shell: string;
}

/**
 * Rewrites a block of RESTORE.md to run locally: every `kubectl -n <ns> exec [-i] <workload> -c <container> --` becomes
 * `env <the pod's PG env> ` (its `sh` the chosen shell), `/backups/dump.sql` becomes the dump file of the "pod".
 * Lines that need a cluster (`velero ...`, `kubectl ... rollout status`) are returned separately, not run.
 */
export function localise(block: string, pods: Readonly<Record<string, LocalPod>>, dumpFile: string): { script: string; clusterLines: string[] } {
  const clusterLines: string[] = [];
  const lines = block.split("\n").filter((line) => {
    if (/^(velero |kubectl -n \S+ rollout )/.test(line)) {
      clusterLines.push(line);
      return false;
    }
    return true;
  });
  const script = lines
    .join("\n")
    .replace(/kubectl -n (\S+) exec(?: -i)? \S+ -c \S+ -- (sh -c )?/g, (_all, ns: string, sh: string | undefined) => {
      const pod = pods[ns];
      if (!pod) throw new Error(`no local stand-in for namespace ${ns}`);
      const env = Object.entries(pod.env)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}='${String(v).replace(/'/g, "'\\''")}'`)
        .join(" ");
      return `env ${env} ${sh ? `${pod.shell} -c ` : ""}`;
    })
    .split(DUMP_PATH)
    .join(dumpFile);
  if (/\bkubectl\b/.test(script)) throw new Error(`a kubectl command was left in the block:\n${script}`);
  return { script, clusterLines };
}
