/**
 * The config fields beyond mounts and identity (runtime-spec 1.3.0 config.md, config-linux.md):
 * each one is either turned into shim ops here or refused with an error naming its JSON pointer,
 * so that a config is applied in full or no container is made (runtime.md §Create).
 *
 *   applied:  linux.seccomp, linux.personality, process.scheduler, process.ioPriority,
 *             linux.memoryPolicy, linux.timeOffsets, hooks.createContainer/startContainer
 *   ignored:  process.execCPUAffinity for the init (the spec: "not applicable to the container's
 *             init process"; exec applies it, exec-plan.ts)
 *   elsewhere: linux.netDevices and idmapped mounts (host-resources.ts), SCMP_ACT_NOTIFY
 *             (seccompOp below, lib/seccomp/profile.ts)
 *   refused:  process.apparmorProfile, process.selinuxLabel, linux.mountLabel (no AppArmor or
 *             SELinux in this build), linux.intelRdt (no resctrl)
 *
 * Pure apart from the seccomp compiler, which the caller may replace (unit tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configError } from '../errors';
import type { PlanOp } from '../shim/ops';
import { normalizeSysctlName, pointer, sysctlNamespace } from '../spec/semantic';
import type { Hook, NamespaceType, Process, Seccomp, Spec } from '../spec/types';
import type { CompiledSeccomp } from '../seccomp/compile';

type Add = (op: PlanOp['op'], ...args: PlanOp['args']) => void;

function refuse(pointer: string, reason: string): never {
  throw configError('config.json', pointer, reason);
}

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s !== '';

const PROC_NS_NAME: Readonly<Record<NamespaceType, string>> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Is the namespace file at nsPath the one this runtime itself is in? */
export function isRuntimeNamespace(type: NamespaceType, nsPath: string): boolean {
  try {
    const a = fs.statSync(nsPath);
    const b = fs.statSync(`/proc/self/ns/${PROC_NS_NAME[type]}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false; // unreadable: JOIN_NS reports it
  }
}

/**
 * Fields this build cannot apply, and sysctls that would land in the runtime's own namespace
 * (a "joined" network namespace that is the host's: runc refuses those too).
 */
export function refuseUnsupported(spec: Spec, isRuntimeNs: typeof isRuntimeNamespace = isRuntimeNamespace): void {
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const name = normalizeSysctlName(key);
    const type = sysctlNamespace(name);
    const joined = spec.linux?.namespaces?.find((n) => n.type === type && n.path !== undefined && n.path !== '');
    if (type !== undefined && joined !== undefined && isRuntimeNs(type, joined.path!)) {
      refuse(pointer('linux', 'sysctl', key), `sysctl ${name} is not allowed in the runtime's own ${type} namespace (${joined.path})`);
    }
  }
  const proc = spec.process;
  if (nonEmpty(proc?.apparmorProfile)) {
    refuse('/process/apparmorProfile', 'AppArmor is not supported by this build of oci-ts');
  }
  if (nonEmpty(proc?.selinuxLabel)) refuse('/process/selinuxLabel', 'SELinux is not supported by this build of oci-ts');
  const linux = spec.linux;
  if (nonEmpty(linux?.mountLabel)) refuse('/linux/mountLabel', 'SELinux is not supported by this build of oci-ts');
  if (linux?.intelRdt !== undefined) {
    refuse('/linux/intelRdt', 'Intel RDT (resctrl) is not supported by this build of oci-ts');
  }
}

// ---- personality ----------------------------------------------------------------------------

/** <sys/personality.h> execution domains. */
export const PERSONALITY: Readonly<Record<string, number>> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function planPersonality(spec: Spec, add: Add): void {
  const p = spec.linux?.personality;
  if (p === undefined) return;
  const domain = PERSONALITY[p.domain];
  if (domain === undefined) refuse('/linux/personality/domain', `unknown execution domain "${p.domain}" (must be LINUX or LINUX32)`);
  // config-linux.md: "Currently no flag values are supported."
  if ((p.flags?.length ?? 0) > 0) refuse('/linux/personality/flags/0', `personality flag "${p.flags![0]}" is not supported`);
  add('PERSONALITY', domain);
}

// ---- scheduler, I/O priority -------------------------------------------------------------

export const SCHED_POLICY: Readonly<Record<string, number>> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};

export const SCHED_FLAG: Readonly<Record<string, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

export const IOPRIO_CLASS: Readonly<Record<string, number>> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

/** process.scheduler and process.ioPriority; `base` is '/process' (or '' for an exec process.json). */
export function planProcessAttrs(proc: Process, add: Add, base = '/process'): void {
  const s = proc.scheduler;
  if (s !== undefined) {
    const policy = SCHED_POLICY[s.policy];
    if (policy === undefined) {
      refuse(`${base}/scheduler/policy`, s.policy === 'SCHED_ISO'
        ? 'SCHED_ISO is not implemented by the Linux kernel'
        : `unknown scheduling policy "${s.policy}"`);
    }
    let flags = 0;
    (s.flags ?? []).forEach((f, i) => {
      const v = SCHED_FLAG[f];
      if (v === undefined) refuse(`${base}/scheduler/flags/${i}`, `unknown scheduler flag "${f}"`);
      flags |= v;
    });
    add('SCHEDULER', policy, flags, s.nice ?? 0, s.priority ?? 0, s.runtime ?? 0, s.deadline ?? 0, s.period ?? 0);
  }
  const io = proc.ioPriority;
  if (io !== undefined) {
    const cls = IOPRIO_CLASS[io.class];
    if (cls === undefined) refuse(`${base}/ioPriority/class`, `unknown I/O priority class "${io.class}"`);
    const prio = io.priority ?? 0;
    if (!Number.isInteger(prio) || prio < 0 || prio > 7) refuse(`${base}/ioPriority/priority`, 'must be an integer between 0 and 7');
    add('IOPRIO', (cls << 13) | prio);
  }
}

// ---- memory policy ----------------------------------------------------------------------------

export const MPOL_MODE: Readonly<Record<string, number>> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};
export const MPOL_FLAG: Readonly<Record<string, number>> = {
  MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15,
};

/** The most NUMA nodes a node list may name (the mask travels as raw unsigned longs). */
const MAX_NODES = 1024;
/** The most CPUs a cpu list may name (CONFIG_NR_CPUS is at most 8192). */
const MAX_CPUS = 8192;

/** A cpu list ("0-3,7") as a cpu_set_t mask for sched_setaffinity. */
export function cpuMask(list: string, pointer: string): Buffer {
  const mask = bitMask(list, pointer, MAX_CPUS, 'cpu');
  if (mask.length === 0) refuse(pointer, 'names no CPU');
  return mask;
}

/** A cpuset-style list ("0-3,7") as a node mask in little-endian 64-bit words. */
export function nodeMask(list: string, pointer: string): Buffer {
  return bitMask(list, pointer, MAX_NODES, 'node');
}

function bitMask(list: string, pointer: string, max: number, what: string): Buffer {
  const nodes: number[] = [];
  for (const part of list.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) refuse(pointer, `"${part}" is not a ${what} number or range`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) refuse(pointer, `range "${part}" is reversed`);
    if (hi >= max) refuse(pointer, `${what} ${hi} is beyond the ${max} ${what}s this build supports`);
    for (let n = lo; n <= hi; n++) nodes.push(n);
  }
  if (nodes.length === 0) return Buffer.alloc(0);
  const words = Math.floor(Math.max(...nodes) / 64) + 1;
  const b = Buffer.alloc(words * 8);
  for (const n of nodes) b[n >> 3]! |= 1 << (n & 7);
  return b;
}

export function planMemoryPolicy(spec: Spec, add: Add): void {
  const mp = spec.linux?.memoryPolicy;
  if (mp === undefined) return;
  const mode = MPOL_MODE[mp.mode];
  if (mode === undefined) refuse('/linux/memoryPolicy/mode', `unknown memory policy mode "${mp.mode}"`);
  let flags = 0;
  (mp.flags ?? []).forEach((f, i) => {
    const v = MPOL_FLAG[f];
    if (v === undefined) refuse(`/linux/memoryPolicy/flags/${i}`, `unknown memory policy flag "${f}"`);
    flags |= v;
  });
  add('MEMPOLICY', mode | flags, nodeMask(mp.nodes ?? '', '/linux/memoryPolicy/nodes'));
}

// ---- time namespace offsets -----------------------------------------------------------------

/** The text for /proc/self/timens_offsets (time_namespaces(7)), or undefined when there is none. */
export function timeOffsetsText(spec: Spec): string | undefined {
  const offsets = spec.linux?.timeOffsets;
  if (offsets === undefined) return undefined;
  const lines: string[] = [];
  for (const [clock, o] of Object.entries(offsets)) {
    if (clock !== 'monotonic' && clock !== 'boottime') refuse(`/linux/timeOffsets/${clock}`, 'unknown clock (must be boottime or monotonic)');
    const nanos = o.nanosecs ?? 0;
    if (!Number.isInteger(nanos) || nanos < 0 || nanos >= 1e9) refuse(`/linux/timeOffsets/${clock}/nanosecs`, 'must be between 0 and 999999999');
    lines.push(`${clock} ${o.secs ?? 0} ${nanos}\n`);
  }
  return lines.length === 0 ? undefined : lines.join('');
}

// ---- seccomp ----------------------------------------------------------------------------------

export type SeccompCompiler = (s: Seccomp) => CompiledSeccomp;

const CAP_SYS_ADMIN = 'CAP_SYS_ADMIN';

/**
 * Where the SECCOMP op goes. seccomp(2) without no_new_privs needs CAP_SYS_ADMIN, so when
 * noNewPrivileges is false and the final identity lacks it, the filter is loaded while the init
 * is still privileged: before SETUSER (runc does the same). Otherwise it is loaded last, right
 * before execve, so that the init's own setup never runs under the container's filter.
 */
export function seccompLoadsEarly(proc: Process): boolean {
  if (proc.noNewPrivileges) return false;
  const keepsAdmin = proc.user.uid === 0 && (proc.capabilities?.effective ?? []).includes(CAP_SYS_ADMIN);
  return !keepsAdmin;
}

/** Does the profile hand calls to a seccomp agent (SCMP_ACT_NOTIFY with a listenerPath)? */
export function seccompNotifies(spec: Spec): boolean {
  const s = spec.linux?.seccomp;
  return s !== undefined && (s.syscalls ?? []).some((c) => c.action === 'SCMP_ACT_NOTIFY') && (s.listenerPath ?? '') !== '';
}

/**
 * The container process state sent to the seccomp agent with the listener fd (config-linux.md
 * "The Container Process State"), as a template: \x01 stands for the process's pid, which only
 * the shim knows. Every string goes through JSON.stringify, which never emits a raw \x01.
 */
export function notifyStateTemplate(spec: Spec, state: HookState, status: 'created' | 'running'): string {
  const PID = '\x01';
  const q = JSON.stringify;
  const meta = spec.linux?.seccomp?.listenerMetadata;
  return `{"ociVersion":${q(state.ociVersion)},"fds":["seccompFd"],"pid":${PID},` +
    (meta !== undefined && meta !== '' ? `"metadata":${q(meta)},` : '') +
    `"state":{"ociVersion":${q(state.ociVersion)},"id":${q(state.id)},"status":"${status}","pid":${PID},"bundle":${q(state.bundle)}` +
    (state.annotations !== undefined ? `,"annotations":${q(state.annotations)}` : '') + '}}';
}

/**
 * The op that loads linux.seccomp: SECCOMP, or SECCOMP_NOTIFY when a rule notifies an agent
 * (then `notify` is the state template and the plan's parent phase has a NOTIFY_SOCKET).
 */
export function seccompOp(spec: Spec, compile: SeccompCompiler, notify?: string): PlanOp | undefined {
  const s = spec.linux?.seccomp;
  if (s === undefined) return undefined;
  const c = compile(s);
  if (seccompNotifies(spec)) {
    if (notify === undefined) throw new Error('seccompOp: SCMP_ACT_NOTIFY needs the container process state');
    return { op: 'SECCOMP_NOTIFY', args: [c.flags, c.program, notify] };
  }
  return { op: 'SECCOMP', args: [c.flags, c.program] };
}

// ---- hooks that run inside the container -----------------------------------------------------

export interface HookState {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations?: Record<string, string> | undefined;
}

/**
 * createContainer / startContainer hooks as HOOK ops. The state JSON is split around "pid",
 * which the shim fills with its own pid as the container sees it (runc passes getpid() too).
 */
export function planContainerHooks(point: 'createContainer' | 'startContainer', hooks: readonly Hook[] | undefined, state: HookState, add: Add): void {
  (hooks ?? []).forEach((h, i) => {
    if (!path.isAbsolute(h.path)) refuse(`/hooks/${point}/${i}/path`, 'must be an absolute path');
    const doc: Record<string, unknown> = {
      ociVersion: state.ociVersion,
      id: state.id,
      status: point === 'createContainer' ? 'creating' : 'created',
      bundle: state.bundle,
    };
    if (state.annotations !== undefined) doc.annotations = state.annotations;
    const json = JSON.stringify(doc);
    const prefix = `${json.slice(0, -1)},"pid":`;
    const args = h.args !== undefined && h.args.length > 0 ? h.args : [h.path];
    add('HOOK', `${point} hook #${i}`, h.timeout ?? 0, prefix, '}', h.path, args.length, ...args, ...(h.env ?? []));
  });
}
