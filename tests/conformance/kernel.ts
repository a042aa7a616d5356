/**
 * Kernel facts the expectations are computed from: capability numbers, what execve does to the
 * five capability sets, and the numeric values the probe reports for named config values.
 */

/** Capability numbers (linux/capability.h), CAP_ prefix dropped. */
const CAP_NUMBERS: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13,
  IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19,
  SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25,
  SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37,
  PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

/** The bit mask of a list of capability names, as /proc/<pid>/status prints it (16 hex digits). */
export function capMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const n = CAP_NUMBERS[name.replace(/^CAP_/, '')];
    if (n === undefined) throw new Error(`unknown capability ${name}`);
    mask |= 1n << BigInt(n);
  }
  return mask.toString(16).padStart(16, '0');
}

/** The capability names of a /proc/<pid>/status mask (for readable assertion messages). */
export function capNames(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask}`);
  return Object.entries(CAP_NUMBERS).filter(([, n]) => (mask >> BigInt(n)) & 1n).map(([name]) => `CAP_${name}`);
}

export interface CapSets {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

/**
 * The five sets a process has after the runtime's final execve of a binary without file
 * capabilities or set-id bits (the probe), given the sets the runtime applied before it
 * (capabilities(7), "Transformation of capabilities during execve()"; security/commoncap.c):
 *
 *  - uid 0 (no SECBIT_NOROOT): P' = bounding | inheritable, E' = P'. With no_new_privs the
 *    kernel refuses to gain permitted capabilities over exec, so P' is cut down to the old P.
 *  - any other uid: P' = E' = ambient (the file grants nothing).
 *  - in both cases the ambient set is kept and added to P'; bounding and inheritable stay.
 *
 * So the config's effective set never shows directly: what a runtime did right is seen through
 * these rules.
 */
export function capsAfterExec(config: CapSets, uid: number, noNewPrivileges: boolean): Record<'CapBnd' | 'CapInh' | 'CapPrm' | 'CapEff' | 'CapAmb', string[]> {
  const union = (...sets: string[][]): string[] => [...new Set(sets.flat())];
  let permitted: string[];
  if (uid === 0) {
    permitted = union(config.bounding, config.inheritable);
    if (noNewPrivileges) permitted = permitted.filter((c) => config.permitted.includes(c));
    permitted = union(permitted, config.ambient);
  } else {
    permitted = [...config.ambient];
  }
  return {
    CapBnd: config.bounding,
    CapInh: config.inheritable,
    CapPrm: permitted,
    CapEff: permitted,
    CapAmb: config.ambient,
  };
}

/** personality(2) domains (sys/personality.h). */
export const PER_LINUX = 0x0000;
export const PER_LINUX32 = 0x0008;

/** sched_setscheduler(2) policies. */
export const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};

/** ioprio_get(2) value: class << 13 | level. */
export function ioprio(cls: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE', level: number): number {
  const classes = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
  return (classes[cls] << 13) | level;
}

export const EPERM = 1;
export const ENOENT = 2;
export const EACCES = 13;
export const EROFS = 30;
