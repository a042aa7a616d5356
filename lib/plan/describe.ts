/**
 * `oci-ts plan` / `create --dry-run`: a description, for people and for tools, of everything
 * `create` (then `start`) would do for a bundle, in order. Pure: it works on the init plan
 * (lib/plan/init-plan.ts), the spec, and a cgroup plan computed here by running the real cgroup
 * manager (lib/cgroups) against a recording, read-only CgroupIo. Nothing here touches the host;
 * host facts come in through `CgroupHostReader` and the planner's HostView.
 *
 * Numbers of the shim protocol are decoded into names: MS_* mount flags (with runc-style
 * option words), CLONE_NEW* flags (namespace names), RLIMIT_* names, CAP_* names.
 */
import * as path from 'node:path';
import { newCgroupManager, type CgroupManager } from '../cgroups/manager';
import type { CgroupIo, Hierarchy, HostCgroups } from '../cgroups/types';
import { OciError, toOciError } from '../errors';
import { CLONE, MS, type PlanOp } from '../shim/ops';
import type { Hook, NamespaceType, Resources, Spec } from '../spec/types';
import { maskToNames } from './capabilities';
import { NS_FLAGS } from './init-plan';
import { RLIMITS } from './rlimits';

// ---------------------------------------------------------------------------------------------
// Flag decoding

/** MS_* bits with their names and the fstab/runc option word for each. */
const MS_TABLE: ReadonlyArray<readonly [bit: number, name: string, option: string]> = [
  [MS.RDONLY, 'MS_RDONLY', 'ro'],
  [MS.NOSUID, 'MS_NOSUID', 'nosuid'],
  [MS.NODEV, 'MS_NODEV', 'nodev'],
  [MS.NOEXEC, 'MS_NOEXEC', 'noexec'],
  [MS.SYNCHRONOUS, 'MS_SYNCHRONOUS', 'sync'],
  [MS.REMOUNT, 'MS_REMOUNT', 'remount'],
  [MS.MANDLOCK, 'MS_MANDLOCK', 'mand'],
  [MS.DIRSYNC, 'MS_DIRSYNC', 'dirsync'],
  [MS.NOSYMFOLLOW, 'MS_NOSYMFOLLOW', 'nosymfollow'],
  [MS.NOATIME, 'MS_NOATIME', 'noatime'],
  [MS.NODIRATIME, 'MS_NODIRATIME', 'nodiratime'],
  [MS.BIND, 'MS_BIND', 'bind'],
  [MS.MOVE, 'MS_MOVE', 'move'],
  [MS.REC, 'MS_REC', 'rec'],
  [MS.SILENT, 'MS_SILENT', 'silent'],
  [MS.UNBINDABLE, 'MS_UNBINDABLE', 'unbindable'],
  [MS.PRIVATE, 'MS_PRIVATE', 'private'],
  [MS.SLAVE, 'MS_SLAVE', 'slave'],
  [MS.SHARED, 'MS_SHARED', 'shared'],
  [MS.RELATIME, 'MS_RELATIME', 'relatime'],
  [MS.STRICTATIME, 'MS_STRICTATIME', 'strictatime'],
  [MS.LAZYTIME, 'MS_LAZYTIME', 'lazytime'],
];

const PROPAGATION_BITS = MS.UNBINDABLE | MS.PRIVATE | MS.SLAVE | MS.SHARED;

/** `MS_NOSUID|MS_BIND` style names of a mount(2) flag word; unknown bits as hex. */
export function msFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of MS_TABLE) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/**
 * The same flags as runc-style mount option words: `rbind` for MS_BIND|MS_REC, `rslave` for
 * MS_SLAVE|MS_REC, `ro`, `nosuid`, ... (MS_REC alone is shown as `rec`).
 */
export function mountOptionWords(flags: number): string[] {
  const f = flags >>> 0;
  const rec = (f & MS.REC) !== 0;
  const out: string[] = [];
  let recUsed = false;
  for (const [bit, , option] of MS_TABLE) {
    if ((f & bit) === 0 || bit === MS.REC) continue;
    if (bit === MS.BIND || (bit & PROPAGATION_BITS) !== 0) {
      out.push(rec ? `r${option}` : option);
      recUsed ||= rec;
    } else {
      out.push(option);
    }
  }
  if (rec && !recUsed) out.push('rec');
  let known = 0;
  for (const [bit] of MS_TABLE) known |= bit;
  const unknown = (f & ~known) >>> 0;
  if (unknown !== 0) out.push(`0x${unknown.toString(16)}`);
  return out;
}

/** Propagation flags as one runc word (`rslave`, `private`), or undefined when none. */
export function propagationWord(flags: number): string | undefined {
  const words = mountOptionWords(flags & (PROPAGATION_BITS | MS.REC));
  return words.length === 0 || (words.length === 1 && words[0] === 'rec') ? undefined : words.join(',');
}

const NS_BY_FLAG = new Map<number, NamespaceType>(Object.entries(NS_FLAGS).map(([t, f]) => [f, t as NamespaceType]));

const CLONE_NAMES: ReadonlyArray<readonly [number, string]> = Object.entries(CLONE).map(([k, v]) => [v, `CLONE_${k}`] as const);

/** `CLONE_NEWNS|CLONE_NEWPID` style names of a clone/unshare/setns flag word. */
export function cloneFlagNames(flags: number): string[] {
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of CLONE_NAMES) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** Namespace types of a flag word, in NS_FLAGS order. */
export function namespaceTypesOf(flags: number): NamespaceType[] {
  return (Object.keys(NS_FLAGS) as NamespaceType[]).filter((t) => (flags & NS_FLAGS[t]) !== 0);
}

const RLIMIT_NAMES = new Map<number, string>(Object.entries(RLIMITS).map(([name, n]) => [n, name]));
const RLIM_INFINITY = 0xffffffffffffffffn;

export function rlimitName(resource: number): string {
  return RLIMIT_NAMES.get(resource) ?? `RLIMIT_${resource}`;
}

/** MOUNT_ATTR_* of <linux/mount.h> (mount_setattr). */
const MOUNT_ATTR_TABLE: ReadonlyArray<readonly [number, string]> = [
  [0x1, 'MOUNT_ATTR_RDONLY'], [0x2, 'MOUNT_ATTR_NOSUID'], [0x4, 'MOUNT_ATTR_NODEV'], [0x8, 'MOUNT_ATTR_NOEXEC'],
  [0x10, 'MOUNT_ATTR_NOATIME'], [0x20, 'MOUNT_ATTR_STRICTATIME'], [0x80, 'MOUNT_ATTR_NODIRATIME'],
  [0x100000, 'MOUNT_ATTR_IDMAP'], [0x200000, 'MOUNT_ATTR_NOSYMFOLLOW'],
];

export function mountAttrNames(attrs: number): string[] {
  const out: string[] = [];
  let rest = attrs >>> 0;
  if ((rest & 0x70) === 0x70) {
    out.push('MOUNT_ATTR__ATIME');
    rest &= ~0x70;
  }
  for (const [bit, name] of MOUNT_ATTR_TABLE) {
    if ((rest & bit) !== 0) {
      out.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out;
}

function limitText(v: bigint): string {
  return v === RLIM_INFINITY ? 'unlimited' : v.toString();
}

// ---------------------------------------------------------------------------------------------
// Cgroup plan: the real manager against a recording, read-only io

/** Read-only access to the host's cgroupfs (a fake in unit tests). Must never write. */
export interface CgroupHostReader {
  exists(p: string): boolean;
  /** Throws an error with code ENOENT when the file does not exist. */
  read(p: string): string;
}

export interface CgroupAction {
  action: 'mkdir' | 'write';
  path: string;
  value?: string;
}

export interface CgroupPlan {
  driver: 'cgroupfs' | 'systemd';
  /** Host layout: v1, hybrid (v1 controllers plus a cgroup2 mount) or unified (v2 only). */
  mode?: HostCgroups['mode'];
  /** Manager used: v1 (also on hybrid hosts) or v2. */
  version?: 'v1' | 'v2';
  /** The cgroup path inside every hierarchy, e.g. /oci-ts/<id>. */
  path?: string;
  /** Hierarchy key ("memory", "cpu,cpuacct", "unified") -> directory. */
  paths: Record<string, string>;
  /** What create does before the init exists: mkdirs, controller enabling, limits, in order. */
  setup: CgroupAction[];
  /** The init joins the cgroup (the value is the init's pid, known only then). */
  join: CgroupAction[];
  /** Why the cgroup cannot be set up as planned (create would fail with this text). */
  error?: string;
}

export interface CgroupPlanInput {
  spec: Spec;
  id: string;
  host: HostCgroups;
  reader: CgroupHostReader;
  systemd?: boolean;
  systemdRunning?: boolean;
}

/** The value recorded for the init's cgroup.procs write. */
export const INIT_PID = '<init pid>';

function enoent(p: string): NodeJS.ErrnoException {
  const e = new Error(`ENOENT: no such file or directory, open '${p}'`) as NodeJS.ErrnoException;
  e.code = 'ENOENT';
  e.path = p;
  return e;
}

function eexist(p: string): NodeJS.ErrnoException {
  const e = new Error(`EEXIST: file exists, mkdir '${p}'`) as NodeJS.ErrnoException;
  e.code = 'EEXIST';
  e.path = p;
  return e;
}

/** Control files present in every cgroup whatever its controllers (v1 and v2). */
const CORE_FILES = new Set(['tasks', 'notify_on_release', 'cgroup.procs', 'cgroup.clone_children']);

/**
 * A CgroupIo that records mkdirs and writes instead of doing them. Directories it "made" are
 * virtual: the files inside are the ones the cgroup's controllers would provide (optimistic:
 * optional files such as memory.swap.max or hugetlb sizes are assumed present). Everything else
 * is read from the host through the read-only reader.
 */
export class RecordingCgroupIo implements CgroupIo {
  readonly actions: CgroupAction[] = [];
  private readonly virtualDirs = new Map<string, Hierarchy>();
  private readonly written = new Map<string, string>();

  constructor(
    private readonly hierarchies: readonly Hierarchy[],
    private readonly reader: CgroupHostReader,
  ) {}

  private hierarchyOf(p: string): Hierarchy | undefined {
    let best: Hierarchy | undefined;
    for (const h of this.hierarchies) {
      if ((p === h.mountpoint || p.startsWith(h.mountpoint + '/')) && (best === undefined || h.mountpoint.length > best.mountpoint.length)) best = h;
    }
    return best;
  }

  private virtualFileExists(h: Hierarchy, name: string): boolean {
    if (CORE_FILES.has(name) || name.startsWith('cgroup.')) return true;
    // The files of the hierarchy's controllers (v1: cpu and cpuacct may share one; v2: all are
    // enabled by create, so a new cgroup has the files of every controller the root offers).
    return h.controllers.includes(name.split('.')[0] ?? '');
  }

  write(p: string, value: string): void {
    if (!this.exists(p)) throw enoent(p);
    this.actions.push({ action: 'write', path: p, value });
    if (path.basename(p) === 'cgroup.subtree_control') {
      const cur = new Set(this.read(p).split(/\s+/).filter((s) => s !== ''));
      for (const w of value.split(/\s+/)) {
        if (w.startsWith('+')) cur.add(w.slice(1));
        else if (w.startsWith('-')) cur.delete(w.slice(1));
      }
      this.written.set(p, [...cur].join(' '));
    } else {
      this.written.set(p, value);
    }
  }

  read(p: string): string {
    const w = this.written.get(p);
    if (w !== undefined) return w;
    const dir = path.dirname(p);
    const h = this.virtualDirs.get(dir);
    if (h !== undefined) {
      const name = path.basename(p);
      if (!this.virtualFileExists(h, name)) throw enoent(p);
      switch (name) {
        case 'cgroup.controllers': return h.kind === 'v2' ? h.controllers.join(' ') + '\n' : '';
        case 'memory.limit_in_bytes': return '9223372036854771712\n';
        case 'cpu.max': return 'max 100000\n';
        case 'freezer.state': return 'THAWED\n';
        default: return '';
      }
    }
    return this.reader.read(p);
  }

  exists(p: string): boolean {
    if (this.virtualDirs.has(p) || this.written.has(p)) return true;
    const h = this.virtualDirs.get(path.dirname(p));
    if (h !== undefined) return this.virtualFileExists(h, path.basename(p));
    return this.reader.exists(p);
  }

  mkdir(p: string): void {
    if (this.exists(p)) throw eexist(p);
    if (!this.exists(path.dirname(p))) throw enoent(p);
    const h = this.hierarchyOf(p);
    if (h === undefined) throw enoent(p);
    this.actions.push({ action: 'mkdir', path: p });
    this.virtualDirs.set(p, h);
  }

  rmdir(): void {
    // never called while planning
  }

  subdirs(): string[] {
    return [];
  }

  list(): string[] {
    return [];
  }

  kill(): void {
    // never called while planning
  }
}

/**
 * What the cgroup manager's create(), apply() and addProcess() would do for this spec on a host
 * with this layout, without doing it. Errors (a controller that is not there, a value the host
 * cannot take) are reported in `error`, with the text create would fail with.
 */
export function planCgroup(input: CgroupPlanInput): { plan: CgroupPlan; manager?: CgroupManager } {
  const plan: CgroupPlan = { driver: input.systemd === true ? 'systemd' : 'cgroupfs', mode: input.host.mode, paths: {}, setup: [], join: [] };
  const io = new RecordingCgroupIo(input.host.hierarchies, input.reader);
  let manager: CgroupManager | undefined;
  try {
    manager = newCgroupManager({
      cgroupsPath: input.spec.linux?.cgroupsPath, id: input.id, systemd: input.systemd, host: input.host, io,
      systemdRunning: input.systemdRunning ?? false,
    });
    plan.version = manager.version;
    plan.path = manager.path;
    plan.paths = manager.paths;
    manager.create();
    const resources: Resources | undefined = input.spec.linux?.resources;
    manager.apply(resources);
    plan.setup = io.actions.splice(0);
    manager.addProcess(0);
    plan.join = io.actions.splice(0).map((a) => (path.basename(a.path) === 'cgroup.procs' ? { ...a, value: INIT_PID } : a));
  } catch (err) {
    plan.setup.push(...io.actions.splice(0));
    plan.error = toOciError(err).message;
  }
  return manager === undefined ? { plan } : { plan, manager };
}

// ---------------------------------------------------------------------------------------------
// The description

export type Phase = 'runtime' | 'shim' | 'init' | 'start' | 'delete';

/** One operation, in the order the runtime and the shim would perform them. */
export interface PlanStep {
  /** runtime: oci-ts itself (Node); shim: the shim parent before clone; init: the container's
   * init, in its namespaces; start / delete: done by `oci-ts start` / `oci-ts delete`. */
  phase: Phase;
  /** A shim op name (MOUNT, CLONE, ...) or a runtime action (cgroup, state, hooks, idmap). */
  op: string;
  /** One line for people. */
  text: string;
  /** Decoded arguments for tools. */
  detail?: Record<string, unknown>;
}

export interface NamespaceDescription {
  type: NamespaceType;
  action: 'new' | 'join';
  path?: string;
}

export interface MountDescription {
  /** host: MOUNT_HOST (host paths, set-up of / and the rootfs); container: a config mount. */
  scope: 'host' | 'container';
  source: string;
  destination: string;
  type: string;
  /** MS_* names of the mount(2) flags. */
  flags: string[];
  /** The same as runc-style option words. */
  options: string[];
  /** Filesystem data (the options that are not flags). */
  data: string;
  /** For binds: the flags applied by the MS_REMOUNT|MS_BIND that follows (names, option words). */
  remountFlags?: string[];
  remountOptions?: string[];
  propagation?: string;
  /** What the mount point is created as: a directory, an empty file, or nothing (must exist). */
  createAs?: 'dir' | 'file' | 'none';
  /** tmpcopyup: the new tmpfs starts with a copy of the directory it covers. */
  copyUp?: boolean;
}

export interface DeviceDescription {
  path: string;
  type: 'c' | 'b' | 'p' | 'f';
  major: number;
  minor: number;
  fileMode: string;
  uid: number;
  gid: number;
  /** Bind-mounted from this host path when mknod is not allowed (user namespace). */
  hostPath?: string;
}

export interface HookDescription {
  point: string;
  index: number;
  path: string;
  args: string[];
  env?: string[];
  timeout?: number;
  /** Where it runs: in the runtime's namespaces, or in the container's (createContainer, startContainer). */
  runs: 'runtime' | 'container';
}

export interface SeccompDescription {
  /** The config has a profile. */
  configured: boolean;
  /** The plan loads a filter (a SECCOMP op). */
  applied: boolean;
  defaultAction?: string;
  architectures?: string[];
  flags?: string[];
  rules?: number;
  syscalls?: number;
  /** Number of syscall names per action. */
  actions?: Record<string, number>;
  /** Size of the BPF program in instructions, when applied. */
  instructions?: number;
}

export interface CapabilitySets {
  bounding: string[];
  effective: string[];
  permitted: string[];
  inheritable: string[];
  ambient: string[];
}

export interface PlanDescription {
  id: string;
  bundle: string;
  rootfs: string;
  ociVersion: string;
  stateDir: string;
  namespaces: NamespaceDescription[];
  cgroup: CgroupPlan;
  mounts: MountDescription[];
  devices: DeviceDescription[];
  symlinks: Array<{ link: string; target: string }>;
  maskedPaths: string[];
  readonlyPaths: string[];
  sysctl: Record<string, string>;
  rlimits: Array<{ type: string; soft: string; hard: string }>;
  capabilities: CapabilitySets;
  user: { uid: number; gid: number; additionalGids: number[]; umask: string };
  noNewPrivileges: boolean;
  hostname?: string;
  domainname?: string;
  oomScoreAdj?: number;
  seccomp: SeccompDescription;
  hooks: HookDescription[];
  process: { terminal: boolean; cwd: string; args: string[]; env: string[]; lookup?: { program: string; path: string } };
  steps: PlanStep[];
  /** Things create would refuse, or that will not be applied as the config asks. */
  errors: string[];
  notes: string[];
}

export interface DescribeInput {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  /** The init plan (buildInitPlan's output). */
  ops: readonly PlanOp[];
  cgroup: CgroupPlan;
  /** The state directory of the container (<root>/<id>). */
  stateDir: string;
  pidFile?: string;
}

const HOOK_POINTS = ['createRuntime', 'prestart', 'poststart', 'poststop', 'createContainer', 'startContainer'] as const;

function str(a: PlanOp['args'][number] | undefined): string {
  if (a === undefined) return '';
  if (a instanceof Uint8Array) return `<${a.byteLength} bytes>`;
  return String(a);
}

function num(a: PlanOp['args'][number] | undefined): number {
  return a === undefined || a instanceof Uint8Array ? 0 : Number(a);
}

function big(a: PlanOp['args'][number] | undefined): bigint {
  if (a === undefined || a instanceof Uint8Array) return 0n;
  return typeof a === 'bigint' ? a : BigInt(a);
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '-' : items.join(', ');
}

function q(s: string): string {
  return JSON.stringify(s);
}

const S_IFMT = 0o170000;

function deviceType(mode: number): DeviceDescription['type'] {
  switch (mode & S_IFMT) {
    case 0o020000: return 'c';
    case 0o060000: return 'b';
    case 0o010000: return 'p';
    default: return 'f';
  }
}

function describeSeccomp(spec: Spec, ops: readonly PlanOp[]): SeccompDescription {
  const sc = spec.linux?.seccomp;
  const op = ops.find((o) => o.op === 'SECCOMP');
  const out: SeccompDescription = { configured: sc !== undefined, applied: op !== undefined };
  if (sc !== undefined) {
    out.defaultAction = sc.defaultAction;
    out.architectures = sc.architectures ?? [];
    if (sc.flags !== undefined) out.flags = sc.flags;
    const rules = sc.syscalls ?? [];
    out.rules = rules.length;
    out.syscalls = new Set(rules.flatMap((r) => r.names)).size;
    const actions: Record<string, number> = {};
    for (const r of rules) actions[r.action] = (actions[r.action] ?? 0) + r.names.length;
    out.actions = actions;
  }
  const prog = op?.args[1];
  if (prog instanceof Uint8Array) out.instructions = prog.byteLength / 8;
  return out;
}

function hookList(spec: Spec): HookDescription[] {
  const out: HookDescription[] = [];
  for (const point of HOOK_POINTS) {
    (spec.hooks?.[point] ?? []).forEach((h: Hook, index) => {
      const runs = point === 'createContainer' || point === 'startContainer' ? 'container' : 'runtime';
      const d: HookDescription = { point, index, path: h.path, args: h.args ?? [h.path], runs };
      if (h.env !== undefined) d.env = h.env;
      if (h.timeout !== undefined) d.timeout = h.timeout;
      out.push(d);
    });
  }
  return out;
}

function hookText(h: HookDescription): string {
  const args = h.args.length > 1 ? ' ' + h.args.slice(1).map(q).join(' ') : '';
  return `${h.point} hook #${h.index}: ${h.path}${args}${h.timeout !== undefined ? ` (timeout ${h.timeout}s)` : ''}${h.runs === 'container' ? ' [in the container]' : ''}`;
}

function cgroupSteps(actions: readonly CgroupAction[], phase: Phase): PlanStep[] {
  return actions.map((a) => ({
    phase,
    op: 'cgroup',
    text: a.action === 'mkdir' ? `mkdir ${a.path}` : `write ${q(a.value ?? '')} to ${a.path}`,
    detail: { ...a },
  }));
}

/** Build the description. Pure: the same inputs give the same output. */
export function describePlan(input: DescribeInput): PlanDescription {
  const { spec, ops } = input;
  const proc = spec.process;
  const d: PlanDescription = {
    id: input.id,
    bundle: input.bundle,
    rootfs: input.rootfs,
    ociVersion: spec.ociVersion,
    stateDir: input.stateDir,
    namespaces: [],
    cgroup: input.cgroup,
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctl: {},
    rlimits: [],
    capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
    user: { uid: proc?.user.uid ?? 0, gid: proc?.user.gid ?? 0, additionalGids: [], umask: '0022' },
    noNewPrivileges: false,
    seccomp: describeSeccomp(spec, ops),
    hooks: hookList(spec),
    process: { terminal: proc?.terminal === true, cwd: proc?.cwd ?? '/', args: [], env: [] },
    steps: [],
    errors: [],
    notes: [],
  };
  const steps = d.steps;
  const step = (phase: Phase, op: string, text: string, detail?: Record<string, unknown>): void => {
    steps.push(detail === undefined ? { phase, op, text } : { phase, op, text, detail });
  };
  const hooksAt = (point: string, phase: Phase): void => {
    for (const h of d.hooks.filter((x) => x.point === point)) step(phase, 'hook', hookText(h), { ...h });
  };

  // ---- namespaces, from the spec (the CLONE/JOIN_NS ops carry the same facts as flags)
  for (const ns of spec.linux?.namespaces ?? []) {
    d.namespaces.push(ns.path !== undefined && ns.path !== '' ? { type: ns.type, action: 'join', path: ns.path } : { type: ns.type, action: 'new' });
  }

  // ---- what the runtime does before the shim starts
  step('runtime', 'validate', `read and validate ${path.join(input.bundle, 'config.json')} (ociVersion ${spec.ociVersion})`);
  step('runtime', 'state', `mkdir ${input.stateDir} (state.json, exec.fifo, lock)`, { dir: input.stateDir });
  const cg = input.cgroup;
  if (cg.path !== undefined) {
    step('runtime', 'cgroup', `use cgroup ${cg.path} (${cg.version ?? '?'} manager, ${cg.mode ?? '?'} host, ${cg.driver} driver)`, { path: cg.path, paths: cg.paths });
  }
  steps.push(...cgroupSteps(cg.setup, 'runtime'));
  if (cg.error !== undefined) {
    d.errors.push(`cgroup: ${cg.error}`);
    step('runtime', 'cgroup', `error: ${cg.error}`);
  }

  // ---- the shim's ops, decoded
  const sysctlKeys = new Map<string, string>();
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) sysctlKeys.set(`/proc/sys/${key.replace(/\./g, '/')}`, key);
  let phase: Phase = 'shim';
  let lookup: { program: string; path: string } | undefined;
  const idMaps: Array<{ file: string; text: string }> = [];
  for (const o of ops) {
    const a = o.args;
    switch (o.op) {
      case 'FIFO':
        step(phase, o.op, `mkfifo ${str(a[0])} (start waits on it)`, { path: str(a[0]) });
        break;
      case 'CONSOLE_SOCKET':
        step(phase, o.op, `connect to the console socket ${str(a[0])}`, { path: str(a[0]) });
        break;
      case 'HOSTPROC':
        step(phase, o.op, 'open the host /proc (to reach exec.fifo after pivot_root)');
        break;
      case 'JOIN_NS': {
        const type = NS_BY_FLAG.get(num(a[0])) ?? `0x${num(a[0]).toString(16)}`;
        step(phase, o.op, `setns ${type} namespace ${str(a[1])} (${cloneFlagNames(num(a[0])).join('|')})`, { type, path: str(a[1]) });
        break;
      }
      case 'UNSHARE':
        step(phase, o.op, `unshare ${list(namespaceTypesOf(num(a[0])))} namespace (${cloneFlagNames(num(a[0])).join('|')}), for children`, { flags: cloneFlagNames(num(a[0])) });
        break;
      case 'MODE':
        step(phase, o.op, str(a[0]) === 'run' ? 'run mode: the shim waits for the init and exits with its status' : 'create mode: the shim exits once the init is cloned', { mode: str(a[0]) });
        break;
      case 'CLONE': {
        const flags = num(a[0]);
        const types = namespaceTypesOf(flags);
        step(phase, o.op, `clone the init into new namespaces: ${list(types)}${flags === 0 ? '' : ` (${cloneFlagNames(flags).join('|')})`}`, { namespaces: types, flags: cloneFlagNames(flags) });
        // While the child waits for its pid: id maps, then the cgroup join, then "PID".
        for (const m of idMaps) step('shim', 'idmap', `write /proc/${INIT_PID}/${m.file}: ${m.text}`, { file: m.file });
        steps.push(...cgroupSteps(cg.join, 'shim'));
        step('runtime', 'state', `write ${path.join(input.stateDir, 'state.json')} (status creating, with the init's pid)`);
        phase = 'init';
        break;
      }
      case 'CGROUP_JOIN':
        step(phase, o.op, `open ${str(a[0])} before any setns (the init is written to it right after the clone)`, { path: str(a[0]) });
        break;
      case 'ID_MAP': {
        const m = { file: str(a[0]), text: str(a[1]).trim().replace(/\n/g, '; ') };
        idMaps.push(m);
        step(phase, o.op, `${m.file} for the init (written right after the clone): ${m.text}`, { ...m });
        break;
      }
      case 'SYNC': {
        const tag = str(a[0]);
        step('init', o.op, `wait for the runtime (${tag})`, { tag });
        if (tag === 'hooks') {
          hooksAt('createRuntime', 'runtime');
          hooksAt('prestart', 'runtime');
        }
        break;
      }
      case 'SETSID':
        step('init', o.op, 'setsid (no terminal)');
        break;
      case 'UNSHARE_CHILD': {
        const flags = num(a[0]);
        const why = flags === CLONE.NEWIPC ? 'as the user namespace\'s root (its mqueue belongs to the container)' : 'after the cgroup join';
        step('init', o.op, `unshare ${list(namespaceTypesOf(flags))} namespace (${cloneFlagNames(flags).join('|')}), ${why}`);
        break;
      }
        break;
      case 'ROOTFS':
        step('init', o.op, `open the rootfs ${str(a[0])}; container paths resolve inside it`, { path: str(a[0]) });
        break;
      case 'MOUNT_HOST': {
        const m: MountDescription = {
          scope: 'host', source: str(a[0]), destination: str(a[1]), type: str(a[2]),
          flags: msFlagNames(num(a[3])), options: mountOptionWords(num(a[3])), data: str(a[4]),
        };
        d.mounts.push(m);
        const text = m.source === '' && m.type === ''
          ? `make ${m.destination} ${list(m.options)} (${m.flags.join('|')})`
          : `bind ${m.source} on ${m.destination} (${m.flags.join('|')})`;
        step('init', o.op, text, { ...m });
        break;
      }
      case 'MOUNT': {
        const flags = num(a[3]);
        const remount = num(a[5]);
        const prop = num(a[6]);
        const mk = str(a[7]);
        const m: MountDescription = {
          scope: 'container', source: str(a[0]), destination: str(a[1]), type: str(a[2]) === '' && (flags & MS.BIND) !== 0 ? 'bind' : str(a[2]),
          flags: msFlagNames(flags), options: mountOptionWords(flags), data: str(a[4]),
          createAs: mk === 'd' || mk === 'D' ? 'dir' : mk === 'f' ? 'file' : 'none',
        };
        if (mk === 'D') m.copyUp = true;
        if (remount !== 0) {
          m.remountFlags = msFlagNames(remount);
          m.remountOptions = mountOptionWords(remount);
        }
        const p = propagationWord(prop);
        if (p !== undefined) m.propagation = p;
        d.mounts.push(m);
        let text = `${m.source} on ${m.destination} type ${m.type} (${[...m.options, ...(m.data === '' ? [] : [m.data])].join(',') || 'defaults'})`;
        if (remount !== 0) text += `, then remount ${mountOptionWords(remount).join(',')}`;
        if (p !== undefined) text += `, then make ${p}`;
        if (mk === 'f') text += ' [file mount point]';
        if (mk === 'D') text += ' [tmpcopyup: the directory\'s contents copied in]';
        step('init', o.op, text, { ...m });
        break;
      }
      case 'MKNOD': {
        const mode = num(a[1]);
        const dev: DeviceDescription = {
          path: str(a[0]), type: deviceType(mode), major: num(a[2]), minor: num(a[3]),
          fileMode: '0' + (mode & 0o7777).toString(8), uid: num(a[4]), gid: num(a[5]),
        };
        if (str(a[6]) !== '') dev.hostPath = str(a[6]);
        d.devices.push(dev);
        const what = dev.type === 'f' ? `create empty file ${dev.path}` : `mknod ${dev.path} ${dev.type} ${dev.major}:${dev.minor}`;
        step('init', o.op, `${what} mode ${dev.fileMode} owner ${dev.uid}:${dev.gid}${dev.hostPath !== undefined ? ` (bind ${dev.hostPath} if mknod is not permitted)` : ''}`, { ...dev });
        break;
      }
      case 'SYMLINK':
        d.symlinks.push({ link: str(a[1]), target: str(a[0]) });
        step('init', o.op, `symlink ${str(a[1])} -> ${str(a[0])}`, { link: str(a[1]), target: str(a[0]) });
        break;
      case 'PIVOT_ROOT':
        step('init', o.op, 'pivot_root into the rootfs, detach the old root');
        break;
      case 'CHROOT':
        step('init', o.op, 'move the rootfs onto / and chroot (--no-pivot)');
        break;
      case 'CONSOLE':
        step('init', o.op, `allocate a pty${num(a[0]) > 0 ? ` (${num(a[0])}x${num(a[1])})` : ''}, send its master to the console socket, make it the controlling terminal and stdio`);
        break;
      case 'WRITE_FILE': {
        const file = str(a[0]);
        const key = sysctlKeys.get(file);
        if (key !== undefined) {
          d.sysctl[key] = str(a[1]);
          step('init', o.op, `sysctl ${key} = ${q(str(a[1]))} (write ${file})`, { sysctl: key, value: str(a[1]), path: file });
        } else {
          step('init', o.op, `write ${q(str(a[1]))} to ${file}`, { path: file, value: str(a[1]) });
        }
        break;
      }
      case 'MASK':
        d.maskedPaths.push(str(a[0]));
        step('init', o.op, `mask ${str(a[0])} (an empty read-only tmpfs on a directory, /dev/null on a file)`, { path: str(a[0]) });
        break;
      case 'READONLY':
        d.readonlyPaths.push(str(a[0]));
        step('init', o.op, `make ${str(a[0])} read-only (bind on itself, remount ro)`, { path: str(a[0]) });
        break;
      case 'REMOUNT_RO':
        step('init', o.op, `remount ${str(a[0])} read-only`, { path: str(a[0]) });
        break;
      case 'HOSTNAME':
        d.hostname = str(a[0]);
        step('init', o.op, `sethostname ${q(str(a[0]))}`);
        break;
      case 'DOMAINNAME':
        d.domainname = str(a[0]);
        step('init', o.op, `setdomainname ${q(str(a[0]))}`);
        break;
      case 'OOM_SCORE':
        d.oomScoreAdj = num(a[0]);
        step('init', o.op, `write ${num(a[0])} to /proc/self/oom_score_adj`);
        break;
      case 'RLIMIT': {
        const r = { type: rlimitName(num(a[0])), soft: limitText(big(a[1])), hard: limitText(big(a[2])) };
        d.rlimits.push(r);
        step('init', o.op, `setrlimit ${r.type} soft ${r.soft} hard ${r.hard}`, { ...r });
        break;
      }
      case 'CHDIR':
        step('init', o.op, `chdir ${str(a[0])}`);
        break;
      case 'UMASK':
        d.user.umask = str(a[0]).padStart(4, '0');
        step('init', o.op, `umask ${d.user.umask}`);
        break;
      case 'BOUNDING':
        d.capabilities.bounding = maskToNames(big(a[0]));
        step('init', o.op, `capability bounding set: ${list(d.capabilities.bounding)}`, { capabilities: d.capabilities.bounding });
        break;
      case 'SETUSER': {
        const groups = str(a[2]) === '' ? [] : str(a[2]).split(',').map(Number);
        // The first SETUSER of a user-namespaced init only switches to the namespace's root.
        const final = ops.slice(ops.indexOf(o) + 1).every((x) => x.op !== 'SETUSER');
        if (final) {
          d.user.uid = num(a[0]);
          d.user.gid = num(a[1]);
          d.user.additionalGids = groups;
        }
        step('init', o.op, `setgroups [${groups.join(', ')}], setresgid ${num(a[1])}, setresuid ${num(a[0])}${final ? '' : ' (become root of the user namespace)'}`, { uid: num(a[0]), gid: num(a[1]), additionalGids: groups });
        break;
      }
      case 'CAPS':
        d.capabilities.effective = maskToNames(big(a[0]));
        d.capabilities.permitted = maskToNames(big(a[1]));
        d.capabilities.inheritable = maskToNames(big(a[2]));
        step('init', o.op, `capset effective: ${list(d.capabilities.effective)}; permitted: ${list(d.capabilities.permitted)}; inheritable: ${list(d.capabilities.inheritable)}`, {
          effective: d.capabilities.effective, permitted: d.capabilities.permitted, inheritable: d.capabilities.inheritable,
        });
        break;
      case 'AMBIENT':
        d.capabilities.ambient = maskToNames(big(a[0]));
        step('init', o.op, `ambient capabilities: ${list(d.capabilities.ambient)}`, { capabilities: d.capabilities.ambient });
        break;
      case 'NO_NEW_PRIVS':
        d.noNewPrivileges = true;
        step('init', o.op, 'prctl(PR_SET_NO_NEW_PRIVS, 1)');
        break;
      case 'LOOKUP':
        lookup = { program: str(a[0]), path: str(a[1]) };
        d.process.lookup = lookup;
        step('init', o.op, `look up ${q(lookup.program)} in PATH=${lookup.path} (inside the container, as its user)`, { ...lookup });
        break;
      case 'READY':
        step('init', o.op, 'tell the runtime the container is set up');
        step('runtime', 'state', `write ${path.join(input.stateDir, 'state.json')} (status created)${input.pidFile !== undefined ? ` and the pid file ${input.pidFile}` : ''}`);
        break;
      case 'WAIT_START':
        step('init', o.op, `block on ${path.join(input.stateDir, 'exec.fifo')} until \`oci-ts start\``);
        step('start', 'state', 'open exec.fifo: the init goes on');
        hooksAt('poststart', 'start');
        break;
      case 'SECCOMP': {
        const s = d.seccomp;
        step('init', o.op, `load the seccomp filter (${s.instructions ?? '?'} BPF instructions; default ${s.defaultAction ?? '?'}, ${s.rules ?? 0} rules)`, { ...s });
        break;
      }
      case 'CLOSE_FDS':
        step('init', o.op, `close fds >= ${num(a[0])} on exec`, { first: num(a[0]) });
        break;
      case 'EXEC': {
        const argc = num(a[0]);
        const strs = a.slice(1).map((x) => str(x));
        d.process.args = strs.slice(0, argc);
        d.process.env = strs.slice(argc);
        const file = lookup?.program ?? d.process.args[0] ?? '';
        step('init', o.op, `execve ${q(file)} argv ${JSON.stringify(d.process.args)} env ${JSON.stringify(d.process.env)}`, { args: d.process.args, env: d.process.env });
        break;
      }
      case 'TTY_RELAY':
        step(phase, o.op, 'make a socket pair: the shim relays the container\'s terminal to its own stdio');
        break;
      case 'WRITE_PARENT':
        step(phase, o.op, `write ${q(str(a[1]))} to ${str(a[0])} (before the clone)`, { path: str(a[0]), value: str(a[1]) });
        break;
      case 'PTY':
        step('init', o.op, `allocate a pty${num(a[0]) > 0 ? ` (${num(a[0])}x${num(a[1])})` : ''} and make it the controlling terminal and stdio`);
        break;
      case 'DEFAULT_HOME':
        step('init', o.op, `HOME (not in env) from the container's /etc/passwd entry of uid ${num(a[0])}, "/" without one (appended to the env at execve)`, { uid: num(a[0]) });
        break;
      case 'DUMPABLE':
        step('init', o.op, `prctl(PR_SET_DUMPABLE, ${num(a[0])})`);
        break;
      case 'PERSONALITY':
        step('init', o.op, `personality ${spec.linux?.personality?.domain ?? `0x${num(a[0]).toString(16)}`}`, { domain: spec.linux?.personality?.domain ?? num(a[0]) });
        break;
      case 'SCHEDULER': {
        const sch = proc?.scheduler;
        step('init', o.op, `sched_setattr policy ${sch?.policy ?? num(a[0])}${sch?.flags?.length ? ` flags ${sch.flags.join('|')}` : ''} nice ${num(a[2])} priority ${num(a[3])}${num(a[4]) || num(a[5]) || num(a[6]) ? ` runtime ${num(a[4])} deadline ${num(a[5])} period ${num(a[6])}` : ''}`, { ...(sch ?? {}) });
        break;
      }
      case 'IOPRIO': {
        const v = num(a[0]);
        const cls = ['NONE', 'IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'][v >> 13] ?? String(v >> 13);
        step('init', o.op, `ioprio_set ${cls} priority ${v & 0x1fff}`, { class: cls, priority: v & 0x1fff });
        break;
      }
      case 'MEMPOLICY': {
        const mp = spec.linux?.memoryPolicy;
        step('init', o.op, `set_mempolicy ${mp?.mode ?? num(a[0])}${mp?.flags?.length ? `|${mp.flags.join('|')}` : ''} nodes ${mp?.nodes || '-'}`, { ...(mp ?? {}) });
        break;
      }
      case 'MOUNT_SETATTR': {
        const set = mountAttrNames(num(a[1]));
        const clr = mountAttrNames(num(a[2]));
        step('init', o.op, `mount_setattr ${str(a[0])}${num(a[4]) ? ' (recursive)' : ''}: set ${list(set)}; clear ${list(clr)}`, { path: str(a[0]), set, clear: clr, recursive: num(a[4]) !== 0 });
        break;
      }
      case 'HOOK': {
        const argc = num(a[5]);
        const rest = a.slice(6).map((x) => str(x));
        step('init', o.op, `run ${str(a[0])} inside the container: ${str(a[4])}${argc > 1 ? ' ' + rest.slice(1, argc).map(q).join(' ') : ''}${num(a[1]) > 0 ? ` (timeout ${num(a[1])}s)` : ''}`, {
          label: str(a[0]), path: str(a[4]), args: rest.slice(0, argc), env: rest.slice(argc), timeout: num(a[1]),
        });
        break;
      }
      case 'NETLINK':
        step(phase, o.op, 'open a netlink route socket in the runtime\'s network namespace (for linux.netDevices)');
        break;
      case 'NOTIFY_SOCKET':
        step(phase, o.op, `connect to the seccomp agent at ${str(a[0])}`, { path: str(a[0]) });
        break;
      case 'IDMAP_TREE':
        step(phase, o.op, `idmapped copy of ${str(a[1])}${num(a[2]) ? ' (rbind)' : ''}${num(a[3]) ? ', submounts mapped too' : ''}: ${str(a[6]) !== '' ? `user namespace ${str(a[6])}` : `uid_map ${str(a[4]).trim().replace(/\n/g, '; ')}, gid_map ${str(a[5]).trim().replace(/\n/g, '; ')}`}`,
          { slot: num(a[0]), source: str(a[1]), pointer: str(a[7]) });
        break;
      case 'MOUNT_TREE':
        step('init', o.op, `attach the idmapped copy #${num(a[0])} on ${str(a[1])}`, { slot: num(a[0]), destination: str(a[1]) });
        break;
      case 'NETDEV':
        step('init', o.op, `move network device ${str(a[0])} into the container${str(a[1]) !== '' ? ` as ${str(a[1])}` : ''}, with its addresses, and set it up`, { name: str(a[0]), newName: str(a[1]) });
        break;
      case 'SECCOMP_NOTIFY': {
        const s = d.seccomp;
        step('init', o.op, `load the seccomp filter with a listener (${s.instructions ?? '?'} BPF instructions) and send the listener to the agent`, { ...s });
        break;
      }
      case 'MKDIR':
        step('init', o.op, `create ${str(a[0])} if missing (process.cwd)`, { path: str(a[0]) });
        break;
      case 'ROOT_PARENT_PRIVATE':
        step('init', o.op, `make the mount holding ${str(a[0])} private (pivot_root refuses a shared one)`, { path: str(a[0]) });
        break;
      default:
        step(phase, o.op, o.args.map((x) => q(str(x))).join(' '));
    }
  }
  hooksAt('poststop', 'delete');

  // ---- notes: what the config asks for and this build will not do as asked
  if (d.seccomp.configured && !d.seccomp.applied) {
    d.notes.push(`linux.seccomp is set (default ${d.seccomp.defaultAction}, ${d.seccomp.rules} rules) but this build of oci-ts does not load seccomp filters: the container runs without one`);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// Text

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : [`${title}:`, ...lines.map((l) => `  ${l}`)];
}

/** The plan for people: a summary by topic, then every step in order. */
export function formatPlanText(d: PlanDescription): string {
  const out: string[] = [];
  out.push(`Plan for container ${q(d.id)}: bundle ${d.bundle}, rootfs ${d.rootfs} (ociVersion ${d.ociVersion})`);
  out.push('Nothing was changed on this host: this is what `oci-ts create` then `oci-ts start` would do.');
  out.push('');
  const fresh = d.namespaces.filter((n) => n.action === 'new').map((n) => n.type);
  const joined = d.namespaces.filter((n) => n.action === 'join').map((n) => `${n.type}=${n.path}`);
  out.push(...section('namespaces', [`new: ${list(fresh)}`, ...(joined.length > 0 ? [`join: ${joined.join(', ')}`] : [])]));
  const cg = d.cgroup;
  const cgLines: string[] = [];
  if (cg.path !== undefined) cgLines.push(`${cg.path} (${cg.version} manager on a ${cg.mode} host, ${cg.driver} driver)`);
  for (const [k, v] of Object.entries(cg.paths)) cgLines.push(`${k}: ${v}`);
  const writes = cg.setup.filter((x) => x.action === 'write');
  cgLines.push(`${cg.setup.filter((x) => x.action === 'mkdir').length} mkdir, ${writes.length} writes before the init starts; the init joins via cgroup.procs`);
  const leaves = new Set(Object.values(cg.paths));
  // Files of the container's own cgroup by name; others (parents' subtree_control) in full.
  for (const w of writes) cgLines.push(`${leaves.has(path.dirname(w.path)) ? path.basename(w.path) : w.path} = ${q(w.value ?? '')}`);
  if (cg.error !== undefined) cgLines.push(`ERROR: ${cg.error}`);
  out.push(...section('cgroup', cgLines));
  const mounts = d.mounts.filter((m) => m.scope === 'container');
  const destWidth = Math.max(0, ...mounts.map((m) => m.destination.length));
  const typeWidth = Math.max(0, ...mounts.map((m) => m.type.length));
  out.push(...section('mounts', mounts.map((m) => {
    const opts = [...m.options, ...(m.remountOptions ?? []), ...(m.propagation !== undefined ? [m.propagation] : []), ...(m.data === '' ? [] : [m.data])];
    return `${m.destination.padEnd(destWidth)}  ${m.type.padEnd(typeWidth)}  ${m.source}  [${[...new Set(opts)].join(',')}]`;
  })));
  out.push(...section('devices', d.devices.map((x) => `${x.path} ${x.type} ${x.major}:${x.minor} ${x.fileMode} ${x.uid}:${x.gid}`)));
  out.push(...section('masked paths', d.maskedPaths));
  out.push(...section('read-only paths', d.readonlyPaths));
  out.push(...section('sysctls', Object.entries(d.sysctl).map(([k, v]) => `${k} = ${v}`)));
  out.push(...section('rlimits', d.rlimits.map((r) => `${r.type} soft=${r.soft} hard=${r.hard}`)));
  out.push(...section('capabilities', (Object.keys(d.capabilities) as Array<keyof CapabilitySets>).map((k) => `${k}: ${list(d.capabilities[k])}`)));
  out.push(...section('user', [`uid ${d.user.uid} gid ${d.user.gid} groups [${d.user.additionalGids.join(', ')}] umask ${d.user.umask}${d.noNewPrivileges ? ', no new privileges' : ''}`]));
  const sc = d.seccomp;
  out.push(...section('seccomp', [
    !sc.configured ? 'none configured' : `default ${sc.defaultAction}, ${sc.rules} rules over ${sc.syscalls} syscalls (${Object.entries(sc.actions ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}), architectures ${list(sc.architectures ?? [])}; ${sc.applied ? `loaded last (${sc.instructions} BPF instructions)` : 'NOT applied by this build'}`,
  ]));
  out.push(...section('hooks', d.hooks.length === 0 ? ['none'] : d.hooks.map(hookText)));
  out.push(...section('process', [
    `execve ${q(d.process.lookup?.program ?? d.process.args[0] ?? '')} ${JSON.stringify(d.process.args)} in ${d.process.cwd}${d.process.terminal ? ' with a terminal' : ''}`,
    `env ${JSON.stringify(d.process.env)}`,
  ]));
  out.push(...section('notes', d.notes));
  out.push(...section('errors (create would fail)', d.errors));
  out.push('');
  out.push('steps:');
  const width = String(d.steps.length).length;
  d.steps.forEach((s, i) => out.push(`${String(i + 1).padStart(width)}  ${s.phase.padEnd(7)} ${s.op.padEnd(12)} ${s.text}`));
  return out.join('\n') + '\n';
}

/** JSON for tools: the whole description (stable field names, see PlanDescription). */
export function formatPlanJson(d: PlanDescription): string {
  return JSON.stringify(d, null, 2) + '\n';
}

/** Thrown by callers that want `plan` to fail like create would. */
export function planErrors(d: PlanDescription): OciError | undefined {
  return d.errors.length === 0 ? undefined : new OciError('config', d.errors.join('; '));
}
