# Post-restore check of the Postgres drill (cluster-backup, components/drills). Velero runs it as a restore exec
# hook (`/bin/sh -c <this file> postgres-check <dump> <database> [<query>]`) in the Postgres container of the pod
# restored into the drill's scratch namespace, once the container is ready: the restored pod has an empty data
# directory and the dump of the backup in its dump volume, exactly what the restore runbook starts from.
#
# It waits for the server, checks the dump ends with pg_dumpall's completion line, loads it as the restore runbook does
# (psql stopping at the first error; only the DROP ROLE / CREATE ROLE lines of the role psql runs as are left out, they
# always fail), checks that every database the dump creates exists afterwards, and runs the drill's query when one is
# configured. Its output goes to the Restore's log (velero restore logs <restore>); a
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

if ! tail -n 3 "$dump" | grep -qxF -e '-- PostgreSQL database cluster dump complete'; then
  echo "postgres-check: $dump lacks pg_dumpall's completion line: the dump is cut off" >&2
  exit 1
fi

# pg_dumpall --clean also creates postgres and template1, which exist on any server.
expected=$(grep '^CREATE DATABASE ' "$dump" | grep -cvE '^CREATE DATABASE (postgres|template1) ' || true)
grep -vxF -e "DROP ROLE IF EXISTS $user;" -e "CREATE ROLE $user;" -e "DROP ROLE IF EXISTS \"$user\";" -e "CREATE ROLE \"$user\";" "$dump" |
  psql -X -q -U "$user" -d postgres -v ON_ERROR_STOP=1 >/dev/null 2>"$log" || {
  echo "postgres-check: psql could not load $dump:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

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
echo "postgres-check: loaded $dump ($expected databases created, no psql error)"
