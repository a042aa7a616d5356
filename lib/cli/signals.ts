/**
 * Signal names and numbers of Linux on x86-64 (signal(7)), for `kill <id> [signal]`.
 *
 * Accepted forms, as runc's parseSignal: a decimal number ("15"), or a name with or without the
 * SIG prefix in any case ("TERM", "SIGTERM", "sigterm"). Also the real-time forms SIGRTMIN,
 * SIGRTMIN+n, SIGRTMAX and SIGRTMAX-n (glibc's SIGRTMIN is 34: 32 and 33 belong to NPTL).
 */
import { usageError } from '../errors';

/** Standard signals, by name with the SIG prefix. Aliases (IOT, CLD, POLL) map to the same number. */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
export const SIGTERM = 15;
export const SIGKILL = 9;

/**
 * Parse a signal as `kill` accepts it; returns its number (0..64; 0 only probes, as kill(2)).
 * Throws a usage error `unknown signal "X"` (runc's wording) for anything else.
 */
export function parseSignal(raw: string): number {
  if (/^[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n <= SIGRTMAX) return n;
    throw usageError(`unknown signal ${JSON.stringify(raw)}`);
  }
  let name = raw.toUpperCase();
  if (!name.startsWith('SIG')) name = 'SIG' + name;
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])([0-9]{1,2}))?$/.exec(name);
  if (rt !== null) {
    // Only SIGRTMIN+n and SIGRTMAX-n make sense, and the result must stay in the RT range.
    const fromMin = rt[1] === 'MIN';
    let n = fromMin ? SIGRTMIN : SIGRTMAX;
    if (rt[2] !== undefined) {
      const offset = Number(rt[3]);
      n = rt[2] === '+' && fromMin ? n + offset : rt[2] === '-' && !fromMin ? n - offset : NaN;
    }
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw usageError(`unknown signal ${JSON.stringify(raw)}`);
}

/** The canonical name of a signal number (`15` → `SIGTERM`, `36` → `SIGRTMIN+2`), if it has one. */
export function signalName(n: number): string | undefined {
  for (const [name, num] of Object.entries(SIGNALS)) if (num === n) return name;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  if (n > SIGRTMIN && n < SIGRTMAX) return `SIGRTMIN+${n - SIGRTMIN}`;
  return undefined;
}
