/**
 * Named fault points for crash-consistency tests. With OCI_TS_FAULT=<name> in the environment
 * the runtime SIGKILLs itself when it reaches the point of that name: no cleanup handler, no
 * finally block, no flush runs, exactly as if the machine lost the process there. Tests then
 * check that `state` still answers, that `delete --force` succeeds and that nothing is left
 * (tests/integration/faults.test.ts).
 *
 * The variable is read once at load; unset (normal use) a fault point is one comparison with
 * undefined. Several points may be armed at once: OCI_TS_FAULT=after-dir,after-kill.
 *
 * Points (in the order they are reached):
 *   create: after-dir, after-cgroup, after-record, after-spawn, after-pid, after-sync-ns,
 *           before-ready, after-state, after-pidfile
 *   start:  before-fifo-read, after-fifo-read (= before the fifo is unlinked), before-poststart
 *   delete: after-kill, after-cgroup-destroy, before-rmdir
 */

export const FAULT_POINTS = [
  'after-dir', 'after-cgroup', 'after-record', 'after-spawn', 'after-pid', 'after-sync-ns', 'before-ready', 'after-state', 'after-pidfile',
  'before-fifo-read', 'after-fifo-read', 'before-poststart',
  'after-kill', 'after-cgroup-destroy', 'before-rmdir',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

const armed: ReadonlySet<string> | undefined = parseFaultEnv(process.env.OCI_TS_FAULT);

/** The armed point names of an OCI_TS_FAULT value (undefined when none). */
export function parseFaultEnv(value: string | undefined): ReadonlySet<string> | undefined {
  if (value === undefined || value === '') return undefined;
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.length === 0 ? undefined : new Set(names);
}

/** Die here (SIGKILL, no cleanup) when OCI_TS_FAULT names this point. */
export function faultPoint(name: FaultPoint): void {
  if (armed !== undefined && armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
