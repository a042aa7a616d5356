# bench/lib/common.sh - shared by the workload scripts of bench/workloads/ (sourced, bash >= 5).
#
# Builds on bench/peers/lib.sh (config template, bundle, $EPOCHREALTIME helpers) and adds:
#   * runtimes given as NAME=PATH words (BENCH_RT_SPECS, set by bench/run.sh), where NAME is
#     oci-ts, runc, crun or hello (dist/hello: a Node SEA that ignores its arguments; it is
#     called exactly like a runtime, so its samples are the Node floor of that very call);
#   * per-runtime state under BASE=/run/ocib-<pid>/<name>/ (root/ = --root, work/ = bundles),
#     removed on exit with `delete -f` of every container still listed;
#   * samples: one TSV line per measurement, appended to $BENCH_SAMPLES:
#         workload  metric  runtime  slot  value  unit
#     `slot` pairs the samples of different runtimes taken next to each other (same iteration
#     of an A B A B ... loop, or the same round); bench/report.mjs takes per-pair ratios per slot.
HERE_COMMON=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../peers/lib.sh
. "$HERE_COMMON/../peers/lib.sh"

: "${BENCH_SAMPLES:?BENCH_SAMPLES (the samples TSV) must be set}"
: "${BENCH_BUNDLE_DIR:=/var/tmp/oci-ts-bench/bundle}"
: "${BENCH_ERRLOG:=/dev/stderr}"

bench_log() { printf 'bench: %s\n' "$*" >&2; }

# RT_NAMES (ordered), RT_BIN[name], RT_ROOT[name], RT_WORK[name]
declare -a RT_NAMES=()
declare -A RT_BIN=() RT_ROOT=() RT_WORK=()
BENCH_BASE=/run/ocib-$$

# bench_init_runtimes "name=path" ... : also builds the shared bundle (rootfs with busybox)
bench_init_runtimes() {
  local spec name path
  for spec in "$@"; do
    name=${spec%%=*} path=${spec#*=}
    [ -x "$path" ] || bench_die "runtime $name: $path is not executable"
    RT_NAMES+=("$name")
    RT_BIN[$name]=$path
    RT_ROOT[$name]=$BENCH_BASE/$name/root
    RT_WORK[$name]=$BENCH_BASE/$name/work
    mkdir -p "${RT_ROOT[$name]}" "${RT_WORK[$name]}"
  done
  bench_ensure_bundle "$BENCH_BUNDLE_DIR"
  ROOTFS=$BENCH_BUNDLE/rootfs
  # stdout of every timed call: a pipe drained by one long-lived cat (BENCH_STDOUT=pipe, the
  # default: engines read runtime output through pipes, and a Node runtime pays more to set up
  # a pipe stdout than a file one), or /dev/null (BENCH_STDOUT=null)
  if [ "${BENCH_STDOUT:-pipe}" = pipe ]; then
    exec {BENCH_OUT_FD}> >(exec cat >/dev/null)
  else
    exec {BENCH_OUT_FD}>/dev/null
  fi
  trap bench_common_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Delete every container a runtime still lists under its root (containers dirs = ids), then the
# cgroups named after bench ids, then BASE. Parallel per runtime, bounded.
bench_common_cleanup() {
  local name id d
  for name in "${RT_NAMES[@]}"; do
    [ "$name" = hello ] && continue
    [ -d "${RT_ROOT[$name]}" ] || continue
    for d in "${RT_ROOT[$name]}"/*/; do
      [ -d "$d" ] || continue
      id=${d%/}; id=${id##*/}
      [ "$id" = lib ] && continue
      printf '%s\n' "$id"
    done | xargs -r -P 4 -I{} "${RT_BIN[$name]}" --root "${RT_ROOT[$name]}" delete -f {} >/dev/null 2>&1
  done
  for d in /sys/fs/cgroup/*/ocib-$$-* /sys/fs/cgroup/unified/ocib-$$-*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rm -rf "$BENCH_BASE"
  return 0
}

# bench_id NAME SUFFIX -> REPLY = container id (unique per bench process and runtime)
bench_id() { REPLY="ocib-$$-$1-$2"; }

# bench_bundle NAME ID ARG... -> REPLY = bundle dir with its own config.json (own cgroup /ID)
bench_bundle() {
  local name=$1 id=$2; shift 2
  local b=${RT_WORK[$name]}/$id
  [ -d "$b" ] || mkdir "$b"
  bench_write_config "$b/config.json" "$ROOTFS" "/$id" "$@"
  REPLY=$b
}

# bench_order I -> REPLY_ORDER = RT_NAMES rotated by I (so no runtime always runs first)
bench_order() {
  local i=$1 n=${#RT_NAMES[@]} k
  REPLY_ORDER=()
  for ((k = 0; k < n; k++)); do REPLY_ORDER+=("${RT_NAMES[(k + i) % n]}"); done
}

# bench_time NAME ARG... : one timed call of runtime NAME with --root; REPLY = microseconds,
# BENCH_RC = exit code. stdout goes to the drain (BENCH_OUT_FD), stderr to $BENCH_ERRLOG.
bench_time() {
  local name=$1; shift
  local t0 t1
  t0=${EPOCHREALTIME/[.,]/}
  "${RT_BIN[$name]}" --root "${RT_ROOT[$name]}" "$@" </dev/null >&"$BENCH_OUT_FD" 2>>"$BENCH_ERRLOG"
  BENCH_RC=$?
  t1=${EPOCHREALTIME/[.,]/}
  REPLY=$((t1 - t0))
}

# bench_time_raw ARG... : like bench_time for any command line (no --root)
bench_time_raw() {
  local t0 t1
  t0=${EPOCHREALTIME/[.,]/}
  "$@" </dev/null >&"$BENCH_OUT_FD" 2>>"$BENCH_ERRLOG"
  BENCH_RC=$?
  t1=${EPOCHREALTIME/[.,]/}
  REPLY=$((t1 - t0))
}

# bench_meta KEY VALUE : a line for the report (run notes, skips, failures)
bench_meta() { printf '%s\t%s\n' "$1" "$2" >> "${BENCH_META:-/dev/null}"; }

# bench_sample WORKLOAD METRIC RUNTIME SLOT VALUE UNIT
bench_sample() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$BENCH_SAMPLES"; }

# bench_us_to_ms MICROSECONDS -> REPLY = "12.345"
bench_us_to_ms() { printf -v REPLY '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# bench_elapsed_s -> REPLY = whole seconds since this script started
bench_elapsed_s() { REPLY=$SECONDS; }
