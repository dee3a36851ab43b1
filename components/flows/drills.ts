/** The restore drills as verifications of the flows whose backups they restore (components/drills). Pure. */
import { staleAfterSeconds, type StaleKey, type StaleSettings } from "../monitoring/stale";
import { RUNBOOK_ANCHORS } from "../runbook-anchors";
import { cronJobWatch } from "./watches";
import type { Verification } from "./types";

/** A restore drill as components/drills/spec.ts `DrillSpec` describes it (the fields the inventory reads). */
export interface DrillRef {
  /** The flow whose newest backup it restores. */
  readonly kind: "tenants" | "postgres";
  /** CronJob name. */
  readonly cronJob: string;
  /** Cron, without time zone. */
  readonly schedule: string;
  /** Longest gap between two runs. */
  readonly intervalSeconds: number;
  /** drills.timeout: the Job's activeDeadlineSeconds. */
  readonly timeoutSeconds: number;
  /** The tenants drill without a fixed namespace: every tenant restored at least once per this many weeks. */
  readonly rotationWeeks?: number;
}

const DRILL_PURPOSES: Record<DrillRef["kind"], { key: StaleKey; purpose: string }> = {
  tenants: { key: "tenantsDrill", purpose: "restores a tenant namespace of the newest tenants backup into a scratch namespace and checks it" },
  postgres: { key: "postgresDrill", purpose: "restores the newest Postgres backup into a scratch namespace, loads the dump and runs a query" },
};

/** One verification per drill, in the drills' order; the flow it verifies is the drill's kind. */
export function drillVerifications(drills: readonly DrillRef[], veleroNamespace: string, stale: StaleSettings): Verification[] {
  return drills.map((d) => ({
    kind: "drill",
    name: d.kind,
    purpose: DRILL_PURPOSES[d.kind].purpose,
    watch: cronJobWatch({
      flow: d.kind,
      namespace: veleroNamespace,
      name: d.cronJob,
      role: "drill",
      cron: d.schedule,
      intervalSeconds: d.intervalSeconds,
      // A drill may run up to drills.timeout: never call it late before that.
      staleAfterSeconds: staleAfterSeconds(stale, DRILL_PURPOSES[d.kind].key, d.intervalSeconds, d.timeoutSeconds),
      purpose: DRILL_PURPOSES[d.kind].purpose,
      severity: "warning",
      anchor: RUNBOOK_ANCHORS.drills,
    }),
    ...(d.rotationWeeks === undefined ? {} : { rotationWeeks: d.rotationWeeks }),
  }));
}
