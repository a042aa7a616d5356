/** pause/resume through the freezer, and the container's processes, from the cgroup manager. */
import { realIo } from '../cgroups/io';
import { loadCgroupManager, type CgroupManager, type PersistedCgroup } from '../cgroups/manager';
import type { CgroupIo } from '../cgroups/types';
import { OciError } from '../errors';
import { faultAfterWrite, faultPoint } from '../fault';
import { lockContainer } from './lock';
import { isFreezeWrite, statusOf } from './lifecycle';
import { containerDir, requireRecord, type ContainerRecord } from './store';

function managerOf(rec: ContainerRecord, io: CgroupIo = realIo): CgroupManager {
  if (rec.cgroup === undefined) throw new OciError('system', `container ${rec.id} has no cgroup`);
  return loadCgroupManager(rec.cgroup as PersistedCgroup, { io });
}

export function pauseContainer(root: string, id: string): void {
  const lock = lockContainer(containerDir(root, id), id);
  try {
    faultPoint('pause-after-lock');
    const rec = requireRecord(root, id);
    const status = statusOf(root, rec);
    if (status !== 'running' && status !== 'created') throw new OciError('state', 'container not running');
    // Nothing is recorded for a pause (the status comes from the freezer), so a crash in the
    // middle leaves a cgroup that is frozen or freezing: `state` says paused, resume thaws it.
    managerOf(rec, faultAfterWrite(realIo, 'pause-mid-freeze', isFreezeWrite)).freeze();
  } finally {
    lock.release();
  }
}

export function resumeContainer(root: string, id: string): void {
  const lock = lockContainer(containerDir(root, id), id);
  try {
    const rec = requireRecord(root, id);
    if (statusOf(root, rec) !== 'paused') throw new OciError('state', 'container not paused');
    faultPoint('resume-before-thaw');
    managerOf(rec).thaw();
  } finally {
    lock.release();
  }
}

/** Host pids of every process in the container's cgroup; empty when it has stopped. */
export function containerPids(root: string, id: string): number[] {
  const rec = requireRecord(root, id);
  if (statusOf(root, rec) === 'stopped') return [];
  return managerOf(rec).procs();
}
