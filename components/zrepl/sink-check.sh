#!/bin/sh
# Sink readability check of cluster-backup's zrepl replication (components/zrepl/sink-check.ts). Runs in the
# `sink-check` container of the zrepl sink DaemonSet on the backup node and lists, with `zfs list`, the datasets zrepl
# receives (<root_fs>/<client identity>/<source path>): per dataset the creation time of its newest zrepl snapshot
# and whether the expected dataset could be read at all. The result is a Prometheus text file the pod's exporter
# container serves (node_exporter's textfile collector), scraped by the zrepl PodMonitor.
#
# Usage: sink-check.sh once <output.prom> <source prefix> <snapshot prefix> <dataset>[<]...
#        sink-check.sh every <seconds> <output.prom> <source prefix> <snapshot prefix> <dataset>[<]...
#   <source prefix>   what to cut from a sink dataset to get its source path: '<root_fs>/<client identity>/'
#   <snapshot prefix> the prefix of zrepl's snapshots ('zrepl_'); other snapshots are not counted
#   <dataset>         an expected sink dataset; a trailing '<' includes every dataset below it (zrepl's filter syntax)
#
# The file is written to a temporary name in the same directory and renamed over the old one, so a reader sees
# either the previous or the new result, never a half-written one, and no value of a dataset that became unreadable
# survives: it then has readable 0 and no snapshot series. Exit status of `once`: 0 when every expected dataset was
# read, 1 when one was not, 2 on a usage error.
set -u

usage() {
  echo "usage: $0 once <output.prom> <source prefix> <snapshot prefix> <dataset>[<]... | every <seconds> <output.prom> <source prefix> <snapshot prefix> <dataset>[<]..." >&2
  exit 2
}

log() {
  printf '%s sink-check: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# label VALUE: VALUE escaped for a Prometheus label (backslash, double quote, newline; ZFS names hold none of them).
label() {
  printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'
}

# check OUTPUT SOURCE_PREFIX SNAP_PREFIX DATASET...: one round; writes OUTPUT atomically.
check() {
  out=$1
  source_prefix=$2
  snap_prefix=$3
  shift 3
  dir=$(dirname "$out")
  tmp="$dir/.$(basename "$out").$$.tmp"
  readable="$tmp.readable"
  newest="$tmp.newest"
  count="$tmp.count"
  listing="$tmp.listing"
  : >"$readable" && : >"$newest" && : >"$count" || { log "cannot write to $dir"; return 1; }
  failed=0
  for expected in "$@"; do
    case "$expected" in
      *"<") root=${expected%<}; scope=subtree ;;
      *) root=$expected; scope=dataset ;;
    esac
    # -r: the dataset, everything below it and their snapshots; creation in Unix seconds (-p), no header (-H).
    if zfs list -H -p -r -t filesystem,volume,snapshot -o name,creation "$root" >"$listing" 2>"$listing.err"; then
      printf 'cluster_backup_zrepl_sink_dataset_readable{dataset="%s"} 1\n' "$(label "$root")" >>"$readable"
      awk -F '\t' -v root="$root" -v scope="$scope" -v src="$source_prefix" -v snap="$snap_prefix" \
        -v newest="$newest" -v count="$count" '
        function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
        {
          name = $1
          at = index(name, "@")
          ds = at ? substr(name, 1, at - 1) : name
          if (scope == "dataset" && ds != root) next
          if (!(ds in seen)) { seen[ds] = 1; order[n++] = ds; last[ds] = 0; snaps[ds] = 0 }
          if (at && index(substr(name, at + 1), snap) == 1) {
            snaps[ds]++
            if ($2 + 0 > last[ds]) last[ds] = $2 + 0
          }
        }
        END {
          for (i = 0; i < n; i++) {
            ds = order[i]
            fs = (index(ds, src) == 1) ? substr(ds, length(src) + 1) : ""
            # expected: the configured dataset itself, when it is a source dataset (not the client placeholder of "<").
            lbl = sprintf("dataset=\"%s\",filesystem=\"%s\",expected=\"%s\"", esc(ds), esc(fs), (ds == root && fs != "") ? "true" : "false")
            printf "cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds{%s} %.0f\n", lbl, last[ds] >> newest
            printf "cluster_backup_zrepl_sink_snapshots{%s} %d\n", lbl, snaps[ds] >> count
          }
        }' "$listing"
    else
      failed=1
      printf 'cluster_backup_zrepl_sink_dataset_readable{dataset="%s"} 0\n' "$(label "$root")" >>"$readable"
      log "cannot list $root: $(head -n 1 "$listing.err")"
    fi
  done
  {
    echo "# HELP cluster_backup_zrepl_sink_dataset_readable 1 when zfs list of the expected sink dataset succeeded, 0 when it failed."
    echo "# TYPE cluster_backup_zrepl_sink_dataset_readable gauge"
    cat "$readable"
    echo "# HELP cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds Creation time of the newest zrepl snapshot of the sink dataset, 0 when it has none."
    echo "# TYPE cluster_backup_zrepl_sink_newest_snapshot_timestamp_seconds gauge"
    cat "$newest"
    echo "# HELP cluster_backup_zrepl_sink_snapshots zrepl snapshots of the sink dataset."
    echo "# TYPE cluster_backup_zrepl_sink_snapshots gauge"
    cat "$count"
    echo "# HELP cluster_backup_zrepl_sink_check_timestamp_seconds When the sink check last ran."
    echo "# TYPE cluster_backup_zrepl_sink_check_timestamp_seconds gauge"
    echo "cluster_backup_zrepl_sink_check_timestamp_seconds $(date +%s)"
  } >"$tmp" && mv -f "$tmp" "$out"
  written=$?
  rm -f "$tmp" "$readable" "$newest" "$count" "$listing" "$listing.err"
  [ "$written" -eq 0 ] || { log "cannot write $out"; return 1; }
  return "$failed"
}

case "${1:-}" in
  once)
    [ "$#" -ge 5 ] || usage
    shift
    check "$@"
    ;;
  every)
    [ "$#" -ge 6 ] || usage
    case "$2" in '' | *[!0-9]* | 0) usage ;; esac
    seconds=$2
    shift 2
    # As the container's PID 1 the shell ignores SIGTERM unless it traps it; sleeping in the background keeps the
    # trap responsive instead of waiting out the sleep (and the pod's grace period).
    sleeper=""
    trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi; exit 143' TERM INT
    while :; do
      check "$@" || true
      sleep "$seconds" &
      sleeper=$!
      wait "$sleeper" || exit 1
      sleeper=""
    done
    ;;
  *) usage ;;
esac
