/**
 * `exec`: the process to start inside a running container, and the ordered shim operations that
 * start it (docs/shim-protocol.md, "An exec plan"). Pure: the caller (lib/container/exec.ts) reads
 * the container's namespaces from /proc, finds its cgroup.procs files and writes the pid-file.
 *
 * The plan: [CONSOLE_SOCKET | TTY_RELAY], INIT_CHECK, CGROUP_JOIN of every cgroup.procs,
 * [WRITE_PARENT oom_score_adj], [CPU_AFFINITY initial], JOIN_NS of every namespace of the
 * container's init that differs from the host's (user first, mount last; all opened before the
 * first setns), MODE, CLONE 0 (the child is born in the joined pid namespace and the parent joins
 * it to the cgroups before it runs), DUMPABLE 0 (nothing in the container may ptrace it before
 * execve), [CPU_AFFINITY final], [SETUSER 0 0 in a user namespace], SETSID or PTY,
 * then what the init gets from the container's config and its own process (personality,
 * scheduler, I/O priority, memory policy: extras.ts), the same identity ops as the init
 * (identity.ts), CLOSE_FDS, the container's seccomp filter, and EXEC.
 *
 * Seccomp: exec applies exactly what create applies: the container's linux.seccomp, loaded last
 * (right before execve) or, when no_new_privs is off and the process will not keep
 * CAP_SYS_ADMIN, right before SETUSER, as in the init plan (extras.ts, seccompLoadsEarly).
 */
import * as path from 'node:path';
import { OciError, configError, usageError } from '../errors';
import type { PlanOp } from '../shim/ops';
import type { NamespaceType, Process, Spec } from '../spec/types';
import {
  cpuMask, notifyStateTemplate, planMemoryPolicy, planPersonality, planProcessAttrs, seccompLoadsEarly, seccompNotifies, seccompOp, type SeccompCompiler,
} from './extras';
import { OCI_VERSION } from '../container/store';
import { dedupeEnv, planIdentity, type ProcessSource } from './identity';
import { JOIN_ORDER, NS_FLAGS } from './init-plan';

/** The flags of `exec` that change the process (runc applies them only without --process). */
export interface ExecProcessFlags {
  args: string[];
  cwd?: string | undefined;
  env: string[];
  /** undefined: keep config.json's process.terminal. */
  tty?: boolean | undefined;
  user?: { uid: number; gid?: number | undefined } | undefined;
  additionalGids: number[];
  processLabel?: string | undefined;
  apparmor?: string | undefined;
  /** undefined: keep config.json's process.noNewPrivileges. */
  noNewPrivs?: boolean | undefined;
  caps: string[];
}

/** A namespace of the container's init to join: its type and a path such as /proc/<pid>/ns/net. */
export interface JoinNamespace {
  type: NamespaceType;
  path: string;
}

export interface ExecPlanInput {
  process: Process;
  /** The container's config.json: what the init got besides its process (seccomp, personality...). */
  container: Spec;
  /** linux.seccomp -> BPF (the caller passes libseccomp's, with the state root's cache). */
  compileSeccomp: SeccompCompiler;
  /** For error messages: the --process file as given, or config.json. */
  source: ProcessSource;
  /** Only the namespaces that differ from the host's (runc joins no others). */
  namespaces: readonly JoinNamespace[];
  consoleSocket?: string | undefined;
  detach: boolean;
  preserveFds: number;
  /** The container's id and bundle: the seccomp agent's state when a rule is SCMP_ACT_NOTIFY. */
  state?: { id: string; bundle: string } | undefined;
  /**
   * The container's init as the state record names it: the shim checks that the namespaces it
   * opens are still that process's (a dead init's pid may have been reused).
   */
  init?: { pid: number; startTime: string } | undefined;
  /** The cgroup.procs files the new process is written to right after the clone. */
  cgroupProcs?: readonly string[] | undefined;
}

/** The file names under /proc/<pid>/ns/ of each namespace type. */
export const NS_FILES: Readonly<Record<NamespaceType, string>> = {
  user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', cgroup: 'cgroup', time: 'time', mount: 'mnt',
};

/**
 * runc's exec without --process: config.json's process with the flags applied. The args are
 * replaced; --cwd, --tty, --no-new-privs and --user override; --env entries override variables
 * of the same name (or are appended); --additional-gids and --cap add. A --cap goes into the
 * bounding, effective and permitted sets, and into the ambient set when it is inheritable (the
 * kernel refuses it otherwise).
 */
export function execProcessFromConfig(base: Process, f: ExecProcessFlags): Process {
  const p = structuredClone(base);
  delete p.commandLine;
  p.args = [...f.args];
  if (f.cwd !== undefined && f.cwd !== '') p.cwd = f.cwd;
  p.env = mergeEnv(p.env ?? [], f.env);
  if (f.tty !== undefined) p.terminal = f.tty;
  if (f.noNewPrivs !== undefined) p.noNewPrivileges = f.noNewPrivs;
  if (f.user !== undefined) {
    p.user = { ...p.user, uid: f.user.uid };
    if (f.user.gid !== undefined) p.user.gid = f.user.gid;
  }
  if (f.additionalGids.length > 0) p.user = { ...p.user, additionalGids: [...(p.user.additionalGids ?? []), ...f.additionalGids] };
  if (f.apparmor !== undefined && f.apparmor !== '') p.apparmorProfile = f.apparmor;
  if (f.processLabel !== undefined && f.processLabel !== '') p.selinuxLabel = f.processLabel;
  if (f.caps.length > 0) {
    const c = { ...(p.capabilities ?? {}) };
    const addTo = (set: string[] | undefined, cap: string): string[] => (set?.includes(cap) ? set : [...(set ?? []), cap]);
    for (const cap of f.caps) {
      c.bounding = addTo(c.bounding, cap);
      c.effective = addTo(c.effective, cap);
      c.permitted = addTo(c.permitted, cap);
      if (c.inheritable?.includes(cap)) c.ambient = addTo(c.ambient, cap);
    }
    p.capabilities = c;
  }
  return p;
}

/** `extra` (NAME=value entries) over `base`: a name already set is replaced in place, a new one appended. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  return dedupeEnv([...base, ...extra]);
}

/**
 * runc's `--cgroup [<controller>[,<controller>...]:]<path>` arguments: controller -> sub-cgroup
 * path below the container's cgroup; the key '' (no prefix, allowed only alone) means every
 * hierarchy. The path is made relative and cannot climb out of the container's cgroup.
 */
export function parseSubCgroupArgs(list: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const clean = (arg: string, p: string): string => {
    const rel = path.posix.join('/', p).slice(1);
    if (rel === '') throw usageError(`invalid --cgroup argument: ${arg} (empty path)`);
    return rel;
  };
  for (const arg of list) {
    const parts = arg.split(':');
    if (parts.length > 2) throw usageError(`invalid --cgroup argument: ${arg}`);
    if (parts.length === 1) {
      if (list.length !== 1) throw usageError(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      out.set('', clean(arg, arg));
      continue;
    }
    const sub = clean(arg, parts[1]!);
    for (const ctrl of parts[0]!.split(',')) {
      if (ctrl === '') throw usageError(`invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
      if (out.has(ctrl)) throw usageError(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
      out.set(ctrl, sub);
    }
  }
  return out;
}

/** The checks runc makes on an exec request before starting anything, then the plan. */
export function buildExecPlan(input: ExecPlanInput): PlanOp[] {
  const { process: proc, source } = input;
  const terminal = proc.terminal === true;
  if (terminal && input.detach && input.consoleSocket === undefined) {
    throw new OciError('config', 'cannot allocate tty if oci-ts will detach without setting console socket');
  }
  if (!terminal && input.consoleSocket !== undefined) {
    throw new OciError('config', 'cannot use console socket if oci-ts will not detach or allocate tty');
  }
  if (proc.apparmorProfile !== undefined && proc.apparmorProfile !== '') {
    throw new OciError('config', `apparmor profile ${JSON.stringify(proc.apparmorProfile)} cannot be applied: AppArmor is not supported on this host`, { pointer: `${source.base}/apparmorProfile` });
  }
  if (proc.selinuxLabel !== undefined && proc.selinuxLabel !== '') {
    throw new OciError('config', `selinux label ${JSON.stringify(proc.selinuxLabel)} cannot be applied: SELinux is not supported on this host`, { pointer: `${source.base}/selinuxLabel` });
  }
  if (!path.posix.isAbsolute(proc.cwd)) throw configError(source.file, `${source.base}/cwd`, 'must be an absolute path');

  const ops: PlanOp[] = [];
  const add = (op: PlanOp['op'], ...args: PlanOp['args']): void => {
    ops.push({ op, args });
  };

  // ---- parent phase: the console socket is a host path, so it is connected before any setns.
  if (terminal && input.consoleSocket !== undefined) add('CONSOLE_SOCKET', input.consoleSocket);
  // Foreground with a terminal and no console socket: the shim parent relays it (shim-protocol.md).
  if (terminal && input.consoleSocket === undefined) add('TTY_RELAY');
  // Each exec'd process gets its own listener, sent to the agent like the init's (runc does too).
  const notify = seccompNotifies(input.container);
  if (notify) add('NOTIFY_SOCKET', input.container.linux!.seccomp!.listenerPath!);
  const seen = new Set<NamespaceType>();
  for (const ns of input.namespaces) {
    if (seen.has(ns.type)) throw new OciError('system', `exec: namespace ${ns.type} given twice`);
    seen.add(ns.type);
  }
  // Still in the runtime's namespaces, with its privileges: the init check (before the
  // JOIN_NS files are opened, and again at CLONE), the cgroup.procs files, and what the child
  // inherits at the clone: oom_score_adj (lowering it needs CAP_SYS_RESOURCE in the host's user
  // namespace) and the initial execCPUAffinity, which applies until the cgroup join (a cpuset
  // join resets it) as in runc; config.md: for exec'd processes, not the init.
  if (input.init !== undefined) add('INIT_CHECK', input.init.pid, input.init.startTime);
  for (const file of input.cgroupProcs ?? []) add('CGROUP_JOIN', file);
  if (proc.oomScoreAdj !== undefined) add('WRITE_PARENT', '/proc/self/oom_score_adj', String(proc.oomScoreAdj));
  const affinity = proc.execCPUAffinity;
  if (affinity?.initial !== undefined && affinity.initial !== '') {
    add('CPU_AFFINITY', cpuMask(affinity.initial, `${source.base}/execCPUAffinity/initial`), `${source.base}/execCPUAffinity/initial`);
  }
  const joins = [...input.namespaces].sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  for (const ns of joins) add('JOIN_NS', NS_FLAGS[ns.type], ns.path);
  add('MODE', input.detach ? 'exec-detach' : 'exec');
  // The shim parent writes the child's pid into the cgroups before the child runs an op.
  add('CLONE', 0);

  // ---- child phase: the new process, in the container's namespaces and cgroups.
  add('DUMPABLE', 0);
  if (affinity?.final !== undefined && affinity.final !== '') {
    add('CPU_AFFINITY', cpuMask(affinity.final, `${source.base}/execCPUAffinity/final`), `${source.base}/execCPUAffinity/final`);
  }
  // In a user namespace the child is still the unmapped host root: become the namespace's root
  // first (runc's nsexec does the same), so that the pty and chdir work as in the init.
  if (seen.has('user')) add('SETUSER', 0, 0, '');
  if (terminal) add('PTY', proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0);
  else add('SETSID');

  // What the init gets too (init-plan.ts), in the same order.
  planPersonality(input.container, add);
  planProcessAttrs(proc, add, source.base);
  planMemoryPolicy(input.container, add);
  const state = { ociVersion: OCI_VERSION, id: input.state?.id ?? '', bundle: input.state?.bundle ?? '', annotations: input.container.annotations };
  const seccomp = seccompOp(input.container, input.compileSeccomp, notify ? notifyStateTemplate(input.container, state, 'running') : undefined);
  const seccompEarly = seccomp !== undefined && seccompLoadsEarly(proc);
  const { args, env } = planIdentity(proc, source, (op, ...a) => {
    if (op === 'SETUSER' && seccompEarly) ops.push(seccomp);
    add(op, ...a);
  });
  add('CLOSE_FDS', 3 + input.preserveFds);
  if (seccomp !== undefined && !seccompEarly) ops.push(seccomp);
  add('EXEC', args.length, ...args, ...env);
  return ops;
}
