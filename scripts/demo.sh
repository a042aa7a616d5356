#!/usr/bin/env bash
# scripts/demo.sh: run a busybox container with dist/oci-ts (`make demo` builds first).
#
# Builds ./demo (a bundle: rootfs/ with a static busybox, config.json from `oci-ts spec`, the way
# one would with `runc spec`), sets process.args and terminal=false in config.json, then runs
#     dist/oci-ts run --bundle demo demo-<pid>
# in the foreground so the container's output appears here. Needs root.
# OCI_TS=path overrides the runtime binary (e.g. OCI_TS=runc for comparison).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
OCI=${OCI_TS:-$REPO/dist/oci-ts}
DEMO=$REPO/demo
ID=demo-$$

die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, mounts, cgroups): sudo make demo"
command -v "$OCI" >/dev/null || [ -x "$OCI" ] || die "$OCI not found (make build)"

BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
  if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi   # static: ldd refuses
done
[ -n "$BUSYBOX" ] || die "no static busybox (apt-get install busybox-static, or make deps)"

# --- bundle ---------------------------------------------------------------------------------
rm -rf "$DEMO"
mkdir -p "$DEMO"/rootfs/{bin,proc,sys,dev,etc,root,run,var,tmp}
chmod 1777 "$DEMO/rootfs/tmp"
chmod 700 "$DEMO/rootfs/root"
cp "$BUSYBOX" "$DEMO/rootfs/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$DEMO/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$DEMO/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$DEMO/rootfs/etc/group"
: > "$DEMO/rootfs/etc/hosts"
: > "$DEMO/rootfs/etc/resolv.conf"

# `oci-ts spec` writes config.json into the current directory, like `runc spec`.
(cd "$DEMO" && "$OCI" spec)
[ -f "$DEMO/config.json" ] || die "'$OCI spec' did not write $DEMO/config.json"

node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const spec = JSON.parse(fs.readFileSync(file, "utf8"));
  spec.process.terminal = false;
  spec.process.args = ["/bin/sh", "-c",
    "echo Hello from a busybox container run by oci-ts; uname -n; id; cat /proc/1/cmdline | tr \x27\\0\x27 \x27 \x27; echo"];
  fs.writeFileSync(file, JSON.stringify(spec, null, "\t") + "\n");
' "$DEMO/config.json"

# --- run --------------------------------------------------------------------------------------
echo "demo: ${OCI#"$REPO"/} run --bundle demo $ID"
rc=0
"$OCI" run --bundle "$DEMO" "$ID" </dev/null || rc=$?
# `run` in the foreground deletes the container when it exits; make sure nothing is left.
"$OCI" delete --force "$ID" >/dev/null 2>&1 || true
echo "demo: container exited with status $rc"
exit $rc
