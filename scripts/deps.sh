#!/usr/bin/env bash
# scripts/deps.sh [all|system|npm|check]
#
# system: the Debian packages the build, the tests and the benchmarks need. Each is checked
#         with dpkg; only missing ones are installed (`apt-get update` first, only then). When
#         not root, prints the exact apt-get command and fails.
# npm:    node_modules from package-lock.json (`npm ci`; `npm install` when there is no lock
#         file), only when node_modules is missing or does not match the lock file.
# check:  print what is missing, change nothing (exit 1 if anything is).
# all:    system, then npm (the default; what `make deps` runs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# package -> why
PACKAGES=(
  make            # this Makefile
  gcc             # c-shim (musl-gcc wraps gcc)
  libc6-dev       # c-shim headers, kernel-floor bench
  musl-tools      # c-shim: static musl build (musl-gcc)
  binutils        # strip (the SEA base binary)
  busybox-static  # test and demo rootfs (a static /bin/busybox)
  runc            # benchmarks and conformance comparisons
  crun            # make bench: the second peer runtime
  python3-matplotlib # make bench: bench/chart.py -> bench/results/latest.png
  libseccomp2     # linux.seccomp: profiles compiled to BPF with libseccomp (through ffi-rs)
  iproute2        # integration tests (ip: network namespaces)
  util-linux      # unshare, nsenter, mount, findmnt
  procps          # ps, pgrep, pkill in tests
  python3         # test helpers
  file            # bench/peers/lib.sh: detects a static busybox
  time            # bench/peers/memory.sh: GNU time %M
  git             # commit id for --version
  ca-certificates # npm registry over TLS
  # tests/integration/runtime-tools.test.ts: the OCI runtime-tools config validator, built from
  # Debian's Go sources with Debian's Go into build/rt-validate (tools/rt-validate/README.md)
  golang-go                                      # go build (GOPATH mode, no module download)
  golang-github-opencontainers-runtime-tools-dev # its validate package (pulls its -dev deps)
  golang-github-opencontainers-specs-dev         # runtime-spec Go types and the JSON Schema it reads
)
NODE_MAJOR=20

die() { echo "deps: $*" >&2; exit 1; }

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do installed "$p" || printf '%s\n' "$p"; done
}

check_node() {
  command -v node >/dev/null || die "node is not installed: Node $NODE_MAJOR is required (Debian 12's own nodejs is 18; install Node $NODE_MAJOR, e.g. from nodesource)"
  local v; v=$(node -p 'process.versions.node')
  [ "${v%%.*}" = "$NODE_MAJOR" ] || die "node $v found; Node $NODE_MAJOR is required (the single-executable recipe is Node $NODE_MAJOR specific)"
  command -v npm >/dev/null || die "npm is not installed (it comes with Node $NODE_MAJOR)"
}

do_system() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: Debian packages present"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  local left; left=$(missing_packages | tr '\n' ' ')
  [ -z "$left" ] || die "still missing after apt-get install: $left"
}

# node_modules is fresh when its hidden lock file (written by npm) lists the same packages
# at the same versions as package-lock.json.
npm_fresh() {
  [ -f package-lock.json ] && [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages || {};
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages || {};
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const root = want[""] || {};
    for (const k of ["dependencies", "devDependencies"]) {
      for (const [n, v] of Object.entries(pkg[k] || {})) if ((root[k] || {})[n] !== v) process.exit(1); // lock is stale
    }
    for (const [p, m] of Object.entries(want)) {
      if (p === "") continue;
      const h = have[p];
      if (!h) { if (m.optional) continue; process.exit(1); }
      if (h.version !== m.version) process.exit(1);
      if (!fs.existsSync(p)) process.exit(1);
    }
  '
}

do_npm() {
  check_node
  if npm_fresh; then
    echo "deps: node_modules matches package-lock.json"
  elif [ -f package-lock.json ]; then
    echo "deps: npm ci"
    npm ci --no-audit --no-fund
  else
    echo "deps: npm install (no package-lock.json)"
    npm install --no-audit --no-fund
  fi
  # the Makefile's node_modules target: touch only when older than its inputs, so that a
  # `make deps` with nothing to do does not make the next build rebuild everything
  local stamp=node_modules/.oci-ts-stamp
  if [ ! -e $stamp ] || [ package.json -nt $stamp ] || { [ -f package-lock.json ] && [ package-lock.json -nt $stamp ]; } ||
     { [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt $stamp ]; }; then
    touch $stamp
  fi
}

do_check() {
  local rc=0 missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "$missing" ] || { echo "missing Debian packages: $missing"; rc=1; }
  check_node
  npm_fresh || { echo "node_modules missing or stale"; rc=1; }
  return $rc
}

case "${1:-all}" in
  all) check_node; do_system; do_npm ;;
  system) do_system ;;
  npm) do_npm ;;
  check) do_check ;;
  *) die "usage: $0 [all|system|npm|check]" ;;
esac
