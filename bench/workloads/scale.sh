#!/bin/bash
# bench/workloads/scale.sh COUNTS K MAX_S FILL_P NAME=PATH...
# Cost of create, state and list while 1, 100, 1000 ... containers exist at once.
#   COUNTS  comma-separated container counts, ascending (e.g. 1,100,1000)
#   K       timed probes per count and runtime (alternating runtimes, order rotated per probe)
#   MAX_S   time budget in seconds for this whole workload (fill + probes + teardown): a count
#           whose estimated cost would overrun it is skipped, and so are the larger ones
#   FILL_P  parallel jobs used to fill (untimed)
# Every runtime gets the same number of "filler" containers (`run -d`, /bin/sleep 1000, each in
# its own cgroup) under its own --root; the fill is untimed and alternates between runtimes.
# Then, per probe k and runtime: `create` of a fresh sleep container (timed), `state` of a
# filler (timed), `list` of the whole root (timed); the probe container is deleted untimed.
# Metrics: create@N, state@N, list@N (ms); meta: which counts ran or were skipped and why.
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_SCRIPT=$HERE/scale.sh
. "$HERE/../lib/common.sh"
bench_hybrid_fix "$BENCH_SCRIPT" "$@"
IFS=, read -r -a COUNTS <<< "${1:?COUNTS}"; K=${2:?K} MAX_S=${3:?MAX_S} FILL_P=${4:?FILL_P}; shift 4
bench_init_runtimes "$@"
W=scale
: "${BENCH_META:=/dev/null}"
meta() { printf '%s\t%s\n' "$1" "$2" >> "$BENCH_META"; bench_log "scale: $1: $2"; }

declare -A have=() fill_us=() fill_n=()
for n in "${RT_NAMES[@]}"; do have[$n]=0 fill_us[$n]=0 fill_n[$n]=0; done

fill() { # fill NAME TARGET : filler containers f<have>..f<TARGET-1>, FILL_P at a time
  local n=$1 target=$2 i id t0 t1 ids=()
  for ((i = have[$n]; i < target; i++)); do
    bench_id "$n" "f$i"; id=$REPLY
    bench_bundle "$n" "$id" /bin/sleep 1000 >/dev/null
    ids+=("$id")
  done
  [ ${#ids[@]} -gt 0 ] || return 0
  t0=${EPOCHREALTIME/[.,]/}
  printf '%s\n' "${ids[@]}" | xargs -P "$FILL_P" -I{} \
    "${RT_BIN[$n]}" --root "${RT_ROOT[$n]}" run -d --bundle "${RT_WORK[$n]}/{}" {} >/dev/null 2>>"$BENCH_ERRLOG"
  t1=${EPOCHREALTIME/[.,]/}
  fill_us[$n]=$((fill_us[$n] + t1 - t0)); fill_n[$n]=$((fill_n[$n] + ${#ids[@]}))
  have[$n]=$target
  local got
  got=$(find "${RT_ROOT[$n]}" -mindepth 1 -maxdepth 1 -type d ! -name lib | wc -l)
  [ "$got" -ge "$target" ] || bench_log "scale: $n has $got containers after filling to $target"
}

# estimated seconds to go from the current fill to TARGET and tear everything down again
estimate_s() {
  local target=$1 n per us=0
  for n in "${RT_NAMES[@]}"; do
    if [ "${fill_n[$n]}" -gt 0 ]; then per=$((fill_us[$n] / fill_n[$n])); else per=200000; fi
    # fill the missing ones, later delete all of them (about as costly as filling), plus probes
    us=$((us + (target - have[$n]) * per + target * per + K * 3 * 300000))
  done
  echo $((us / 1000000 + 1))
}

slot=0
ran=()
for c in "${COUNTS[@]}"; do
  need=$(estimate_s "$c")
  if [ $((SECONDS + need)) -gt "$MAX_S" ]; then
    meta "scale.skipped" "count $c and above: estimated ${need} s more, elapsed ${SECONDS} s, budget ${MAX_S} s (BENCH_SCALE_MAX_S)"
    break
  fi
  t0=$SECONDS
  for n in "${RT_NAMES[@]}"; do fill "$n" "$c"; done
  bench_log "scale: filled to $c per runtime in $((SECONDS - t0)) s"
  for ((k = 0; k < K; k++)); do
    bench_order "$k"
    declare -A pid_=() pb=()
    for n in "${REPLY_ORDER[@]}"; do
      bench_id "$n" "p$c-$k"; pid_[$n]=$REPLY
      bench_bundle "$n" "${pid_[$n]}" /bin/sleep 1000; pb[$n]=$REPLY
    done
    for n in "${REPLY_ORDER[@]}"; do
      bench_time "$n" create --bundle "${pb[$n]}" "${pid_[$n]}"
      [ $BENCH_RC = 0 ] || echo "scale: $n create@$c rc=$BENCH_RC" >> "$BENCH_ERRLOG"
      bench_us_to_ms "$REPLY"; bench_sample $W "create@$c" "$n" "$k" "$REPLY" ms
    done
    for n in "${REPLY_ORDER[@]}"; do
      bench_id "$n" "f$((k % c))"
      bench_time "$n" state "$REPLY"
      [ $BENCH_RC = 0 ] || echo "scale: $n state@$c rc=$BENCH_RC" >> "$BENCH_ERRLOG"
      bench_us_to_ms "$REPLY"; bench_sample $W "state@$c" "$n" "$k" "$REPLY" ms
    done
    for n in "${REPLY_ORDER[@]}"; do
      bench_time "$n" list
      [ $BENCH_RC = 0 ] || echo "scale: $n list@$c rc=$BENCH_RC" >> "$BENCH_ERRLOG"
      bench_us_to_ms "$REPLY"; bench_sample $W "list@$c" "$n" "$k" "$REPLY" ms
    done
    for n in "${REPLY_ORDER[@]}"; do
      "${RT_BIN[$n]}" --root "${RT_ROOT[$n]}" delete -f "${pid_[$n]}" >/dev/null 2>>"$BENCH_ERRLOG"
      rm -rf "${pb[$n]}"
    done
    unset pid_ pb
  done
  ran+=("$c")
  bench_log "scale: count $c done ($((SECONDS - t0)) s, elapsed $SECONDS s)"
done
for n in "${RT_NAMES[@]}"; do
  [ "${fill_n[$n]}" -gt 0 ] && meta "scale.fill_ms_per_container.$n" "$((fill_us[$n] / fill_n[$n] / 1000)) (run -d, $FILL_P in parallel)"
done
meta "scale.counts_run" "${ran[*]:-none}"
t0=$SECONDS
bench_common_cleanup
trap - EXIT
meta "scale.teardown_s" "$((SECONDS - t0))"
