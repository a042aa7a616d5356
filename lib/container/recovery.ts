/**
 * Small helpers that keep create and start crash-consistent (tests/integration/faults.test.ts):
 * whatever point the runtime dies at, the state on disk must tell a later call what to clean up
 * or how to finish.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersistedCgroup } from '../cgroups/manager';
import { isAlive } from './proc';
import type { ContainerRecord } from './store';

/**
 * The cgroup record to save *before* `cgroup.create()`: the manager as it is, with `created`
 * listing every directory on the way to each leaf that does not exist yet, i.e. what create()
 * is about to make. A crash between the mkdirs and the next save then leaves nothing that
 * `delete --force` does not know about. (destroy() tolerates ENOENT, and keeps a directory that
 * someone else filled in the meantime: rmdir of a non-empty cgroup fails with EBUSY.)
 */
export function cgroupIntent(p: PersistedCgroup): PersistedCgroup {
  const missing: string[] = [];
  for (const h of p.hierarchies) {
    let cur = h.mountpoint;
    for (const comp of p.path.split('/').filter((c) => c !== '')) {
      cur = path.join(cur, comp);
      if (!missing.includes(cur) && !fs.existsSync(cur)) missing.push(cur);
    }
  }
  return { ...p, created: [...new Set([...p.created, ...missing])] };
}

/**
 * True when the init no longer holds exec.fifo open, i.e. it is past WAIT_START: an earlier
 * `start` released it and died before unlinking the fifo. The init holds the fifo (an O_PATH fd
 * made by the FIFO op) from the clone until WAIT_START; a released init has closed it, and its
 * execve closed everything else.
 */
export function initReleased(rec: ContainerRecord, fifo: string): boolean {
  if (!isAlive(rec.pid, rec.initStartTime)) return false;
  let want: fs.Stats;
  let fds: string[];
  try {
    want = fs.statSync(fifo);
    fds = fs.readdirSync(`/proc/${rec.pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const st = fs.statSync(`/proc/${rec.pid}/fd/${fd}`);
      if (st.ino === want.ino && st.dev === want.dev) return false;
    } catch {
      // closed meanwhile
    }
  }
  return true;
}
