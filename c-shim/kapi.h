/*
 * The few kernel ABI definitions musl does not ship (it has no <linux/...> headers).
 * Values are the stable UAPI ones from the kernel's include/uapi.
 */
#ifndef OCI_TS_SHIM_KAPI_H
#define OCI_TS_SHIM_KAPI_H

#include <stdint.h>

/* <linux/openat2.h> */
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_XDEV       0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS   0x04
#define RESOLVE_BENEATH       0x08
#define RESOLVE_IN_ROOT       0x10

/* <linux/close_range.h> */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

/* <linux/capability.h> */
#define LINUX_CAPABILITY_VERSION_3 0x20080522
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};

/* <linux/filter.h>, <linux/seccomp.h> */
struct sock_filter {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};
struct sock_fprog {
	unsigned short len;
	struct sock_filter *filter;
};
#define SECCOMP_SET_MODE_FILTER 1
#define BPF_MAXINSNS 4096

/* ---- config-field ops (PERSONALITY ... HOOK) ---- */

/* <linux/sched/types.h>: SCHED_ATTR_SIZE_VER1 (with the utilization clamps) */
struct sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

/* <linux/ioprio.h> */
#define IOPRIO_WHO_PROCESS 1

/* <linux/mount.h> */
struct mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_IDMAP  0x00100000
#define OPEN_TREE_CLONE   1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#define FSOPEN_CLOEXEC  0x00000001
#define FSMOUNT_CLOEXEC 0x00000001

/* <linux/seccomp.h>: a filter that hands its SCMP_ACT_NOTIFY calls to a listener fd */
#define SECCOMP_FILTER_FLAG_TSYNC        (1UL << 0)
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)

#endif
