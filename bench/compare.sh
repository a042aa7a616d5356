#!/usr/bin/env bash
# bench/compare.sh [N] NAME=PATH... : A/B of oci-ts builds (or any runc-compatible runtimes).
# Runs the verbs workload (bench/workloads/verbs.sh: create start state kill delete run
# delete-after-run --version spec list, alternating call by call) for the given runtimes plus
# hello=dist/hello (the Node floor) and runc, N iterations (default 20, + 2 warm-up), and prints
# bench/compare.mjs's table: medians and per-slot ratios to hello. Nothing under bench/results is
# written. Example, the tree against a build of HEAD in a worktree:
#   git worktree add /tmp/base HEAD && (cd /tmp/base && ln -s "$PWD/node_modules" . && make build)
#   bash bench/compare.sh 30 new=dist/oci-ts base=/tmp/base/dist/oci-ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS
[ "$(id -u)" -eq 0 ] || { echo "compare.sh: needs root (containers)" >&2; exit 1; }
n=20
if [[ ${1:-} =~ ^[0-9]+$ ]]; then n=$1; shift; fi
[ $# -gt 0 ] || { echo "usage: bench/compare.sh [N] NAME=PATH..." >&2; exit 2; }
specs=()
for s in "$@"; do specs+=("${s%%=*}=$(realpath "${s#*=}")"); done
specs+=("hello=$PWD/dist/hello")
command -v runc >/dev/null && specs+=("runc=$(command -v runc)")
out=$(mktemp -d /tmp/oci-ts-compare.XXXXXX)
export BENCH_SAMPLES=$out/samples.tsv BENCH_META=$out/meta.tsv BENCH_ERRLOG=$out/bench.log
: > "$BENCH_SAMPLES"
bash bench/workloads/verbs.sh "$n" 2 "${specs[@]}" >&2
node bench/compare.mjs "$BENCH_SAMPLES" hello
echo "(samples and the runtimes' stderr: $out)" >&2
