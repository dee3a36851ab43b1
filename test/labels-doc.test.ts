/**
 * docs/labels.md is the label contract for the hosting panel's team: it must name every key the code defines or puts
 * on an object, and only policies that exist. Fails when the doc drifts from policy/shared/labels.ts or the plans.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as labels from "../policy/shared/labels";
import { ADMISSION_POLICY_ANNOTATION } from "../policy/shared/labels";
import { RULES } from "../policy/rules";
import { DRILL_ANNOTATIONS } from "../components/drills/spec";
import { CREDENTIALS_CHECKSUM_ANNOTATION } from "../components/storage/common";
import { PATCH_FORCE_ANNOTATION } from "../components/postgres/postgres-backup";
import { FS_RESTORE_CONFIG_LABELS, NODE_AGENT_CONFIG_CHECKSUM_ANNOTATION } from "../components/velero/values";
import { ZREPL_K8S } from "../components/zrepl/replication";
import { RESTORE_NAME_LABEL, SCHEDULE_NAME_LABEL } from "../scripts/lib/restore/velero-types";
import { ROOT, planStack, type Obj, type Plan } from "./harness";

const DOC = readFileSync(join(ROOT, "docs/labels.md"), "utf8");

/** A key is documented when it appears in backticks, alone or as `key=value`. */
const documented = (key: string) => DOC.includes(`\`${key}\``) || DOC.includes(`\`${key}=`);

/** Every string a label/annotation export of policy/shared/labels.ts holds (object keys and values, array items). */
function exportedKeys(): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!/_(LABELS?|ANNOTATIONS?)$/.test(name)) continue;
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) out.push(...value);
    else if (typeof value === "object" && value !== null) out.push(...(name === "OWNERSHIP_LABELS" ? Object.keys(value) : Object.values(value as Record<string, string>)));
  }
  return out;
}

/** Every label and annotation key on an object or a template inside it (pod templates, job templates). */
function metadataKeys(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => metadataKeys(n, out));
  else if (typeof node === "object" && node !== null) {
    const o = node as Obj;
    if (typeof o.metadata === "object" && o.metadata !== null) {
      for (const k of Object.keys(o.metadata.labels ?? {})) out.add(k);
      for (const k of Object.keys(o.metadata.annotations ?? {})) out.add(k);
    }
    Object.values(o).forEach((v) => metadataKeys(v, out));
  }
  return out;
}

describe("docs/labels.md", () => {
  it("names every label and annotation key of policy/shared/labels.ts", () => {
    const keys = exportedKeys();
    expect(keys).toContain(labels.FLOW_LABEL);
    expect(keys).toContain(labels.VELERO_ANNOTATIONS.preHookCommand);
    expect(keys.filter((k) => !documented(k))).toEqual([]);
  });

  it("names the keys other modules define", () => {
    const keys = [ADMISSION_POLICY_ANNOTATION, DRILL_ANNOTATIONS.source, DRILL_ANNOTATIONS.backup, CREDENTIALS_CHECKSUM_ANNOTATION, PATCH_FORCE_ANNOTATION, SCHEDULE_NAME_LABEL, RESTORE_NAME_LABEL,
      NODE_AGENT_CONFIG_CHECKSUM_ANNOTATION, ...Object.keys(FS_RESTORE_CONFIG_LABELS), ZREPL_K8S.configChecksum, ZREPL_K8S.tlsChecksum, ZREPL_K8S.hostnameLabel];
    expect(keys.filter((k) => !documented(k))).toEqual([]);
  });

  it("the project's own keys carry the DNS prefix, and the migration note names each with its old key", () => {
    const own = [labels.FLOW_LABEL, labels.DRILL_LABEL, DRILL_ANNOTATIONS.source, DRILL_ANNOTATIONS.backup, ADMISSION_POLICY_ANNOTATION, CREDENTIALS_CHECKSUM_ANNOTATION];
    expect(labels.LABEL_PREFIX).toBe("cluster-backup.io/");
    expect(own.filter((k) => !k.startsWith(labels.LABEL_PREFIX))).toEqual([]);
    const migration = DOC.slice(DOC.indexOf("## Migration"));
    expect(migration).toContain(`## Migration: \`${labels.LEGACY_LABEL_PREFIX}\` → \`${labels.LABEL_PREFIX}\``);
    expect(own.filter((k) => !migration.includes(`\`${k}\``))).toEqual([]);
  });

  it("cites only policy pack rules that exist", () => {
    const names = new Set(RULES.map((r) => r.name));
    const cited = [...DOC.matchAll(/pack(?: \+ VAP)? ((?:`[a-z-]+`(?:, )?)+)/g)].flatMap((m) => [...m[1].matchAll(/`([a-z-]+)`/g)].map((x) => x[1]));
    expect(cited.length).toBeGreaterThan(10);
    expect(cited.filter((n) => !names.has(n))).toEqual([]);
  });

  describe.each(["dev", "prod"])("the %s plan", (stack) => {
    let plan: Plan;
    beforeAll(async () => {
      plan = await planStack(stack);
    });

    it("puts no key on an object that the page does not name, and no key of the old prefix", () => {
      const keys = [...metadataKeys(plan.objects())].filter((k) => k.includes("/"));
      expect(keys).toContain(labels.FLOW_LABEL);
      expect(keys.filter((k) => k.startsWith(labels.LEGACY_LABEL_PREFIX))).toEqual([]);
      expect(keys.filter((k) => !documented(k))).toEqual([]);
    });

    it("every ValidatingAdmissionPolicy the stack creates is on the page, and the page cites no other", () => {
      const vaps = plan.objects("ValidatingAdmissionPolicy").map((o) => String(o.metadata.name));
      const cited = [...DOC.matchAll(/VAP `([a-z-]+)`/g)].map((m) => (m[1].startsWith("cluster-backup-") ? m[1] : `cluster-backup-${m[1]}`));
      expect(vaps.filter((v) => !cited.includes(v) && !DOC.includes(`\`${v}\``))).toEqual([]);
      if (stack === "prod") expect([...new Set(cited)].filter((c) => !vaps.includes(c)).sort()).toEqual([]);
    });
  });
});
