/** Op codes of the shim protocol (docs/shim-protocol.md). Keep in sync with c-shim/shim.c. */
export const Op = {
  FIFO: 1,
  CONSOLE_SOCKET: 2,
  JOIN_NS: 3,
  UNSHARE: 4,
  MODE: 5,
  HOSTPROC: 6,
  CLONE: 7,
  TTY_RELAY: 8,
  SYNC: 20,
  SETSID: 21,
  UNSHARE_CHILD: 22,
  ROOTFS: 23,
  MOUNT: 24,
  MOUNT_HOST: 25,
  MKNOD: 26,
  SYMLINK: 27,
  PIVOT_ROOT: 28,
  CHROOT: 29,
  MASK: 30,
  READONLY: 31,
  REMOUNT_RO: 32,
  WRITE_FILE: 33,
  HOSTNAME: 34,
  DOMAINNAME: 35,
  CONSOLE: 36,
  RLIMIT: 37,
  CHDIR: 38,
  BOUNDING: 39,
  SETUSER: 40,
  CAPS: 41,
  AMBIENT: 42,
  NO_NEW_PRIVS: 43,
  UMASK: 44,
  LOOKUP: 45,
  READY: 46,
  WAIT_START: 47,
  SECCOMP: 48,
  CLOSE_FDS: 49,
  EXEC: 50,
  OOM_SCORE: 51,
  PTY: 53,
  DUMPABLE: 54,
  DEFAULT_HOME: 55,
  // config fields (docs/shim-protocol.md, "Config-field ops")
  PERSONALITY: 70,
  SCHEDULER: 71,
  IOPRIO: 72,
  MEMPOLICY: 73,
  MOUNT_SETATTR: 74,
  WRITE_PARENT: 75,
  HOOK: 76,
} as const;

export type OpName = keyof typeof Op;

/** One plan step: an op name and its arguments (strings, numbers, bigints or raw bytes). */
export interface PlanOp {
  op: OpName;
  args: Array<string | number | bigint | Uint8Array>;
}

/** Linux constants the planner uses (x86-64/generic values from <linux/sched.h>, <sys/mount.h>). */
export const CLONE = {
  NEWTIME: 0x80,
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;
