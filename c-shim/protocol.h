/* Op codes of the shim protocol (docs/shim-protocol.md). Keep in sync with lib/shim/ops.ts. */
#ifndef OCI_TS_SHIM_PROTOCOL_H
#define OCI_TS_SHIM_PROTOCOL_H

#define PLAN_MAGIC 0x5043494fu   /* "OICP" little-endian */
#define PLAN_MAX   (64u << 20)   /* a plan is a few KiB; refuse absurd lengths */

enum op_code {
	/* parent phase */
	OP_FIFO = 1,
	OP_CONSOLE_SOCKET = 2,
	OP_JOIN_NS = 3,
	OP_UNSHARE = 4,
	OP_MODE = 5,
	OP_HOSTPROC = 6,
	OP_CLONE = 7,
	OP_TTY_RELAY = 8,
	OP_NETLINK = 9,
	OP_NOTIFY_SOCKET = 10,
	OP_IDMAP_TREE = 11,
	OP_NETDEV_RETURN = 12,
	OP_CGROUP_JOIN = 13,
	OP_ID_MAP = 14,
	OP_INIT_CHECK = 15,
	/* child phase */
	OP_SYNC = 20,
	OP_SETSID = 21,
	OP_UNSHARE_CHILD = 22,
	OP_ROOTFS = 23,
	OP_MOUNT = 24,
	OP_MOUNT_HOST = 25,
	OP_MKNOD = 26,
	OP_SYMLINK = 27,
	OP_PIVOT_ROOT = 28,
	OP_CHROOT = 29,
	OP_MASK = 30,
	OP_READONLY = 31,
	OP_REMOUNT_RO = 32,
	OP_WRITE_FILE = 33,
	OP_HOSTNAME = 34,
	OP_DOMAINNAME = 35,
	OP_CONSOLE = 36,
	OP_RLIMIT = 37,
	OP_CHDIR = 38,
	OP_BOUNDING = 39,
	OP_SETUSER = 40,
	OP_CAPS = 41,
	OP_AMBIENT = 42,
	OP_NO_NEW_PRIVS = 43,
	OP_UMASK = 44,
	OP_LOOKUP = 45,
	OP_READY = 46,
	OP_WAIT_START = 47,
	OP_SECCOMP = 48,
	OP_CLOSE_FDS = 49,
	OP_EXEC = 50,
	OP_OOM_SCORE = 51,
	OP_SETGROUPS_DENY = 52,
	OP_PTY = 53,
	OP_DUMPABLE = 54,
	OP_DEFAULT_HOME = 55,
	/* config fields: process attributes, recursive mount attributes, time offsets, hooks */
	OP_PERSONALITY = 70,
	OP_SCHEDULER = 71,
	OP_IOPRIO = 72,
	OP_MEMPOLICY = 73,
	OP_MOUNT_SETATTR = 74,
	OP_WRITE_PARENT = 75,
	OP_HOOK = 76,
	OP_NETDEV = 77,
	OP_SECCOMP_NOTIFY = 78,
	OP_MOUNT_TREE = 79,
	OP_MKDIR = 80,
	OP_ROOT_PARENT_PRIVATE = 81,
	OP_CPU_AFFINITY = 82,
	OP_MAX
};

#endif
