/**
 * Hide the kernel's cgroup-attach wait behind create's own work.
 *
 * Moving a process into a cgroup (writing its pid to cgroup.procs, which the shim parent does for
 * the init right after the clone, while the init waits) takes the kernel's global cgroup_threadgroup_rwsem for
 * writing. The first writer after an idle spell waits for an RCU grace period (percpu_down_write
 * -> rcu_sync_enter -> synchronize_rcu): 5-20 ms on the 2-vCPU test VM, the largest single
 * item of a `create`; writers that come while that state is still entered, or within about one
 * grace period after, pass at once (docs/performance.md). runc pays the wait in full.
 *
 * So create starts, as soon as the container's cgroup directories exist, a move that changes
 * nothing: this process into the cgroup it is already in. The write runs on libuv's thread pool,
 * so only that pool thread sleeps through the grace period while the JavaScript thread applies
 * the limits, plans and starts the shim; the real join then finds the lock warm (or waits only
 * for what is left of the grace period). Everything about it is best effort: the cgroup file is
 * derived from /proc/self/cgroup and the usual mount points, and any failure (no such file, a
 * read-only cgroupfs in a container, a threaded cgroup) just leaves the join as slow as before.
 * Writing one's own pid to the cgroup.procs that lists it is a no-op for the kernel's
 * bookkeeping: the process is already a member, so nothing migrates and no controller is charged.
 */
import * as fs from 'node:fs';

/** cgroup.procs files of the cgroup this process is in, most likely first. */
export function ownCgroupProcsFiles(procSelfCgroup: string): string[] {
  const out: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const cgPath = line.slice(second + 1);
    if (!cgPath.startsWith('/') || cgPath.includes('/..') || cgPath.includes('\0')) continue;
    const rel = cgPath === '/' ? '' : cgPath;
    if (controllers === '') {
      // the v2 hierarchy: /sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on unified ones
      out.push(`/sys/fs/cgroup/unified${rel}/cgroup.procs`, `/sys/fs/cgroup${rel}/cgroup.procs`);
    } else if (/^[a-z_,=]+$/.test(controllers) && !controllers.startsWith('name=')) {
      out.push(`/sys/fs/cgroup/${controllers}${rel}/cgroup.procs`);
    }
  }
  return out;
}

/**
 * Start the no-op move in the background; returns at once and never throws. A candidate file is
 * written only after reading it showed this process's pid in it: whatever the mount layout, the
 * write can only "move" the process to where it already is.
 *
 * The write is ONE thread-pool request on an fd opened here: create's JavaScript runs without
 * yielding to the event loop until it waits for the shim, so a chain of callbacks (readFile,
 * open, write) would not even start the write before then.
 *
 * Call it only after the container's cgroup directories exist: the kernel holds cgroup_mutex
 * while the writer waits for the grace period, and mkdir in a cgroup file system needs it too.
 */
export function warmCgroupAttach(): void {
  try {
    const pid = String(process.pid);
    for (const file of ownCgroupProcsFiles(fs.readFileSync('/proc/self/cgroup', 'utf8'))) {
      let members: string;
      try {
        members = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // not mounted there
      }
      if (!members.split('\n').includes(pid)) continue;
      const fd = fs.openSync(file, fs.constants.O_WRONLY);
      fs.write(fd, pid, () => fs.close(fd, () => undefined));
      return;
    }
  } catch {
    // best effort: the join is only slower
  }
}
