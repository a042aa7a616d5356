/**
 * `oci-ts doctor`: what will and will not work on this host, each with the reason and the fix.
 * Pure: every fact comes from a `DoctorHost` (files, directory listings, kernel release, uid),
 * so the logic is unit-tested with fake hosts; lib/doctor/host.ts reads the real one.
 *
 * A check with `basic: true` that fails means a basic container (the `oci-ts spec` config)
 * cannot run here; `oci-ts doctor` then exits 1.
 */
import * as path from 'node:path';
import { parseMountinfo, probeHost, type MountInfoEntry } from '../cgroups/probe';
import type { Hierarchy } from '../cgroups/types';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface Check {
  /** Stable identifier (for tools): kernel, cgroups, namespaces, ... */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What will not work, and why (absent when all is well). */
  reason?: string;
  /** How to fix it. */
  fix?: string;
  /** Failing it means a basic container cannot run. */
  basic: boolean;
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  /** A basic container can run here. */
  ok: boolean;
  host: { kernel: string; arch: string; uid: number };
  checks: Check[];
  counts: Record<CheckStatus, number>;
}

/** Everything the checks read. Paths are absolute host paths. */
export interface DoctorHost {
  /** File contents, or undefined when it does not exist or cannot be read. */
  readFile(p: string): string | undefined;
  exists(p: string): boolean;
  /** Entry names of a directory, or undefined. */
  readdir(p: string): string[] | undefined;
  /** uname -r */
  kernelRelease: string;
  /** process.arch */
  arch: string;
  /** Effective uid of the caller. */
  uid: number;
  /** $PATH (for finding docker, containerd, podman). */
  pathEnv: string;
  /** $HOME, for the user's containers.conf. */
  home?: string | undefined;
  /** Where the shim comes from ("embedded", a file path), or undefined when it cannot be found. */
  shim: string | undefined;
  /** process.version, or undefined inside the single executable (it embeds its own Node). */
  nodeVersion?: string | undefined;
  /** What this build applies (lib/features.ts). */
  features: {
    seccomp: boolean;
    apparmor: boolean;
    selinux: boolean;
    idmap: boolean;
  };
  /** The state root (default /run/oci-ts). */
  stateRoot: string;
  /** The namespaces of a basic container (the default spec's). */
  basicNamespaces: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// helpers

export function parseKernelVersion(release: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (m === null) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: readonly number[] | undefined, major: number, minor: number): boolean | undefined {
  if (v === undefined) return undefined;
  const [a = 0, b = 0] = v;
  return a > major || (a === major && b >= minor);
}

/** The mount that covers `p` (longest mount point prefix; the later entry on ties). */
export function mountOf(mounts: readonly MountInfoEntry[], p: string): MountInfoEntry | undefined {
  let best: MountInfoEntry | undefined;
  for (const m of mounts) {
    const covers = m.mountpoint === '/' || p === m.mountpoint || p.startsWith(m.mountpoint + '/');
    if (covers && (best === undefined || m.mountpoint.length >= best.mountpoint.length)) best = m;
  }
  return best;
}

function statusField(status: string | undefined, field: string): string | undefined {
  const line = status?.split('\n').find((l) => l.startsWith(`${field}:`));
  return line === undefined ? undefined : line.slice(field.length + 1).trim();
}

function which(host: DoctorHost, cmd: string, extra: readonly string[] = []): string | undefined {
  const dirs = [...host.pathEnv.split(':').filter((d) => d !== ''), ...extra];
  for (const d of dirs) {
    const p = path.join(d, cmd);
    if (host.exists(p)) return p;
  }
  return undefined;
}

const SYSTEM_BIN = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const isOciTsPath = (p: string): boolean => path.basename(p).startsWith('oci-ts');

// ---------------------------------------------------------------------------------------------
// the checks

function checkPrivileges(h: DoctorHost): Check {
  if (h.uid === 0) return { id: 'privileges', title: 'privileges', status: 'ok', detail: 'running as root', basic: true };
  return {
    id: 'privileges', title: 'privileges', status: 'fail', basic: true,
    detail: `running as uid ${h.uid}`,
    reason: 'create needs root: oci-ts makes cgroups, namespaces and mounts as root (rootless containers are not supported yet); plan and doctor work without root',
    fix: 'run oci-ts as root (sudo oci-ts ...), or let an engine running as root call it',
  };
}

function checkKernel(h: DoctorHost): Check {
  const v = parseKernelVersion(h.kernelRelease);
  const base = { id: 'kernel', title: 'kernel', basic: true, data: { release: h.kernelRelease, version: v } };
  if (v === undefined) return { ...base, status: 'warn', detail: `cannot parse the kernel release ${JSON.stringify(h.kernelRelease)}` };
  if (atLeast(v, 5, 6) !== true) {
    return {
      ...base, status: 'fail', detail: `Linux ${v.join('.')}`,
      reason: 'the shim resolves every container path with openat2(RESOLVE_IN_ROOT), which needs Linux 5.6 or later',
      fix: 'upgrade the kernel to 5.6 or later (Debian 12 ships 6.1)',
    };
  }
  const later: string[] = [];
  if (atLeast(v, 5, 12) !== true) later.push('idmapped mounts need 5.12');
  if (atLeast(v, 5, 14) !== true) later.push('cgroup.kill (atomic kill --all on cgroup v2) needs 5.14');
  if (later.length > 0) {
    return { ...base, status: 'ok', detail: `Linux ${v.join('.')} (>= 5.6 needed)`, reason: `some features need a newer kernel: ${later.join('; ')}`, fix: 'upgrade the kernel for those features' };
  }
  return { ...base, status: 'ok', detail: `Linux ${v.join('.')} (>= 5.6 needed)` };
}

function checkShim(h: DoctorHost, mounts: readonly MountInfoEntry[]): Check[] {
  const out: Check[] = [];
  if (h.shim === undefined) {
    out.push({
      id: 'shim', title: 'shim binary', status: 'fail', basic: true, detail: 'not found',
      reason: 'the C shim (oci-ts-shim) that clones and sets up the container init is missing from this installation',
      fix: 'run `make build` in the source tree, or reinstall the oci-ts package (it ships build/oci-ts-shim)',
    });
  } else {
    out.push({ id: 'shim', title: 'shim binary', status: 'ok', basic: true, detail: h.shim });
  }
  // materializeExecutable (lib/sys/assets.ts) copies the shim to one of these and execs it.
  const dirs = ['/dev/shm', h.stateRoot, '/tmp'];
  const usable = dirs.filter((d) => {
    const m = mountOf(mounts, d);
    return m === undefined || !(m.options.includes('noexec') || m.options.includes('ro'));
  });
  if (usable.length === 0) {
    out.push({
      id: 'shim-exec', title: 'shim copy', status: 'fail', basic: true,
      detail: `${dirs.join(', ')} are all on noexec or read-only mounts`,
      reason: 'the shim runs from a sealed copy (CVE-2019-5736) that must be made in an executable, writable place',
      fix: `remount one of them exec (e.g. mount -o remount,exec /dev/shm), or use a --root on an exec file system`,
    });
  } else {
    out.push({ id: 'shim-exec', title: 'shim copy', status: 'ok', basic: true, detail: `sealed copies of the shim can be made in ${usable[0]}` });
  }
  const rootMount = mountOf(mounts, h.stateRoot);
  if (rootMount?.options.includes('ro')) {
    out.push({
      id: 'state-root', title: 'state root', status: 'fail', basic: true,
      detail: `${h.stateRoot} is on a read-only mount (${rootMount.mountpoint})`,
      reason: 'create writes state.json and exec.fifo under the state root',
      fix: `use --root on a writable file system (a tmpfs such as /run is usual)`,
    });
  } else {
    out.push({ id: 'state-root', title: 'state root', status: 'ok', basic: true, detail: `${h.stateRoot} (on ${rootMount?.mountpoint ?? '/'}, writable)` });
  }
  if (h.nodeVersion !== undefined) {
    const major = Number(/^v?(\d+)/.exec(h.nodeVersion)?.[1] ?? 0);
    out.push(major >= 20
      ? { id: 'node', title: 'node', status: 'ok', basic: true, detail: `${h.nodeVersion} (>= 20 needed)` }
      : { id: 'node', title: 'node', status: 'fail', basic: true, detail: h.nodeVersion, reason: 'oci-ts needs Node 20 or later', fix: 'install Node 20 (or use the single executable dist/oci-ts, which embeds it)' });
  }
  return out;
}

/** Names of the controllers whose absence breaks a config field, and which field. */
const CONTROLLER_FIELDS: ReadonlyArray<readonly [controller: string, field: string]> = [
  ['cpu', 'linux.resources.cpu (shares, quota, period)'],
  ['cpuset', 'linux.resources.cpu.cpus/mems'],
  ['memory', 'linux.resources.memory'],
  ['pids', 'linux.resources.pids'],
  ['io', 'linux.resources.blockIO'],
  ['hugetlb', 'linux.resources.hugepageLimits'],
];

const V1_CONTROLLER_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['cpu', 'linux.resources.cpu (shares, quota, period)'],
  ['cpuset', 'linux.resources.cpu.cpus/mems'],
  ['memory', 'linux.resources.memory'],
  ['pids', 'linux.resources.pids'],
  ['blkio', 'linux.resources.blockIO'],
  ['devices', 'linux.resources.devices (device access rules)'],
  ['freezer', 'pause/resume'],
  ['hugetlb', 'linux.resources.hugepageLimits'],
];

function checkCgroups(h: DoctorHost, mountinfo: string, mounts: readonly MountInfoEntry[]): Check[] {
  const readControllers = (mp: string): string[] => (h.readFile(path.join(mp, 'cgroup.controllers')) ?? '').split(/\s+/).filter((s) => s !== '');
  const layout = probeHost(mountinfo, readControllers);
  const v1 = layout.hierarchies.filter((x) => x.kind === 'v1');
  const v2 = layout.hierarchies.find((x) => x.kind === 'v2');
  const out: Check[] = [];
  if (layout.hierarchies.length === 0 || (layout.mode === 'v1' && v1.every((x) => x.controllers.length === 0))) {
    out.push({
      id: 'cgroups', title: 'cgroup layout', status: 'fail', basic: true, detail: 'no cgroup file system is mounted',
      reason: 'create puts every container in a cgroup',
      fix: 'mount cgroup2 on /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup), or boot with systemd which does it',
    });
    return out;
  }
  const layoutText = layout.mode === 'unified'
    ? `unified (cgroup v2 only) at ${v2?.mountpoint}`
    : layout.mode === 'hybrid'
      ? `hybrid: ${v1.length} v1 hierarchies under ${path.dirname(v1[0]?.mountpoint ?? '/sys/fs/cgroup/x')}, cgroup2 at ${v2?.mountpoint}`
      : `v1: ${v1.length} hierarchies under ${path.dirname(v1[0]?.mountpoint ?? '/sys/fs/cgroup/x')}`;
  const cgMounts = layout.hierarchies.map((x) => mountOf(mounts, x.mountpoint)).filter((m): m is MountInfoEntry => m !== undefined);
  const roMount = cgMounts.find((m) => m.options.includes('ro') && (m.fstype === 'cgroup' || m.fstype === 'cgroup2'));
  const data = {
    mode: layout.mode,
    hierarchies: layout.hierarchies.map((x: Hierarchy) => ({ kind: x.kind, mountpoint: x.mountpoint, controllers: [...x.controllers], ...(x.name !== undefined ? { name: x.name } : {}) })),
  };
  if (roMount !== undefined) {
    out.push({
      id: 'cgroups', title: 'cgroup layout', status: 'fail', basic: true, detail: `${layoutText}; ${roMount.mountpoint} is mounted read-only`, data,
      reason: 'create cannot make the container\'s cgroup directory (this usually means oci-ts runs inside a container)',
      fix: 'run on the host, or give the outer container a writable cgroup file system (e.g. docker run --privileged --cgroupns=host)',
    });
  } else {
    out.push({ id: 'cgroups', title: 'cgroup layout', status: 'ok', basic: true, detail: layoutText, data });
  }

  // ---- controllers
  if (layout.mode === 'unified' && v2 !== undefined) {
    const have = new Set(v2.controllers);
    const missing = CONTROLLER_FIELDS.filter(([c]) => !have.has(c));
    const detail = `cgroup v2 controllers: ${v2.controllers.join(' ') || 'none'}`;
    out.push(missing.length === 0
      ? { id: 'controllers', title: 'cgroup controllers', status: 'ok', basic: false, detail, data: { controllers: v2.controllers } }
      : {
        id: 'controllers', title: 'cgroup controllers', status: 'warn', basic: false, detail, data: { controllers: v2.controllers, missing: missing.map(([c]) => c) },
        reason: `configs that set ${missing.map(([c, f]) => `${f} (${c})`).join(', ')} will fail`,
        fix: `enable the controllers in the kernel/boot configuration (e.g. ${missing.map(([c]) => c).join(', ')} need their CONFIG_ options; hugetlb needs CONFIG_CGROUP_HUGETLB)`,
      });
    const freeze = h.exists(path.join(v2.mountpoint, 'cgroup.freeze')) || (h.readdir(v2.mountpoint) ?? []).some((e) => h.exists(path.join(v2.mountpoint, e, 'cgroup.freeze')));
    out.push({
      id: 'devices', title: 'device rules', status: 'warn', basic: false,
      detail: 'cgroup v2: linux.resources.devices rules are not enforced by this build',
      reason: 'on cgroup v2 device access is controlled by an eBPF program, which oci-ts does not load yet; containers can open any device node they can see (they only get the nodes listed in the config)',
      fix: 'none needed for trusted workloads; for untrusted ones use a v1/hybrid host or keep device nodes out of the container',
    });
    if (!freeze) {
      out.push({ id: 'freezer', title: 'freezer', status: 'warn', basic: false, detail: 'no cgroup.freeze found', reason: 'pause/resume need the cgroup v2 freezer (Linux 5.2)', fix: 'upgrade the kernel' });
    }
  } else {
    const have = new Set(v1.flatMap((x) => x.controllers));
    const hybridV2 = v2?.controllers ?? [];
    // On a hybrid host a controller that is not mounted as v1 may be used from the v2 side (hugetlb, freezer).
    const missing = V1_CONTROLLER_FIELDS.filter(([c]) => !have.has(c) && !(c === 'freezer' && v2 !== undefined) && !(c === 'hugetlb' && hybridV2.includes('hugetlb')));
    const detail = `v1 controllers: ${[...have].sort().join(' ')}${v2 !== undefined ? `; on cgroup2 (${v2.mountpoint}): ${hybridV2.join(' ') || 'none'}` : ''}`;
    out.push(missing.length === 0
      ? { id: 'controllers', title: 'cgroup controllers', status: 'ok', basic: false, detail, data: { v1: [...have].sort(), v2: hybridV2 } }
      : {
        id: 'controllers', title: 'cgroup controllers', status: 'warn', basic: false, detail, data: { v1: [...have].sort(), v2: hybridV2, missing: missing.map(([c]) => c) },
        reason: `configs that use ${missing.map(([c, f]) => `${f} (${c})`).join(', ')} will fail`,
        fix: `mount the missing hierarchies (e.g. mkdir /sys/fs/cgroup/${missing[0]?.[0]} && mount -t cgroup -o ${missing[0]?.[0]} none /sys/fs/cgroup/${missing[0]?.[0]})`,
      });
  }
  return out;
}

const NS_FILES: ReadonlyArray<readonly [type: string, file: string]> = [
  ['mount', 'mnt'], ['pid', 'pid'], ['network', 'net'], ['ipc', 'ipc'], ['uts', 'uts'], ['user', 'user'], ['cgroup', 'cgroup'], ['time', 'time'],
];

function checkNamespaces(h: DoctorHost, kernel: readonly number[] | undefined): Check[] {
  const out: Check[] = [];
  const have = NS_FILES.filter(([, f]) => h.exists(`/proc/self/ns/${f}`)).map(([t]) => t);
  const missing = NS_FILES.map(([t]) => t).filter((t) => !have.includes(t));
  const missingBasic = missing.filter((t) => h.basicNamespaces.includes(t));
  if (missingBasic.length > 0) {
    out.push({
      id: 'namespaces', title: 'namespaces', status: 'fail', basic: true, detail: `available: ${have.join(' ') || 'none'}; missing: ${missing.join(' ')}`,
      reason: `a basic container uses ${h.basicNamespaces.join(', ')} namespaces; ${missingBasic.join(', ')} ${missingBasic.length === 1 ? 'is' : 'are'} not available`,
      fix: `enable ${missingBasic.map((t) => `CONFIG_${t === 'mount' ? 'NAMESPACES' : t === 'network' ? 'NET_NS' : `${t.toUpperCase()}_NS`}`).join(', ')} in the kernel`,
    });
  } else {
    const others = missing.filter((t) => t !== 'time' && t !== 'user');
    out.push(others.length === 0
      ? { id: 'namespaces', title: 'namespaces', status: 'ok', basic: true, detail: `available: ${have.join(' ')}` }
      : { id: 'namespaces', title: 'namespaces', status: 'warn', basic: true, detail: `available: ${have.join(' ')}; missing: ${others.join(' ')}`, reason: `configs asking for a new ${others.join(', ')} namespace will fail`, fix: 'enable those namespaces in the kernel configuration' });
  }

  // ---- user namespaces
  const maxUserNs = h.readFile('/proc/sys/user/max_user_namespaces')?.trim();
  const unpriv = h.readFile('/proc/sys/kernel/unprivileged_userns_clone')?.trim();
  const aaRestrict = h.readFile('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')?.trim();
  const userData = { available: have.includes('user'), maxUserNamespaces: maxUserNs === undefined ? null : Number(maxUserNs), unprivilegedUsernsClone: unpriv ?? null };
  if (!have.includes('user')) {
    out.push({ id: 'userns', title: 'user namespaces', status: 'warn', basic: false, detail: 'not available (no /proc/self/ns/user)', data: userData, reason: 'configs with a user namespace (uidMappings, rootless specs, Docker userns-remap, Podman --userns) will fail', fix: 'enable CONFIG_USER_NS in the kernel' });
  } else if (maxUserNs === '0') {
    out.push({ id: 'userns', title: 'user namespaces', status: 'warn', basic: false, detail: 'disabled: /proc/sys/user/max_user_namespaces is 0', data: userData, reason: 'configs with a user namespace (uidMappings, Docker userns-remap, Podman --userns) will fail', fix: 'sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d/ to keep it)' });
  } else {
    const notes: string[] = [];
    if (unpriv === '0') notes.push('kernel.unprivileged_userns_clone=0: only root can create them (fine for oci-ts, which runs as root)');
    if (aaRestrict === '1') notes.push('kernel.apparmor_restrict_unprivileged_userns=1: unprivileged users are restricted by AppArmor');
    const c: Check = { id: 'userns', title: 'user namespaces', status: 'ok', basic: false, detail: `available, max_user_namespaces=${maxUserNs ?? 'unknown'}`, data: userData };
    if (notes.length > 0) c.reason = notes.join('; ');
    out.push(c);
  }

  // ---- time namespace
  if (have.includes('time')) {
    out.push({ id: 'timens', title: 'time namespace', status: 'ok', basic: false, detail: 'available (/proc/self/ns/time)' });
  } else {
    out.push({
      id: 'timens', title: 'time namespace', status: 'warn', basic: false, detail: 'not available',
      reason: 'configs with a time namespace (linux.timeOffsets) will fail',
      fix: atLeast(kernel, 5, 6) === true ? 'enable CONFIG_TIME_NS in the kernel' : 'upgrade to Linux 5.6 or later with CONFIG_TIME_NS',
    });
  }
  return out;
}

function checkIdmap(h: DoctorHost, kernel: readonly number[] | undefined): Check {
  const kernelOk = atLeast(kernel, 5, 12) === true;
  const data = { kernelSupports: kernelOk, buildSupports: h.features.idmap };
  if (!h.features.idmap) {
    return {
      id: 'idmap', title: 'idmapped mounts', status: 'info', basic: false, data,
      detail: `kernel ${kernelOk ? 'supports them (>= 5.12)' : 'is older than 5.12'}; this build of oci-ts does not apply the idmap/ridmap mount options`,
      reason: 'mounts with idmap or ridmap options (and mount uidMappings) are refused with a config error',
      fix: 'remove those options, or chown the source for the container\'s user namespace',
    };
  }
  if (!kernelOk) {
    return { id: 'idmap', title: 'idmapped mounts', status: 'warn', basic: false, data, detail: 'the kernel is older than 5.12', reason: 'mounts with idmap/ridmap options will fail (mount_setattr(MOUNT_ATTR_IDMAP) needs Linux 5.12)', fix: 'upgrade the kernel to 5.12 or later' };
  }
  return { id: 'idmap', title: 'idmapped mounts', status: 'ok', basic: false, data, detail: 'supported (Linux >= 5.12); the file system of each source must support them too (ext4, xfs, btrfs, tmpfs >= 6.3, overlay >= 5.19)' };
}

function checkOverlay(h: DoctorHost): Check {
  const fs = h.readFile('/proc/filesystems') ?? '';
  const has = fs.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'overlay');
  if (has) return { id: 'overlay', title: 'overlay file system', status: 'ok', basic: false, detail: 'overlay is in /proc/filesystems' };
  const modDir = `/lib/modules/${h.kernelRelease}/kernel/fs/overlayfs`;
  const module = (h.readdir(modDir) ?? []).find((f) => f.startsWith('overlay.ko'));
  if (module !== undefined) {
    return { id: 'overlay', title: 'overlay file system', status: 'ok', basic: false, detail: `available as a module (${path.join(modDir, module)}), loaded on first use` };
  }
  return {
    id: 'overlay', title: 'overlay file system', status: 'warn', basic: false, detail: 'overlay is not in /proc/filesystems and no overlay module was found',
    reason: 'oci-ts itself only needs a rootfs directory, but engines build rootfs with overlay (Docker overlay2, the containerd overlayfs snapshotter, Podman\'s overlay driver)',
    fix: 'modprobe overlay (CONFIG_OVERLAY_FS), or configure the engine with another storage driver (vfs, native)',
  };
}

const LIBSECCOMP_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib'];

function checkSeccomp(h: DoctorHost): Check {
  const status = h.readFile('/proc/self/status');
  const mode = statusField(status, 'Seccomp');
  let lib: string | undefined;
  for (const d of LIBSECCOMP_DIRS) {
    const f = (h.readdir(d) ?? []).find((n) => /^libseccomp\.so\.2/.test(n));
    if (f !== undefined) {
      lib = path.join(d, f);
      break;
    }
  }
  const data = { kernel: mode !== undefined, mode: mode ?? null, libseccomp: lib ?? null, buildSupports: h.features.seccomp };
  const found = `kernel seccomp ${mode === undefined ? 'not available' : `available (this process: mode ${mode})`}; libseccomp ${lib ?? 'not found'}`;
  if (!h.features.seccomp) {
    return {
      id: 'seccomp', title: 'seccomp', status: 'warn', basic: false, data, detail: `${found}; this build of oci-ts does not load seccomp filters`,
      reason: 'linux.seccomp in a config (Docker and Podman send their default profile) is not applied: containers run without a syscall filter',
      fix: 'use a build of oci-ts with seccomp support, or run only trusted workloads',
    };
  }
  if (mode === undefined) {
    return { id: 'seccomp', title: 'seccomp', status: 'warn', basic: false, data, detail: found, reason: 'configs with linux.seccomp will fail: the kernel has no seccomp support', fix: 'enable CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER in the kernel' };
  }
  if (lib === undefined) {
    return { id: 'seccomp', title: 'seccomp', status: 'warn', basic: false, data, detail: found, reason: 'configs with linux.seccomp will fail: oci-ts compiles profiles with libseccomp', fix: 'apt-get install libseccomp2' };
  }
  const c: Check = { id: 'seccomp', title: 'seccomp', status: 'ok', basic: false, data, detail: found };
  if (mode === '2') c.reason = 'this process already runs under a seccomp filter (inside a container?): the container\'s filter is added to it';
  return c;
}

function checkLsm(h: DoctorHost): Check[] {
  const out: Check[] = [];
  const aa = h.readFile('/sys/module/apparmor/parameters/enabled')?.trim();
  if (aa === 'Y') {
    out.push(h.features.apparmor
      ? { id: 'apparmor', title: 'AppArmor', status: 'ok', basic: false, detail: 'enabled; process.apparmorProfile is applied' }
      : {
        id: 'apparmor', title: 'AppArmor', status: 'warn', basic: false, detail: 'enabled on the host; this build of oci-ts does not apply AppArmor profiles',
        reason: 'process.apparmorProfile (Docker\'s docker-default, Podman\'s containers-default) is ignored: containers run unconfined',
        fix: 'none in oci-ts yet; rely on namespaces, capabilities and seccomp',
      });
  } else {
    out.push({ id: 'apparmor', title: 'AppArmor', status: 'info', basic: false, detail: 'not enabled on this host' });
  }
  const enforce = h.readFile('/sys/fs/selinux/enforce')?.trim();
  if (enforce === undefined) {
    out.push({ id: 'selinux', title: 'SELinux', status: 'info', basic: false, detail: 'not enabled on this host' });
  } else if (h.features.selinux) {
    out.push({ id: 'selinux', title: 'SELinux', status: 'ok', basic: false, detail: `${enforce === '1' ? 'enforcing' : 'permissive'}; labels are applied` });
  } else {
    out.push({
      id: 'selinux', title: 'SELinux', status: enforce === '1' ? 'warn' : 'info', basic: false,
      detail: `${enforce === '1' ? 'enforcing' : 'permissive'}; this build of oci-ts does not apply SELinux labels`,
      reason: 'process.selinuxLabel and linux.mountLabel are ignored: the container runs with the runtime\'s label, and an enforcing policy may deny its file accesses',
      fix: 'label the rootfs for the runtime\'s domain, or set SELinux to permissive for containers',
    });
  }
  return out;
}

function checkConsole(h: DoctorHost, mounts: readonly MountInfoEntry[]): Check {
  const fs = h.readFile('/proc/filesystems') ?? '';
  const devptsFs = fs.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'devpts');
  const hostPts = mounts.some((m) => m.fstype === 'devpts' && m.mountpoint === '/dev/pts');
  const ptmx = h.exists('/dev/ptmx');
  const data = { devptsFilesystem: devptsFs, hostDevPts: hostPts, ptmx };
  if (!devptsFs) {
    return {
      id: 'console', title: '/dev/pts and console', status: 'fail', basic: true, data, detail: 'devpts is not in /proc/filesystems',
      reason: 'a basic container mounts its own devpts on /dev/pts, and consoles (terminal: true) are allocated from it',
      fix: 'enable CONFIG_UNIX98_PTYS (devpts) in the kernel',
    };
  }
  if (!hostPts || !ptmx) {
    return {
      id: 'console', title: '/dev/pts and console', status: 'warn', basic: false, data, detail: `devpts supported; host ${hostPts ? '' : 'has no /dev/pts mount'}${!hostPts && !ptmx ? ', ' : ''}${ptmx ? '' : 'has no /dev/ptmx'}`,
      reason: 'engines (and `oci-ts run` from a terminal) allocate the console socket\'s terminal on the host side',
      fix: 'mount -t devpts devpts /dev/pts -o newinstance,ptmxmode=0666 and ln -s pts/ptmx /dev/ptmx',
    };
  }
  return { id: 'console', title: '/dev/pts and console', status: 'ok', basic: true, data, detail: 'devpts supported, /dev/pts mounted, /dev/ptmx present: terminal: true works with --console-socket' };
}

// ---- engines

/** `[section]` -> key -> raw value text, for the small TOML subset of containers.conf and libpod.conf. */
export function tomlSections(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur = '';
  out.set(cur, new Map());
  let pendingKey: string | undefined;
  let pending = '';
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (pendingKey !== undefined) {
      pending += ' ' + line;
      depth += (line.match(/\[/g)?.length ?? 0) - (line.match(/\]/g)?.length ?? 0);
      if (depth <= 0) {
        out.get(cur)?.set(pendingKey, pending.trim());
        pendingKey = undefined;
      }
      continue;
    }
    if (line === '') continue;
    const sec = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (sec !== null) {
      cur = sec[1]!.replace(/\s+/g, '');
      if (!out.has(cur)) out.set(cur, new Map());
      continue;
    }
    const kv = /^("?)([^"=]+?)\1\s*=\s*(.*)$/.exec(line);
    if (kv === null) continue;
    const key = kv[2]!.trim();
    const value = kv[3]!;
    depth = (value.match(/\[/g)?.length ?? 0) - (value.match(/\]/g)?.length ?? 0);
    if (depth > 0) {
      pendingKey = key;
      pending = value;
    } else {
      out.get(cur)?.set(key, value.trim());
    }
  }
  return out;
}

function stringsIn(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2] ?? '');
}

interface EngineRuntime { name: string; path: string; file: string }

function dockerRuntimes(h: DoctorHost): { runtimes: EngineRuntime[]; defaultRuntime?: string; error?: string } {
  const file = '/etc/docker/daemon.json';
  const text = h.readFile(file);
  if (text === undefined) return { runtimes: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { runtimes: [], error: `${file}: invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const obj = (doc ?? {}) as { runtimes?: Record<string, { path?: unknown; runtimeType?: unknown; options?: { BinaryName?: unknown } }>; 'default-runtime'?: unknown };
  const runtimes: EngineRuntime[] = [];
  for (const [name, r] of Object.entries(obj.runtimes ?? {})) {
    const p = typeof r?.path === 'string' ? r.path : typeof r?.options?.BinaryName === 'string' ? r.options.BinaryName : '';
    runtimes.push({ name, path: p, file });
  }
  const out: { runtimes: EngineRuntime[]; defaultRuntime?: string } = { runtimes };
  if (typeof obj['default-runtime'] === 'string') out.defaultRuntime = obj['default-runtime'];
  return out;
}

function podmanConfFiles(h: DoctorHost): string[] {
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];
  for (const d of ['/usr/share/containers/containers.conf.d', '/etc/containers/containers.conf.d']) {
    for (const f of (h.readdir(d) ?? []).filter((n) => n.endsWith('.conf')).sort()) files.push(path.join(d, f));
  }
  if (h.home !== undefined) files.push(path.join(h.home, '.config/containers/containers.conf'));
  return files;
}

function podmanRuntimes(h: DoctorHost): { runtimes: EngineRuntime[]; defaultRuntime?: string } {
  const runtimes: EngineRuntime[] = [];
  let defaultRuntime: string | undefined;
  for (const file of podmanConfFiles(h)) {
    const text = h.readFile(file);
    if (text === undefined) continue;
    const secs = tomlSections(text);
    for (const [name, value] of secs.get('engine.runtimes') ?? new Map<string, string>()) {
      for (const p of stringsIn(value)) runtimes.push({ name, path: p, file });
    }
    const rt = secs.get('engine')?.get('runtime');
    if (rt !== undefined) defaultRuntime = stringsIn(rt)[0] ?? defaultRuntime;
  }
  // Podman 3's libpod.conf: a top-level [runtimes] table.
  const legacy = h.readFile('/etc/containers/libpod.conf');
  if (legacy !== undefined) {
    for (const [name, value] of tomlSections(legacy).get('runtimes') ?? new Map<string, string>()) {
      for (const p of stringsIn(value)) runtimes.push({ name, path: p, file: '/etc/containers/libpod.conf' });
    }
  }
  return defaultRuntime === undefined ? { runtimes } : { runtimes, defaultRuntime };
}

function containerdRuntimes(h: DoctorHost): EngineRuntime[] {
  const out: EngineRuntime[] = [];
  const files = ['/etc/containerd/config.toml', ...(h.readdir('/etc/containerd/conf.d') ?? []).map((f) => path.join('/etc/containerd/conf.d', f))];
  for (const file of files) {
    const text = h.readFile(file);
    if (text === undefined) continue;
    for (const [sec, kv] of tomlSections(text)) {
      const m = /runtimes\.("?)([^".]+)\1(?:\.options)?$/.exec(sec);
      const bin = kv.get('BinaryName');
      if (m !== null && bin !== undefined) out.push({ name: m[2]!, path: stringsIn(bin)[0] ?? '', file });
    }
  }
  return out;
}

function engineCheck(h: DoctorHost, id: string, title: string, bin: string | undefined, found: EngineRuntime[], fix: string, extra: { defaultRuntime?: string | undefined; error?: string | undefined } = {}): Check {
  const ours = found.filter((r) => r.name.startsWith('oci-ts') || isOciTsPath(r.path));
  const data = { installed: bin !== undefined, binary: bin ?? null, registered: ours, defaultRuntime: extra.defaultRuntime ?? null };
  if (bin === undefined) {
    if (ours.length > 0) return { id, title, status: 'info', basic: false, data, detail: `not installed (but oci-ts is registered in ${ours[0]!.file})` };
    return { id, title, status: 'info', basic: false, data, detail: 'not installed' };
  }
  if (extra.error !== undefined) return { id, title, status: 'warn', basic: false, data, detail: `${bin}; ${extra.error}`, reason: `${title} will not start with a broken configuration`, fix: 'fix the JSON syntax' };
  if (ours.length === 0) {
    return { id, title, status: 'warn', basic: false, data, detail: `${bin} installed; oci-ts is not registered as a runtime`, reason: `${title} cannot use oci-ts until it is registered`, fix };
  }
  const broken = ours.filter((r) => r.path !== '' && path.isAbsolute(r.path) && !h.exists(r.path));
  const text = ours.map((r) => `${r.name} = ${r.path || '(from PATH)'} (${r.file})`).join('; ');
  if (broken.length > 0) {
    return { id, title, status: 'warn', basic: false, data, detail: `registered: ${text}`, reason: `${broken.map((r) => r.path).join(', ')} does not exist`, fix: 'install oci-ts there (e.g. install -m 755 dist/oci-ts /usr/local/bin/oci-ts) or fix the path' };
  }
  const isDefault = extra.defaultRuntime !== undefined && ours.some((r) => r.name === extra.defaultRuntime);
  return { id, title, status: 'ok', basic: false, data, detail: `registered: ${text}${isDefault ? ' (default runtime)' : ''}` };
}

function checkEngines(h: DoctorHost): Check[] {
  const docker = dockerRuntimes(h);
  const podman = podmanRuntimes(h);
  return [
    engineCheck(h, 'docker', 'Docker', which(h, 'dockerd', SYSTEM_BIN) ?? which(h, 'docker', SYSTEM_BIN), docker.runtimes,
      'add {"runtimes": {"oci-ts": {"path": "/usr/local/bin/oci-ts"}}} to /etc/docker/daemon.json, systemctl reload docker, then docker run --runtime oci-ts ...',
      { defaultRuntime: docker.defaultRuntime, error: docker.error }),
    engineCheck(h, 'containerd', 'containerd', which(h, 'containerd', SYSTEM_BIN), containerdRuntimes(h),
      'use it per container (ctr run --runc-binary /usr/local/bin/oci-ts ...), or add a runtime with BinaryName = "/usr/local/bin/oci-ts" under [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.oci-ts.options] in /etc/containerd/config.toml'),
    engineCheck(h, 'podman', 'Podman', which(h, 'podman', SYSTEM_BIN), podman.runtimes,
      'use it per container (podman --runtime /usr/local/bin/oci-ts run ...), or add oci-ts = ["/usr/local/bin/oci-ts"] under [engine.runtimes] in /etc/containers/containers.conf',
      { defaultRuntime: podman.defaultRuntime }),
  ];
}

// ---------------------------------------------------------------------------------------------

/** Run every check against `host`. */
export function diagnose(host: DoctorHost): DoctorReport {
  const mountinfo = host.readFile('/proc/self/mountinfo') ?? '';
  const mounts = parseMountinfo(mountinfo);
  const kernel = parseKernelVersion(host.kernelRelease);
  const checks: Check[] = [
    checkPrivileges(host),
    checkKernel(host),
    ...checkShim(host, mounts),
    ...checkCgroups(host, mountinfo, mounts),
    ...checkNamespaces(host, kernel),
    checkIdmap(host, kernel),
    checkOverlay(host),
    checkSeccomp(host),
    ...checkLsm(host),
    checkConsole(host, mounts),
    ...checkEngines(host),
  ];
  const counts: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, info: 0 };
  for (const c of checks) counts[c.status]++;
  return {
    ok: !checks.some((c) => c.basic && c.status === 'fail'),
    host: { kernel: host.kernelRelease, arch: host.arch, uid: host.uid },
    checks,
    counts,
  };
}

/** The report for people. */
export function formatDoctorText(r: DoctorReport): string {
  const out: string[] = [`oci-ts doctor: Linux ${r.host.kernel} (${r.host.arch}), uid ${r.host.uid}`, ''];
  const width = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    out.push(`${c.status.toUpperCase().padEnd(4)}  ${c.title.padEnd(width)}  ${c.detail}`);
    const pad = ' '.repeat(6 + width + 2);
    if (c.reason !== undefined) out.push(`${pad}${c.status === 'ok' || c.status === 'info' ? 'note' : 'why'}: ${c.reason}`);
    if (c.fix !== undefined && c.status !== 'ok') out.push(`${pad}fix: ${c.fix}`);
  }
  out.push('');
  out.push(`${r.counts.ok} ok, ${r.counts.warn} warnings, ${r.counts.fail} failed, ${r.counts.info} info`);
  const basicFail = r.checks.filter((c) => c.basic && c.status === 'fail');
  out.push(r.ok
    ? 'A basic container can run on this host.'
    : `A basic container cannot run on this host: ${basicFail.map((c) => c.title).join(', ')}.`);
  return out.join('\n') + '\n';
}
