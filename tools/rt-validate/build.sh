#!/usr/bin/env bash
# tools/rt-validate/build.sh [OUTPUT]   (default build/rt-validate; `make build/rt-validate`)
#
# Builds the runtime-tools config validator with Debian's Go (golang-go) in GOPATH mode against
# the Go sources that Debian's -dev packages install under /usr/share/gocode/src
# (golang-github-opencontainers-runtime-tools-dev and what it depends on; scripts/deps.sh
# installs them). No module download: GO111MODULE=off and GOPROXY=off. The build cache lives in
# build/ so that it works for root in CI and for a user without a writable $HOME.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/rt-validate}
case $out in /*) ;; *) out=$PWD/$out ;; esac

gocode=${RT_VALIDATE_GOPATH:-/usr/share/gocode}
pkg=github.com/opencontainers/runtime-tools/validate
command -v go >/dev/null || { echo "rt-validate: go not found: install golang-go (make deps)" >&2; exit 3; }
[ -d "$gocode/src/$pkg" ] || { echo "rt-validate: $gocode/src/$pkg missing: install golang-github-opencontainers-runtime-tools-dev (make deps)" >&2; exit 3; }

mkdir -p "$(dirname "$out")" "$repo/build/go-cache"
cd "$here"
# CGO_ENABLED=0: nothing here needs C, and a static binary does not depend on gcc being there.
# -buildvcs=false: the repo may belong to another user than the one building (git refuses).
env GOPATH="$gocode" GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
  GOCACHE="${GOCACHE:-$repo/build/go-cache}" \
  go build -buildvcs=false -trimpath -o "$out.tmp" .
mv "$out.tmp" "$out"
