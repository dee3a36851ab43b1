/**
 * Turns a program run into the files of the plan contract (docs/plan-contract.md): resources.json, manifests/*.yaml,
 * summary.md, velero-values.yaml and the reports, all redacted and deterministic.
 */
import { stringify } from "yaml";
import type { ProgramRun, Registration } from "./run-program";
import { Redactor } from "./redact";
import { buildCoverage, coverageMarkdown, coverageSummaryTable } from "./coverage";
import { buildRunbook } from "./runbook";
import { DASHBOARD_COMPONENT_TYPE } from "../../components/dashboard/dashboard-names";

export interface PlanFiles {
  /** Relative path → file content. */
  files: Map<string, string>;
}

/** A Kubernetes object the stack applies itself (not rendered by a chart). */
export interface Manifest {
  file: string;
  registration: Registration;
  object: Record<string, unknown>;
}

export function isKubernetesObject(r: Registration): boolean {
  return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && "kind" in r.inputs;
}

function kebab(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/** The object exactly as sent: apiVersion, kind, metadata first, then the remaining fields in input order. */
export function manifestsOf(registrations: readonly Registration[]): Manifest[] {
  const used = new Set<string>();
  return registrations.filter(isKubernetesObject).map((registration) => {
    const { apiVersion, kind, metadata, ...rest } = registration.inputs as Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };
    const patch = registration.type.endsWith("Patch") ? "-patch" : "";
    const base = `${kebab(String(kind))}${patch}--${metadata?.namespace ?? "cluster"}--${metadata?.name ?? registration.name}`;
    let file = `${base}.yaml`;
    for (let i = 2; used.has(file); i++) file = `${base}-${i}.yaml`;
    used.add(file);
    return { file, registration, object: { apiVersion, kind, metadata, ...rest } };
  });
}

function componentOf(r: Registration, byUrn: Map<string, Registration>): Registration | undefined {
  let parent = r.parent ? byUrn.get(r.parent) : undefined;
  while (parent && parent.custom) parent = parent.parent ? byUrn.get(parent.parent) : undefined;
  return parent;
}

function countsTable(registrations: readonly Registration[]): string[] {
  const byUrn = new Map(registrations.map((r) => [r.urn, r]));
  const counts = new Map<string, { component: string; total: number; kinds: Map<string, number> }>();
  for (const r of registrations) {
    if (!r.custom && !r.remote) continue;
    const owner = componentOf(r, byUrn);
    const key = owner ? `${owner.type} \`${owner.name}\`` : "(stack)";
    const entry = counts.get(key) ?? { component: key, total: 0, kinds: new Map() };
    entry.total += 1;
    const kind = r.type.split(":").pop() ?? r.type;
    entry.kinds.set(kind, (entry.kinds.get(kind) ?? 0) + 1);
    counts.set(key, entry);
  }
  const rows = [...counts.values()].map((e) => `| ${e.component} | ${e.total} | ${[...e.kinds].map(([k, n]) => `${k} ×${n}`).join(", ")} |`);
  return ["| component | resources | kinds |", "| --- | ---: | --- |", ...rows];
}

/** The plan file holding the Velero chart's values, so a pull request's diff shows what a chart input change does. */
export const VELERO_VALUES_FILE = "velero-values.yaml";

/**
 * The values the program passes to the Velero chart (generated values with `velero.extraValues` merged in), as YAML
 * with the chart, version and repository in a header comment, secrets redacted as everywhere; undefined when the stack installs no Velero chart. The
 * chart's own defaults are not merged in (they need the chart archive, which the offline plan never fetches).
 */
export function veleroValuesFile(registrations: readonly Registration[], redactor: Redactor): string | undefined {
  const chart = registrations.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "velero");
  if (!chart) return undefined;
  const repo = (chart.inputs.repositoryOpts as { repo?: string } | undefined)?.repo ?? "";
  const header = `# Values of the Helm chart velero ${String(chart.inputs.version)} (${repo}), release ${String(chart.inputs.name)} in namespace ${String(chart.inputs.namespace)}, as the program passes them.\n`;
  return redactor.text(header + stringify(redactor.value(chart.inputs.values ?? {}), { lineWidth: 0 }));
}

/** Folder of the plan holding the Grafana dashboards, one file per data key of the dashboard component's ConfigMaps. */
export const DASHBOARDS_DIR = "dashboards";

/** `dashboards/<data key>` → the dashboard JSON, from the ConfigMaps the dashboard component (components/dashboard/grafana-dashboard.ts) applies. */
export function dashboardFiles(manifests: readonly Manifest[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of manifests) {
    if (m.object.kind !== "ConfigMap" || !m.registration.urn.includes(`${DASHBOARD_COMPONENT_TYPE}$`)) continue;
    for (const [key, json] of Object.entries((m.object.data ?? {}) as Record<string, string>)) files.set(`${DASHBOARDS_DIR}/${key}`, json);
  }
  return files;
}

export function buildPlanFiles(stack: string, run: ProgramRun, extraSummary: readonly string[] = []): PlanFiles {
  const redactor = new Redactor(run.secretStrings, run.secretMarked);
  const files = new Map<string, string>();
  const resources = run.registrations.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    parent: r.parent,
    inputs: redactor.value(r.inputs),
    protect: r.protect,
    dependsOn: r.dependsOn,
    ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
    ...(r.additionalSecretOutputs.length ? { additionalSecretOutputs: r.additionalSecretOutputs } : {}),
  }));
  files.set("resources.json", `${JSON.stringify(resources, null, 2)}\n`);
  const manifests = manifestsOf(run.registrations);
  for (const m of manifests) files.set(`manifests/${m.file}`, stringify(redactor.value(m.object), { lineWidth: 0 }));
  for (const [file, json] of dashboardFiles(manifests)) files.set(file, redactor.text(json));
  const veleroValues = veleroValuesFile(run.registrations, redactor);
  if (veleroValues !== undefined) files.set(VELERO_VALUES_FILE, veleroValues);
  const notes = (run.exports.summaryNotes as string[] | undefined) ?? [];
  // Coverage report and restore runbook (scripts/lib/coverage.ts, runbook.ts), from the same objects and exports.
  const objects = manifests.map((m) => m.object);
  const coverage = buildCoverage({ stack, objects, exports: run.exports });
  files.set("coverage.json", redactor.text(`${JSON.stringify(coverage, null, 2)}\n`));
  files.set("coverage.md", redactor.text(coverageMarkdown(coverage)));
  files.set("RESTORE.md", redactor.text(buildRunbook({ stack, objects, registrations: run.registrations, exports: run.exports, coverage })));
  const summary = [
    `# Plan of stack \`${stack}\``,
    "",
    `${run.registrations.length} resources registered (${resources.filter((r) => r.custom).length} custom, ${manifests.length} Kubernetes objects applied directly; objects rendered by Helm charts are not listed).`,
    "",
    "## Resources per component",
    "",
    ...countsTable(run.registrations),
    "",
    "## Backup flows",
    "",
    ...coverageSummaryTable(coverage),
    "",
    "## Coverage and restore",
    "",
    `- [coverage.md](coverage.md) ([coverage.json](coverage.json)): ${coverage.flows.length} flows, ${coverage.gaps.length} gaps${coverage.gaps.length ? ` (${[...new Set(coverage.gaps.map((g) => g.kind))].join(", ")})` : ""}`,
    "- [RESTORE.md](RESTORE.md): the restore runbook with this stack's names",
    "",
    ...(notes.length ? ["## Notes", "", ...notes.map((n) => `- ${redactor.text(n)}`), ""] : []),
    ...extraSummary,
  ];
  files.set("summary.md", `${summary.join("\n").replace(/\n+$/, "")}\n`);
  return { files };
}
