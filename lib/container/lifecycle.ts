/**
 * start, state, kill, delete and list: each loads the record, derives the status from the
 * kernel, and acts, under the per-container lock where it changes anything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realIo } from '../cgroups/io';
import { loadCgroupManager, type CgroupManager } from '../cgroups/manager';
import type { CgroupIo } from '../cgroups/types';
import { OciError } from '../errors';
import { runHooks } from '../hooks';
import { debug, trace, warn } from '../log';
import { faultAfterWrite, faultPoint } from '../fault';
import type { State } from '../spec/types';
import { lockContainer } from './lock';
import { returnNetDevices } from './netdev';
import { checkCgroupMounts } from './record-check';
import { initReleased } from './recovery';
import { isAlive, readStat, sleepMs, waitGone } from './proc';
import {
  containerDir, deriveStatus, fifoPath, listIds, loadRecord, removeContainerDir, requireRecord, toState, writeFileAtomic,
  type ContainerRecord, type Status,
} from './store';

// OCI_TS_TRACE: the time spent loading this module and everything it imports (the verb's code).
trace('modules');

function cgroupOf(rec: ContainerRecord, io: CgroupIo = realIo): CgroupManager | undefined {
  return rec.cgroup === undefined ? undefined : loadCgroupManager(rec.cgroup as Parameters<typeof loadCgroupManager>[0], { io });
}

/** A freezer write that freezes (v1 freezer.state FROZEN, v2 cgroup.freeze 1): fault points "mid-freeze". */
export function isFreezeWrite(file: string, value: string): boolean {
  return (file.endsWith('/freezer.state') && value.trim() === 'FROZEN') || (file.endsWith('/cgroup.freeze') && value.trim() === '1');
}

/** state and list only read: they skip the statfs of the cgroup mounts (record-check.ts). */
const READ_ONLY = { cgroupMounts: false } as const;

export function statusOf(root: string, rec: ContainerRecord): Status {
  return deriveStatus(root, rec, () => {
    try {
      const cg = cgroupOf(rec);
      if (cg === undefined || !cg.frozen()) return false;
      return !thawedAfterDeadKill(root, rec, cg);
    } catch {
      return false;
    }
  });
}

/**
 * `kill --all` freezes the cgroup around its signalling and leaves this marker (its own pid and
 * start time) meanwhile. A container found frozen with the marker of a kill that is no longer
 * running was frozen by that kill, not paused by anyone: it is thawed and reported as running.
 */
const KILL_FREEZE = 'kill-freeze';

function thawedAfterDeadKill(root: string, rec: ContainerRecord, cg: CgroupManager): boolean {
  const marker = path.join(containerDir(root, rec.id), KILL_FREEZE);
  let owner: string[];
  try {
    owner = fs.readFileSync(marker, 'utf8').trim().split(' ');
  } catch {
    return false;
  }
  if (isAlive(Number(owner[0]), owner[1] ?? '')) return false; // that kill is still at work
  checkCgroupMounts(rec); // read-only callers loaded the record without this check
  cg.thaw();
  fs.rmSync(marker, { force: true });
  debug(`${rec.id}: thawed the cgroup left frozen by a kill --all that died (pid ${owner[0]})`);
  return true;
}

export function containerState(root: string, id: string): State {
  const rec = requireRecord(root, id, READ_ONLY);
  trace('load');
  const status = statusOf(root, rec);
  trace('status');
  return toState(rec, status);
}

export function listStates(root: string): State[] {
  const out: State[] = [];
  for (const id of listIds(root)) {
    try {
      const rec = loadRecord(root, id, READ_ONLY);
      if (rec !== undefined) out.push({ ...toState(rec, statusOf(root, rec)), owner: 'root' });
    } catch {
      // Not ours (Docker shares one root between runtimes) or half-written: skip it.
    }
  }
  trace(`list ${out.length}`);
  return out;
}

/** Release the init blocked on exec.fifo, then run poststart hooks. */
export async function startContainer(root: string, id: string): Promise<void> {
  const lock = lockContainer(containerDir(root, id), id);
  trace('lock');
  try {
    const rec = requireRecord(root, id);
    const status = statusOf(root, rec);
    trace('load+status');
    if (status === 'running' || status === 'paused') throw new OciError('state', 'cannot start an already running container');
    if (status === 'stopped') throw new OciError('state', 'cannot start a container that has stopped');
    if (status !== 'created') throw new OciError('state', `cannot start a container in the ${status} state`);
    releaseInit(root, rec);
    trace('release');
    try {
      faultPoint('before-poststart');
      await runHooks('poststart', rec.hooks?.poststart, toState(rec, 'running'), rec.bundle);
      trace('poststart');
    } catch (err) {
      // runtime-spec 1.3.0: a failing poststart hook is an error and the container is stopped.
      try { process.kill(rec.pid, 'SIGKILL'); } catch { /* gone */ }
      throw err;
    }
  } finally {
    lock.release();
  }
}

/**
 * The init blocks in open(exec.fifo, O_WRONLY). Opening the read side non-blocking lets it go on;
 * it then writes one byte. Polling (bounded) instead of a blocking open means a dead init can
 * never hang `start`.
 */
export function releaseInit(root: string, rec: ContainerRecord): void {
  const fifo = fifoPath(root, rec.id);
  faultPoint('before-fifo-read');
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + 10_000;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, 1, null);
        if (n === 0 && initReleased(rec, fifo)) break; // EOF: no writer; an earlier start released the init and died
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (n === 1) break;
      if (!isAlive(rec.pid, rec.initStartTime)) {
        // The init may have written its byte, exec'd and exited between our read and this check
        // (a short-lived program): the byte is still in the pipe, and then it did start.
        if (readOneByte(fd, buf)) break;
        throw new OciError('state', 'cannot start a container that has stopped');
      }
      if (Date.now() > deadline) throw new OciError('system', 'timed out waiting for the container init to start');
      sleepMs(1);
    }
  } finally {
    fs.closeSync(fd);
  }
  faultPoint('after-fifo-read');
  fs.unlinkSync(fifo);
}

function readOneByte(fd: number, buf: Buffer): boolean {
  try {
    return fs.readSync(fd, buf, 0, 1, null) === 1;
  } catch {
    return false;
  }
}

export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const rec = requireRecord(root, id);
  const status = statusOf(root, rec);
  trace('load+status');
  if (all) {
    // runc: every process in the cgroup, with or without a pid namespace, and also after the
    // init died (without a pid namespace its children outlive it); nothing left is success.
    // The manager freezes the cgroup around the signalling (no fork escapes the list).
    const cg = cgroupOf(rec, faultAfterWrite(realIo, 'kill-all-mid-freeze', isFreezeWrite));
    if (cg !== undefined && cg.procs().length > 0) {
      faultPoint('kill-before-signal');
      // A paused container stays paused; otherwise a freeze left by our death is undone later.
      const marker = status === 'paused' ? undefined : path.join(containerDir(root, id), KILL_FREEZE);
      if (marker !== undefined) writeFileAtomic(marker, `${process.pid} ${readStat(process.pid)?.startTime ?? ''}`);
      try {
        cg.kill(signal);
      } finally {
        if (marker !== undefined) fs.rmSync(marker, { force: true });
      }
      return;
    }
    if (status === 'stopped' || status === 'creating') return;
  } else if (status === 'stopped' || status === 'creating') {
    throw new OciError('state', 'container not running');
  }
  faultPoint('kill-before-signal');
  try {
    process.kill(rec.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new OciError('state', 'container not running');
    throw err;
  }
  trace('signal');
  // A frozen task dies of SIGKILL only once thawed (runc thaws a paused container for SIGKILL).
  if (status === 'paused' && signal === 9) {
    faultPoint('kill-before-thaw');
    try {
      cgroupOf(rec)?.thaw();
    } catch (err) {
      warn(`kill: could not thaw the paused container: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  const dir = containerDir(root, id);
  if (!fs.existsSync(dir)) {
    if (force) return;
    throw new OciError('notFound', 'container does not exist');
  }
  let lock;
  try {
    lock = lockContainer(dir, id);
    trace('lock');
  } catch (err) {
    if (force && err instanceof OciError && err.kind === 'notFound') return;
    throw err;
  }
  try {
    const rec = loadRecord(root, id);
    if (rec === undefined) {
      if (force) return;
      throw new OciError('notFound', 'container does not exist');
    }
    const status = statusOf(root, rec);
    trace('load+status');
    // runc quirk kept for engine compatibility: a created container is deleted without --force.
    if ((status === 'running' || status === 'paused') && !force) {
      throw new OciError('state', `cannot delete container ${id} that is not stopped: ${status}`);
    }
    const cg = cgroupOf(rec);
    if (status !== 'stopped') {
      if (status === 'paused') cg?.thaw();
      try { process.kill(rec.pid, 'SIGKILL'); } catch { /* gone */ }
      if (!waitGone(rec.pid, rec.initStartTime, 5000)) warn(`container ${id} init ${rec.pid} did not die after SIGKILL`);
      faultPoint('after-kill');
      trace('kill');
    }
    // Processes outside the init's pid namespace (no private pidns) are killed through the cgroup.
    if (cg !== undefined) {
      try {
        if (cg.procs().length > 0) {
          cg.kill(9);
          sleepMs(5);
        }
        cg.destroy();
      } catch (err) {
        if (!force) throw err;
        debug(`delete: cgroup cleanup: ${String(err)}`);
      }
    }
    trace('cgroup');
    faultPoint('after-cgroup-destroy');
    try {
      await returnNetDevices(rec.config);
    } catch (err) {
      // The container is gone either way; the device stays where it is, which the user is told.
      warn(`delete: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!rec.creating && rec.hooks?.poststop !== undefined) {
      try {
        await runHooks('poststop', rec.hooks.poststop, toState(rec, 'stopped'), rec.bundle);
      } catch (err) {
        // runtime-spec: a failing poststop hook is logged, and delete goes on.
        warn(String((err as Error).message));
      }
    }
    faultPoint('before-rmdir');
    removeContainerDir(root, id);
    trace('remove');
  } finally {
    lock.release();
  }
}
