/**
 * `exec`: start a new process inside a running container. Node builds the process (from
 * --process, or from config.json's process and the flags), finds the namespaces of the
 * container's init that differ from the host's, and starts the shim with the exec plan
 * (lib/plan/exec-plan.ts). The shim checks that the init is still the recorded process, joins
 * its namespaces and forks; the shim parent writes the child into the container's cgroups (or
 * the --cgroup sub-cgroups) before it lets the child go and reports `PID`. The control socket is
 * close-on-exec, so EOF without ERROR means execve succeeded.
 *
 * --detach: the shim parent exits right after the fork, so the process is reparented to the
 * caller's subreaper; we return once it runs. Nothing needs an answer from us, so the shim runs
 * in one blocking call (runShimBlocking), as create does. Foreground: the shim parent waits for
 * the process (relaying the terminal when asked) and its exit status becomes ours.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCgroupManager, type PersistedCgroup } from '../cgroups/manager';
import { OciError, configError, errnoText, toOciError, usageError } from '../errors';
import { faultPoint } from '../fault';
import { NS_FILES, buildExecPlan, execProcessFromConfig, parseSubCgroupArgs, type ExecProcessFlags, type JoinNamespace } from '../plan/exec-plan';
import type { ProcessSource } from '../plan/identity';
import { launchShim, type ShimChannel, type ShimSession } from '../shim/launch';
import { compileSeccompCached } from '../seccomp/cache';
import type { NamespaceType, Process, Spec } from '../spec/types';
import { validateProcess } from '../spec/validate';
import { loadBundle } from './bundle';
import { statusOf } from './lifecycle';
import { warmCgroupAttach } from './attach-warmup';
import { lockContainer } from './lock';
import { isAlive } from './proc';
import { containerDir, requireRecord, writeFileAtomic, type ContainerRecord } from './store';

export interface ExecRequest extends ExecProcessFlags {
  root: string;
  id: string;
  /** --process: a full OCI Process JSON; the flags that change the process are then ignored. */
  process?: string | undefined;
  consoleSocket?: string | undefined;
  pidfdSocket?: string | undefined;
  preserveFds: number;
  /** --cgroup [<controller>:]<path> (existing sub-cgroups of the container's cgroup). */
  cgroup: string[];
  ignorePaused: boolean;
  detach: boolean;
  pidFile?: string | undefined;
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function execInContainer(o: ExecRequest): Promise<number> {
  if (o.pidfdSocket !== undefined) throw new OciError('config', '--pidfd-socket is not supported by oci-ts');
  const subCgroups = parseSubCgroupArgs(o.cgroup);

  const lock = lockContainer(containerDir(o.root, o.id), o.id);
  faultPoint('exec-after-lock');
  let locked = true;
  const unlock = (): void => {
    if (locked) {
      locked = false;
      lock.release();
    }
  };
  let session: ShimSession | undefined;
  let channel: ShimChannel | undefined;
  const child = { pid: 0 };
  try {
    const rec = requireRecord(o.root, o.id);
    const status = statusOf(o.root, rec);
    if (status === 'paused' && !o.ignorePaused) throw new OciError('state', 'cannot exec in a paused container (use --ignore-paused to override)');
    if (status !== 'running' && status !== 'created' && status !== 'paused') throw new OciError('state', `cannot exec in a ${status} container`);

    // The container's config as create applied it (kept in the state record; older records fall
    // back to the bundle): seccomp, personality and the process to start from without --process.
    const container = rec.config ?? loadBundle(rec.bundle).spec;
    const { process: proc, source } = o.process !== undefined ? readProcessFile(o.process) : processFromConfig(container, o);
    const plan = buildExecPlan({
      process: proc, source, container, compileSeccomp: (s) => compileSeccompCached(s, o.root),
      namespaces: initNamespaces(rec), consoleSocket: o.consoleSocket, detach: o.detach, preserveFds: o.preserveFds,
      state: { id: rec.id, bundle: rec.bundle },
      init: { pid: rec.pid, startTime: rec.initStartTime },
      cgroupProcs: cgroupProcsFiles(rec, subCgroups),
    });
    faultPoint('exec-after-validate');

    // The kernel's wait of the first cgroup attach (attach-warmup.ts) overlaps the shim's start.
    warmCgroupAttach();
    ({ channel, session } = launchShim(plan, o.preserveFds, o.detach));
    // Foreground: from now on a signal sent to us is the process's (the shim forwards it after
    // the fork; a SIGTERM during setup ends the setup). Detached: nothing to forward.
    if (!o.detach && session !== undefined) forwardSignals(session);
    faultPoint('exec-after-spawn');
    await driveExec(channel, rec, child, unlock);
  } catch (err) {
    stopForwarding();
    channel?.abort();
    unlock();
    throw toOciError(err);
  }
  unlock();
  channel.close();
  if (o.pidFile !== undefined) {
    try {
      writeFileAtomic(path.resolve(o.pidFile), String(child.pid), 0o644);
      faultPoint('exec-after-pidfile');
    } catch (err) {
      // As runc: a process whose pid the caller cannot learn is killed, not left behind.
      stopForwarding();
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      throw toOciError(err, 'write pid file');
    }
  }

  if (session === undefined) return 0; // the blocking run: the shim has exited already
  // Detached, the shim parent exits right after the fork: waiting for it leaves no runtime
  // process behind. Foreground, its status is the process's.
  const status = await session.exitCode();
  stopForwarding();
  return o.detach ? 0 : status;
}

let forwarder: ((sig: NodeJS.Signals) => void) | undefined;

function forwardSignals(session: ShimSession): void {
  const shimPid = session.child.pid;
  forwarder = (sig: NodeJS.Signals): void => {
    try {
      if (shimPid !== undefined) process.kill(shimPid, sig);
    } catch {
      // the shim is already gone
    }
  };
  for (const sig of FORWARDED) process.on(sig, forwarder);
}

function stopForwarding(): void {
  if (forwarder === undefined) return;
  for (const sig of FORWARDED) process.off(sig, forwarder);
  forwarder = undefined;
}

/**
 * PID (the child is in the container's cgroups and running), then EOF (execve closed the
 * close-on-exec control socket) or ERROR. Fills in child.pid, the host pid of the new process.
 */
async function driveExec(channel: ShimChannel, rec: ContainerRecord, child: { pid: number }, unlock: () => void): Promise<void> {
  const stopped = (): boolean => !isAlive(rec.pid, rec.initStartTime);
  for (;;) {
    const m = await channel.next();
    switch (m.kind) {
      case 'PID':
        child.pid = m.pid;
        // In the container's cgroups already: delete and kill see it from now on. With
        // --ignore-paused it is frozen there until `resume`, which needs the lock.
        unlock();
        faultPoint('exec-after-pid');
        break;
      case 'SYNC':
      case 'READY':
        throw new OciError('system', `unexpected message from the shim: ${m.kind}`);
      case 'ERROR':
        // The shim refuses an init that died (its pid may be another process's by now).
        if (stopped()) throw new OciError('state', 'cannot exec in a stopped container');
        throw new OciError('exec', `unable to start container process: ${m.text}`);
      case 'EOF':
        if (child.pid === 0) {
          if (stopped()) throw new OciError('state', 'cannot exec in a stopped container');
          throw new OciError('system', 'unable to start container process: the shim exited without starting it');
        }
        // execve succeeded: the process runs inside the container's cgroups; no pid file yet.
        faultPoint('exec-after-running');
        return;
    }
  }
}

/** `--process FILE`: a full OCI Process object, validated like config.json's (errors name the pointer). */
function readProcessFile(file: string): { process: Process; source: ProcessSource } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new OciError('config', `open ${file}: ${errnoText((err as NodeJS.ErrnoException).code ?? 'EIO')}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError(file, '', `invalid JSON: ${(err as Error).message}`);
  }
  return { process: validateProcess(raw, file), source: { file, base: '' } };
}

/** Without --process: config.json's process (as create used it) with the flags applied, as runc does. */
function processFromConfig(container: Spec, o: ExecRequest): { process: Process; source: ProcessSource } {
  if (o.cwd !== undefined && o.cwd !== '' && !path.posix.isAbsolute(o.cwd)) throw usageError(`--cwd ${JSON.stringify(o.cwd)}: must be an absolute path`);
  for (const kv of o.env) {
    if (kv.indexOf('=') <= 0) throw usageError(`invalid --env value ${JSON.stringify(kv)}: must be NAME=value`);
  }
  const base = container.process;
  if (base === undefined) throw configError('config.json', '/process', 'is required');
  return { process: execProcessFromConfig(base, o), source: { file: 'config.json', base: '/process' } };
}

/** The namespaces of the container's init that are not the host's (runc joins only those). */
function initNamespaces(rec: ContainerRecord): JoinNamespace[] {
  const out: JoinNamespace[] = [];
  for (const [type, file] of Object.entries(NS_FILES) as Array<[NamespaceType, string]>) {
    const theirs = `/proc/${rec.pid}/ns/${file}`;
    let target: string;
    try {
      target = fs.readlinkSync(theirs);
    } catch (err) {
      if (!isAlive(rec.pid, rec.initStartTime)) throw new OciError('state', 'cannot exec in a stopped container');
      // A namespace type this kernel does not have (time before 5.6).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    let ours: string | undefined;
    try {
      ours = fs.readlinkSync(`/proc/self/ns/${file}`);
    } catch {
      ours = undefined;
    }
    if (target !== ours) out.push({ type, path: theirs });
  }
  return out;
}

/**
 * The cgroup.procs files to write the new pid into: the container's own cgroups, or the
 * sub-cgroups --cgroup names. Every sub-cgroup must exist already (as with runc).
 */
function cgroupProcsFiles(rec: ContainerRecord, subs: Map<string, string>): string[] {
  const mgr = loadCgroupManager(requireCgroup(rec));
  if (subs.size === 0) return mgr.procsFiles();
  const files: string[] = [];
  const matched = new Set<string>();
  for (const [key, dir] of Object.entries(mgr.paths)) {
    let sub = subs.get('');
    if (mgr.version === 'v1' && key !== 'unified') {
      const names = key.split(',');
      for (const [ctrl, p] of subs) {
        if (ctrl !== '' && (names.includes(ctrl) || names.includes(`name=${ctrl}`))) {
          sub = p;
          matched.add(ctrl);
        }
      }
    }
    const target = sub === undefined ? dir : path.join(dir, sub);
    if (sub !== undefined && !fs.existsSync(target)) throw new OciError('config', `invalid --cgroup argument: sub-cgroup ${target} does not exist`);
    files.push(path.join(target, 'cgroup.procs'));
  }
  for (const ctrl of subs.keys()) {
    if (ctrl === '' || matched.has(ctrl)) continue;
    throw usageError(mgr.version === 'v2'
      ? `invalid --cgroup argument: ${ctrl}: on cgroup v2 there are no per-controller paths (use --cgroup <path>)`
      : `invalid --cgroup argument: no cgroup hierarchy with controller ${ctrl}`);
  }
  return files;
}

function requireCgroup(rec: ContainerRecord): PersistedCgroup {
  if (rec.cgroup === undefined) throw new OciError('system', `container ${rec.id} has no cgroup`);
  return rec.cgroup as PersistedCgroup;
}
