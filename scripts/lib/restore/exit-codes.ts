/** Exit codes of `npm run restore` (printed by --help; scripts may branch on them). */
export const EXIT = {
  /** The restore Completed (or --dry-run printed the Restore). */
  ok: 0,
  /** The restore ended PartiallyFailed: some items or volumes were not restored (see its errors). */
  partiallyFailed: 1,
  /** Bad arguments: a --tenant that is not a tenant namespace name, a refused --as, an unknown --context, an old Node. */
  usage: 2,
  /** The restore ended Failed or FailedValidation. */
  failed: 3,
  /** No backup of the schedule holds all of the tenant (unknown tenant, opted out, errors in it, or no backup yet), or the
   *  restore Completed with nothing in it (the backup's filters matched the name but it held no object of it). */
  noBackup: 4,
  /** --from-backup does not exist, is not Completed/PartiallyFailed, or does not contain the tenant. */
  badBackup: 5,
  /** The target namespace exists (and --allow-existing was not given). */
  namespaceExists: 6,
  /** No cluster reachable: no kubeconfig, or the API server did not answer. */
  unreachable: 7,
  /** The API server refused a request (unauthorised, forbidden, Velero CRDs missing, name taken...). */
  apiError: 8,
  /** The restore was still running when --timeout ran out (it continues in the cluster). */
  timeout: 9,
  /** The backup's storage location is not Available, so Velero could not read the backup. */
  locationUnavailable: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: a message for the operator and the exit code it maps to. */
export class RestoreError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = "RestoreError";
  }
}
