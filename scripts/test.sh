#!/usr/bin/env bash
# scripts/test.sh [all|unit]   (make test / make test-unit; the Makefile builds first)
#
# Runs node's test runner over tests/unit/*.test.ts and, for `all` when root,
# tests/integration/*.test.ts (they need root: namespaces, mounts, cgroups). Ends with the
# runner's summary. Extra arguments after the mode go to `node --test` (e.g.
# --test-name-pattern=ffi).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=${1:-all}; shift || true

# NODE_EXTRA_CA_CERTS makes every Node start ~45 ms slower (node-sea.md, pitfall 1); nothing
# in the tests talks TLS. NODE_OPTIONS would leak into every dist/oci-ts the tests run.
unset NODE_EXTRA_CA_CERTS NODE_OPTIONS

shopt -s nullglob
engines=()
files=(tests/unit/*.test.ts)
case $mode in
  unit) ;;
  all)
    integ=(tests/integration/*.test.ts)
    if [ ${#integ[@]} -eq 0 ]; then
      :
    elif [ "$(id -u)" -eq 0 ]; then
      files+=("${integ[@]}")
      files+=(tests/conformance/*.test.ts) # runc and oci-ts side by side (tests/conformance/README.md)
      # The engine suite (Docker, containerd, Podman with runc and oci-ts): it installs the engines
      # from apt and starts private daemons. OCI_TS_ENGINES=0 leaves it out.
      if [ "${OCI_TS_ENGINES:-1}" != 0 ]; then
        engines=(tests/engines/*.test.ts)
        files+=("${engines[@]}")
      fi
    else
      echo "test.sh: NOT running the ${#integ[@]} integration test files: they need root (sudo make test)" >&2
    fi
    ;;
  *) echo "usage: $0 [all|unit] [node --test options]" >&2; exit 2 ;;
esac
[ ${#files[@]} -gt 0 ] || { echo "test.sh: no test files found" >&2; exit 1; }

if [ ${#engines[@]} -gt 0 ]; then
  # The suite stops its daemons itself; this also covers an interrupted run.
  trap 'bash tests/engines/env.sh stop >/dev/null 2>&1 || true' EXIT
fi
# One file at a time: the engine suite checks the whole host for leaks after each scenario.
node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@" "${files[@]}"
