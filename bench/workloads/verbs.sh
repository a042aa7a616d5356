#!/bin/bash
# bench/workloads/verbs.sh N WARMUP NAME=PATH...
# Every verb alone, the runtimes alternating call by call (A B C A B C ..., order rotated each
# iteration). One iteration:
#   create (sleep 1000 container, own cgroup)  start  state  exec -d /bin/true  kill KILL
#   delete (delete -f on refusal)
#   run /bin/true (foreground)  delete-after-run  --version  spec (empty dir)  list (empty root)
# `--version` is each runtime's own floor (exec + start-up, no work): runc's floor is
# `runc --version`, and hello's samples of every step are the Node floor (dist/hello).
# Every step of an iteration runs once per runtime before the next step starts, so the samples
# of one (step, iteration) are taken within a few hundred ms of each other: that is the slot.
# The pseudo-runtime `hello` (dist/hello ignores its arguments) takes every step, so
# oci-ts/hello for a step is that step's cost over the Node floor in the same slot.
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_SCRIPT=$HERE/verbs.sh
. "$HERE/../lib/common.sh"
bench_hybrid_fix "$BENCH_SCRIPT" "$@"
# Engines call the runtime from a child subreaper (containerd-shim, conmon): what `exec -d`
# leaves behind is reparented to it and reaped at once. Run as one too (bash reaps any child
# while it waits for the next command). Otherwise the exec'd process goes to the host's PID 1,
# and a slow reaper there (about once a second on the test VM) holds the container's pid
# namespace, and so the next kill and delete, for every runtime alike.
if [ -z "${OCI_BENCH_SUBREAPER:-}" ]; then
  export OCI_BENCH_SUBREAPER=1
  exec /usr/bin/python3 -c 'import ctypes, os, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER, kept across execve
os.execvp("bash", ["bash"] + sys.argv[1:])' "$BENCH_SCRIPT" "$@"
fi
N=${1:?N}; WARM=${2:?WARMUP}; shift 2
bench_init_runtimes "$@"
W=verbs

fails=0
declare -A failed=()   # "runtime step" -> count
fail() { # fail RUNTIME STEP DETAIL
  fails=$((fails + 1)); failed["$1 $2"]=$((${failed["$1 $2"]:-0} + 1))
  echo "verbs: $1 $2 $3 (iteration $it)" >> "$BENCH_ERRLOG"
}

rec() { # rec METRIC NAME SLOT (REPLY = us)
  local ms
  [ "$3" -ge 0 ] || return 0
  bench_us_to_ms "$REPLY"; ms=$REPLY
  bench_sample "$W" "$1" "$2" "$3" "$ms" ms
}

specdir=$BENCH_BASE/spec
mkdir -p "$specdir"

for ((it = -WARM; it < N; it++)); do
  bench_order $((it + WARM))
  order=("${REPLY_ORDER[@]}")
  declare -A cid=() rid=() cb=() rb=()
  for n in "${order[@]}"; do
    bench_id "$n" "c$((it + WARM))"; cid[$n]=$REPLY
    bench_bundle "$n" "${cid[$n]}" /bin/sleep 1000; cb[$n]=$REPLY
    bench_id "$n" "r$((it + WARM))"; rid[$n]=$REPLY
    bench_bundle "$n" "${rid[$n]}" /bin/true; rb[$n]=$REPLY
  done
  for n in "${order[@]}"; do
    bench_time "$n" create --bundle "${cb[$n]}" "${cid[$n]}"; [ $BENCH_RC = 0 ] || fail "$n" create "rc=$BENCH_RC"; rec create "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time "$n" start "${cid[$n]}"; [ $BENCH_RC = 0 ] || fail "$n" start "rc=$BENCH_RC"; rec start "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time "$n" state "${cid[$n]}"; [ $BENCH_RC = 0 ] || fail "$n" state "rc=$BENCH_RC"; rec state "$n" "$it"
  done
  for n in "${order[@]}"; do
    # what engines run for `docker exec` and every healthcheck
    bench_time "$n" exec -d "${cid[$n]}" /bin/true; [ $BENCH_RC = 0 ] || fail "$n" exec "rc=$BENCH_RC"; rec exec_d "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time "$n" kill "${cid[$n]}" KILL; [ $BENCH_RC = 0 ] || fail "$n" kill "rc=$BENCH_RC"; rec kill "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time "$n" delete "${cid[$n]}"
    if [ $BENCH_RC != 0 ]; then
      # not yet stopped after KILL (rare): finish with delete -f, keep the timing of the pair
      t=$REPLY; bench_time "$n" delete -f "${cid[$n]}"; REPLY=$((REPLY + t))
      echo "verbs: $n delete needed -f (iteration $it)" >> "$BENCH_ERRLOG"
    fi
    rec delete "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time "$n" run --bundle "${rb[$n]}" "${rid[$n]}"; [ $BENCH_RC = 0 ] || fail "$n" run "rc=$BENCH_RC"; rec run "$n" "$it"
  done
  for n in "${order[@]}"; do
    # runc/crun/oci-ts remove a foreground container themselves: this is the not-found path
    bench_time "$n" delete "${rid[$n]}"; rec delete_after_run "$n" "$it"
  done
  for n in "${order[@]}"; do
    bench_time_raw "${RT_BIN[$n]}" --version; [ $BENCH_RC = 0 ] || fail "$n" --version "rc=$BENCH_RC"; rec version "$n" "$it"
  done
  for n in "${order[@]}"; do
    rm -f "$specdir/config.json"
    cd "$specdir" || exit 1
    bench_time_raw "${RT_BIN[$n]}" spec; [ $BENCH_RC = 0 ] || fail "$n" spec "rc=$BENCH_RC"; rec spec "$n" "$it"
    cd - >/dev/null || exit 1
  done
  for n in "${order[@]}"; do
    bench_time "$n" list; [ $BENCH_RC = 0 ] || fail "$n" list "rc=$BENCH_RC"; rec list "$n" "$it"
  done
  for n in "${order[@]}"; do
    rm -rf "${cb[$n]}" "${rb[$n]}"
  done
  unset cid rid cb rb
done
echo "verbs: iterations=$N warmup=$WARM failures=$fails" >&2
if [ "$fails" -gt 0 ]; then
  msg=""
  for k in "${!failed[@]}"; do msg+="${msg:+; }$k failed ${failed[$k]} of $((N + WARM))"; done
  bench_meta note.verbs "calls that failed (the timing is kept; stderr in bench.log): $msg"
fi
[ "$fails" -eq 0 ]
