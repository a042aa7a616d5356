#!/bin/bash
# bench/workloads/engines.sh N WARMUP
# End to end through the engines, the runtimes alternating call by call (order rotated per
# iteration):   docker run --rm --runtime {oci-ts,runc} IMAGE true
#               podman --runtime {oci-ts,runc} run --rm IMAGE true
# Uses the engine environment of tests/engines/env.sh (its `vars`: client paths, image names,
# the private podman config). When dockerd is not running, it is started with `env.sh start`
# and stopped again with `env.sh stop` at the end; daemons someone else started are used as
# they are and left running. Skips (exit 0, with a meta line saying why) when env.sh is
# missing or the engines cannot be brought up. Runs in the host mount namespace (no hybrid
# work-around: crun is not measured here).
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
: "${BENCH_SAMPLES:?}" "${BENCH_ERRLOG:=/dev/stderr}" "${BENCH_META:=/dev/null}"
N=${1:?N} WARM=${2:?WARMUP}
ENV_SH=$REPO/tests/engines/env.sh
meta() { printf '%s\t%s\n' "$1" "$2" >> "$BENCH_META"; echo "bench: engines: $1: $2" >&2; }
skip() { meta engines.skipped "$*"; exit 0; }

[ -f "$ENV_SH" ] || skip "tests/engines/env.sh not found (the engine suite is not set up)"
vars=$(bash "$ENV_SH" vars 2>>"$BENCH_ERRLOG") || skip "tests/engines/env.sh vars failed"
eval "$vars"
: "${DOCKER:?}" "${PODMAN:?}" "${IMG_DOCKER:?}" "${IMG_PODMAN:?}" "${PREFIX:=ocits-}"
export CONTAINERS_CONF CONTAINERS_STORAGE_CONF

docker_ready() {
  timeout 10 "$DOCKER" version >/dev/null 2>&1 &&
    "$DOCKER" info --format '{{json .Runtimes}}' 2>/dev/null | grep -q oci-ts &&
    "$DOCKER" image inspect "$IMG_DOCKER" >/dev/null 2>&1
}
started=0
if ! docker_ready; then
  if [ "${BENCH_ENGINES_START:-1}" = 1 ]; then
    echo "bench: engines: starting them with tests/engines/env.sh start" >&2
    bash "$ENV_SH" start >>"$BENCH_ERRLOG" 2>&1 && started=1
  fi
  docker_ready || skip "dockerd with the oci-ts runtime and $IMG_DOCKER is not available (tests/engines/env.sh start)"
fi
stop_engines() { [ $started = 1 ] && bash "$ENV_SH" stop >>"$BENCH_ERRLOG" 2>&1; }
trap stop_engines EXIT

# A daemon started with NODE_EXTRA_CA_CERTS passes it down (containerd -> shim -> runtime):
# every oci-ts call made by the engine then pays Node's CA loading (+30-45 ms).
for p in $(pgrep -x containerd) $(pgrep -x dockerd); do
  if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -q '^NODE_EXTRA_CA_CERTS='; then
    meta engines.warning "$(tr '\0' ' ' < "/proc/$p/cmdline" | cut -c1-40)... (pid $p) runs with NODE_EXTRA_CA_CERTS set: docker's oci-ts calls pay +30-45 ms each (start the daemons with env -u NODE_EXTRA_CA_CERTS)"
  fi
done

podman_ok=1
"$PODMAN" image exists "$IMG_PODMAN" >/dev/null 2>&1 || { podman_ok=0; meta engines.podman "skipped: $IMG_PODMAN not in podman's store (tests/engines/env.sh start imports it)"; }

variants=(docker:oci-ts docker:runc)
[ $podman_ok = 1 ] && variants+=(podman:oci-ts podman:runc)
fails=0
one() { # one VARIANT NAME -> REPLY us, BENCH_RC
  local eng=${1%%:*} rt=${1#*:} t0 t1
  t0=${EPOCHREALTIME/[.,]/}
  if [ "$eng" = docker ]; then
    "$DOCKER" run --rm --runtime "$rt" --name "$2" "$IMG_DOCKER" true </dev/null >/dev/null 2>>"$BENCH_ERRLOG"
  else
    "$PODMAN" --runtime "$rt" run --rm --name "$2" "$IMG_PODMAN" true </dev/null >/dev/null 2>>"$BENCH_ERRLOG"
  fi
  BENCH_RC=$?
  t1=${EPOCHREALTIME/[.,]/}
  REPLY=$((t1 - t0))
}
n=${#variants[@]}
for ((it = -WARM; it < N; it++)); do
  for ((k = 0; k < n; k++)); do
    v=${variants[(k + it + WARM) % n]}
    one "$v" "${PREFIX}bench-$$-$((it + WARM))-${v/:/-}"
    if [ $BENCH_RC != 0 ]; then fails=$((fails + 1)); echo "engines: $v rc=$BENCH_RC" >> "$BENCH_ERRLOG"; continue; fi
    [ "$it" -ge 0 ] || continue
    printf -v ms '%d.%03d' $((REPLY / 1000)) $((REPLY % 1000))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' engines "${v%%:*} run --rm" "${v#*:}" "$it" "$ms" ms >> "$BENCH_SAMPLES"
  done
done
meta engines.ran "iterations=$N warmup=$WARM variants=${variants[*]} failures=$fails daemons=$([ $started = 1 ] && echo 'started by the bench' || echo 'already running')"
[ $fails -eq 0 ]
