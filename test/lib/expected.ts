/**
 * Literal expected values shared by several test files (written out, never computed from production code, so a change
 * of the code is caught rather than mirrored).
 */

/** docs/design.md §3.5 pod-template annotations of the database dump hooks, verbatim, with the config defaults (30m / 2m). */
export const PG_ANNOTATIONS = {
  "backup.velero.io/backup-volumes": "backups",
  "pre.hook.backup.velero.io/container": "postgres",
  "pre.hook.backup.velero.io/command":
    '["/bin/sh","-c","rm -f /backups/dump.sql /backups/dump.sql.tmp; pg_dumpall --clean --if-exists -U \\"${POSTGRES_USER:-postgres}\\" -f /backups/dump.sql.tmp && tail -n 3 /backups/dump.sql.tmp | grep -qxF -e \'-- PostgreSQL database cluster dump complete\' && mv /backups/dump.sql.tmp /backups/dump.sql || { rm -f /backups/dump.sql.tmp; echo \'dump hook: pg_dumpall failed or its output lacks the completion line (disk full?); no dump published\' >&2; exit 1; }"]',
  "pre.hook.backup.velero.io/on-error": "Fail",
  "pre.hook.backup.velero.io/timeout": "30m",
  "post.hook.backup.velero.io/container": "postgres",
  "post.hook.backup.velero.io/command": '["/bin/sh","-c","rm -f /backups/dump.sql /backups/dump.sql.tmp"]',
  "post.hook.backup.velero.io/on-error": "Continue",
  "post.hook.backup.velero.io/timeout": "2m",
};

/** The ownership labels every object of the program carries (docs/design.md §6). */
export const OWNERSHIP = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "cluster-backup" };

/** Pod Security Admission labels of a namespace that enforces, audits and warns at `privileged`. */
export const PSA_PRIVILEGED = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/audit": "privileged",
  "pod-security.kubernetes.io/warn": "privileged",
};
