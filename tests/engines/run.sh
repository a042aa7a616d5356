#!/usr/bin/env bash
# tests/engines/run.sh [node --test options]   (make test-engines; needs root and dist/oci-ts)
#
# Runs tests/engines/*.test.ts: Docker, containerd (ctr) and Podman driving runc and oci-ts.
# The suite starts the engines itself (env.sh start) and tears everything down at the end
# (env.sh stop); this script runs env.sh stop once more on any exit (Ctrl-C included), prints
# the summary table again and the wall time. OCI_TS_ENGINES_KEEP=1 leaves the engines running
# for debugging (stop them later with tests/engines/env.sh stop).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
unset NODE_OPTIONS NODE_EXTRA_CA_CERTS

[ "$(id -u)" -eq 0 ] || { echo "run.sh: the engine tests need root" >&2; exit 1; }
[ -x dist/oci-ts ] || { echo "run.sh: dist/oci-ts missing: make build" >&2; exit 1; }
ENGDIR=${OCI_TS_ENGINES_DIR:-/tmp/oci-ts-engines}
export OCI_TS_ENGINES_DIR=$ENGDIR

cleanup() {
  if [ "${OCI_TS_ENGINES_KEEP:-0}" != 1 ]; then
    bash tests/engines/env.sh stop >"$ENGDIR/stop.log" 2>&1 || { echo "run.sh: env.sh stop:"; cat "$ENGDIR/stop.log"; }
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
rm -f "$ENGDIR/summary.txt"
node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@" tests/engines/*.test.ts
rc=$?
[ -f "$ENGDIR/summary.txt" ] && cat "$ENGDIR/summary.txt"
echo "run.sh: engine suite finished in $(($(date +%s) - start)) s (exit $rc)"
exit $rc
