/**
 * RESTORE.md as an on-call engineer meets it: the incident sections in order, every internal link landing on a section,
 * no reference to files a clone does not have, and every command of every `sh` block parsed and checked: the binary is
 * one the prerequisites name, velero/kubectl subcommands and flags exist in the pinned CLIs, `npm run restore` lines
 * parse with the real argument parser, and every Schedule or backup name is one the stack deploys. README's Postgres
 * procedure is RESTORE.md's, verbatim.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildPlanFiles } from "../scripts/lib/plan-output";
import { parseRestoreArgs } from "../scripts/lib/restore/args";
import { ROOT, planStack, type Plan } from "./harness";

/**
 * Flags per velero subcommand used by the runbook, from vmware-tanzu/velero v1.18 pkg/cmd/cli: restore/create.go
 * (BindFlags), backup/create.go, backup/describe.go, restore/describe.go, schedule/pause.go (SelectOptions: --all,
 * --selector), get commands (-l/--selector, -o), version.go (--client-only).
 */
const VELERO: Record<string, readonly string[]> = {
  "restore create": ["--from-backup", "--from-schedule", "--include-namespaces", "--exclude-namespaces", "--namespace-mappings", "--existing-resource-policy", "--include-resources", "--exclude-resources", "--include-cluster-resources", "--restore-volumes", "--selector", "--wait"],
  "restore describe": ["--details"],
  "restore logs": [],
  "restore get": ["-l"],
  "backup create": ["--from-schedule", "--wait"],
  "backup describe": ["--details"],
  "backup logs": [],
  "backup get": ["-l"],
  "backup-location get": [],
  "schedule pause": ["--all"],
  "schedule unpause": ["--all"],
  "schedule get": [],
  "client config": [],
  version: ["--client-only"],
};
const KUBECTL: Record<string, readonly string[]> = {
  exec: ["-n", "-i", "-c"],
  get: ["-n", "-l", "-o", "--field-selector", "--sort-by"],
  logs: ["-n", "-l", "-f", "--tail"],
  "rollout status": ["-n"],
  "rollout undo": ["-n"],
  "config use-context": [],
  "create namespace": [],
  "create rolebinding": ["-n", "--clusterrole", "--serviceaccount"],
  label: ["-n", "--overwrite"],
  "create secret": ["-n", "--from-literal", "--dry-run", "-o"],
  apply: ["-f"],
  "rollout restart": ["-n"],
  "create job": ["-n", "--from", "--dry-run", "-o"],
  "create -f": ["-f"],
  delete: ["-n", "-l", "--all"],
  scale: ["-n", "--replicas"],
  patch: ["-n", "-p"],
  wait: ["-n", "--for", "--timeout"],
};
/** Every program a command may start: the prerequisites name them (ZFS and ssh only in the zrepl steps, on the nodes). */
const BINARIES = new Set(["velero", "kubectl", "pulumi", "npm", "jq", "curl", "tar", "install", "export", "tail", "grep", "cat", "cut", "echo", "base64", "zfs", "ssh"]);

function files(plan: Plan, stack: string): Map<string, string> {
  return buildPlanFiles(stack, plan.run).files;
}

/** The command lines of every `sh` block (heredoc bodies dropped, comments stripped). */
function commands(md: string): string[] {
  const out: string[] = [];
  for (const [, body] of md.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let heredoc: string | undefined;
    for (const line of body.split("\n")) {
      if (heredoc !== undefined) {
        if (line === heredoc) heredoc = undefined;
        continue;
      }
      const h = /<<'(\w+)'/.exec(line);
      if (h) heredoc = h[1];
      const code = line.replace(/\s+#.*$/, "").replace(/^#.*$/, "").trim();
      if (code) out.push(code);
    }
  }
  return out;
}

/** Splits a line into the simple commands of its pipes and lists, outside quotes. */
function simpleCommands(line: string): string[][] {
  const result: string[][] = [];
  let words: string[] = [];
  let word = "";
  let quote: string | undefined;
  const flush = () => {
    if (word) words.push(word);
    word = "";
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") word += line[++i];
    else if (c === " ") flush();
    else if (c === "$" && line[i + 1] === "(") {
      // $(...) stays one word
      let depth = 0;
      for (; i < line.length; i++) {
        word += line[i];
        if (line[i] === "(") depth++;
        if (line[i] === ")" && --depth === 0) break;
      }
    } else if ("|;&".includes(c)) {
      flush();
      if (words.length) result.push(words);
      words = [];
      if (line[i + 1] === c) i++;
    } else if ((c === ">" || c === "<") && word === "" && /[ <>]/.test(line[i + 1] ?? " ")) {
      // a redirection (placeholders such as <pv> have no space after the '<')
      while (line[i + 1] === c) i++;
      while (line[i + 1] === " ") i++;
      let target = "";
      while (i + 1 < line.length && line[i + 1] !== " ") target += line[++i];
      void target;
    } else word += c;
  }
  flush();
  if (words.length) result.push(words);
  return result;
}

function flagsOf(words: string[]): string[] {
  return words.filter((w) => w.startsWith("-") && w !== "-").map((w) => w.split("=")[0]);
}

function checkCommand(words: string[], names: { velero: string; schedules: Set<string> }): string[] {
  const problems: string[] = [];
  const [bin, ...args] = words;
  if (!BINARIES.has(bin)) return [`unknown program '${bin}' in: ${words.join(" ")}`];
  if (bin === "velero") {
    const rest = [...args];
    if (rest[0] === "-n") {
      if (rest[1] !== names.velero) problems.push(`velero -n ${rest[1]}: expected the stack's Velero namespace ${names.velero}`);
      rest.splice(0, 2);
    } else if (!(rest[0] === "version" || rest[0] === "client")) problems.push(`velero without -n: ${words.join(" ")}`);
    const sub = rest[0] === "version" ? "version" : `${rest[0]} ${rest[1]}`;
    const allowed = VELERO[sub];
    if (!allowed) return [...problems, `unknown velero subcommand '${sub}'`];
    for (const flag of flagsOf(rest)) if (!allowed.includes(flag)) problems.push(`velero ${sub}: unknown flag ${flag}`);
    for (let i = 0; i < rest.length; i++) {
      const value = rest[i + 1] ?? "";
      if (rest[i] === "--from-schedule" && !names.schedules.has(value)) problems.push(`--from-schedule ${value}: no such Schedule`);
      if (rest[i] === "--from-backup" && !value.startsWith("<") && ![...names.schedules].some((s) => value === `${s}-<yyyyMMddHHmmss>`)) problems.push(`--from-backup ${value}: not a backup of a Schedule of this stack`);
      if (rest[i] === "-l" && value.startsWith("velero.io/schedule-name=") && !names.schedules.has(value.split("=")[1])) problems.push(`${value}: no such Schedule`);
    }
  }
  if (bin === "kubectl") {
    const rest = args.filter((w, i) => !(args[i - 1] === "-n" || w === "-n"));
    const sub = [`${rest[0]} ${rest[1]}`, `${rest[0]} ${rest[1]?.split("/")[0]}`, rest[0]].find((s) => KUBECTL[s] !== undefined);
    if (!sub) return [`unknown kubectl subcommand in: ${words.join(" ")}`];
    const dashdash = args.indexOf("--");
    for (const flag of flagsOf(dashdash < 0 ? args : args.slice(0, dashdash))) if (!KUBECTL[sub].includes(flag) && flag !== "--") problems.push(`kubectl ${sub}: unexpected flag ${flag}`);
    if (dashdash >= 0) problems.push(...checkCommand(args.slice(dashdash + 1), names).filter((p) => !p.startsWith("unknown program 'sh'") && !p.startsWith("unknown program 'psql'") && !p.startsWith("unknown program 'pg_dumpall'")));
  }
  if (bin === "npm") {
    expect(args.slice(0, 3)).toEqual(["run", "restore", "--"]);
    const argv = args.slice(3).map((a) => a.replace("<tenant>", "cust-1001").replace("<yyyyMMddHHmmss>", "20260101000000"));
    expect(parseRestoreArgs(argv)).toBeDefined();
    const schedule = argv[argv.indexOf("--schedule") + 1];
    if (argv.includes("--schedule") && !names.schedules.has(schedule)) problems.push(`npm run restore --schedule ${schedule}: no such Schedule`);
  }
  return problems;
}

/** GitHub's heading anchors. */
function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

for (const stack of ["prod", "dev"] as const) {
  describe(`RESTORE.md of ${stack}: an incident runbook`, () => {
    let plan: Plan;
    let md: string;
    beforeAll(async () => {
      plan = await planStack(stack);
      md = files(plan, stack).get("RESTORE.md")!;
    });

    it("opens with the prerequisites, then access, the disaster-recovery order, the flows, after-restore checks and risky changes", () => {
      const headings = [...md.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
      expect(headings.slice(0, 3)).toEqual(["Prerequisites", "Before you start", "Disaster recovery: the cluster is lost"]);
      expect(headings.slice(-2)).toEqual(["After a restore", "Before a risky change"]);
      const dr = md.slice(md.indexOf("## Disaster recovery"), md.indexOf('<a id="'));
      expect([...dr.matchAll(/^### (.*)$/gm)].map((m) => m[1])).toEqual([
        "1. Rebuild the cluster and its storage",
        "2. Restore the keys, then Velero",
        "3. Wait for the storage locations and the backups",
        "4. System namespaces and cluster resources",
        "5. PostgreSQL",
        "6. Tenants",
        "7. Garage, Benji, zrepl",
        "8. Resume the backups and prove them",
      ]);
      expect(dr).toContain("velero -n backup-system schedule pause --all\n");
      expect(dr).toContain("kubectl -n backup-system get secret velero-repo-credentials -o jsonpath='{.data.repository-password}' | base64 -d\n");
      expect(dr).toContain("kubectl -n backup-system delete backuprepositories --all\nkubectl -n backup-system rollout restart deployment/velero daemonset/node-agent\n");
      expect(dr).toContain("velero -n backup-system backup-location get\nvelero -n backup-system backup get\n");
      expect(dr).toContain("velero -n backup-system schedule unpause --all\n");
      // prod keeps the Postgres backups on Garage, inside the cluster: Garage must come back before Postgres.
      const garageNote = "Its location `postgres` is on Garage inside this cluster: it turns Available only once Garage is back, so do the Garage part of step 7 first.";
      if (stack === "prod") expect(dr.slice(dr.indexOf("### 5. PostgreSQL"), dr.indexOf("### 6."))).toContain(garageNote);
      else expect(dr).not.toContain("Garage inside this cluster");
    });

    it("names the velero CLI version, where the keys come from, and how to run without a checkout", () => {
      const pre = md.slice(md.indexOf("## Prerequisites"), md.indexOf("## Before you start"));
      expect(pre).toContain("**velero CLI v1.18.2**");
      expect(pre).toContain("curl -fsSLO https://github.com/vmware-tanzu/velero/releases/download/v1.18.2/velero-v1.18.2-linux-amd64.tar.gz\n");
      const target = stack === "prod" ? "acme/cluster-backup/prod" : "dev";
      expect(pre).toContain(`pulumi stack output --stack ${target} --show-secrets kopiaRepositoryPassword\n`);
      if (stack === "prod") expect(pre).toContain(`pulumi stack output --stack ${target} --show-secrets benjiEncryption --json\n`);
      else expect(pre).not.toContain("benjiEncryption");
      expect(pre).toContain("escrow copy");
      expect(pre).toContain("**jq**");
      expect(pre).toContain("Every step that uses it also gives the plain `velero` command");
    });

    it("has a verification checklist per flow and a PartiallyFailed triage naming the namespace and item", () => {
      const after = md.slice(md.indexOf("## After a restore"), md.indexOf("## Before a risky change"));
      expect([...after.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]).slice(2)).toEqual(["every Velero restore", "tenants", "system", "PostgreSQL", "Garage metadata", "Garage data (ZFS, zrepl)", "Benji"]);
      expect(after).toContain(
        `kubectl -n backup-system get podvolumerestores -l velero.io/restore-name=<restore> -o json | jq -r '.items[] | select(.status.phase != "Completed") | [.spec.pod.namespace, .spec.pod.name, .spec.volume, .status.phase, .status.message] | @tsv'\n`,
      );
      expect(after).toContain("velero -n backup-system restore logs <restore> | grep -E 'level=(error|warning)'\n");
    });

    it("takes an ad-hoc backup from every Schedule before a risky change", () => {
      const risky = md.slice(md.indexOf("## Before a risky change"));
      const schedules = plan.objects("Schedule").map((s) => s.metadata.name as string);
      expect(schedules.length).toBeGreaterThan(0);
      for (const s of schedules) expect(risky).toContain(`velero -n backup-system backup create --from-schedule ${s} --wait\n`);
    });

    it("links only to sections it has, and to no file a clone lacks", () => {
      const targets = new Set([...[...md.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]), ...[...md.matchAll(/^#{2,3} (.*)$/gm)].map((m) => slug(m[1]))]);
      const links = [...md.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
      for (const link of links) {
        if (link.startsWith("#")) expect(targets.has(link.slice(1)), `link ${link}`).toBe(true);
        else expect(link).toBe("coverage.md");
      }
      expect(md).not.toMatch(/SPEC|§|\.\.\/shared|DESIGN\.md|CONTRACTS\.md/);
    });

    it("every command uses known programs, real flags and this stack's names", () => {
      const schedules = new Set(plan.objects("Schedule").map((s) => s.metadata.name as string));
      const lines = commands(md);
      expect(lines.length).toBeGreaterThan(40);
      const problems = lines.flatMap((line) => simpleCommands(line).flatMap((words) => checkCommand(words, { velero: "backup-system", schedules })));
      expect(problems).toEqual([]);
    });
  });
}

describe("the command checker itself", () => {
  it("refuses an unknown flag, program, Velero namespace and Schedule", () => {
    const names = { velero: "backup-system", schedules: new Set(["tenants-daily"]) };
    const check = (line: string) => simpleCommands(line).flatMap((words) => checkCommand(words, names));
    expect(check("velero -n backup-system restore create x --from-backup tenants-daily-<yyyyMMddHHmmss> --include-namespace a --wait")).toEqual(["velero restore create: unknown flag --include-namespace"]);
    expect(check("velero -n velero backup get -l velero.io/schedule-name=nightly")).toEqual(["velero -n velero: expected the stack's Velero namespace backup-system", "velero.io/schedule-name=nightly: no such Schedule"]);
    expect(check("velero -n backup-system backup create --from-schedule nightly --wait")).toEqual(["--from-schedule nightly: no such Schedule"]);
    expect(check("cat dump.sql | pg_restore -d x")).toEqual(["unknown program 'pg_restore' in: pg_restore -d x"]);
    expect(check("kubectl -n x rollout status statefulset/y --watch")).toEqual(["kubectl rollout status: unexpected flag --watch"]);
  });
});

describe("README's PostgreSQL procedure", () => {
  it("is RESTORE.md's (dev stack, default names), block for block, with no hard-coded role", async () => {
    const md = files(await planStack("dev"), "dev").get("RESTORE.md")!;
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const part = readme.slice(readme.indexOf("PostgreSQL from the dump"), readme.indexOf("Restore drills (`restore-drill-tenants`"));
    const blocks = [...part.matchAll(/```sh\n[\s\S]*?```\n/g)].map((m) => m[0]);
    expect(blocks).toHaveLength(3);
    for (const block of blocks) expect(md).toContain(block);
    expect(part).not.toMatch(/-U postgres\b/);
  });
});
