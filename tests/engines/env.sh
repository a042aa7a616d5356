#!/usr/bin/env bash
# tests/engines/env.sh — the engine test environment: Docker, containerd and Podman driving oci-ts.
#
#   env.sh install   apt-get install the engines when missing (docker.io containerd podman conmon
#                    containernetworking-plugins iptables tini; umoci if available)
#   env.sh start     install, record the host baseline, write PRIVATE configs under $ENGDIR,
#                    start containerd + dockerd (fds > 2 closed, setsid, logs to files),
#                    build the busybox image and import it into docker, containerd and podman
#   env.sh stop      the teardown checklist of docs/engine-contract.md 2.9: our containers, the
#                    daemons we started, netns mounts, bridges, iptables chains/rules, FORWARD
#                    policy, ip_forward, cgroup parents, stray runtime state. Idempotent.
#   env.sh status    what is running / left over; `env.sh check` exits 1 when something is left
#   env.sh vars      shell lines with the variables the suite uses (eval "$(env.sh vars)")
#   env.sh default-runtime NAME   set dockerd's "default-runtime" in the private daemon.json
#                    and reload it with SIGHUP (runc or oci-ts)
#
# Nothing under /etc is written: dockerd gets --config-file, containerd --config, podman
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF. Images and storage in /var/lib/{docker,containerd,
# containers} are left in place on purpose (contract 2.9.6); a second start reuses them.
#
# Environment: OCI_TS_ENGINES_DIR (default /tmp/oci-ts-engines), OCI_TS_BIN (default
# <repo>/dist/oci-ts), OCI_TS_ENGINES_NO_INSTALL=1 (never call apt-get).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ENGDIR=${OCI_TS_ENGINES_DIR:-/tmp/oci-ts-engines}
OCI_TS_BIN=${OCI_TS_BIN:-$REPO/dist/oci-ts}
PREFIX=ocits-               # every container name the suite creates starts with this
DOCKER=/usr/bin/docker      # Debian's 20.10 client (a newer /usr/local/bin/docker may shadow it)
CTR=/usr/bin/ctr
PODMAN=/usr/bin/podman
CTR_NS=default
IMG_DOCKER=ocits-bb:latest
IMG_CTR=docker.io/library/ocits-bb:latest
IMG_PODMAN=localhost/ocits-bb:latest
unset NODE_OPTIONS NODE_EXTRA_CA_CERTS # they would reach dist/oci-ts through the daemons
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'env.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
q() { "$@" >/dev/null 2>&1; }

podman_env() {
  export CONTAINERS_CONF=$ENGDIR/containers.conf
  export CONTAINERS_STORAGE_CONF=$ENGDIR/storage.conf
}

# ----------------------------------------------------------------------------------------------
# install

cmd_install() {
  local need=() p
  q command -v dockerd || need+=(docker.io)
  q command -v containerd || need+=(containerd)
  q command -v podman || need+=(podman)
  q command -v conmon || need+=(conmon)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  q command -v iptables || need+=(iptables)
  [ -x /usr/bin/docker-init ] || [ -x /usr/bin/tini-static ] || need+=(tini)
  [ -x /bin/busybox ] || need+=(busybox-static)
  q command -v runc || need+=(runc)
  q command -v python3 || need+=(python3)
  q command -v script || need+=(util-linux)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "${OCI_TS_ENGINES_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${need[*]} (OCI_TS_ENGINES_NO_INSTALL=1)"
  log "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$ENGDIR/apt.log" 2>&1 || true
  apt-get install -y -q --no-install-recommends "${need[@]}" >>"$ENGDIR/apt.log" 2>&1 \
    || die "apt-get install failed (see $ENGDIR/apt.log)"
  # optional
  q command -v umoci || apt-get install -y -q --no-install-recommends umoci >>"$ENGDIR/apt.log" 2>&1 || true
  # the packages' postinst scripts may try to start daemons (no systemd here; normally a no-op)
  return 0
}

# ----------------------------------------------------------------------------------------------
# helpers

pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && [ "$(cat "/proc/$1/stat" 2>/dev/null | awk '{print $3}')" != Z ]; }
read_pid() { [ -f "$1" ] && cat "$1" 2>/dev/null || true; }

# Start a daemon detached: new session, stdin /dev/null, stdout+stderr to a log, every fd above 2
# closed first (contract 2.2: stray fds otherwise show up in every shim and runtime call).
start_daemon() { # pidfile logfile cmd...
  local pidfile=$1 logfile=$2; shift 2
  (
    for fdpath in /proc/$BASHPID/fd/*; do
      fd=${fdpath##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@" </dev/null >>"$logfile" 2>&1
  ) &
  echo $! >"$pidfile"
}

stop_pid() { # name pidfile [timeout]
  local name=$1 pidfile=$2 t=${3:-30} pid i
  pid=$(read_pid "$pidfile")
  if pid_alive "$pid"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < t * 10; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then log "$name did not stop in ${t}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
  fi
  rm -f "$pidfile"
}

wait_for() { # seconds description cmd...
  local t=$1 what=$2 i; shift 2
  for ((i = 0; i < t * 10; i++)); do q "$@" && return 0; sleep 0.1; done
  die "$what not ready after ${t}s"
}

sysctl_get() { cat "/proc/sys/${1//.//}" 2>/dev/null; }
sysctl_set() { [ -n "$2" ] && [ -e "/proc/sys/${1//.//}" ] && echo "$2" >"/proc/sys/${1//.//}"; }

# ----------------------------------------------------------------------------------------------
# baseline (restored by stop) and private configs

record_baseline() {
  [ -f "$ENGDIR/baseline" ] && return 0 # an earlier start already recorded the pristine state
  {
    echo "ip_forward=$(sysctl_get net.ipv4.ip_forward)"
    echo "bridge_nf_iptables=$(sysctl_get net.bridge.bridge-nf-call-iptables)"
    echo "bridge_nf_ip6tables=$(sysctl_get net.bridge.bridge-nf-call-ip6tables)"
    echo "forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3}')"
    echo "run_netns_existed=$([ -d /run/netns ] && echo 1 || echo 0)"
  } >"$ENGDIR/baseline"
  iptables-save >"$ENGDIR/iptables.before" 2>/dev/null || true
}

write_configs() {
  local nofile nproc pidmax
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); pidmax=$(cat /proc/sys/kernel/pid_max)
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pidmax" ]; } && nproc=$pidmax

  cat >"$ENGDIR/containerd.toml" <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/containerd/containerd.sock"
EOF

  cat >"$ENGDIR/daemon.json" <<EOF
{
  "storage-driver": "overlay2",
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "log-driver": "json-file",
  "pidfile": "$ENGDIR/dockerd.docker.pid",
  "default-runtime": "runc",
  "runtimes": { "oci-ts": { "path": "$OCI_TS_BIN" } }
}
EOF

  cat >"$ENGDIR/containers.conf" <<EOF
# private podman config for the oci-ts engine tests (CONTAINERS_CONF)
[containers]
# The hard limits here are RLIMIT_NOFILE=$nofile and NPROC=$nproc and root has no
# CAP_SYS_RESOURCE: podman's built-in 1048576 would make every runtime fail with EPERM.
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
init_path = "/usr/bin/tini-static"

[network]
network_backend = "cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENGDIR/podman-events.log"
runtime = "runc"
# podman passes --log-format=json --log <file> only to runtimes whose basename is listed here
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "oci-ts"]

[engine.runtimes]
runc = ["/usr/sbin/runc", "/usr/bin/runc"]
oci-ts = ["$OCI_TS_BIN"]
EOF

  cat >"$ENGDIR/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
}

# ----------------------------------------------------------------------------------------------
# image: busybox-static rootfs, no registry (contract 2.1)

build_rootfs_tar() {
  local tar=$ENGDIR/bb-rootfs.tar r=$ENGDIR/rootfs a
  [ -s "$tar" ] && return 0
  rm -rf "$r"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/run,run,home}
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  : >"$r/etc/hosts"; : >"$r/etc/resolv.conf"
  tar --numeric-owner --owner=0 --group=0 -C "$r" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$r"
}

import_images() {
  build_rootfs_tar
  if ! q $DOCKER image inspect $IMG_DOCKER; then
    log "docker import $IMG_DOCKER"
    $DOCKER import -c 'CMD ["/bin/sh"]' "$ENGDIR/bb-rootfs.tar" $IMG_DOCKER >/dev/null || die "docker import failed"
  fi
  if ! $CTR -n $CTR_NS image ls -q 2>/dev/null | grep -qx "$IMG_CTR"; then
    log "ctr import $IMG_CTR"
    $DOCKER save $IMG_DOCKER -o "$ENGDIR/bb-docker-archive.tar" || die "docker save failed"
    $CTR -n $CTR_NS image import --base-name docker.io/library/ocits-bb "$ENGDIR/bb-docker-archive.tar" >/dev/null \
      || die "ctr image import failed"
  fi
  podman_env
  if ! q $PODMAN image exists $IMG_PODMAN; then
    log "podman import $IMG_PODMAN"
    $PODMAN import --change 'CMD ["/bin/sh"]' "$ENGDIR/bb-rootfs.tar" $IMG_PODMAN >/dev/null || die "podman import failed"
  fi
}

# ----------------------------------------------------------------------------------------------
# start

cmd_start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  mkdir -p "$ENGDIR"
  cmd_install
  [ -x "$OCI_TS_BIN" ] || die "$OCI_TS_BIN missing: run make build"
  record_baseline
  write_configs

  # containerd
  if pid_alive "$(read_pid "$ENGDIR/containerd.pid")"; then
    :
  elif [ -S /run/containerd/containerd.sock ] && q $CTR version; then
    die "a containerd we did not start is running; stop it first (its config cannot be changed)"
  else
    log "starting containerd (log $ENGDIR/containerd.log)"
    start_daemon "$ENGDIR/containerd.pid" "$ENGDIR/containerd.log" \
      /usr/bin/containerd --config "$ENGDIR/containerd.toml" --log-level debug
  fi
  wait_for 30 containerd $CTR version

  # dockerd (a SIGHUP reloads "runtimes" when it is already ours)
  local dpid; dpid=$(read_pid "$ENGDIR/dockerd.pid")
  if pid_alive "$dpid"; then
    kill -HUP "$dpid"
  elif [ -S /var/run/docker.sock ] && q $DOCKER version; then
    die "a dockerd we did not start is running; stop it first"
  else
    log "starting dockerd (log $ENGDIR/dockerd.log)"
    start_daemon "$ENGDIR/dockerd.pid" "$ENGDIR/dockerd.log" \
      /usr/sbin/dockerd --config-file "$ENGDIR/daemon.json" --containerd /run/containerd/containerd.sock --debug
  fi
  wait_for 60 dockerd $DOCKER version
  $DOCKER info --format '{{json .Runtimes}}' 2>/dev/null | grep -q oci-ts || die "dockerd did not register the oci-ts runtime"

  import_images
  cmd_vars >"$ENGDIR/vars.sh"
  log "ready (configs and logs in $ENGDIR)"
}

cmd_default_runtime() {
  local name=${1:?runtime name} dpid i
  dpid=$(read_pid "$ENGDIR/dockerd.pid")
  pid_alive "$dpid" || die "dockerd is not running (env.sh start)"
  sed -i "s/\"default-runtime\": *\"[^\"]*\"/\"default-runtime\": \"$name\"/" "$ENGDIR/daemon.json"
  kill -HUP "$dpid"
  for ((i = 0; i < 100; i++)); do
    [ "$($DOCKER info --format '{{.DefaultRuntime}}' 2>/dev/null)" = "$name" ] && return 0
    sleep 0.1
  done
  die "dockerd did not switch its default runtime to $name"
}

cmd_vars() {
  cat <<EOF
ENGDIR=$ENGDIR
OCI_TS_BIN=$OCI_TS_BIN
DOCKER=$DOCKER
CTR=$CTR
PODMAN=$PODMAN
CTR_NS=$CTR_NS
IMG_DOCKER=$IMG_DOCKER
IMG_CTR=$IMG_CTR
IMG_PODMAN=$IMG_PODMAN
CONTAINERS_CONF=$ENGDIR/containers.conf
CONTAINERS_STORAGE_CONF=$ENGDIR/storage.conf
PREFIX=$PREFIX
EOF
}

# ----------------------------------------------------------------------------------------------
# stop: the teardown checklist

remove_containers() {
  local ids id
  if [ -S /var/run/docker.sock ] && q timeout 10 $DOCKER version; then
    ids=$($DOCKER ps -aq --filter "name=^/$PREFIX" 2>/dev/null)
    [ -n "$ids" ] && { log "docker rm -f $(echo $ids | wc -w) containers"; timeout 120 $DOCKER rm -f $ids >/dev/null 2>&1; }
  fi
  if [ -S /run/containerd/containerd.sock ] && q timeout 10 $CTR version; then
    for id in $($CTR -n $CTR_NS containers ls -q 2>/dev/null | grep "^$PREFIX"); do
      log "ctr: removing $id"
      timeout 20 $CTR -n $CTR_NS task kill -a -s SIGKILL "$id" >/dev/null 2>&1
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        timeout 20 $CTR -n $CTR_NS task rm -f "$id" >/dev/null 2>&1 && break
        $CTR -n $CTR_NS task ls -q 2>/dev/null | grep -qx "$id" || break
        sleep 0.5
      done
      timeout 20 $CTR -n $CTR_NS containers rm "$id" >/dev/null 2>&1 \
        || timeout 20 $CTR -n $CTR_NS snapshots rm "$id" >/dev/null 2>&1
    done
  fi
  if [ -f "$ENGDIR/containers.conf" ] && q command -v podman; then
    podman_env
    ids=$($PODMAN ps -aq --filter "name=^$PREFIX" 2>/dev/null)
    [ -n "$ids" ] && { log "podman rm -f $(echo $ids | wc -w) containers"; timeout 120 $PODMAN rm -f -t 0 $ids >/dev/null 2>&1; }
  fi
}

# Podman can lose a container without calling the runtime's delete (contract 2.9.5): remove the
# runtime state of podman containers (bundle under podman's storage) that podman no longer knows.
remove_stray_state() {
  local root d id bundle
  podman_env
  for root in /run/runc /run/oci-ts; do
    [ -d "$root" ] || continue
    for d in "$root"/*/; do
      [ -f "$d/state.json" ] || continue
      id=$(basename "$d")
      bundle=$(grep -o '"bundle":"[^"]*"' "$d/state.json" | head -1 | cut -d'"' -f4)
      case $bundle in /var/lib/containers/storage/*) ;; *) continue ;; esac
      q $PODMAN container exists "$id" && continue
      log "stray runtime state $d: delete --force"
      if [ "$root" = /run/runc ]; then runc delete --force "$id" >/dev/null 2>&1
      else "$OCI_TS_BIN" delete --force "$id" >/dev/null 2>&1; fi
    done
  done
}

iptables_cleanup() {
  local t rule chain
  for t in filter nat; do
    # rules in other chains that jump to or mention the engines' chains, bridges and subnets
    iptables -t $t -S 2>/dev/null | grep '^-A ' \
      | grep -E -- '-j (DOCKER|CNI-)|docker0|cni-podman0|172\.17\.0\.0/16|10\.88\.0\.0/16' \
      | grep -Ev '^-A (DOCKER|CNI-)' \
      | while read -r rule; do
          eval "iptables -t $t -D ${rule#-A }" 2>/dev/null || log "could not delete ($t) $rule"
        done
    for chain in $(iptables -t $t -S 2>/dev/null | awk '$1=="-N"{print $2}' | grep -E '^(DOCKER|CNI-)'); do
      iptables -t $t -F "$chain" 2>/dev/null
    done
    for chain in $(iptables -t $t -S 2>/dev/null | awk '$1=="-N"{print $2}' | grep -E '^(DOCKER|CNI-)'); do
      iptables -t $t -X "$chain" 2>/dev/null || log "could not delete chain $t/$chain"
    done
  done
}

cgroup_cleanup() {
  local h parent
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    for parent in docker default libpod_parent; do
      [ -d "$h$parent" ] || continue
      # rmdir only ever removes empty cgroups: a parent still in use by someone stays
      find "$h$parent" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
}

cmd_stop() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  mkdir -p "$ENGDIR"
  remove_containers
  stop_pid dockerd "$ENGDIR/dockerd.pid" 40
  stop_pid containerd "$ENGDIR/containerd.pid" 30
  remove_stray_state
  # shims of our containers (started by our containerd) that outlived it
  local p
  for p in $(pgrep -x containerd-shim-runc-v2 2>/dev/null; pgrep -f '^/usr/bin/containerd-shim-runc-v2 ' 2>/dev/null); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-id $PREFIX"; then log "killing leftover shim $p"; kill -KILL "$p" 2>/dev/null; fi
  done
  # netns mounts
  local m
  for m in $(awk '$2 ~ "^/run/docker/netns/" || $2 ~ "^/var/run/docker/netns/" {print $2}' /proc/self/mounts | sort -u); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; rm -f "$m" 2>/dev/null
  done
  for m in $(awk '$2 ~ "^/run/netns/netns-" || $2 ~ "^/var/run/netns/netns-" {print $2}' /proc/self/mounts | sort -u); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; rm -f "$m" 2>/dev/null
  done
  rm -f /run/netns/netns-* 2>/dev/null
  if [ -f "$ENGDIR/baseline" ] && grep -q '^run_netns_existed=0' "$ENGDIR/baseline"; then
    if mountpoint -q /run/netns 2>/dev/null; then umount /run/netns 2>/dev/null || umount -l /run/netns 2>/dev/null; fi
    rmdir /run/netns 2>/dev/null
  fi
  # bridges
  local br
  for br in docker0 cni-podman0; do ip link show "$br" >/dev/null 2>&1 && { log "deleting bridge $br"; ip link del "$br"; }; done
  iptables_cleanup
  if [ -f "$ENGDIR/baseline" ]; then
    local ipf pol
    ipf=$(sed -n 's/^ip_forward=//p' "$ENGDIR/baseline"); pol=$(sed -n 's/^forward_policy=//p' "$ENGDIR/baseline")
    [ -n "$pol" ] && iptables -P FORWARD "$pol"
    [ -n "$ipf" ] && sysctl_set net.ipv4.ip_forward "$ipf"
    sysctl_set net.bridge.bridge-nf-call-iptables "$(sed -n 's/^bridge_nf_iptables=//p' "$ENGDIR/baseline")"
    sysctl_set net.bridge.bridge-nf-call-ip6tables "$(sed -n 's/^bridge_nf_ip6tables=//p' "$ENGDIR/baseline")"
    rm -f "$ENGDIR/baseline"
  else
    iptables -P FORWARD ACCEPT; sysctl_set net.ipv4.ip_forward 0
  fi
  cgroup_cleanup
  # CNI host-local IPAM leases of removed containers
  rm -f /var/lib/cni/networks/podman/10.88.* 2>/dev/null
  cmd_check >&2 || return 1
  log "stopped and clean"
}

# ----------------------------------------------------------------------------------------------
# status / check

leftovers() { # one line per leftover
  pid_alive "$(read_pid "$ENGDIR/dockerd.pid")" && echo "dockerd running (pid $(read_pid "$ENGDIR/dockerd.pid"))"
  pid_alive "$(read_pid "$ENGDIR/containerd.pid")" && echo "containerd running (pid $(read_pid "$ENGDIR/containerd.pid"))"
  local p
  for p in $(pgrep -x conmon 2>/dev/null); do echo "conmon running (pid $p)"; done
  for p in $(pgrep -f 'containerd-shim-runc-v2 ' 2>/dev/null); do echo "shim running (pid $p)"; done
  awk '$2 ~ "netns" {print "netns mount " $2}' /proc/self/mounts
  awk '($3 == "overlay") && ($2 ~ "^/(var/)?run/containerd|^/var/lib/docker|^/var/lib/containers") {print "overlay mount " $2}' /proc/self/mounts
  local br; for br in docker0 cni-podman0; do ip link show "$br" >/dev/null 2>&1 && echo "bridge $br"; done
  ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^veth/ {print "veth " $2}'
  local t; for t in filter nat; do iptables -t $t -S 2>/dev/null | grep -E 'DOCKER|CNI-|docker0|cni-podman0' | sed "s/^/iptables $t: /"; done
  iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP' && echo "iptables FORWARD policy DROP"
  local h parent; for h in /sys/fs/cgroup/*/; do for parent in docker default libpod_parent; do [ -d "$h$parent" ] && echo "cgroup $h$parent"; done; done
  [ -d /run/netns ] && [ -f "$ENGDIR/baseline" ] && grep -q '^run_netns_existed=0' "$ENGDIR/baseline" && echo "/run/netns exists"
  return 0
}

cmd_check() {
  local l; l=$(leftovers)
  if [ -n "$l" ]; then echo "left over:"; echo "$l" | sed 's/^/  /'; return 1; fi
  echo "clean: no daemons, containers, netns, bridges, iptables chains or cgroup parents left"
}

cmd_status() {
  echo "dir: $ENGDIR   oci-ts: $OCI_TS_BIN"
  echo "ip_forward=$(sysctl_get net.ipv4.ip_forward) FORWARD policy=$(iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3}')"
  if pid_alive "$(read_pid "$ENGDIR/dockerd.pid")"; then
    $DOCKER ps -a --format '{{.Names}} {{.Status}}' 2>/dev/null | sed 's/^/docker: /'
  fi
  if pid_alive "$(read_pid "$ENGDIR/containerd.pid")"; then
    $CTR -n $CTR_NS task ls 2>/dev/null | sed 's/^/ctr: /'
  fi
  if [ -f "$ENGDIR/containers.conf" ]; then podman_env; $PODMAN ps -a --format '{{.Names}} {{.Status}}' 2>/dev/null | sed 's/^/podman: /'; fi
  cmd_check
}

case ${1:-} in
  install) mkdir -p "$ENGDIR"; cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  check) cmd_check ;;
  vars) cmd_vars ;;
  default-runtime) shift; cmd_default_runtime "$@" ;;
  *) echo "usage: $0 install|start|stop|status|check|vars|default-runtime NAME" >&2; exit 2 ;;
esac
