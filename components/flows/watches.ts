/**
 * Builders of the inventory's watches: each carries the selector of the series that proves it works (metric facts:
 * components/monitoring/rules.ts). Pure.
 */
import { METRICS, selector } from "../monitoring/rules";
import type { RunbookAnchor } from "../runbook-anchors";
import type { CronJobWatch, DaemonSetWatch, ObjectRef, Severity } from "./types";

/** A namespaced object reference. */
export function objectRef(kind: ObjectRef["kind"], namespace: string, name: string, renderedBy?: ObjectRef["renderedBy"]): ObjectRef {
  return { kind, namespace, name, ...(renderedBy ? { renderedBy } : {}) };
}

/** `Kind namespace/name`, as coverage.md lists objects. */
export function objectRefText(o: ObjectRef): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
}

export function cronJobWatch(args: {
  flow: string;
  namespace: string;
  name: string;
  role: string;
  cron: string;
  intervalSeconds: number;
  staleAfterSeconds: number;
  purpose: string;
  severity: Severity;
  anchor: RunbookAnchor;
  alert?: CronJobWatch["alert"];
}): CronJobWatch {
  return {
    kind: "cronjob",
    flow: args.flow,
    object: objectRef("CronJob", args.namespace, args.name),
    role: args.role,
    cron: args.cron,
    intervalSeconds: args.intervalSeconds,
    staleAfterSeconds: args.staleAfterSeconds,
    purpose: args.purpose,
    severity: args.severity,
    anchor: args.anchor,
    metric: selector(METRICS.cronJobLastSuccess, { namespace: args.namespace, cronjob: args.name }),
    ...(args.alert ? { alert: args.alert } : {}),
  };
}

export function daemonSetWatch(flow: string, object: ObjectRef, purpose: string, anchor: RunbookAnchor): DaemonSetWatch {
  return { kind: "daemonset", flow, object, purpose, anchor, metric: selector(METRICS.daemonSetReady, { namespace: object.namespace, daemonset: object.name }) };
}
