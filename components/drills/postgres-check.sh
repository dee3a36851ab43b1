# Post-restore check of the Postgres drill (cluster-backup, components/drills). Velero runs it as a restore exec
# hook (`/bin/sh -c <this file> postgres-check <dump> <database> [<query>]`) in the Postgres container of the pod
# restored into the drill's scratch namespace, once the container is ready: the restored pod has an empty data
# directory and the dump of the backup in its dump volume, exactly what the restore runbook starts from.
#
# It waits for the server, loads the dump with psql (errors such as "role already exists" are expected: the fresh
# server already has its superuser), checks that every database the dump creates exists afterwards, and runs the
# drill's query when one is configured. Its output goes to the Restore's log (velero restore logs <restore>); a
# non-zero exit fails the hook and with it the drill.
set -eu
dump=$1
database=$2
query=${3:-}
user=${POSTGRES_USER:-postgres}
log=$(dirname "$dump")/drill-load.log

tries=0
until pg_isready -q -U "$user"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 120 ]; then
    echo "postgres-check: the server did not accept connections within 10 minutes" >&2
    exit 1
  fi
  sleep 5
done

if [ ! -s "$dump" ]; then
  echo "postgres-check: no dump at $dump: the backup holds no dump (did the pre-backup hook run?)" >&2
  exit 1
fi

expected=$(grep -c '^CREATE DATABASE ' "$dump" || true)
psql -X -q -U "$user" -d postgres -v ON_ERROR_STOP=0 -f "$dump" >/dev/null 2>"$log" || {
  echo "postgres-check: psql could not load $dump:" >&2
  tail -n 20 "$log" >&2
  exit 1
}
load_errors=$(grep -c 'ERROR:' "$log" || true)

present=$(psql -X -At -U "$user" -d postgres -c "SELECT count(*) FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'")
if [ "$present" -lt "$expected" ]; then
  echo "postgres-check: the dump creates $expected databases but only $present exist after loading it" >&2
  tail -n 20 "$log" >&2
  exit 1
fi

if [ -n "$query" ]; then
  result=$(psql -X -At -U "$user" -d "$database" -v ON_ERROR_STOP=1 -c "$query")
  echo "postgres-check: query on $database returned: $result"
fi
echo "postgres-check: loaded $dump ($expected databases created, $load_errors psql errors while loading)"
