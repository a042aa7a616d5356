/**
 * start, state, kill, delete and list: each loads the record, derives the status from the
 * kernel, and acts, under the per-container lock where it changes anything.
 */
import * as fs from 'node:fs';
import { loadCgroupManager, type CgroupManager } from '../cgroups/manager';
import { OciError } from '../errors';
import { runHooks } from '../hooks';
import { debug, warn } from '../log';
import type { State } from '../spec/types';
import { lockContainer } from './lock';
import { isAlive, sleepMs, waitGone } from './proc';
import {
  containerDir, deriveStatus, fifoPath, listIds, loadRecord, removeContainerDir, requireRecord, toState,
  type ContainerRecord, type Status,
} from './store';

function cgroupOf(rec: ContainerRecord): CgroupManager | undefined {
  return rec.cgroup === undefined ? undefined : loadCgroupManager(rec.cgroup as Parameters<typeof loadCgroupManager>[0]);
}

export function statusOf(root: string, rec: ContainerRecord): Status {
  return deriveStatus(root, rec, () => {
    try {
      return cgroupOf(rec)?.frozen() ?? false;
    } catch {
      return false;
    }
  });
}

export function containerState(root: string, id: string): State {
  const rec = requireRecord(root, id);
  return toState(rec, statusOf(root, rec));
}

export function listStates(root: string): State[] {
  const out: State[] = [];
  for (const id of listIds(root)) {
    try {
      const rec = loadRecord(root, id);
      if (rec !== undefined) out.push({ ...toState(rec, statusOf(root, rec)), owner: 'root' });
    } catch {
      // Not ours (Docker shares one root between runtimes) or half-written: skip it.
    }
  }
  return out;
}

/** Release the init blocked on exec.fifo, then run poststart hooks. */
export async function startContainer(root: string, id: string): Promise<void> {
  const lock = lockContainer(containerDir(root, id), id);
  try {
    const rec = requireRecord(root, id);
    const status = statusOf(root, rec);
    if (status === 'running' || status === 'paused') throw new OciError('state', 'cannot start an already running container');
    if (status === 'stopped') throw new OciError('state', 'cannot start a container that has stopped');
    if (status !== 'created') throw new OciError('state', `cannot start a container in the ${status} state`);
    releaseInit(root, rec);
    try {
      await runHooks('poststart', rec.hooks?.poststart, toState(rec, 'running'), rec.bundle);
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
function releaseInit(root: string, rec: ContainerRecord): void {
  const fifo = fifoPath(root, rec.id);
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + 10_000;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, 1, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (n === 1) break;
      if (!isAlive(rec.pid, rec.initStartTime)) throw new OciError('state', 'cannot start a container that has stopped');
      if (Date.now() > deadline) throw new OciError('system', 'timed out waiting for the container init to start');
      sleepMs(1);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.unlinkSync(fifo);
}

export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const rec = requireRecord(root, id);
  const status = statusOf(root, rec);
  if (status === 'stopped' || status === 'creating') {
    if (all) return; // runc: kill --all of a stopped container succeeds
    throw new OciError('state', 'container not running');
  }
  if (all && !rec.newPidNamespace) {
    const cg = cgroupOf(rec);
    if (cg !== undefined) {
      cg.kill(signal);
      return;
    }
  }
  try {
    process.kill(rec.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new OciError('state', 'container not running');
    throw err;
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
    // runc quirk kept for engine compatibility: a created container is deleted without --force.
    if ((status === 'running' || status === 'paused') && !force) {
      throw new OciError('state', `cannot delete container ${id} that is not stopped: ${status}`);
    }
    const cg = cgroupOf(rec);
    if (status !== 'stopped') {
      if (status === 'paused') cg?.thaw();
      try { process.kill(rec.pid, 'SIGKILL'); } catch { /* gone */ }
      if (!waitGone(rec.pid, rec.initStartTime, 5000)) warn(`container ${id} init ${rec.pid} did not die after SIGKILL`);
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
    if (!rec.creating && rec.hooks?.poststop !== undefined) {
      try {
        await runHooks('poststop', rec.hooks.poststop, toState(rec, 'stopped'), rec.bundle);
      } catch (err) {
        // runtime-spec: a failing poststop hook is logged, and delete goes on.
        warn(String((err as Error).message));
      }
    }
    removeContainerDir(root, id);
  } finally {
    lock.release();
  }
}
