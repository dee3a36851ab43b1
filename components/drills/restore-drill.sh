#!/bin/sh
# Restore drill of cluster-backup (components/drills). Shipped in the ConfigMap `restore-drill` with the object
# templates it fills in (<kind>-namespace.json, <kind>-restore.json, event.json), run by the CronJobs
# `restore-drill-tenants` and `restore-drill-postgres`:
#
#   1. delete scratch namespaces left behind by an earlier run of this drill;
#   2. pick the newest Completed backup of the Velero Schedule the drill checks, or a newer PartiallyFailed one whose
#      errors Velero recorded against other namespaces only;
#   3. pick the source namespaces: the fixed one, or the tenants of this week's rotation group (every tenant at least
#      once per ROTATION_WEEKS weeks, components/drills/rotation.ts); then steps 4-6 for each, one after the other,
#      each into its own scratch namespace drill-<source>-<yyyymmddhhmm> (UTC) with its own Restore;
#   4. create the scratch namespace (labelled as a drill's, excluded from backups, never privileged), bind the
#      drill's scratch rights there, isolate it with a deny-all NetworkPolicy (no ingress, no egress), then create a
#      Restore of the source namespace into it through Velero's namespace mapping;
#   5. wait for the Restore (the postgres check hook runs inside it), scale the restored Deployments and StatefulSets
#      to zero (no check needs them running any more), and check it: phase Completed, every item restored, every pod
#      volume restore Completed, every PVC used by a restored pod Bound, and (postgres) the check hook that loaded the
#      dump and ran a query;
#   6. delete the scratch namespace (and, after a success, the Restore), record a Kubernetes Event on the CronJob
#      and exit 0 on success, non-zero on failure: the Job's status is what kube-state-metrics and the alerts read.
#
# The drill never writes to the source namespace: Velero reads the backup from object storage and writes only into
# the scratch namespace. RBAC cannot limit namespace deletion to a name prefix, so every namespace this script
# creates or deletes goes through require_scratch (prefix drill-, never the tenant prefix) and a delete also needs
# the namespace to carry the drill label; the ValidatingAdmissionPolicy `cluster-backup-restore-drill` enforces the
# same on the API server. Inside a scratch namespace the drill acts through the RoleBinding it creates there
# (ClusterRole cluster-backup-restore-drill-scratch): it cannot read or scale anything in any other namespace.
#
# Usage: restore-drill.sh run | check-scratch <namespace> | scratch-name <source> <yyyymmddhhmm>
#        | rotation <unix time> <candidate>... (prints the tenants the run of that time restores)
# Environment (set by the CronJob): DRILL_KIND, VELERO_NAMESPACE, SCHEDULE_NAME, SOURCE_NAMESPACE (empty: rotate),
# TENANT_PREFIX, TENANT_GLOB, TENANT_SELECTOR, EXCLUDE_LABEL, SCRATCH_PREFIX, DRILL_LABEL, COPY_LABEL_PREFIX,
# SOURCE_ANNOTATION, BACKUP_ANNOTATION, ROTATION_WEEKS, ROTATION_OFFSET_SECONDS, WAIT_SECONDS, POLL_SECONDS,
# CRONJOB_NAME, POD_NAME, TEMPLATE_DIR, EXPECT_HOOKS; ROTATION_NOW (Unix time, default now) replays another week's group.
set -eu
# Tenant names sort the same everywhere (the rotation's fallback pick indexes the sorted list).
export LC_ALL=C
WEEK_SECONDS=604800

EXIT_FAILED=1
EXIT_REFUSED=3
# Attempts at the NetworkPolicy, 2 s apart (both settable), while the new RoleBinding reaches the authorizer.
ISOLATE_TRIES=${ISOLATE_TRIES:-10}
ISOLATE_RETRY_SECONDS=${ISOLATE_RETRY_SECONDS:-2}
# A Kubernetes namespace name is a DNS label: at most 63 characters.
NAME_MAX=63
STAMP_LENGTH=12
NL='
'

log() {
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# is_scratch NAME: the scratch prefix, a DNS label, never the tenant prefix.
is_scratch() {
  case "$1" in
    "$TENANT_PREFIX"*) return 1 ;;
    "$SCRATCH_PREFIX"?*) ;;
    *) return 1 ;;
  esac
  [ "${#1}" -le "$NAME_MAX" ] && printf '%s' "$1" | grep -Eq '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
}

# require_scratch NAME: exits with EXIT_REFUSED unless NAME is a scratch namespace name.
require_scratch() {
  if ! is_scratch "$1"; then
    log "refusing to touch namespace '$1': only scratch namespaces (${SCRATCH_PREFIX}<source>-<yyyymmddhhmm>, never ${TENANT_PREFIX}*) may be created or deleted by a drill"
    exit "$EXIT_REFUSED"
  fi
}

# scratch_name SOURCE STAMP: drill-<source>-<stamp>, the source cut so the whole stays a DNS label.
scratch_name() {
  keep=$((NAME_MAX - ${#SCRATCH_PREFIX} - 1 - STAMP_LENGTH))
  source_part=$(printf '%s' "$1" | cut -c "1-$keep" | sed 's/-*$//')
  printf '%s%s-%s\n' "$SCRATCH_PREFIX" "$source_part" "$2"
}

fail() {
  detail="$*"
  log "FAILED: $*"
  exit "$EXIT_FAILED"
}

remaining() {
  echo $((deadline - $(date +%s)))
}

# delete_scratch NAME: deletes a scratch namespace of this drill and waits until it is gone.
delete_scratch() {
  require_scratch "$1"
  # One read: `<name>=<value of the drill label>`, nothing when the namespace does not exist. kubectl's JSONPath
  # (k8s.io/client-go/util/jsonpath parser.go: `\.` escapes a dot in a key) prints a missing label as nothing
  # (--allow-missing-template-keys, true by default); get --ignore-not-found prints nothing for a missing object
  # (k8s.io/kubectl/pkg/cmd/get/get.go printGeneric).
  found=$(kubectl get namespace "$1" --ignore-not-found -o "jsonpath={.metadata.name}={.metadata.labels.$drill_label_path}")
  [ -n "$found" ] || return 0
  if [ "${found#*=}" != "$DRILL_KIND" ]; then
    log "refusing to delete namespace $1: it does not carry $DRILL_LABEL=$DRILL_KIND"
    exit "$EXIT_REFUSED"
  fi
  log "deleting scratch namespace $1"
  kubectl delete namespace "$1" --wait=true --timeout=10m
}

record_event() {
  type=$1
  reason=$2
  message=$3
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  uid=$(kubectl -n "$VELERO_NAMESPACE" get cronjob "$CRONJOB_NAME" -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
  jq --arg name "$CRONJOB_NAME" --arg uid "$uid" --arg type "$type" --arg reason "$reason" --arg message "$message" \
    --arg now "$now" --arg instance "${POD_NAME:-}" \
    '.involvedObject.name = $name | .involvedObject.uid = $uid | .type = $type | .reason = $reason
     | .message = $message | .firstTimestamp = $now | .lastTimestamp = $now | .reportingInstance = $instance' \
    "$TEMPLATE_DIR/event.json" | kubectl create -f - >/dev/null
}

on_exit() {
  status=$?
  set +e
  trap - EXIT
  if [ -n "$scratch" ] && [ "$created" = yes ]; then
    if (delete_scratch "$scratch"); then
      summary="$summary; scratch namespace deleted"
    else
      summary="$summary; scratch namespace $scratch NOT deleted"
      [ "$status" -ne 0 ] || status=$EXIT_FAILED
      detail="could not delete the scratch namespace $scratch"
    fi
  fi
  if [ "$status" -eq 0 ]; then
    if [ -n "$restore" ]; then
      kubectl -n "$VELERO_NAMESPACE" delete restores.velero.io "$restore" --wait=false >/dev/null || log "could not delete the Restore $restore"
    fi
    record_event Normal RestoreDrillSucceeded "$DRILL_KIND drill succeeded: $summary" || log "could not record the Event"
    log "SUCCEEDED: $summary"
  else
    [ -n "$detail" ] || detail="step '$step' exited with status $status"
    [ -z "${not_reached:-}" ] || detail="$detail; not drilled in this run: $not_reached"
    record_event Warning RestoreDrillFailed "$DRILL_KIND drill failed at step '$step': $detail ($summary)" || log "could not record the Event"
  fi
  exit "$status"
}

# download URL: the file behind a signed object-store URL on stdout (curl in the drill image, else busybox wget).
download() {
  if command -v curl >/dev/null 2>&1; then curl -fsS --max-time 60 "$1"; else wget -q -T 60 -O - "$1"; fi
}

# partial_errors BACKUP: for a PartiallyFailed backup, prints the namespaces Velero recorded errors in (its results file,
# read through a DownloadRequest as `velero backup describe --details` does, plus those of its Failed PodVolumeBackups),
# one per line. Fails, printing the reason instead, when that cannot be told: results unreadable, errors not placed in a
# namespace (velero, cluster), or none placed at all. Velero v1.18 pkg/util/logging/log_counter_hook.go,
# pkg/cmd/util/downloadrequest/downloadrequest.go.
partial_errors() {
  pvbs=$(kubectl -n "$VELERO_NAMESPACE" get podvolumebackups.velero.io -l "velero.io/backup-name=$1" -o json) || { echo "its PodVolumeBackups cannot be listed"; return 1; }
  request="$1-drill-$(date -u +%Y%m%d%H%M%S)"
  # One jq: the DownloadRequest on the first line (written before the list is read), then the namespaces of the
  # Failed PodVolumeBackups.
  answer=$(printf '%s' "$pvbs" | jq -n -r --arg name "$request" --arg ns "$VELERO_NAMESPACE" --arg backup "$1" \
    '({apiVersion: "velero.io/v1", kind: "DownloadRequest", metadata: {name: $name, namespace: $ns}, spec: {target: {kind: "BackupResults", name: $backup}}} | tojson),
     (input | .items[] | select(.status.phase == "Failed") | .spec.pod.namespace)')
  failed_pvbs=""
  case "$answer" in *"$NL"*) failed_pvbs=${answer#*"$NL"} ;; esac
  printf '%s\n' "${answer%%"$NL"*}" | kubectl create -f - >/dev/null || { echo "a DownloadRequest for its results cannot be created"; return 1; }
  url=""
  tries=0
  while [ -z "$url" ]; do
    url=$(kubectl -n "$VELERO_NAMESPACE" get downloadrequests.velero.io "$request" -o jsonpath='{.status.downloadURL}') || url=""
    [ -n "$url" ] && break
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "Velero did not sign the DownloadRequest $request for its results"; return 1; }
    sleep 1
  done
  download "$url" | gunzip >"$work/results-$1.json" 2>/dev/null || { echo "its results file cannot be downloaded from the object store"; return 1; }
  # One jq: the number of errors not placed in a namespace on the first line, then the namespaces with errors (those
  # read before a malformed entry, if any).
  found=$(jq -r '([(.errors.velero // [])[], (.errors.cluster // [])[]] | length),
    try (.errors.namespaces // {} | to_entries[] | select(.value | length > 0) | .key)' "$work/results-$1.json") || { echo "its results file is not JSON"; return 1; }
  unplaced=${found%%"$NL"*}
  [ "$unplaced" -eq 0 ] || { echo "$unplaced of its errors are not recorded against a namespace"; return 1; }
  placed=""
  case "$found" in *"$NL"*) placed=${found#*"$NL"} ;; esac
  placed=$(printf '%s\n%s\n' "$placed" "$failed_pvbs" | grep -v '^$' | sort -u)
  [ -n "$placed" ] || { echo "its results place no error in any namespace"; return 1; }
  printf '%s\n' "$placed"
}

# in_list NAME LIST: NAME is one of the lines of LIST.
in_list() {
  case "$NL$2$NL" in
    *"$NL$1$NL"*) return 0 ;;
  esac
  return 1
}

# find_backup: sets backup and started to the newest backup of the schedule the drill can use, and tainted to the
# namespaces with errors in it. All tenants share one nightly Backup: a PartiallyFailed one still serves every tenant
# it recorded no error for (the fixed source must be one of them; a rotating drill picks among them).
find_backup() {
  backups=$(kubectl -n "$VELERO_NAMESPACE" get backups.velero.io -l "velero.io/schedule-name=$SCHEDULE_NAME" -o json)
  for entry in $(printf '%s' "$backups" | jq -r '[.items[] | select(.status.phase == "Completed" or .status.phase == "PartiallyFailed")]
    | sort_by(.status.startTimestamp) | reverse | .[] | "\(.metadata.name)|\(.status.startTimestamp)|\(.status.phase)"'); do
    name=${entry%%|*}
    rest=${entry#*|}
    if [ "${rest#*|}" = Completed ]; then
      backup=$name
      started=${rest%%|*}
      tainted=""
      return 0
    fi
    if verdict=$(partial_errors "$name"); then
      tainted=$verdict
      if [ -n "$SOURCE_NAMESPACE" ] && in_list "$SOURCE_NAMESPACE" "$tainted"; then
        log "skipping the PartiallyFailed backup $name: Velero recorded errors in $SOURCE_NAMESPACE"
        continue
      fi
      backup=$name
      started=${rest%%|*}
      log "using the PartiallyFailed backup $name: its errors are in $(printf '%s' "$tainted" | tr '\n' ' ' | sed 's/ $//') only"
      return 0
    fi
    log "skipping the PartiallyFailed backup $name: $verdict"
  done
  fail "no Completed backup of the Schedule $SCHEDULE_NAME in $VELERO_NAMESPACE"
}

# matches_glob NAME: NAME matches the tenants Schedule's namespace glob (Velero's glob syntax is the shell's).
matches_glob() {
  # shellcheck disable=SC2254
  case "$1" in
    $TENANT_GLOB) return 0 ;;
  esac
  return 1
}

# The rotation group of the name jq has as input: a hash of the name alone, (h * 31 + code point) mod 1000003 over its
# characters, modulo $n (ROTATION_WEEKS). As `<name>:<group>`, the form rotation takes.
# shellcheck disable=SC2016
ROTATION_ENTRY='"\(.):\((reduce explode[] as $c (0; (. * 31 + $c) % 1000003)) % $n)"'

# rotation NOW NAME:GROUP...: sets week, group and picked (space-separated) for the run at Unix time NOW: the sorted
# candidates whose rotation group (ROTATION_ENTRY) is week mod ROTATION_WEEKS, or, when none is, the candidate at week
# mod count. Every tenant is in one group by its own name, so every tenant that stays a candidate for ROTATION_WEEKS
# weeks is picked in one of them, whatever other tenants come and go (components/drills/rotation.ts explains the bound).
rotation() {
  week=$((($1 - ROTATION_OFFSET_SECONDS) / WEEK_SECONDS))
  group=$((week % ROTATION_WEEKS))
  shift
  picked=""
  for entry; do
    [ "${entry##*:}" != "$group" ] || picked="$picked ${entry%:*}"
  done
  picked=${picked# }
  if [ -z "$picked" ] && [ "$#" -gt 0 ]; then
    index=$((week % $# + 1))
    eval "entry=\${$index}"
    picked=${entry%:*}
  fi
}

# choose_sources: sets sources to SOURCE_NAMESPACE or, when that is empty, to this week's rotation group among the
# tenants the backup holds (labelled tenant namespaces matching the glob, not opted out, created before the backup
# started, without errors in it).
choose_sources() {
  if [ -n "$SOURCE_NAMESPACE" ]; then
    sources=$SOURCE_NAMESPACE
    return 0
  fi
  tenants=$(kubectl get namespaces -l "$TENANT_SELECTOR" -o json)
  candidates=""
  # One jq: the tenants in name order (jq sorts strings by their bytes, as sort does under LC_ALL=C), each with its
  # rotation group.
  for entry in $(printf '%s' "$tenants" | jq -r --arg prefix "$TENANT_PREFIX" --arg before "$started" --arg ex "$EXCLUDE_LABEL" \
    --argjson n "$ROTATION_WEEKS" '[.items[] | select((.metadata.name | startswith($prefix)) and .metadata.creationTimestamp < $before
                       and (.metadata.labels[$ex] // "") != "true") | .metadata.name] | sort[] | '"$ROTATION_ENTRY"); do
    ns=${entry%:*}
    if matches_glob "$ns" && ! in_list "$ns" "$tainted"; then candidates="$candidates $entry"; fi
  done
  # shellcheck disable=SC2086
  set -- $candidates
  [ "$#" -gt 0 ] || fail "no tenant namespace matching $TENANT_GLOB existed when $backup started"
  rotation "${ROTATION_NOW:-$(date +%s)}" "$@"
  sources=$picked
  tenant_count=$#
  # shellcheck disable=SC2086
  set -- $sources
  summary="$summary; rotation week $week, group $group of $ROTATION_WEEKS: $# of $tenant_count tenants"
}

# drill_source: steps 4-6 for $source (scratch namespace, Restore, checks, clean-up); fails the run on the first problem.
drill_source() {
  stamp=$(date -u +%Y%m%d%H%M)
  target=$(scratch_name "$source" "$stamp")
  require_scratch "$target"
  [ "$target" != "$source" ] || fail "the scratch namespace equals the source $source"
  summary="$summary; source $source; scratch $target"

  step="create scratch namespace"
  # The restored pods run under the source's Pod Security level, never above baseline: a level other than restricted
  # becomes baseline (the admission policy refuses a privileged scratch namespace). No other label is copied.
  source_json=$(kubectl get namespace "$source" --ignore-not-found -o json)
  [ -n "$source_json" ] || source_json='{}'
  scratch=$target
  # The four objects of this source from their templates, one jq for all, one compact JSON per line: the scratch
  # namespace (with the copied labels), its RoleBinding and NetworkPolicy, and the Restore (named as the namespace).
  printf '%s' "$source_json" | jq -n -c --arg name "$scratch" --arg source "$source" --arg backup "$backup" \
    --arg p "$COPY_LABEL_PREFIX" --arg source_key "$SOURCE_ANNOTATION" --arg backup_key "$BACKUP_ANNOTATION" \
    --slurpfile namespace "$TEMPLATE_DIR/$DRILL_KIND-namespace.json" --slurpfile rolebinding "$TEMPLATE_DIR/scratch-rolebinding.json" \
    --slurpfile networkpolicy "$TEMPLATE_DIR/scratch-networkpolicy.json" --slurpfile restore "$TEMPLATE_DIR/$DRILL_KIND-restore.json" \
    '(input | .metadata.labels // {} | with_entries(select(.key | startswith($p)))
      | with_entries(if (.key == ($p + "enforce") or .key == ($p + "audit") or .key == ($p + "warn")) and .value != "restricted" then .value = "baseline" else . end)) as $copied
     | ($namespace[0] | .metadata.name = $name | .metadata.labels = .metadata.labels + $copied
        | .metadata.annotations[$source_key] = $source | .metadata.annotations[$backup_key] = $backup),
       ($rolebinding[0] | .metadata.namespace = $name),
       ($networkpolicy[0] | .metadata.namespace = $name),
       ($restore[0] | .metadata.name = $name | .spec.backupName = $backup | .spec.includedNamespaces = [$source]
        | .spec.namespaceMapping = {($source): $name})' >"$work/objects.json"
  { read -r namespace_json; read -r rolebinding_json; read -r networkpolicy_json; read -r restore_json; } <"$work/objects.json"
  printf '%s\n' "$namespace_json" >"$work/namespace.json"
  kubectl create -f "$work/namespace.json" >/dev/null
  created=yes

  step="isolate scratch namespace"
  printf '%s\n' "$rolebinding_json" | kubectl create -f - >/dev/null
  printf '%s\n' "$networkpolicy_json" >"$work/networkpolicy.json"
  # The RoleBinding just created may take a moment to reach the API server's authorizer.
  tries=0
  until kubectl create -f "$work/networkpolicy.json" >/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt "$ISOLATE_TRIES" ] || fail "could not create the deny-all NetworkPolicy in $scratch"
    sleep "$ISOLATE_RETRY_SECONDS"
  done

  step="create restore"
  restore=$scratch
  printf '%s\n' "$restore_json" | kubectl create -f - >/dev/null

  step="wait for restore"
  wait_for_restore

  step="scale down"
  scale_down

  step="check restore"
  check_restore
  step="check pod volumes"
  check_pod_volumes
  step="check PVCs"
  check_pvcs

  step="clean up"
  (delete_scratch "$scratch") || fail "could not delete the scratch namespace $scratch"
  created=no
  summary="$summary; scratch namespace deleted"
  kubectl -n "$VELERO_NAMESPACE" delete restores.velero.io "$restore" --wait=false >/dev/null || log "could not delete the Restore $restore"
  restore=""
  scratch=""
}

# wait_for_restore: polls the Restore until it has ended and sets phase, restored, total, warnings, errors, attempted
# and failed from the status it ended with, which check_restore judges: Velero writes the hook counts while Finalizing,
# before the final phase, and no controller changes an ended Restore (v1.18 pkg/controller/restore_finalizer_controller.go).
wait_for_restore() {
  while :; do
    # One read of all fields, `|`-separated (a phase or a number holds none). kubectl's JSONPath prints a missing field
    # as nothing (get's --allow-missing-template-keys, true by default; k8s.io/client-go util/jsonpath/jsonpath.go
    # evalField), so a field Velero has not written yet is empty here and takes its default below.
    fields=$(kubectl -n "$VELERO_NAMESPACE" get restores.velero.io "$restore" -o 'jsonpath={.status.phase}|{.status.progress.itemsRestored}|{.status.progress.totalItems}|{.status.warnings}|{.status.errors}|{.status.hookStatus.hooksAttempted}|{.status.hookStatus.hooksFailed}')
    IFS='|' read -r phase restored total warnings errors attempted failed <<EOF
$fields
EOF
    phase=${phase:-New} restored=${restored:-0} total=${total:-0} warnings=${warnings:-0} errors=${errors:-0}
    attempted=${attempted:-0} failed=${failed:-0}
    case "$phase" in
      Completed | PartiallyFailed | Failed | FailedValidation) return 0 ;;
    esac
    [ "$(remaining)" -gt 0 ] || fail "the Restore $restore is still $phase after the drill's wait budget"
    sleep "$POLL_SECONDS"
  done
}

# check_restore: judges the status of the ended Restore that wait_for_restore read.
check_restore() {
  summary="$summary; restore $phase, $restored/$total items, $warnings warnings, $errors errors"
  [ "$phase" = Completed ] || fail "the Restore $restore ended $phase (velero -n $VELERO_NAMESPACE restore describe $restore --details; velero -n $VELERO_NAMESPACE restore logs $restore)"
  [ "$total" -gt 0 ] || fail "the Restore $restore restored nothing: the backup holds no items of $source"
  [ "$restored" -eq "$total" ] || fail "the Restore $restore restored $restored of $total items"
  if [ "$EXPECT_HOOKS" -gt 0 ]; then
    summary="$summary; check hooks attempted $attempted, failed $failed"
    [ "$attempted" -ge "$EXPECT_HOOKS" ] || fail "the post-restore check ran $attempted times, expected $EXPECT_HOOKS: no restored pod has the checked container"
    [ "$failed" -eq 0 ] || fail "the post-restore check failed (velero -n $VELERO_NAMESPACE restore logs $restore shows its output)"
  fi
}

check_pod_volumes() {
  # One line per PodVolumeRestore, <name>=<phase> (a phase not written yet is empty; kubectl's JSONPath range, as in
  # kubectl's JSONPath documentation).
  pvrs=$(kubectl -n "$VELERO_NAMESPACE" get podvolumerestores.velero.io -l "velero.io/restore-name=$restore" \
    -o 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}')
  pvr_total=0
  pvr_done=0
  while read -r pvr; do
    [ -n "$pvr" ] || continue
    pvr_total=$((pvr_total + 1))
    [ "${pvr##*=}" != Completed ] || pvr_done=$((pvr_done + 1))
  done <<EOF
$pvrs
EOF
  summary="$summary; $pvr_done/$pvr_total pod volume restores completed"
  [ "$pvr_done" -eq "$pvr_total" ] || fail "only $pvr_done of $pvr_total pod volume restores of $restore completed"
}

# scale_down: records the restored pods (check_pvcs needs their volumes), then scales every restored Deployment and
# StatefulSet to zero: the checks that need them running (pod volume restores, the postgres hook) are over once the
# Restore has ended, and a restored workload must not keep running on tenant data.
scale_down() {
  # The claims of the restored pods' volumes, space-separated (kubectl's JSONPath prints the results of a wildcard path
  # so, and nothing for a volume without a claim: k8s.io/client-go util/jsonpath/jsonpath.go PrintResults, evalField).
  claims=$(kubectl -n "$scratch" get pods -o 'jsonpath={.items[*].spec.volumes[*].persistentVolumeClaim.claimName}')
  workloads=$(kubectl -n "$scratch" get deployments.apps,statefulsets.apps -o name)
  count=$(printf '%s\n' "$workloads" | grep -c . || true)
  if [ "$count" -gt 0 ]; then
    # shellcheck disable=SC2086
    kubectl -n "$scratch" scale --replicas=0 $workloads >/dev/null
  fi
  summary="$summary; $count workloads scaled to zero"
}

# Every PVC a restored pod mounted must become Bound (PVCs no pod uses may wait for a consumer and are only counted).
check_pvcs() {
  while :; do
    # One line per PVC, <name>=<phase>; a PVC is used when a restored pod's volume claims it (scale_down read them).
    pvcs=$(kubectl -n "$scratch" get persistentvolumeclaims -o 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\n"}{end}')
    pvc_total=0
    pvc_used=0
    pvc_bound=0
    while read -r pvc; do
      [ -n "$pvc" ] || continue
      pvc_total=$((pvc_total + 1))
      case " $claims " in
        *" ${pvc%=*} "*) ;;
        *) continue ;;
      esac
      pvc_used=$((pvc_used + 1))
      [ "${pvc##*=}" != Bound ] || pvc_bound=$((pvc_bound + 1))
    done <<EOF
$pvcs
EOF
    if [ "$pvc_bound" -eq "$pvc_used" ]; then
      summary="$summary; $pvc_bound PVCs bound ($pvc_total restored)"
      return 0
    fi
    [ "$(remaining)" -gt 0 ] || fail "only $pvc_bound of the $pvc_used PVCs used by restored pods are Bound in $scratch"
    sleep "$POLL_SECONDS"
  done
}

run() {
  step="start"
  scratch=""
  restore=""
  created=no
  not_reached=""
  summary="schedule $SCHEDULE_NAME"
  detail=""
  deadline=$(($(date +%s) + WAIT_SECONDS))
  work=$(mktemp -d)
  # The drill label as a JSONPath key: its dots escaped.
  drill_label_path=$(printf '%s' "$DRILL_LABEL" | sed 's/\./\\./g')
  trap on_exit EXIT
  trap 'exit 143' TERM INT

  step="remove leftovers"
  leftovers=$(kubectl get namespaces -l "$DRILL_LABEL=$DRILL_KIND" -o jsonpath='{.items[*].metadata.name}')
  for ns in $leftovers; do
    log "removing the leftover scratch namespace $ns of an earlier run"
    (delete_scratch "$ns") || fail "could not remove the leftover namespace $ns"
  done

  step="find backup"
  find_backup
  summary="$summary; backup $backup"

  step="choose source"
  choose_sources
  for source in $sources; do
    if is_scratch "$source"; then fail "the source $source is itself a scratch namespace"; fi
    if [ "$DRILL_KIND" = tenants ] && ! matches_glob "$source"; then fail "the source $source is not a tenant namespace ($TENANT_GLOB)"; fi
  done

  # One source after the other; the first failure ends the run (on_exit names the sources it did not reach).
  # shellcheck disable=SC2086
  set -- $sources
  while [ "$#" -gt 0 ]; do
    source=$1
    shift
    not_reached="$*"
    step="start $source"
    drill_source
  done
  not_reached=""
}

case "${1:-}" in
  run) run ;;
  check-scratch)
    require_scratch "${2:-}"
    echo "${2:-} is a scratch namespace"
    ;;
  scratch-name) scratch_name "${2:?source}" "${3:?yyyymmddhhmm}" ;;
  rotation)
    shift
    now=${1:?unix time}
    shift
    entries=""
    [ "$#" -eq 0 ] || entries=$(printf '%s\n' "$@" | jq -R -r --argjson n "$ROTATION_WEEKS" "$ROTATION_ENTRY")
    # One candidate per line, as given.
    set -f
    IFS=$NL
    # shellcheck disable=SC2086
    set -- $entries
    IFS=' 	'"$NL"
    rotation "$now" "$@"
    printf 'week %s group %s: %s\n' "$week" "$group" "$picked"
    ;;
  *)
    echo "usage: $0 run | check-scratch <namespace> | scratch-name <source> <yyyymmddhhmm> | rotation <unix time> <candidate>..." >&2
    exit 2
    ;;
esac
