#!/usr/bin/env bash
# bench/run.sh: `make bench`. oci-ts against runc, crun and the Node floor, in one run.
#
#   1. make build (dist/oci-ts, dist/hello); installs from apt what is missing: runc, crun,
#      busybox-static, time (GNU time), python3-matplotlib (the chart).
#   2. unsets NODE_EXTRA_CA_CERTS and NODE_OPTIONS (the first adds 30-45 ms to every Node start).
#   3. workloads (bench/workloads/), every one alternating between the runtimes (A B C A B C ...,
#      the order rotated each iteration or round) inside one private mount namespace with the
#      crun hybrid-host work-around (bench/peers/README.md), the same for all runtimes:
#        verbs       create start state kill delete run --version spec list, one call at a time;
#                    dist/hello (the Node floor) takes every step too; --version = each floor
#        throughput  100 sequential run+delete; 20 containers create+start in parallel
#        memory      peak RSS per verb; Pss/RSS of a created-not-started container's init
#        scale       create/state/list with 1, 100, 1000 containers existing (time-capped)
#        engines     docker/podman run --rm with oci-ts vs runc (only with BENCH_ENGINES=1)
#   4. bench/report.mjs -> bench/results/latest.md (table, targets, machine line),
#      bench/chart.py -> bench/results/latest.png (ratios to runc), latest.tsv (raw samples).
#      Logs and a copy of everything: build/bench/<stamp>/.
#
# Environment (defaults in brackets):
#   BENCH_RUNTIMES ["oci-ts runc crun"]   BENCH_WORKLOADS ["verbs throughput memory scale engines"]
#   BENCH_N [30] verbs iterations, BENCH_WARMUP [2]
#   BENCH_ROUNDS [3] throughput rounds, BENCH_SEQ [100], BENCH_PAR [20]
#   BENCH_MEM_N [5] calls per verb, BENCH_MEM_M [10] created containers
#   BENCH_SCALE [1,100,1000], BENCH_SCALE_K [10] probes per count, BENCH_SCALE_MAX_S [600],
#   BENCH_SCALE_P [2] parallel fill jobs
#   BENCH_ENGINES [0] (1 = run the engines workload), BENCH_ENGINES_N [10],
#   BENCH_ENGINES_START [1] (start the engines with tests/engines/env.sh when they are down)
#   BENCH_MAX_S [2400] budget for all workloads (each gets what is left; killed after it)
#   BENCH_QUICK=1 small sizes for a smoke run (~1 min); BENCH_NO_BUILD=1; BENCH_NO_APT=1
#   BENCH_RESULTS [bench/results] where latest.{md,png,tsv} go
#   BENCH_STDOUT [pipe] stdout of the timed verb calls: pipe (as engines read it) or null
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "needs root (containers): sudo make bench"
[ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash >= 5 (\$EPOCHREALTIME)"

exec 9>/run/oci-ts-bench.lock
flock -n 9 || die "another bench is running (/run/oci-ts-bench.lock)"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_N:=4}" "${BENCH_WARMUP:=1}" "${BENCH_ROUNDS:=1}" "${BENCH_SEQ:=10}" "${BENCH_PAR:=5}"
  : "${BENCH_MEM_N:=2}" "${BENCH_MEM_M:=2}" "${BENCH_SCALE:=1,10}" "${BENCH_SCALE_K:=3}" "${BENCH_ENGINES_N:=2}"
fi
RUNTIMES=${BENCH_RUNTIMES:-oci-ts runc crun}
WORKLOADS=${BENCH_WORKLOADS:-verbs throughput memory scale engines}
N=${BENCH_N:-30} WARM=${BENCH_WARMUP:-2}
ROUNDS=${BENCH_ROUNDS:-3} SEQ=${BENCH_SEQ:-100} PAR=${BENCH_PAR:-20}
MEM_N=${BENCH_MEM_N:-5} MEM_M=${BENCH_MEM_M:-10}
SCALE=${BENCH_SCALE:-1,100,1000} SCALE_K=${BENCH_SCALE_K:-10} SCALE_MAX=${BENCH_SCALE_MAX_S:-600} SCALE_P=${BENCH_SCALE_P:-2}
ENGINES=${BENCH_ENGINES:-0} ENGINES_N=${BENCH_ENGINES_N:-10}
MAX_S=${BENCH_MAX_S:-2400}
RESULTS=${BENCH_RESULTS:-$REPO/bench/results}

# ---------------------------------------------------------------------------------------------
# build and tools
[ "${BENCH_NO_BUILD:-0}" = 1 ] || make -C "$REPO" build >&2 || die "make build failed"
[ -x dist/oci-ts ] && [ -x dist/hello ] || die "dist/oci-ts or dist/hello missing (make build)"

need=()
for rt in $RUNTIMES; do
  case $rt in runc | crun) command -v "$rt" >/dev/null || need+=("$rt") ;; esac
done
[ -x /usr/bin/time ] || need+=(time)
{ [ -x /bin/busybox ] && LC_ALL=C file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; } || need+=(busybox-static)
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
if [ ${#need[@]} -gt 0 ]; then
  if [ "${BENCH_NO_APT:-0}" = 1 ]; then
    say "missing (BENCH_NO_APT=1, not installing): ${need[*]}"
  else
    say "installing from apt: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >&2 || say "apt-get install failed"
  fi
fi

rt_path() {
  case $1 in
    oci-ts) echo "$REPO/dist/oci-ts" ;;
    hello) echo "$REPO/dist/hello" ;;
    *) command -v "$1" ;;
  esac
}
specs=()
for rt in $RUNTIMES; do
  p=$(rt_path "$rt") || { say "runtime $rt not found: left out"; continue; }
  specs+=("$rt=$p")
done
[ ${#specs[@]} -gt 0 ] || die "no runtime to measure"
with_hello=("${specs[@]}" "hello=$REPO/dist/hello")
no_hello=("${specs[@]}")

# ---------------------------------------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$REPO/build/bench/$STAMP
mkdir -p "$OUT" "$RESULTS"
export BENCH_SAMPLES=$OUT/samples.tsv BENCH_META=$OUT/meta.tsv BENCH_ERRLOG=$OUT/bench.log
export BENCH_BUNDLE_DIR=/var/tmp/oci-ts-bench/bundle
: > "$BENCH_SAMPLES"; : > "$BENCH_META"; : > "$BENCH_ERRLOG"
meta() { printf '%s\t%s\n' "$1" "$2" >> "$BENCH_META"; }

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
cg=v1; [ -f /sys/fs/cgroup/cgroup.controllers ] && cg=v2
[ "$cg" = v1 ] && grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts && cg="v1 hybrid"
pressure() { [ -r /proc/pressure/cpu ] && awk 'NR==1 {print $2 " " $3}' /proc/pressure/cpu || echo n/a; }
first_line() { "$@" 2>/dev/null | head -1; }
meta stdout "${BENCH_STDOUT:-pipe}"
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta machine "$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-Linux}"), kernel $(uname -r), $(nproc) vCPU ($cpu_model), ${mem_gib} GiB, cgroup $cg, Node $(node --version 2>/dev/null)"
vers="oci-ts $(first_line dist/oci-ts --version | sed 's/^oci-ts version //') (git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- lib bin scripts c-shim 2>/dev/null || echo '+local changes'))"
for rt in $RUNTIMES; do
  case $rt in runc | crun) vers+=", $rt $(first_line "$(rt_path "$rt")" --version | awk '{print $NF}')" ;; esac
done
meta versions "$vers; dist/hello $(($(stat -c %s dist/hello) / 1048576)) MiB, dist/oci-ts $(($(stat -c %s dist/oci-ts) / 1048576)) MiB"
say "results in $OUT; cpu pressure before: $(pressure)"
p_before=$(pressure)

# ---------------------------------------------------------------------------------------------
# workloads, each bounded by what is left of BENCH_MAX_S
T_START=$SECONDS
run_workload() { # NAME CMD...
  local name=$1 left t0 rc; shift
  left=$((MAX_S - (SECONDS - T_START)))
  if [ "$left" -le 10 ]; then meta "workload.$name" "skipped: BENCH_MAX_S=${MAX_S} s used up"; say "$name: skipped (time budget)"; return; fi
  say "$name: start (budget ${left} s)"
  t0=$SECONDS
  timeout -k 20 "$left" "$@" >>"$BENCH_ERRLOG"
  rc=$?
  case $rc in
    0) meta "workload.$name" "ok, $((SECONDS - t0)) s" ;;
    124 | 137) meta "workload.$name" "killed after $((SECONDS - t0)) s (BENCH_MAX_S): results partial" ;;
    *) meta "workload.$name" "exit $rc after $((SECONDS - t0)) s: some calls failed, see build/bench/$STAMP/bench.log" ;;
  esac
  say "$name: done in $((SECONDS - t0)) s (rc=$rc)"
}

W=$REPO/bench/workloads
for w in $WORKLOADS; do
  case $w in
    verbs) run_workload verbs bash "$W/verbs.sh" "$N" "$WARM" "${with_hello[@]}" ;;
    throughput)
      meta throughput.args "(N=$SEQ sequential, P=$PAR parallel, $ROUNDS rounds)"
      run_workload throughput bash "$W/peer-rounds.sh" throughput throughput "$ROUNDS" "$SEQ $PAR" "${no_hello[@]}" ;;
    memory) run_workload memory bash "$W/peer-rounds.sh" memory memory 1 "$MEM_N $MEM_M" "${with_hello[@]}" ;;
    scale) run_workload scale bash "$W/scale.sh" "$SCALE" "$SCALE_K" "$SCALE_MAX" "$SCALE_P" "${no_hello[@]}" ;;
    engines)
      if [ "$ENGINES" = 1 ]; then
        run_workload engines bash "$W/engines.sh" "$ENGINES_N" 1
      else
        meta engines.skipped "not run: set BENCH_ENGINES=1 (uses tests/engines/env.sh; starts the engines when they are down)"
      fi ;;
    *) say "unknown workload $w" ;;
  esac
done
total=$((SECONDS - T_START))
meta run "workloads ${total} s in total; cpu pressure (some avg10 avg60) before: ${p_before}, after: $(pressure); verbs N=$N (+$WARM warm-up), BENCH_SCALE=$SCALE (cap ${SCALE_MAX} s)"

# ---------------------------------------------------------------------------------------------
# report
node "$REPO/bench/report.mjs" "$BENCH_SAMPLES" "$BENCH_META" "$OUT/latest.md" "$OUT/chart.json" || die "report.mjs failed"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$REPO/bench/chart.py" "$OUT/chart.json" "$OUT/latest.png" || say "chart.py failed"
else
  say "no chart: python3-matplotlib is not installed (apt-get install python3-matplotlib)"
fi
cp "$OUT/latest.md" "$RESULTS/latest.md"
cp "$BENCH_SAMPLES" "$RESULTS/latest.tsv"
[ -f "$OUT/latest.png" ] && cp "$OUT/latest.png" "$RESULTS/latest.png"
cat "$RESULTS/latest.md"
say "wrote $RESULTS/latest.md$([ -f "$OUT/latest.png" ] && echo ", latest.png"), latest.tsv (total ${total} s; logs in $OUT)"
