/** Velero chart keys the pack and the stack config both refuse (the pack must stay self-contained: they live here). */

/**
 * Chart keys removed since chart 3.0.0/6.0.0. Chart 12.1.0 `templates/NOTES.txt` aborts rendering on `deployRestic`,
 * `restic`, the TOP-LEVEL `resticTimeout`/`defaultVolumesToRestic`/`defaultResticPruneFrequency` (`hasKey .Values`),
 * `configuration.provider`, `configMaps.restic-restore-action-config` and `configuration.repositoryMaintenanceJob`
 * `requests`/`limits`/`latestJobsCount`; the `configuration.*` restic keys are silently ignored. Read by the stack config
 * checks (components/config-rules.ts) and the policy pack.
 */
export const REMOVED_CHART_KEYS: Record<string, string> = {
  deployRestic: "deployNodeAgent (set by this program)",
  restic: "nodeAgent",
  resticTimeout: "configuration.fsBackupTimeout (config velero.fsBackupTimeout)",
  defaultVolumesToRestic: "configuration.defaultVolumesToFsBackup",
  defaultResticPruneFrequency: "configuration.defaultRepoMaintainFrequency",
  "configuration.provider": "a provider per backupStorageLocation (set by this program)",
  "configuration.repositoryMaintenanceJob.requests": "configuration.repositoryMaintenanceJob.repositoryConfigData.global.podResources",
  "configuration.repositoryMaintenanceJob.limits": "configuration.repositoryMaintenanceJob.repositoryConfigData.global.podResources",
  "configuration.repositoryMaintenanceJob.latestJobsCount": "configuration.repositoryMaintenanceJob.repositoryConfigData.global.keepLatestMaintenanceJobs",
  "configuration.defaultVolumesToRestic": "configuration.defaultVolumesToFsBackup",
  "configuration.resticTimeout": "configuration.fsBackupTimeout (config velero.fsBackupTimeout)",
  "configuration.defaultResticPruneFrequency": "configuration.defaultRepoMaintainFrequency",
  "configMaps.restic-restore-action-config": "configMaps.fs-restore-action-config",
  "nodeAgent.privileged": "config velero.nodeAgent.privileged (renders nodeAgent.containerSecurityContext)",
};
