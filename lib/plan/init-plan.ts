/**
 * config.json -> the ordered list of shim operations that builds the container's init
 * (docs/shim-protocol.md). Pure: everything it needs from the host comes in `HostView`, so it is
 * unit-tested without root and printed by `oci-ts plan`.
 */
import * as path from 'node:path';
import { configError } from '../errors';
import { CLONE, MS, type PlanOp } from '../shim/ops';
import type { Mount, Namespace, NamespaceType, Spec } from '../spec/types';
import { planIdentity } from './identity';
import { BIND_REMOUNT_MASK, parseMountOptions, resolveSource } from './mount-options';
import {
  notifyStateTemplate, planContainerHooks, planMemoryPolicy, planPersonality, planProcessAttrs, refuseUnsupported, seccompLoadsEarly,
  seccompNotifies, seccompOp, timeOffsetsText, type SeccompCompiler,
} from './extras';
import { mapText, planIdmappedMounts, planNetDevices, type IdmapSlots } from './host-resources';
import { compileSeccompCached } from '../seccomp/cache';
import { normalizeSysctlName } from '../spec/semantic';
import { OCI_VERSION } from '../container/store';

export { DEFAULT_PATH, envValue } from './identity';

/** A cgroup v1 (or hybrid) hierarchy as the container should see it under /sys/fs/cgroup. */
export interface CgroupView {
  name: string;       // directory name under /sys/fs/cgroup: "memory", "cpu,cpuacct", "systemd", "unified"
  source: string;     // host directory of the container's cgroup in that hierarchy
  links: string[];    // symlinks to make beside it ("cpu" and "cpuacct" -> "cpu,cpuacct")
}

export interface HostView {
  /** Is this host path a directory? (bind sources: a file source gets a file mount point). */
  isDirectory(hostPath: string): boolean;
  /** Hierarchies for a `cgroup`-type mount; empty when the host is cgroup v2 only. */
  cgroupViews: CgroupView[];
  /** On a unified (v2-only) host: the host directory of the container's cgroup. */
  cgroup2Source?: string;
  /** The cgroup.procs files the init is written to (one per hierarchy), right after the clone. */
  cgroupProcs?: readonly string[];
}

export interface InitPlanInput {
  spec: Spec;
  rootfs: string;           // absolute host path
  bundle: string;           // absolute host path
  fifo: string;             // <root>/<id>/exec.fifo
  consoleSocket?: string | undefined;
  noPivot: boolean;
  preserveFds: number;
  mode: 'create' | 'run';
  host: HostView;
  /** The container id (hook state); by default the directory of `fifo` (<root>/<id>/exec.fifo). */
  id?: string;
  /** linux.seccomp -> BPF; libseccomp by default (tests pass a fake). */
  compileSeccomp?: SeccompCompiler;
}

const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFREG = 0o100000;

export const NS_FLAGS: Readonly<Record<NamespaceType, number>> = {
  pid: CLONE.NEWPID, network: CLONE.NEWNET, mount: CLONE.NEWNS, ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS, user: CLONE.NEWUSER, cgroup: CLONE.NEWCGROUP, time: CLONE.NEWTIME,
};

/** setns order for joined namespaces: user first (it grants the rights for the rest), mount last. */
export const JOIN_ORDER: readonly NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface DefaultDevice { path: string; major: number; minor: number }

/** The devices every container gets, whatever linux.devices says (runtime-spec config-linux.md). */
export const DEFAULT_DEVICES: readonly DefaultDevice[] = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

export function namespaceSets(spec: Spec): { fresh: Set<NamespaceType>; joined: Namespace[] } {
  const fresh = new Set<NamespaceType>();
  const joined: Namespace[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.path !== undefined && ns.path !== '') joined.push(ns);
    else fresh.add(ns.type);
  }
  return { fresh, joined };
}

export function buildInitPlan(input: InitPlanInput): PlanOp[] {
  const { spec } = input;
  const proc = spec.process;
  if (proc === undefined) throw configError('config.json', '/process', 'is required to create a container');
  const ops: PlanOp[] = [];
  const add = (op: PlanOp['op'], ...args: PlanOp['args']): void => {
    ops.push({ op, args });
  };
  refuseUnsupported(spec);
  const { fresh, joined } = namespaceSets(spec);
  if (!fresh.has('mount')) {
    throw configError('config.json', '/linux/namespaces', 'a new mount namespace is required (oci-ts never changes the host\'s mounts)');
  }

  const hookState = {
    ociVersion: OCI_VERSION, id: input.id ?? path.basename(path.dirname(input.fifo)), bundle: input.bundle, annotations: spec.annotations,
  };

  // ---- parent phase: runs in the shim before the clone ----
  add('FIFO', input.fifo);
  if (proc.terminal && input.consoleSocket !== undefined) add('CONSOLE_SOCKET', input.consoleSocket);
  // `run` in the foreground with a terminal and no console socket: the shim parent keeps the pty
  // master and relays it to our own stdio, as runc does.
  if (proc.terminal && input.consoleSocket === undefined && input.mode === 'run') add('TTY_RELAY');
  add('HOSTPROC');
  // Opened by the shim before any JOIN_NS, written by it after the clone while the child waits:
  // the container's cgroups hold the init before it runs one op of its own.
  for (const file of input.host.cgroupProcs ?? []) add('CGROUP_JOIN', file);
  // Host-side handles, taken before any JOIN_NS leaves the runtime's namespaces: a netlink
  // socket in its network namespace, the seccomp agent's socket, idmapped mounts of host paths.
  const netDevices = planNetDevices(spec);
  if (netDevices.length > 0) add('NETLINK');
  if (seccompNotifies(spec)) add('NOTIFY_SOCKET', spec.linux!.seccomp!.listenerPath!);
  const idmapSlots = planIdmappedMounts(spec, input.bundle, fresh, add);
  const sortedJoins = [...joined].sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  for (const ns of sortedJoins) add('JOIN_NS', NS_FLAGS[ns.type], ns.path!);
  // CLONE_NEWTIME shares its bit with CSIGNAL, so clone() cannot take it: unshare in the parent.
  if (fresh.has('time')) add('UNSHARE', CLONE.NEWTIME);
  // Offsets can only be written while no process is in the new time namespace yet.
  const offsets = timeOffsetsText(spec);
  if (offsets !== undefined) add('WRITE_PARENT', '/proc/self/timens_offsets', offsets);
  add('MODE', input.mode);
  // Written by the shim parent after the clone (user_namespaces(7): from the parent namespace).
  if (fresh.has('user')) {
    const uid = mapText(spec.linux?.uidMappings ?? []);
    const gid = mapText(spec.linux?.gidMappings ?? []);
    if (uid !== '') add('ID_MAP', 'uid_map', uid);
    if (gid !== '') add('ID_MAP', 'gid_map', gid);
  }
  // With a new user namespace the ipc namespace is made later, by the namespace's root (see
  // the UNSHARE_CHILD below): its mqueue filesystem then belongs to the container's root.
  const ipcLater = fresh.has('user') && fresh.has('ipc');
  let cloneFlags = 0;
  for (const t of fresh) if (t !== 'cgroup' && t !== 'time' && !(t === 'ipc' && ipcLater)) cloneFlags |= NS_FLAGS[t];
  add('CLONE', cloneFlags);

  // ---- child phase: the container's init (id maps written and cgroups joined by now) ----
  // Nothing in the container may open /proc/<init>/fd (the host /proc it holds for WAIT_START) or ptrace it before execve: an `exec` into a created container could otherwise reach the host (CVE-2016-9962).
  add('DUMPABLE', 0);
  // In its own network namespace now (new, or joined before the clone).
  for (const d of netDevices) add('NETDEV', d.name, d.newName, d.pointer);
  // In a user namespace the init is still the unmapped host root until it switches to the
  // namespace's root; mounts such as devpts fail (EOVERFLOW) before that.
  if (fresh.has('user') || joined.some((ns) => ns.type === 'user')) add('SETUSER', 0, 0, '');
  if (ipcLater) add('UNSHARE_CHILD', CLONE.NEWIPC);
  // A new cgroup namespace is made after the cgroup join, so its root is the container's cgroup.
  if (fresh.has('cgroup')) add('UNSHARE_CHILD', CLONE.NEWCGROUP);
  if (!proc.terminal) add('SETSID');

  const rootProp = propagationFlags(spec.linux?.rootfsPropagation);
  add('MOUNT_HOST', '', '/', '', MS.REC | rootProp, '');
  // pivot_root refuses a shared new root or parent mount, which "/" just made everything: the
  // mount holding the rootfs is made private first, so its bind is private too (runc does so).
  if (rootProp === MS.SHARED && !input.noPivot) add('ROOT_PARENT_PRIVATE', input.rootfs);
  add('MOUNT_HOST', input.rootfs, input.rootfs, '', MS.BIND | MS.REC, '');
  add('ROOTFS', input.rootfs);

  const remountLater: string[] = [];
  (spec.mounts ?? []).forEach((m, i) => planMount(m, i, input, fresh, add, remountLater, idmapSlots));

  planDevices(spec, !!proc.terminal, add);
  // A missing cwd is created (0755, as the runtime's root inside), after the mounts it may be on.
  if (proc.cwd !== undefined && proc.cwd !== '' && proc.cwd !== '/') add('MKDIR', proc.cwd);

  const hooks = spec.hooks;
  if ((hooks?.createRuntime?.length ?? 0) > 0 || (hooks?.prestart?.length ?? 0) > 0) add('SYNC', 'hooks');
  // In the container's namespaces, before pivot_root: the hook path resolves in the runtime's view.
  planContainerHooks('createContainer', hooks?.createContainer, hookState, add);

  add(input.noPivot ? 'CHROOT' : 'PIVOT_ROOT');
  // config-linux.md: with "shared" the rootfs mount belongs to a new peer group (of its own:
  // it was made private for pivot_root).
  if (rootProp === MS.SHARED) add('MOUNT_HOST', '', '/', '', MS.SHARED | MS.REC, '');
  if (proc.terminal) add('CONSOLE', proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0);

  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    // dotted name -> path; a '/' inside a component (eth0/1 for "eth0.1") becomes a '.'
    add('WRITE_FILE', `/proc/sys/${normalizeSysctlName(key).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`, value);
  }
  for (const p of spec.linux?.maskedPaths ?? []) add('MASK', p);
  for (const p of spec.linux?.readonlyPaths ?? []) add('READONLY', p);
  for (const p of remountLater) add('REMOUNT_RO', p);
  if (spec.root?.readonly) add('REMOUNT_RO', '/');

  if (spec.hostname !== undefined && spec.hostname !== '') add('HOSTNAME', spec.hostname);
  if (spec.domainname !== undefined && spec.domainname !== '') add('DOMAINNAME', spec.domainname);
  if (proc.oomScoreAdj !== undefined) add('OOM_SCORE', proc.oomScoreAdj);
  planPersonality(spec, add);
  planProcessAttrs(proc, add);
  planMemoryPolicy(spec, add);
  const seccomp = seccompOp(spec, input.compileSeccomp ?? ((s) => compileSeccompCached(s, path.dirname(path.dirname(input.fifo)))),
    seccompNotifies(spec) ? notifyStateTemplate(spec, hookState, 'created') : undefined);
  const seccompEarly = seccomp !== undefined && seccompLoadsEarly(proc);
  // RLIMIT ... LOOKUP: shared with exec (identity.ts). Without no_new_privs, seccomp(2) needs
  // CAP_SYS_ADMIN, so then the filter goes in right before SETUSER gives it up.
  const { args, env } = planIdentity(proc, { file: 'config.json', base: '/process' }, (op, ...a) => {
    if (op === 'SETUSER' && seccompEarly) ops.push(seccomp);
    add(op, ...a);
  });

  add('READY');
  add('WAIT_START');
  // After `start`, in the container (the path resolves there), as the container's user.
  planContainerHooks('startContainer', hooks?.startContainer, hookState, add);
  add('CLOSE_FDS', 3 + input.preserveFds);
  // Otherwise last, so that none of the init's own setup runs under the container's filter.
  if (seccomp !== undefined && !seccompEarly) ops.push(seccomp);
  add('EXEC', args.length, ...args, ...env);
  return ops;
}

export function propagationFlags(p: string | undefined): number {
  switch (p ?? '') {
    case '': case 'rslave': return MS.SLAVE;
    case 'slave': return MS.SLAVE;
    case 'private': case 'rprivate': return MS.PRIVATE;
    case 'shared': case 'rshared': return MS.SHARED;
    case 'unbindable': case 'runbindable': return MS.UNBINDABLE;
    default:
      throw configError('config.json', '/linux/rootfsPropagation', `must be one of shared, slave, private, unbindable (with or without r prefix), got "${p}"`);
  }
}

type Add = (op: PlanOp['op'], ...args: PlanOp['args']) => void;

function planMount(m: Mount, i: number, input: InitPlanInput, fresh: Set<NamespaceType>, add: Add, remountLater: string[], idmapSlots: IdmapSlots): void {
  const pointer = `/mounts/${i}`;
  const o = parseMountOptions(m.options, pointer);
  const dest = m.destination;
  if (!path.isAbsolute(dest)) throw configError('config.json', `${pointer}/destination`, 'must be an absolute path');
  const slot = idmapSlots.get(i);
  if (slot !== undefined) {
    // Made idmapped by the shim parent (IDMAP_TREE); attached here like a bind mount.
    const source = resolveSource(m.source, input.bundle, `${pointer}/source`);
    add('MOUNT_TREE', slot, dest, input.host.isDirectory(source) ? 'd' : 'f', o.flags & BIND_REMOUNT_MASK, o.propagation);
    if (o.recAttrSet !== 0 || o.recAttrClr !== 0) add('MOUNT_SETATTR', dest, o.recAttrSet, o.recAttrClr, 0, 1, `${pointer}/options`);
    return;
  }
  const type = m.type ?? (o.bind ? 'bind' : '');
  const ro = (o.flags & MS.RDONLY) !== 0;

  let mounted = true;
  if (type === 'cgroup' || type === 'cgroup2') {
    // (nothing is mounted on a v2-only host that has no container cgroup to show)
    mounted = input.host.cgroupViews.length > 0 || input.host.cgroup2Source !== undefined;
    planCgroupMount(dest, o.flags, ro, input.host, add, remountLater);
  } else if (o.bind || type === 'bind' || (type === 'sysfs' && !fresh.has('network'))) {
    // A sysfs mount needs a network namespace of our own; without one, runc binds the host's /sys.
    const source = type === 'sysfs' && !o.bind ? '/sys' : resolveSource(m.source, input.bundle, `${pointer}/source`);
    const flags = (o.flags & ~BIND_REMOUNT_MASK) | MS.BIND | (o.recursive || type === 'sysfs' ? MS.REC : 0);
    const remount = o.flags & BIND_REMOUNT_MASK;
    add('MOUNT', source, dest, '', flags, '', remount, o.propagation, input.host.isDirectory(source) ? 'd' : 'f');
  } else {
    if (type === '') throw configError('config.json', `${pointer}/type`, 'is required unless options contain bind or rbind');
    // tmpcopyup (a no-op on other types, as in runc): mk 'D' copies the covered directory into
    // the tmpfs; a read-only one is mounted writable for that and remounted read-only after.
    const copyUp = o.copyUp && type === 'tmpfs';
    const late = copyUp && ro ? o.flags & BIND_REMOUNT_MASK : 0;
    add('MOUNT', m.source ?? type, dest, type, late !== 0 ? o.flags & ~MS.RDONLY : o.flags, o.data.join(','), late, o.propagation, copyUp ? 'D' : 'd');
  }
  // rro, rnosuid, ...: mount_setattr(AT_RECURSIVE) on the new mount and everything under it.
  if (mounted && (o.recAttrSet !== 0 || o.recAttrClr !== 0)) add('MOUNT_SETATTR', dest, o.recAttrSet, o.recAttrClr, 0, 1, `${pointer}/options`);
}


/** A cgroup-type mount on a v1 host becomes a tmpfs with one bind per hierarchy, as runc does. */
function planCgroupMount(dest: string, flags: number, ro: boolean, host: HostView, add: Add, remountLater: string[]): void {
  const baseFlags = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  if (host.cgroupViews.length === 0) {
    if (host.cgroup2Source === undefined) return;
    add('MOUNT', host.cgroup2Source, dest, '', MS.BIND | MS.REC, '', ro ? MS.RDONLY | baseFlags : 0, 0, 'd');
    return;
  }
  add('MOUNT', 'tmpfs', dest, 'tmpfs', (flags & ~MS.RDONLY) | baseFlags, 'mode=755', 0, 0, 'd');
  for (const view of host.cgroupViews) {
    const target = path.posix.join(dest, view.name);
    add('MOUNT', view.source, target, '', MS.BIND | MS.REC, '', baseFlags | (ro ? MS.RDONLY : 0), 0, 'd');
    for (const link of view.links) add('SYMLINK', view.name, path.posix.join(dest, link));
  }
  if (ro) remountLater.push(dest);
}

function planDevices(spec: Spec, terminal: boolean, add: Add): void {
  const specDevices = spec.linux?.devices ?? [];
  const given = new Set(specDevices.map((d) => d.path));
  for (const d of DEFAULT_DEVICES) {
    if (!given.has(d.path)) add('MKNOD', d.path, S_IFCHR | 0o666, d.major, d.minor, 0, 0, d.path);
  }
  specDevices.forEach((d) => {
    const kind = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
    add('MKNOD', d.path, kind | ((d.fileMode ?? 0o666) & 0o7777), d.major ?? 0, d.minor ?? 0, d.uid ?? 0, d.gid ?? 0, d.path);
  });
  add('SYMLINK', '/proc/self/fd', '/dev/fd');
  add('SYMLINK', '/proc/self/fd/0', '/dev/stdin');
  add('SYMLINK', '/proc/self/fd/1', '/dev/stdout');
  add('SYMLINK', '/proc/self/fd/2', '/dev/stderr');
  add('SYMLINK', 'pts/ptmx', '/dev/ptmx');
  if (terminal) add('MKNOD', '/dev/console', S_IFREG | 0o600, 0, 0, 0, 0, '');
}
