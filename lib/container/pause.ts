/** pause/resume through the freezer, and the container's processes, from the cgroup manager. */
import { loadCgroupManager, type CgroupManager, type PersistedCgroup } from '../cgroups/manager';
import { OciError } from '../errors';
import { lockContainer } from './lock';
import { statusOf } from './lifecycle';
import { containerDir, requireRecord, type ContainerRecord } from './store';

function managerOf(rec: ContainerRecord): CgroupManager {
  if (rec.cgroup === undefined) throw new OciError('system', `container ${rec.id} has no cgroup`);
  return loadCgroupManager(rec.cgroup as PersistedCgroup);
}

export function pauseContainer(root: string, id: string): void {
  const lock = lockContainer(containerDir(root, id), id);
  try {
    const rec = requireRecord(root, id);
    const status = statusOf(root, rec);
    if (status !== 'running' && status !== 'created') throw new OciError('state', 'container not running');
    managerOf(rec).freeze();
  } finally {
    lock.release();
  }
}

export function resumeContainer(root: string, id: string): void {
  const lock = lockContainer(containerDir(root, id), id);
  try {
    const rec = requireRecord(root, id);
    if (statusOf(root, rec) !== 'paused') throw new OciError('state', 'container not paused');
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
