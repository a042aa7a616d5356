/**
 * Named fault points for crash-consistency tests. With OCI_TS_FAULT=<name> in the environment
 * the runtime SIGKILLs itself when it reaches the point of that name: no cleanup handler, no
 * finally block, no flush runs, exactly as if the machine lost the process there. Tests then
 * check that `state` still answers, that the same verb works again, that `delete --force`
 * succeeds and that nothing is left (tests/integration/faults.test.ts).
 *
 * The variable is read once at load; unset (normal use) a fault point is one comparison with
 * undefined. Several points may be armed at once: OCI_TS_FAULT=after-dir,after-kill.
 *
 * Points (in the order they are reached):
 *   create: after-dir, after-cgroup, after-record, after-spawn, after-pid (the init's pid saved),
 *           before-ready, after-state, after-pidfile
 *   start:  before-fifo-read, after-fifo-read (= before the fifo is unlinked), before-poststart
 *   delete: after-kill, after-cgroup-destroy, before-rmdir
 *   exec:   exec-after-lock, exec-after-validate (process checked, plan built), exec-after-spawn
 *           (shim started or, detached, run to its end), exec-after-pid (the child runs in the
 *           container's cgroups; lock released), exec-after-running (execve done, before the pid
 *           file), exec-after-pidfile
 *   kill:   kill-before-signal (record read, status derived), kill-before-thaw (a paused
 *           container got SIGKILL, not yet thawed), kill-all-mid-freeze (kill --all froze the
 *           cgroup to signal it and dies before signalling and thawing)
 *   pause:  pause-after-lock, pause-mid-freeze (FROZEN written, the freezer not yet settled)
 *   resume: resume-before-thaw
 *   update: update-after-lock, update-mid-apply (the first cgroup file written, the others
 *           not), update-before-record (every cgroup write done, the state record not)
 */

export const FAULT_POINTS = [
  'after-dir', 'after-cgroup', 'after-record', 'after-spawn', 'after-pid', 'before-ready', 'after-state', 'after-pidfile',
  'before-fifo-read', 'after-fifo-read', 'before-poststart',
  'after-kill', 'after-cgroup-destroy', 'before-rmdir',
  'exec-after-lock', 'exec-after-validate', 'exec-after-spawn', 'exec-after-pid', 'exec-after-running', 'exec-after-pidfile',
  'kill-before-signal', 'kill-before-thaw', 'kill-all-mid-freeze',
  'pause-after-lock', 'pause-mid-freeze', 'resume-before-thaw',
  'update-after-lock', 'update-mid-apply', 'update-before-record',
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

/**
 * A fault point inside a multi-step operation of a library that takes its I/O as a parameter
 * (the cgroup managers' CgroupIo): `io` whose write() dies at `name` right after the first
 * write that `match` accepts, so a crash can land between two writes of one freeze or one
 * update without fault code in that library. Unarmed (normal use) `io` itself is returned.
 */
export function faultAfterWrite<T extends { write(file: string, value: string): void }>(
  io: T, name: FaultPoint, match: (file: string, value: string) => boolean = () => true,
): T {
  if (armed === undefined || !armed.has(name)) return io;
  // Delegate through the prototype chain: every other method (and `this` inside them) stays io's.
  const wrapped = Object.create(io) as T;
  wrapped.write = (file: string, value: string): void => {
    io.write(file, value);
    if (match(file, value)) faultPoint(name);
  };
  return wrapped;
}
