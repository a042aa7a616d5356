#!/usr/bin/env bash
# bench/run.sh: oci-ts against runc and the Node floor (`make bench`).
#
# Builds (make build), installs runc when missing (root), unsets NODE_EXTRA_CA_CERTS (it adds
# ~45 ms to every Node start) and NODE_OPTIONS, then runs the peer scripts of bench/peers/
# (copied from the shared benchmark kit) against three runtimes, alternating between them:
#     oci-ts = dist/oci-ts     hello = dist/hello (a Node SEA that only prints: the floor)
#     runc   = runc on PATH
# For every round, each script runs once per runtime, the runtime order rotating from round to
# round. Prints a markdown table: per metric the median (over rounds) of each script's median,
# and the median of the per-round ratios oci-ts/runc and oci-ts/hello.
#
# Environment: BENCH_ROUNDS (default 3), BENCH_N (calls per metric per script run, default 20),
# BENCH_SCRIPTS (default "cli-floor split lifecycle"), BENCH_RUNTIMES (default
# "oci-ts hello runc"), BENCH_NO_BUILD=1 to skip make build, BENCH_OUT (dir for raw results,
# default build/bench).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS

ROUNDS=${BENCH_ROUNDS:-3}
N=${BENCH_N:-20}
SCRIPTS=${BENCH_SCRIPTS:-cli-floor split lifecycle}
RUNTIMES=${BENCH_RUNTIMES:-oci-ts hello runc}
OUT=${BENCH_OUT:-$REPO/build/bench}
PEERS=$REPO/bench/peers
BUNDLE=/var/tmp/oci-ts-bench/bundle

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (containers): sudo make bench"
[ "${BENCH_NO_BUILD:-}" = 1 ] || make -C "$REPO" build

if ! command -v runc >/dev/null; then
  echo "bench: installing runc"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc
fi

runtime_path() {
  case $1 in
    oci-ts) echo "$REPO/dist/oci-ts" ;;
    hello) echo "$REPO/dist/hello" ;;
    runc) command -v runc ;;
    *) command -v "$1" || echo "$1" ;;
  esac
}

mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RAW=$OUT/$STAMP.tsv
LOG=$OUT/$STAMP.log
: > "$RAW"
bash "$PEERS/mkbundle.sh" "$BUNDLE" >/dev/null

read -r -a rts <<< "$RUNTIMES"
read -r -a scripts <<< "$SCRIPTS"
echo "bench: rounds=$ROUNDS N=$N scripts=(${scripts[*]}) runtimes=(${rts[*]}) raw=$RAW"
[ -r /proc/pressure/cpu ] && echo "bench: cpu pressure before: $(head -1 /proc/pressure/cpu)"

for ((round = 0; round < ROUNDS; round++)); do
  # rotate the order so no runtime always runs first (or right after another)
  order=()
  for ((i = 0; i < ${#rts[@]}; i++)); do order+=("${rts[(i + round) % ${#rts[@]}]}"); done
  for s in "${scripts[@]}"; do
    for rt in "${order[@]}"; do
      bin=$(runtime_path "$rt")
      printf 'bench: round %d/%d %-10s %-7s ' $((round + 1)) "$ROUNDS" "$s" "$rt"
      if out=$(bash "$PEERS/$s.sh" "$bin" "$BUNDLE" "$N" 2>>"$LOG"); then
        echo ok
      else
        echo "FAILED (see $LOG)"
        printf '# %s %s round %d failed\n%s\n' "$s" "$rt" "$round" "$out" >> "$LOG"
        continue
      fi
      printf '%s\n' "$out" >> "$LOG"
      # "<metric> median=<ms> mean=..." lines; skip the machine floors cli-floor adds
      awk -v r="$round" -v rt="$rt" '
        $2 ~ /^median=/ && $1 !~ /^floor\./ { sub(/^median=/, "", $2); print r "\t" rt "\t" $1 "\t" $2 }
      ' <<< "$out" >> "$RAW"
    done
  done
done

echo
node "$REPO/bench/table.mjs" "$RAW" "${rts[@]}" | tee "$OUT/$STAMP.md"
