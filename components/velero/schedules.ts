/**
 * One Velero Schedule per enabled flow (docs/design.md §1, §2(a), §3.4.6), created from the specs of
 * {@link buildScheduleSpecs} (velero/schedule-specs.ts, pure).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectMeta, requireProvider } from "../k8s";
import type { ScheduleSpec } from "./schedule-specs";

export * from "./schedule-specs";

export interface SchedulesArgs {
  /** The Schedules to create, from {@link buildScheduleSpecs}. */
  readonly schedules: readonly ScheduleSpec[];
  /** What the Schedules wait for: the Velero chart (CRDs, controller) and the VolumeSnapshotClasses; default none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Schedules extends pulumi.ComponentResource {
  /** The Schedule resources, by name. */
  readonly schedules: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
  /** Names of the Schedules. */
  readonly names: string[];

  constructor(name: string, args: SchedulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cluster-backup:velero:Schedules", name, {}, opts);
    const provider = requireProvider("Schedules", opts);
    const schedules: Record<string, k8s.apiextensions.CustomResource> = {};
    for (const s of args.schedules) {
      schedules[s.name] = new k8s.apiextensions.CustomResource(
        `${name}-${s.name}`,
        { apiVersion: "velero.io/v1", kind: "Schedule", metadata: objectMeta(s.name, s.namespace, s.flow), spec: s.spec },
        { parent: this, provider, dependsOn: args.dependsOn ?? [] },
      );
    }
    this.schedules = schedules;
    this.names = args.schedules.map((s) => s.name);
    this.registerOutputs({ names: this.names });
  }
}
