/**
 * What the kernel says about a process, read from /proc. A pid alone is not an identity: pids are
 * reused, so a container's init is identified by pid + start time (field 22 of /proc/<pid>/stat).
 */
import * as fs from 'node:fs';

export interface ProcStat {
  state: string;      // R, S, D, Z, T, ...
  ppid: number;
  startTime: string;  // clock ticks since boot, kept as text (it can exceed 2^53 in theory)
}

/** Parse /proc/<pid>/stat; the comm field may contain spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), startTime: fields[19] ?? '' };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    // 'utf8', not 'latin1': Node 20 reads a utf8 file in one C++ call, any other encoding through
    // ~0.4 ms of JavaScript (compiled on every run; every verb reads a stat file). Only the comm
    // field can hold non-ASCII bytes, and parseStat skips it (everything after the last ')').
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when `pid` still runs the process that started at `startTime` (zombies count as gone). */
export function isAlive(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const st = readStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

/** Wait (polling, bounded) until the process is gone or a zombie. Returns false on timeout. */
export function waitGone(pid: number, startTime: string, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (isAlive(pid, startTime)) {
    if (Date.now() > deadline) return false;
    Atomics.wait(sleeper, 0, 0, 2);
  }
  return true;
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
