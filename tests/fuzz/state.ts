/**
 * State records for fuzzing: a valid record of a container that does not run, mutated, and made
 * safe for the destructive verbs (no live pid, no real cgroup, harmless hooks) so that a fuzzed
 * `delete` or `kill` can never hit anything of the host even if a check were missing.
 */
import { newCgroupManager } from '../../lib/cgroups/manager';

/** Above the kernel's pid_max limit (2^22): no process can have it. */
export const NO_PID = 2 ** 22 + 11;

export function baseRecord(id: string, cgroupPath: string): Record<string, unknown> {
  let cgroup: unknown;
  try {
    cgroup = JSON.parse(JSON.stringify(newCgroupManager({ cgroupsPath: cgroupPath, id }).toJSON()));
  } catch {
    cgroup = undefined; // no cgroup file system here
  }
  const rec: Record<string, unknown> = {
    runtime: 'oci-ts', ociVersion: '1.3.0', id, pid: NO_PID, initStartTime: '12345', bundle: '/nonexistent/bundle',
    rootfs: '/nonexistent/bundle/rootfs', created: '2024-01-01T00:00:00.000Z', owner: '', newPidNamespace: true,
    annotations: { a: 'b' }, hooks: { poststop: [{ path: '/bin/true', args: ['true'] }], poststart: [{ path: '/bin/true' }] },
  };
  if (cgroup !== undefined) rec.cgroup = cgroup;
  return rec;
}

/**
 * Keep a mutated record's types (that is what is being fuzzed) but point everything that acts on
 * the host at harmless things: pids at NO_PID, the cgroup path at the test's own, hook paths at
 * /bin/true.
 */
export function defang(raw: unknown, cgroupPath: string): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const rec = raw as Record<string, unknown>;
  if (typeof rec.pid === 'number') rec.pid = NO_PID;
  const cg = rec.cgroup;
  if (cg !== null && typeof cg === 'object' && !Array.isArray(cg)) {
    const c = cg as Record<string, unknown>;
    if (typeof c.path === 'string') c.path = cgroupPath;
  }
  const hooks = rec.hooks;
  if (hooks !== null && typeof hooks === 'object') {
    for (const list of Object.values(hooks as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const h of list) {
        if (h !== null && typeof h === 'object' && typeof (h as Record<string, unknown>).path === 'string') (h as Record<string, unknown>).path = '/bin/true';
      }
    }
  }
  return rec;
}
