#!/bin/bash
# bench/workloads/peer-rounds.sh WORKLOAD SCRIPT ROUNDS "SCRIPT_ARGS" NAME=PATH...
# Runs bench/peers/SCRIPT.sh once per runtime per round, the runtime order rotating from round
# to round (A B C, B C A, ...), and turns its output into samples (slot = round):
#   "metric median=V ..."          -> metric
#   "a.b=V k=W ..."                -> a.b, and a.b:k for the following key=value words
# SCRIPT_ARGS are passed after the runtime and the bundle (e.g. "100 20" for throughput).
# Special case: SCRIPT=memory with the pseudo-runtime hello measures only the peak RSS of
# dist/hello (GNU time %M), as `peak.hello_kib`: the Node floor's memory.
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_SCRIPT=$HERE/peer-rounds.sh
. "$HERE/../lib/common.sh"
bench_hybrid_fix "$BENCH_SCRIPT" "$@"
W=${1:?WORKLOAD} SCRIPT=${2:?SCRIPT} ROUNDS=${3:?ROUNDS} ARGS=${4-}; shift 4
bench_init_runtimes "$@"
PEERS=$HERE/../peers
read -r -a args <<< "$ARGS"
fails=0

to_samples() { # to_samples RUNTIME ROUND < output
  awk -v w="$W" -v rt="$1" -v r="$2" -F'[ \t]+' '
    /^#/ { next }
    $2 ~ /^median=/ { v = $2; sub(/^median=/, "", v); printf "%s\t%s\t%s\t%s\t%s\t%s\n", w, $1, rt, r, v, unit($1); next }
    $1 ~ /^[a-z][a-z0-9_.+-]*=/ {
      split($1, kv, "="); base = kv[1]
      printf "%s\t%s\t%s\t%s\t%s\t%s\n", w, base, rt, r, kv[2], unit(base)
      for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2) printf "%s\t%s:%s\t%s\t%s\t%s\t%s\n", w, base, kv[1], rt, r, kv[2], unit(kv[1])
    }
    function unit(m) { return m ~ /_ms$/ ? "ms" : m ~ /_kib/ ? "KiB" : m ~ /_per_s$/ ? "1/s" : m ~ /_s$/ ? "s" : m ~ /_count$/ ? "count" : "" }
  ' >> "$BENCH_SAMPLES"
}

hello_peak() { # N times peak RSS of dist/hello
  local i f=$BENCH_BASE/peak v=()
  for ((i = 0; i < ${args[0]:-10}; i++)); do
    /usr/bin/time -f %M -o "$f" "${RT_BIN[hello]}" </dev/null >/dev/null 2>&1
    read -r x < "$f"; v+=("$x")
  done
  printf '%s\n' "${v[@]}" | sort -n | awk '{v[NR]=$1} END{printf "peak.hello_kib median=%d min=%d max=%d n=%d\n", v[int((NR+1)/2)], v[1], v[NR], NR}'
}

for ((r = 0; r < ROUNDS; r++)); do
  bench_order "$r"
  for n in "${REPLY_ORDER[@]}"; do
    t0=$SECONDS
    if [ "$SCRIPT" = memory ] && [ "$n" = hello ]; then
      out=$(hello_peak); rc=$?
    else
      out=$(bash "$PEERS/$SCRIPT.sh" "${RT_BIN[$n]}" "$BENCH_BUNDLE" "${args[@]}" 2>>"$BENCH_ERRLOG"); rc=$?
    fi
    printf '# %s %s round %d rc=%d\n%s\n' "$SCRIPT" "$n" "$r" "$rc" "$out" >> "$BENCH_ERRLOG"
    if [ $rc -ne 0 ]; then
      fails=$((fails + 1)); bench_log "$W: $SCRIPT.sh $n round $((r + 1)) FAILED (rc=$rc, see the log)"
      continue
    fi
    to_samples "$n" "$r" <<< "$out"
    bench_log "$W: round $((r + 1))/$ROUNDS $n ok ($((SECONDS - t0)) s)"
  done
done
[ "$fails" -eq 0 ]
