/*
 * oci-ts-shim: interpreter of the syscall plan that oci-ts (TypeScript) sends over a control
 * socket. It does what Node cannot: clone into namespaces, setns, mounts, pivot_root, capset,
 * execve. It has no policy: every decision is in the plan. See docs/shim-protocol.md.
 *
 * Layout: helpers (messages, errors, parsing), path resolution inside the rootfs, one function
 * per op, the dispatch table, main.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kapi.h"
#include "netlink.h"
#include "protocol.h"

#define SHIM_VERSION "oci-ts-shim 0.1.0 (protocol 1)"

/* ---------------------------------------------------------------- state */

struct op {
	uint16_t code;
	uint16_t argc;
	char **argv;       /* NUL-terminated copies (args may hold NULs: see len) */
	uint32_t *len;
	int fd;            /* JOIN_NS: namespace file opened ahead of the first setns; CGROUP_JOIN: cgroup.procs */
};

enum mode { MODE_CREATE, MODE_RUN, MODE_EXEC, MODE_EXEC_DETACH };

static struct op *plan;
static size_t plan_n;
static size_t cur;                 /* index of the op being run */

static int ctlfd = -1;
static int in_child;
static enum mode mode = MODE_CREATE;
static int fifo_fd = -1;
static int console_sock = -1;
static int hostproc_fd = -1;
static int relay_sock = -1;       /* TTY_RELAY: the parent's end; the child's end is console_sock */
static int rootfd = -1;
static long host_pid;              /* the child's pid as the runtime sees it (sent by the parent) */
static int host_nl = -1;           /* NETLINK: a route socket in the runtime's network namespace */
static int notify_sock = -1;       /* NOTIFY_SOCKET: connected to linux.seccomp.listenerPath */
#define TREES_MAX 64
static int trees[TREES_MAX];       /* IDMAP_TREE: detached idmapped mounts for MOUNT_TREE */
static int ns_opened;
#define JOINS_MAX 32
static struct op *cgroup_joins[JOINS_MAX]; /* CGROUP_JOIN ops, each holding its open file */
static int cgroup_join_n;
static const struct op *id_maps[2]; /* ID_MAP: uid_map, gid_map texts */
static int init_stat_fd = -1;      /* INIT_CHECK: /proc/<init>/stat, pins that very process */
static const char *init_start;     /* INIT_CHECK: its start time (field 22 of stat) */
static const char *pending_cwd;    /* CHDIR that failed with EACCES: retried after SETUSER */
static const char *exec_path;      /* LOOKUP result */
static char *home_env;             /* DEFAULT_HOME result ("HOME=<dir>"), appended by EXEC */

/* ---------------------------------------------------------------- io and errors */

/* Go's syscall error texts, so messages match runc's byte for byte. */
static const struct { int err; const char *text; } go_errors[] = {
	{ EPERM, "operation not permitted" },
	{ ENOENT, "no such file or directory" },
	{ ESRCH, "no such process" },
	{ EINTR, "interrupted system call" },
	{ EIO, "input/output error" },
	{ ENXIO, "no such device or address" },
	{ E2BIG, "argument list too long" },
	{ ENOEXEC, "exec format error" },
	{ EBADF, "bad file descriptor" },
	{ ECHILD, "no child processes" },
	{ EAGAIN, "resource temporarily unavailable" },
	{ ENOMEM, "cannot allocate memory" },
	{ EACCES, "permission denied" },
	{ EFAULT, "bad address" },
	{ EBUSY, "device or resource busy" },
	{ EEXIST, "file exists" },
	{ EXDEV, "invalid cross-device link" },
	{ ENODEV, "no such device" },
	{ ENOTDIR, "not a directory" },
	{ EISDIR, "is a directory" },
	{ EINVAL, "invalid argument" },
	{ EMFILE, "too many open files" },
	{ ENOTTY, "inappropriate ioctl for device" },
	{ ETXTBSY, "text file busy" },
	{ EFBIG, "file too large" },
	{ ENOSPC, "no space left on device" },
	{ EROFS, "read-only file system" },
	{ EPIPE, "broken pipe" },
	{ ERANGE, "numerical result out of range" },
	{ ENAMETOOLONG, "file name too long" },
	{ ENOSYS, "function not implemented" },
	{ ENOTEMPTY, "directory not empty" },
	{ ELOOP, "too many levels of symbolic links" },
	{ EOVERFLOW, "value too large for defined data type" },
	{ ENOTSOCK, "socket operation on non-socket" },
	{ EOPNOTSUPP, "operation not supported" },
	{ ECONNREFUSED, "connection refused" },
	{ ECONNRESET, "connection reset by peer" },
	{ EDQUOT, "disk quota exceeded" },
};

static const char *errtext(int err)
{
	static char buf[128];
	for (size_t i = 0; i < sizeof go_errors / sizeof go_errors[0]; i++)
		if (go_errors[i].err == err)
			return go_errors[i].text;
	snprintf(buf, sizeof buf, "%s", strerror(err));
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return buf;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes to ctlfd: MSG_NOSIGNAL so that a vanished Node gives EPIPE instead of killing us
 * (ignoring SIGPIPE instead would be inherited by the container). */
static int ctl_write(const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = send(ctlfd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == ENOTSOCK)
			return write_all(ctlfd, p, n);      /* a pipe: tests may use one */
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One protocol line on ctlfd; newlines inside would break framing, so they become spaces. */
static int send_line(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	return ctl_write(buf, (size_t)n);
}

/* Report "<text>[: <errno text>]" as an ERROR line (or on stderr once ctlfd is closed), exit. */
static void __attribute__((noreturn, format(printf, 3, 4)))
fail(int status, int err, const char *fmt, ...)
{
	char msg[6144];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && err && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s", errtext(err));
	if (ctlfd >= 0) {
		send_line("ERROR %s", msg);
	} else {
		char line[6200];
		int m = snprintf(line, sizeof line, "oci-ts-shim: %s\n", msg);
		if (m > 0)
			write_all(2, line, (size_t)m < sizeof line ? (size_t)m : sizeof line - 1);
	}
	_exit(status);
}

#define die(err, ...) fail(1, (err), __VA_ARGS__)

/* Decimal u64 (the protocol's only number format besides UMASK's octal). */
static uint64_t num(const struct op *o, int i, int base)
{
	const char *s = o->argv[i];
	char *end;
	if (*s == '\0')
		return 0;                        /* empty = absent */
	errno = 0;
	uint64_t v = *s == '-' ? (uint64_t)strtoll(s, &end, base) : strtoull(s, &end, base);
	if (errno || *end != '\0')
		die(0, "bad plan: op %u: argument %d is not a number: \"%s\"", o->code, i, s);
	return v;
}

/* Go's strconv.Quote for the ASCII cases that matter in exec error texts. */
static const char *go_quote(const char *s)
{
	static char buf[4200];
	size_t n = 0;
	buf[n++] = '"';
	for (; *s && n < sizeof buf - 8; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\v': esc = "\\v"; break;
		}
		if (esc)
			n += (size_t)sprintf(buf + n, "%s", esc);
		else if (c < 0x20 || c == 0x7f)
			n += (size_t)sprintf(buf + n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

static int open_proc_self(const char *rel, int flags)
{
	if (hostproc_fd >= 0) {
		char p[64];
		snprintf(p, sizeof p, "self/%s", rel);
		return openat(hostproc_fd, p, flags);
	}
	char p[64];
	snprintf(p, sizeof p, "/proc/self/%s", rel);
	return open(p, flags);
}

static void fdpath(char buf[static 32], int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* ---------------------------------------------------------------- paths inside the rootfs */

/* Resolve path with the rootfs as "/" so symlinks and ".." can never leave it. */
static int in_root_open(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (rootfd < 0) {
		errno = EBADF;
		return -1;
	}
	if (*path == '\0')
		path = "/";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/*
 * Like in_root_open but creates what is missing: directories (0755) for the inner components,
 * the last one per mk ('d' directory, 'f' empty file, 0 nothing). Each new component is made
 * with mkdirat/openat(O_EXCL) on the fd of its already-resolved parent (neither follows a
 * final symlink) and then resolved again from the root, so a racing symlink stays inside.
 */
static int in_root_mkpath(const char *path, char mk)
{
	int fd = in_root_open(path);
	if (fd >= 0 || errno != ENOENT || !mk)
		return fd;

	char prefix[PATH_MAX];
	size_t plen = 0;
	int cur = in_root_open("/");
	if (cur < 0)
		return -1;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n > NAME_MAX || plen + n + 2 > sizeof prefix) {
			close(cur);
			errno = ENAMETOOLONG;
			return -1;
		}
		char name[NAME_MAX + 1];
		memcpy(name, p, n);
		name[n] = '\0';
		prefix[plen++] = '/';
		memcpy(prefix + plen, p, n);
		plen += n;
		prefix[plen] = '\0';
		int last = end[strspn(end, "/")] == '\0';

		fd = in_root_open(prefix);
		if (fd < 0 && errno == ENOENT) {
			int r;
			if (last && mk == 'f') {
				r = openat(cur, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(cur, name, 0755);
			}
			/* EEXIST: lost a race, or a dangling symlink; resolving again tells which. */
			if (r < 0 && errno != EEXIST) {
				int e = errno;
				close(cur);
				errno = e;
				return -1;
			}
			fd = in_root_open(prefix);
		}
		int e = errno;
		close(cur);
		if (fd < 0) {
			errno = e;
			return -1;
		}
		cur = fd;
		p = end;
	}
	return cur;
}

/* Split "a/b/c" into the resolved (created) parent dir fd and the last name. */
static int in_root_parent(const char *path, char name[static NAME_MAX + 1])
{
	char parent[PATH_MAX];
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n >= sizeof parent) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(parent, path, n);
	parent[n] = '\0';
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : parent;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strlen(base) > NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	strcpy(name, base);
	if (slash)
		slash[1] = '\0';
	else
		strcpy(parent, "/");
	return in_root_mkpath(parent, 'd');
}

/* ---------------------------------------------------------------- parent-phase ops */

static void op_fifo(const struct op *o)
{
	const char *path = o->argv[0];
	/* Exactly 0622 whatever Node's umask: the container user must reopen it for writing. */
	mode_t old = umask(0);
	int r = mkfifo(path, 0622);
	umask(old);
	if (r < 0 && errno != EEXIST)
		die(errno, "mkfifo %s", path);
	fifo_fd = open(path, O_PATH | O_CLOEXEC);
	if (fifo_fd < 0)
		die(errno, "open %s", path);
}

static void op_console_socket(const struct op *o)
{
	const char *path = o->argv[0];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		die(ENAMETOOLONG, "connect console socket %s", path);
	strcpy(sa.sun_path, path);
	console_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (console_sock < 0)
		die(errno, "console socket");
	while (connect(console_sock, (struct sockaddr *)&sa, sizeof sa) < 0)
		if (errno != EINTR)
			die(errno, "connect console socket %s", path);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	return fd;
}

/* NETLINK: before any JOIN_NS, so the socket stays in the runtime's network namespace. */
static void op_netlink(const struct op *o)
{
	(void)o;
	if ((host_nl = nl_open()) < 0)
		die(-host_nl, "netlink socket");
}

/* NOTIFY_SOCKET path: the seccomp agent's socket, reachable only from the host's mounts. */
static void op_notify_socket(const struct op *o)
{
	if ((notify_sock = connect_unix(o->argv[0])) < 0)
		die(errno, "/linux/seccomp/listenerPath: connect to %s", o->argv[0]);
}

/* Write an id map ("inside outside count" lines) of process `pid`. */
static int write_map(pid_t pid, const char *file, const char *text, size_t n)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/%s", (int)pid, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = write_all(fd, text, n);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

/* A user namespace that has exactly these maps, as an fd: made by a child that only waits. */
static int userns_with_maps(const struct op *o, int uid_i, int gid_i)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -1;
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char c;
		close(gate[1]);
		(void)!read(gate[0], &c, 1);       /* EOF when the parent has what it needs */
		_exit(0);
	}
	close(gate[0]);
	int fd = -1;
	char p[64];
	snprintf(p, sizeof p, "/proc/%ld/ns/user", pid);
	if (write_map((pid_t)pid, "uid_map", o->argv[uid_i], o->len[uid_i]) == 0 &&
	    write_map((pid_t)pid, "gid_map", o->argv[gid_i], o->len[gid_i]) == 0)
		fd = open(p, O_RDONLY | O_CLOEXEC);
	int e = errno;
	close(gate[1]);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	errno = e;
	return fd;
}

/*
 * IDMAP_TREE slot source recursive-clone recursive-idmap uid_map gid_map userns-path pointer
 * A detached copy of the host path `source` (open_tree), idmapped with a user namespace that
 * has the given maps (or the one at userns-path). Done here, before CLONE and any JOIN_NS:
 * only the host's root may idmap a mount of a host filesystem. MOUNT_TREE attaches it.
 */
static void op_idmap_tree(const struct op *o)
{
	unsigned slot = (unsigned)num(o, 0, 10);
	const char *src = o->argv[1], *nspath = o->argv[6], *ptr = o->argv[7];
	int rclone = num(o, 2, 10) != 0, ridmap = num(o, 3, 10) != 0;
	if (slot >= TREES_MAX || trees[slot] > 0)
		die(0, "bad plan: IDMAP_TREE slot %u", slot);
	int ns = *nspath ? open(nspath, O_RDONLY | O_CLOEXEC) : userns_with_maps(o, 4, 5);
	if (ns < 0)
		die(errno, "%s: idmapped mount of %s: user namespace", ptr, src);
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rclone ? AT_RECURSIVE : 0));
	if (tree < 0)
		die(errno, "%s: idmapped mount of %s", ptr, src);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (ridmap ? AT_RECURSIVE : 0), &a, sizeof a) < 0)
		die(errno, "%s: idmapped mount of %s", ptr, src);
	close(ns);
	trees[slot] = tree;
}

/*
 * NETDEV_RETURN netns-path name host-name pointer: a plan of its own, run at `delete` for a
 * container that joined a network namespace which outlives it: move the device back.
 * A device that is no longer there (moved or deleted by someone else) is fine.
 */
static void op_netdev_return(const struct op *o)
{
	const char *ptr = o->argv[3];
	int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int to = nl_open();
	int ns = open(o->argv[0], O_RDONLY | O_CLOEXEC);
	if (host_ns < 0 || ns < 0)
		die(errno, "%s: open network namespace", ptr);
	if (to < 0)
		die(-to, "%s: netlink socket", ptr);
	if (setns(ns, CLONE_NEWNET) < 0)
		die(errno, "%s: join %s", ptr, o->argv[0]);
	int from = nl_open();
	if (from < 0)
		die(-from, "%s: netlink socket", ptr);
	int r = nl_move_device(from, to, host_ns, o->argv[1], o->argv[2]);
	if (r < 0 && r != -ENODEV)
		die(-r, "%s: move network device %s back to the host as %s", ptr, o->argv[1], o->argv[2]);
	if (setns(host_ns, CLONE_NEWNET) < 0)
		die(errno, "%s: return to the runtime's network namespace", ptr);
	close(from);
	close(to);
	close(ns);
	close(host_ns);
}

/* Open every JOIN_NS file first: after joining the user or mount ns they may not be reachable. */
static void open_ns_files(void)
{
	for (size_t i = 0; i < plan_n && plan[i].code != OP_CLONE; i++) {
		if (plan[i].code != OP_JOIN_NS)
			continue;
		plan[i].fd = open(plan[i].argv[1], O_RDONLY | O_CLOEXEC);
		if (plan[i].fd < 0)
			die(errno, "open %s", plan[i].argv[1]);
	}
	ns_opened = 1;
}

static void op_join_ns(const struct op *o)
{
	if (!ns_opened)
		open_ns_files();
	if (setns(o->fd, (int)num(o, 0, 10)) < 0)
		die(errno, "setns %s", o->argv[1]);
	close(o->fd);
}

static void op_unshare(const struct op *o)
{
	if (unshare((int)num(o, 0, 10)) < 0)
		die(errno, "unshare");
}

static void op_mode(const struct op *o)
{
	static const char *names[] = { "create", "run", "exec", "exec-detach" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(o->argv[0], names[i]) == 0) {
			mode = (enum mode)i;
			return;
		}
	die(0, "bad plan: unknown mode \"%s\"", o->argv[0]);
}

static void op_hostproc(const struct op *o)
{
	(void)o;
	hostproc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hostproc_fd < 0)
		die(errno, "open /proc");
}

/* Opened now, written after CLONE: the write is checked against the opener's credentials and
 * namespaces (cgroup v2 delegation rules), which JOIN_NS may change before the clone. */
static void op_cgroup_join(const struct op *o)
{
	if (cgroup_join_n == JOINS_MAX)
		die(0, "bad plan: more than %d CGROUP_JOIN", JOINS_MAX);
	int fd = open(o->argv[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(errno, "open %s", o->argv[0]);
	cgroup_joins[cgroup_join_n] = &plan[cur];   /* o itself, writable */
	cgroup_joins[cgroup_join_n++]->fd = fd;
}

static void op_id_map(const struct op *o)
{
	if (strcmp(o->argv[0], "uid_map") == 0)
		id_maps[0] = o;
	else if (strcmp(o->argv[0], "gid_map") == 0)
		id_maps[1] = o;
	else
		die(0, "bad plan: ID_MAP %s", o->argv[0]);
}

/* Is the process behind init_stat_fd still alive and the one started at init_start? Read
 * through the fd opened at INIT_CHECK: a reused pid cannot answer for a process that died. */
static int init_still_there(void)
{
	char buf[1024];
	ssize_t n = pread(init_stat_fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0;
	/* fields after ')': state is field 3, starttime field 22 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	size_t len = strcspn(p, " ");
	return len == strlen(init_start) && strncmp(p, init_start, len) == 0;
}

/* INIT_CHECK pid starttime: exec takes the namespaces in /proc/<pid>/ns; they must be those of
 * the container's init, not of a process that got its pid after it died. Checked now and again
 * at CLONE, after every JOIN_NS file is open. */
static void op_init_check(const struct op *o)
{
	char p[48];
	snprintf(p, sizeof p, "/proc/%llu/stat", (unsigned long long)num(o, 0, 10));
	init_start = o->argv[1];
	init_stat_fd = open(p, O_RDONLY | O_CLOEXEC);
	if (init_stat_fd < 0 || !init_still_there())
		die(0, "the container's init process is gone");
}

/* In the parent, after the clone, while the child waits on the gate: its id maps, then its
 * cgroups (user_namespaces(7): the maps are written from the parent namespace). */
static void settle_child(long pid)
{
	char p[64], pidtext[24];
	for (int i = 0; i < 2; i++) {
		if (!id_maps[i])
			continue;
		snprintf(p, sizeof p, "/proc/%ld/%s", pid, id_maps[i]->argv[0]);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, id_maps[i]->argv[1], id_maps[i]->len[1]) != (ssize_t)id_maps[i]->len[1]) {
			int e = errno;
			kill((pid_t)pid, SIGKILL);
			die(e, "write %s", p);
		}
		close(fd);
	}
	int n = snprintf(pidtext, sizeof pidtext, "%ld", pid);
	for (int i = 0; i < cgroup_join_n; i++) {
		if (write(cgroup_joins[i]->fd, pidtext, (size_t)n) != n) {
			int e = errno;
			kill((pid_t)pid, SIGKILL);
			die(e, "failed to write %ld to %s", pid, cgroup_joins[i]->argv[0]);
		}
		close(cgroup_joins[i]->fd);
	}
	cgroup_join_n = 0;
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static int exit_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---------------------------------------------------------------- terminal relay (TTY_RELAY) */

static void op_tty_relay(const struct op *o)
{
	(void)o;
	int sv[2];
	if (console_sock >= 0)
		die(0, "bad plan: TTY_RELAY and CONSOLE_SOCKET are exclusive");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die(errno, "terminal relay: socketpair");
	relay_sock = sv[0];
	console_sock = sv[1];              /* the child's CONSOLE/PTY op sends the master here */
}

/* One SCM_RIGHTS fd from sock; -1 on EOF (the child died or failed before sending it). */
static int recv_fd(int sock)
{
	char name[64];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	ssize_t r;
	while ((r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static struct termios saved_tio;
static int tio_saved;

static void restore_tty(void)
{
	if (tio_saved)
		tcsetattr(0, TCSADRAIN, &saved_tio);
	tio_saved = 0;
}

/* The caller's window size (our stdin, when it is a terminal) onto the container's pty. */
static void copy_winsize(int master)
{
	struct winsize ws;
	if (master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
		ioctl(master, TIOCSWINSZ, &ws);
}

/* write() all of buf to fd, waiting in poll when the fd is non-blocking. -1 on a real error. */
static int write_wait(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };
				poll(&pf, 1, -1);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * run/exec with a terminal and no console socket: the shim parent is the terminal's other end.
 * It receives the pty master from the child over relay_sock, puts the caller's terminal (our
 * stdin) in raw mode, copies stdin -> master and master -> stdout, turns SIGWINCH into
 * TIOCSWINSZ, forwards the other signals, and when the child exits drains the master, restores
 * the terminal and exits with the child's status.
 */
static void __attribute__((noreturn)) relay(pid_t child, const sigset_t *set)
{
	static char out[16384], in[4096];
	size_t in_len = 0, in_off = 0;
	int master = -1, master_done = 0, in_open = 1, status = -1;
	int sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0) {
		kill(child, SIGKILL);
		die(errno, "terminal relay: signalfd");
	}
	while (status < 0) {
		struct pollfd p[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = -1 },
			{ .fd = -1 },
		};
		if (master < 0 && !master_done) {
			p[1].fd = relay_sock;
			p[1].events = POLLIN;
		} else if (master >= 0) {
			p[1].fd = master;
			p[1].events = POLLIN | (in_len ? POLLOUT : 0);
			if (in_open && !in_len) {
				p[2].fd = 0;
				p[2].events = POLLIN;
			}
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			kill(child, SIGKILL);
			restore_tty();
			die(errno, "terminal relay: poll");
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				int st;
				if (si.ssi_signo == SIGCHLD) {
					if (waitpid(child, &st, WNOHANG) == child)
						status = exit_status(st);
				} else if (si.ssi_signo == SIGWINCH && master >= 0) {
					copy_winsize(master);
				} else {
					kill(child, (int)si.ssi_signo);
				}
			}
		}
		if (master < 0 && !master_done && p[1].revents) {
			master = recv_fd(relay_sock);
			close(relay_sock);
			relay_sock = -1;
			if (master < 0) {
				master_done = 1;          /* no terminal after all: just wait for the child */
				continue;
			}
			fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
			copy_winsize(master);
			struct termios raw;
			if (isatty(0) && tcgetattr(0, &saved_tio) == 0) {
				raw = saved_tio;
				cfmakeraw(&raw);
				tio_saved = tcsetattr(0, TCSADRAIN, &raw) == 0;
			}
			continue;
		}
		if (master >= 0 && (p[1].revents & POLLOUT) && in_len) {
			ssize_t w = write(master, in + in_off, in_len);
			if (w > 0) {
				in_off += (size_t)w;
				in_len -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				in_len = 0;
				in_open = 0;
			}
		}
		if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = read(master, out, sizeof out);
			if (r > 0) {
				if (write_wait(1, out, (size_t)r) < 0)
					master_done = 1;  /* nobody reads our stdout any more */
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				master_done = 1;          /* EIO: every slave fd is closed */
			}
			if (master_done) {
				close(master);
				master = -1;
			}
		}
		if (p[2].revents) {
			ssize_t r = read(0, in, sizeof in);
			if (r > 0) {
				in_off = 0;
				in_len = (size_t)r;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				in_open = 0;              /* EOF on our stdin: stop reading it */
			}
		}
	}
	/* What the process wrote just before exiting is still in the master. */
	if (master >= 0) {
		ssize_t r;
		while ((r = read(master, out, sizeof out)) > 0)
			if (write_wait(1, out, (size_t)r) < 0)
				break;
	}
	restore_tty();
	_exit(status);
}

/* run/exec: wait for the child, relaying signals; exit as it did (128+N when killed). */
static void __attribute__((noreturn)) supervise(pid_t child, const sigset_t *set)
{
	if (relay_sock >= 0)
		relay(child, set);
	for (;;) {
		int sig = sigwaitinfo(set, NULL);
		if (sig < 0)
			continue;                    /* EINTR */
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int st;
		pid_t r;
		while ((r = waitpid(child, &st, WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == child)
			_exit(exit_status(st));
		if (r < 0)
			_exit(1);                    /* ECHILD: cannot happen, but never spin */
	}
}

static void op_clone(const struct op *o)
{
	unsigned long flags = (unsigned long)num(o, 0, 10);
	sigset_t set, old;
	int gate[2];

	/* INIT_CHECK again, now that every JOIN_NS file is open. */
	if (init_stat_fd >= 0) {
		if (!init_still_there())
			die(0, "the container's init process is gone");
		close(init_stat_fd);
		init_stat_fd = -1;
	}

	/* Block the forwarded signals before the fork so none is lost in between; the child
	 * restores the old mask at once (it is inherited across execve). */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	/* The child waits on this pipe so that "PID n" is always the first line Node reads; the
	 * parent sends the pid through it (the child cannot learn it once in a new pid namespace). */
	if (pipe2(gate, O_CLOEXEC) < 0)
		die(errno, "pipe");

	/* Raw clone: the libc wrapper wants a new stack; without CLONE_VM this is a fork with
	 * namespace flags. musl's cached thread id is stale in the child, so the child uses raw
	 * syscalls for set*id and never raise()/abort(). */
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die(errno, "clone");
	if (pid == 0) {
		in_child = 1;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (relay_sock >= 0) {
			close(relay_sock);   /* the parent's end */
			relay_sock = -1;
		}
		close(gate[1]);
		for (int i = 0; i < cgroup_join_n; i++)
			close(cgroup_joins[i]->fd);
		cgroup_join_n = 0;
		if (read_full(gate[0], &host_pid, sizeof host_pid) < 0)
			_exit(1);                    /* the parent died before reporting us */
		close(gate[0]);
		return;
	}

	close(gate[0]);
	settle_child(pid);
	if (send_line("PID %ld", pid) < 0) {
		kill((pid_t)pid, SIGKILL);
		_exit(1);
	}
	write_all(gate[1], &pid, sizeof pid);
	close(gate[1]);
	/* The child owns these now; Node's EOF on ctlfd must come from the child alone. */
	close(ctlfd);
	ctlfd = -1;
	if (fifo_fd >= 0)
		close(fifo_fd);
	if (console_sock >= 0)
		close(console_sock);
	if (hostproc_fd >= 0)
		close(hostproc_fd);
	if (notify_sock >= 0)
		close(notify_sock);
	if (host_nl >= 0)
		close(host_nl);
	for (int i = 0; i < TREES_MAX; i++)
		if (trees[i] > 0)
			close(trees[i]);
	if (mode == MODE_CREATE || mode == MODE_EXEC_DETACH)
		_exit(0);
	supervise((pid_t)pid, &set);
}

/* ---------------------------------------------------------------- child-phase ops */

static void op_sync(const struct op *o)
{
	char c;
	if (send_line("SYNC %s", o->argv[0]) < 0)
		_exit(1);
	if (read_full(ctlfd, &c, 1) < 0 || c != 'G')
		_exit(1);
}

static void op_setsid(const struct op *o)
{
	(void)o;
	if (setsid() < 0)
		die(errno, "setsid");
}

static void op_unshare_child(const struct op *o)
{
	op_unshare(o);
}

static void op_rootfs(const struct op *o)
{
	if (rootfd >= 0)
		close(rootfd);
	rootfd = open(o->argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die(errno, "open rootfs %s", o->argv[0]);
}

static const char *nul_if_empty(const char *s)
{
	return *s ? s : NULL;
}

/* ---- tmpcopyup: copy the covered directory into the new mount, *at() calls only, no symlink
 * followed. Dirs, regular files (content), symlinks and special files (mknod; skipped when the
 * kernel says EPERM, as in a user namespace) keep owner, mode and times. */

static void __attribute__((noreturn)) copy_fail(const char *target, const char *name)
{
	die(errno, "tmpcopyup %s: copy %s", target, name);
}

static void copy_tree(int from, int to, const char *target)
{
	int dfd = dup(from);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		copy_fail(target, ".");
	for (struct dirent *e; (errno = 0, e = readdir(d));) {
		const char *n = e->d_name;
		struct stat st;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			copy_fail(target, n);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, n, 0700) < 0)
				copy_fail(target, n);
			int sfd = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int tfd = openat(to, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0 || tfd < 0)
				copy_fail(target, n);
			copy_tree(sfd, tfd, target);
			close(sfd);
			close(tfd);
		} else if (S_ISREG(st.st_mode)) {
			int sfd = openat(from, n, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			int tfd = openat(to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			ssize_t w = 0;
			if (sfd < 0 || tfd < 0)
				copy_fail(target, n);
			while ((w = sendfile(tfd, sfd, NULL, 1 << 30)) > 0)
				;
			if (w < 0)
				copy_fail(target, n);
			close(sfd);
			close(tfd);
		} else if (S_ISLNK(st.st_mode)) {
			char link[PATH_MAX];
			ssize_t l = readlinkat(from, n, link, sizeof link - 1);
			if (l < 0)
				copy_fail(target, n);
			link[l] = '\0';
			if (symlinkat(link, to, n) < 0)
				copy_fail(target, n);
		} else if (mknodat(to, n, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0) {
			if (errno == EPERM)
				continue;
			copy_fail(target, n);
		}
		/* Owner first: chown clears set-id bits. Last for a dir: its entries changed its mtime. */
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		if (fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    (!S_ISLNK(st.st_mode) && fchmodat(to, n, st.st_mode & 07777, 0) < 0) ||
		    utimensat(to, n, times, AT_SYMLINK_NOFOLLOW) < 0)
			copy_fail(target, n);
	}
	if (errno)
		copy_fail(target, ".");
	closedir(d);
}

static void mount_finish(const char *src, const char *target, unsigned long remount, unsigned long prop, int old);

static void op_mount(const struct op *o)
{
	const char *src = o->argv[0], *target = o->argv[1], *fstype = o->argv[2], *data = o->argv[4];
	unsigned long flags = (unsigned long)num(o, 3, 10);
	unsigned long remount = (unsigned long)num(o, 5, 10);
	unsigned long prop = (unsigned long)num(o, 6, 10);
	char mk = o->argv[7][0];
	char tpath[32], spath[32];
	int r, s = -1, old = -1;

	int t = in_root_mkpath(target, mk == 'D' ? 'd' : mk);
	if (t < 0)
		die(errno, "mount %s to %s", src, target);
	/* tmpcopyup: opened before the mount, this fd keeps seeing the directory it covers. */
	if (mk == 'D' && (old = openat(t, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(errno, "mount %s to %s", src, target);
	fdpath(tpath, t);
	if (flags & MS_BIND) {
		s = open(src, O_PATH | O_CLOEXEC);
		if (s < 0)
			die(errno, "mount %s to %s", src, target);
		fdpath(spath, s);
		r = mount(spath, tpath, NULL, flags, NULL);
	} else {
		r = mount(nul_if_empty(src), tpath, nul_if_empty(fstype), flags, nul_if_empty(data));
	}
	if (r < 0)
		die(errno, "mount %s to %s", src, target);
	if (s >= 0)
		close(s);
	close(t);
	mount_finish(src, target, remount, prop, old);
}

/* After a MOUNT or MOUNT_TREE: tmpcopyup (`old`: the covered directory), then the read-only
 * (or other per-mount flags) remount and the propagation. */
static void mount_finish(const char *src, const char *target, unsigned long remount, unsigned long prop, int old)
{
	char tpath[32];
	if (!remount && !prop && old < 0)
		return;

	/* The old fd still names the covered directory; the new mount needs a fresh lookup. */
	int t = in_root_open(target);
	if (t < 0)
		die(errno, "mount %s to %s", src, target);
	fdpath(tpath, t);
	if (old >= 0) {
		copy_tree(old, t, target);     /* before a read-only remount */
		close(old);
	}
	if (remount && mount(NULL, tpath, NULL, MS_REMOUNT | MS_BIND | remount, NULL) < 0)
		die(errno, "mount %s to %s", src, target);
	if (prop && mount(NULL, tpath, NULL, prop, NULL) < 0)
		die(errno, "mount %s to %s", src, target);
	close(t);
}

static void op_mount_host(const struct op *o)
{
	const char *src = o->argv[0], *target = o->argv[1];
	if (mount(nul_if_empty(src), target, nul_if_empty(o->argv[2]), (unsigned long)num(o, 3, 10),
		  nul_if_empty(o->argv[4])) < 0)
		die(errno, "mount %s to %s", src, target);
}

static void op_mknod(const struct op *o)
{
	const char *path = o->argv[0], *hostpath = o->argv[6];
	mode_t m = (mode_t)num(o, 1, 10);
	dev_t dev = makedev((unsigned)num(o, 2, 10), (unsigned)num(o, 3, 10));
	uid_t uid = (uid_t)num(o, 4, 10);
	gid_t gid = (gid_t)num(o, 5, 10);
	char name[NAME_MAX + 1];

	int dir = in_root_parent(path, name);
	if (dir < 0)
		die(errno, "mknod %s", path);
	if (mknodat(dir, name, m, dev) == 0) {
		if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			die(errno, "chown %s", path);
		if (fchmodat(dir, name, m & 07777, 0) < 0)   /* undo the umask */
			die(errno, "chmod %s", path);
	} else if (errno == EEXIST) {
		/* already there (e.g. a bind from the spec): keep it, as runc does */
	} else if (errno == EPERM && *hostpath) {
		/* No mknod in a user namespace: bind the host's node over an empty file. */
		int f = openat(dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
		if (f < 0)
			die(errno, "mknod %s", path);
		close(f);
		int t = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		char tpath[32];
		if (t < 0)
			die(errno, "mknod %s", path);
		fdpath(tpath, t);
		if (mount(hostpath, tpath, NULL, MS_BIND, NULL) < 0)
			die(errno, "mount %s to %s", hostpath, path);
		close(t);
	} else {
		die(errno, "mknod %s", path);
	}
	close(dir);
}

static void op_symlink(const struct op *o)
{
	const char *target = o->argv[0], *linkpath = o->argv[1];
	char name[NAME_MAX + 1];
	int dir = in_root_parent(linkpath, name);
	if (dir < 0 || (symlinkat(target, dir, name) < 0 && errno != EEXIST))
		die(errno, "symlink %s %s", target, linkpath);
	close(dir);
}

static void op_pivot_root(const struct op *o)
{
	(void)o;
	int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		die(errno, "pivot_root: open /");
	if (fchdir(rootfd) < 0)
		die(errno, "pivot_root: chdir to rootfs");
	/* pivot_root(".", ".") stacks the old root on top of the new one; no put_old dir needed. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die(errno, "pivot_root");
	/* "." is the old root now; go there explicitly rather than trusting the kernel's choice. */
	if (fchdir(oldroot) < 0)
		die(errno, "pivot_root: chdir to old root");
	close(oldroot);
	/* Slave first, so detaching the old root cannot propagate unmounts to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		die(errno, "pivot_root: make old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		die(errno, "pivot_root: unmount old root");
	if (chdir("/") < 0)
		die(errno, "chdir /");
}

/* The mount id of what fd names ("mnt_id:" of /proc/self/fdinfo/<fd>), or -1. */
static int mount_id_of(int fd)
{
	char rel[40], buf[512];
	snprintf(rel, sizeof rel, "fdinfo/%d", fd);
	int f = open_proc_self(rel, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	ssize_t n = read(f, buf, sizeof buf - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *m = strstr(buf, "mnt_id:");
	return m ? atoi(m + 7) : -1;
}

/*
 * ROOT_PARENT_PRIVATE rootfs: pivot_root refuses a new root that is shared or whose parent
 * mount is, as everything is after rootfsPropagation "shared" made "/" rshared. Before the
 * rootfs is bound on itself, the mount that holds it (the rootfs itself when it is a mount
 * point) is made private, so the bind is private too. Found by walking up from the rootfs
 * until ".." is on another mount; our mount namespace only.
 */
static void op_root_parent_private(const struct op *o)
{
	int cur = open(o->argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	int id = cur < 0 ? -1 : mount_id_of(cur);
	if (id < 0)
		die(errno, "rootfs parent mount");
	for (;;) {
		struct stat a, b;
		int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(cur, &a) < 0 || fstat(up, &b) < 0)
			die(errno, "rootfs parent mount");
		if (mount_id_of(up) != id || (a.st_ino == b.st_ino && a.st_dev == b.st_dev)) {
			close(up);
			break;               /* cur is that mount's root (or "/") */
		}
		close(cur);
		cur = up;
	}
	char p[32];
	fdpath(p, cur);
	if (mount(NULL, p, NULL, MS_PRIVATE, NULL) < 0)
		die(errno, "make the rootfs parent mount private");
	close(cur);
}

/*
 * MKDIR path(in root): create a directory (and its parents, 0755) if missing (process.cwd).
 * Best effort: a path that cannot be made (a magic link such as /proc/self/fd/N, a read-only
 * rootfs) is left to CHDIR, which reports it precisely (CVE-2024-21626 wording included).
 */
static void op_mkdir(const struct op *o)
{
	int fd = in_root_mkpath(o->argv[0], 'd');
	if (fd >= 0)
		close(fd);
}

static void op_chroot(const struct op *o)
{
	(void)o;
	if (fchdir(rootfd) < 0)
		die(errno, "chroot: chdir to rootfs");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		die(errno, "chroot: move rootfs to /");
	if (chroot(".") < 0)
		die(errno, "chroot");
	if (chdir("/") < 0)
		die(errno, "chdir /");
}

/* Attach a copy of the mount at fd `what` (any fd, O_PATH too) onto the file or directory
 * that O_PATH fd `where` names: no path is looked up again, so nothing can be swapped in
 * between the checks made on the fds and the mount. */
static int bind_fd_onto(int what, int where)
{
	int tree = (int)syscall(SYS_open_tree, what, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return -1;
	int r = (int)syscall(SYS_move_mount, tree, "", where, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;
	close(tree);
	errno = e;
	return r;
}

/* A read-only, empty tmpfs as a detached mount (fsopen/fsmount), for masking a directory. */
static int empty_tmpfs(void)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int m = -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0k", 0) == 0 &&
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	int e = errno;
	close(fs);
	errno = e;
	return m;
}

/*
 * MASK path: everything through fds. /dev/null is opened without following a symlink and
 * checked on that fd, and the very inode checked is what gets bound (CVE-2025-31133: a fake
 * or swapped /dev/null bound over /proc files would expose whatever it points at); the target
 * is opened once (no magic links: it cannot lead to the host /proc we hold) and mounted on.
 */
static void op_mask(const struct op *o)
{
	const char *path = o->argv[0];
	struct stat st;
	int null = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (null < 0 || fstat(null, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		die(0, "mask %s: /dev/null is not the null device (char 1:3)", path);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	int t = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	if (t < 0) {
		close(null);
		if (errno == ENOENT)
			return;
		die(errno, "mask %s", path);
	}
	if (fstat(t, &st) < 0)
		die(errno, "mask %s", path);
	int r;
	if (S_ISDIR(st.st_mode)) {
		int m = empty_tmpfs();
		r = m < 0 ? -1 : (int)syscall(SYS_move_mount, m, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		if (m >= 0)
			close(m);
	} else {
		r = bind_fd_onto(null, t);
	}
	if (r < 0)
		die(errno, "mask %s", path);
	close(t);
	close(null);
}

/* The nosuid/nodev/noexec a remount must repeat (ST_* equal MS_* for these three). */
static unsigned long kept_flags(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return (unsigned long)-1;
	return (unsigned long)sf.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

static void op_readonly(const struct op *o)
{
	const char *path = o->argv[0];
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return;
		die(errno, "readonly %s", path);
	}
	unsigned long keep = kept_flags(path);
	if (keep == (unsigned long)-1)
		die(errno, "readonly %s", path);
	if (mount(path, path, NULL, keep | MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0)
		die(errno, "readonly %s", path);
}

static void op_remount_ro(const struct op *o)
{
	const char *path = o->argv[0];
	unsigned long keep = kept_flags(path);
	if (keep == (unsigned long)-1)
		die(errno, "remount %s read-only", path);
	if (mount(NULL, path, NULL, keep | MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die(errno, "remount %s read-only", path);
}

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* WRITE_FILE and OOM_SCORE write sysctls and /proc/self files, and nothing else: a symlink in
 * the rootfs (/proc -> a volume) or a mount over /proc could send the write to a host file
 * (CVE-2025-52881). The opened file must be on a procfs. */
static void write_file(int fd, const char *label, const char *data, size_t n)
{
	struct statfs sf;
	if (fd < 0)
		die(errno, "write %s", label);
	if (fstatfs(fd, &sf) < 0)
		die(errno, "write %s", label);
	if (sf.f_type != PROC_SUPER_MAGIC)
		die(0, "write %s: not a file of a procfs mount (refusing a redirected write: possible container breakout)", label);
	if (write_all(fd, data, n) < 0)
		die(errno, "write %s", label);
	close(fd);
}

static void op_write_file(const struct op *o)
{
	write_file(open(o->argv[0], O_WRONLY | O_NOCTTY | O_CLOEXEC), o->argv[0], o->argv[1], o->len[1]);
}

static void op_oom_score(const struct op *o)
{
	/* The host /proc when we have it: the container's may not be mounted (or be masked). */
	write_file(open_proc_self("oom_score_adj", O_WRONLY | O_CLOEXEC), "/proc/self/oom_score_adj",
		   o->argv[0], o->len[0]);
}

static void op_hostname(const struct op *o)
{
	if (sethostname(o->argv[0], o->len[0]) < 0)
		die(errno, "sethostname");
}

static void op_domainname(const struct op *o)
{
	if (setdomainname(o->argv[0], o->len[0]) < 0)
		die(errno, "setdomainname");
}

/* Send `payload` with one SCM_RIGHTS fd in a single sendmsg. */
static int send_fd_with(int sock, int fd, const void *payload, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof u.buf,
	};
	memset(u.buf, 0, sizeof u.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t r;
	while ((r = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return r < 0 ? -1 : 0;
}

/* Hand the pty master to the console socket: payload "/dev/ptmx". */
static int send_fd(int sock, int fd)
{
	static const char name[] = "/dev/ptmx";
	return send_fd_with(sock, fd, name, sizeof name - 1);
}


/* CONSOLE (the init: also bound onto /dev/console) and PTY (exec: the container's /dev/console
 * belongs to its init and is left alone). */
static void console_setup(const struct op *o, int bind_console)
{
	unsigned rows = (unsigned)num(o, 0, 10), cols = (unsigned)num(o, 1, 10);
	int zero = 0, ptn;
	char pts[32];

	if (console_sock < 0)
		die(0, "console: no console socket");
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		die(errno, "open /dev/ptmx");
	if (ioctl(m, TIOCSPTLCK, &zero) < 0)
		die(errno, "unlockpt");
	if (ioctl(m, TIOCGPTN, &ptn) < 0)
		die(errno, "ptsname");
	snprintf(pts, sizeof pts, "/dev/pts/%d", ptn);
	/* TIOCGPTPEER opens the peer of this very master, immune to devpts path games. */
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		s = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		die(errno, "open %s", pts);
	if (rows || cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		if (ioctl(m, TIOCSWINSZ, &ws) < 0)
			die(errno, "set console size");
	}
	if (send_fd(console_sock, m) < 0)
		die(errno, "send console to console socket");
	close(console_sock);
	console_sock = -1;
	close(m);

	/* EPERM: already a session leader (an earlier SETSID); TIOCSCTTY still works then. */
	if (setsid() < 0 && errno != EPERM)
		die(errno, "setsid");
	if (ioctl(s, TIOCSCTTY, 0) < 0)
		die(errno, "set controlling terminal");
	/* Never through a symlink: the pty would be bound onto the link's target, any path of the
	 * container (a procfs file), before the masked and read-only paths are applied
	 * (CVE-2025-52565). The target is opened without following a final symlink and the pty is
	 * attached to exactly that inode, so a racing swap after the check changes nothing. */
	if (bind_console) {
		int c = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat cst;
		if (c >= 0) {
			if (fstat(c, &cst) < 0)
				die(errno, "stat /dev/console");
			if (S_ISLNK(cst.st_mode))
				die(0, "/dev/console is a symlink: refusing to mount the console over its target");
			if (bind_fd_onto(s, c) < 0)
				die(errno, "mount %s to /dev/console", pts);
			close(c);
		} else if (errno != ENOENT) {
			die(errno, "open /dev/console");
		}
	}
	for (int fd = 0; fd < 3; fd++)
		if (dup2(s, fd) < 0)
			die(errno, "dup2 console");
	if (s > 2)
		close(s);
}

static void op_console(const struct op *o)
{
	console_setup(o, 1);
}

static void op_pty(const struct op *o)
{
	console_setup(o, 0);
}

static void op_dumpable(const struct op *o)
{
	if (prctl(PR_SET_DUMPABLE, (unsigned long)num(o, 0, 10), 0, 0, 0) < 0)
		die(errno, "prctl dumpable");
}

static void op_rlimit(const struct op *o)
{
	int res = (int)num(o, 0, 10);
	struct { uint64_t cur, max; } lim = { num(o, 1, 10), num(o, 2, 10) };
	if (syscall(SYS_prlimit64, 0, res, &lim, NULL) < 0)
		die(errno, "error setting rlimit type %d", res);
}

/* CVE-2024-21626: a cwd such as /proc/self/fd/<n> can lead through an fd the shim still holds
 * (the host /proc, kept for WAIT_START) to a directory outside the container's root; the
 * process would start there and reach the host through "..". getcwd(2) then does not begin
 * with '/' (the kernel says "(unreachable)/..."). Same check and text as runc. */
static void cwd_inside_root(void)
{
	char buf[PATH_MAX];
	long r = syscall(SYS_getcwd, buf, sizeof buf);
	if (r < 0 && errno != ENAMETOOLONG)
		die(errno, "getcwd");
	if (r >= 0 && buf[0] != '/')
		die(0, "current working directory is outside of container mount namespace root -- possible container breakout detected");
}

static void chdir_or_die(const char *path)
{
	if (chdir(path) < 0)
		die(errno, "chdir to cwd (\"%s\") set in config.json failed", path);
	cwd_inside_root();
}

static int later_op(enum op_code code)
{
	for (size_t i = cur + 1; i < plan_n; i++)
		if (plan[i].code == code)
			return 1;
	return 0;
}

static void op_chdir(const struct op *o)
{
	/* Like runc: try as the runtime user first; on EACCES try again as the container user
	 * (a volume chowned to it), i.e. right after the SETUSER that follows. */
	if (chdir(o->argv[0]) == 0) {
		cwd_inside_root();
		return;
	}
	if (errno == EACCES && later_op(OP_SETUSER)) {
		pending_cwd = o->argv[0];
		return;
	}
	chdir_or_die(o->argv[0]);
}

static void op_bounding(const struct op *o)
{
	uint64_t keep = num(o, 0, 10);
	/* PR_CAPBSET_READ fails with EINVAL past cap_last_cap: the same number without /proc. */
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die(errno, "drop capability %d from the bounding set", cap);
}

static void op_setuser(const struct op *o)
{
	uid_t uid = (uid_t)num(o, 0, 10);
	gid_t gid = (gid_t)num(o, 1, 10);
	const char *list = o->argv[2];
	gid_t groups[NGROUPS_MAX];
	size_t ng = 0;

	for (const char *p = list; *p;) {
		char *end;
		errno = 0;
		unsigned long g = strtoul(p, &end, 10);
		if (errno || end == p || (*end && *end != ',') || ng == NGROUPS_MAX)
			die(0, "bad plan: SETUSER groups \"%s\"", list);
		groups[ng++] = (gid_t)g;
		p = *end ? end + 1 : end;
	}
	/* Keep the permitted set across the uid change; CAPS sets the final sets next. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die(errno, "prctl keepcaps");
	/* Raw syscalls: this process is a raw clone, so libc's thread bookkeeping is stale. */
	if (syscall(SYS_setgroups, ng, groups) < 0 && !(errno == EPERM && ng == 0))
		die(errno, "setgroups");
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		die(errno, "setresgid %u", (unsigned)gid);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		die(errno, "setresuid %u", (unsigned)uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die(errno, "prctl keepcaps");
	if (pending_cwd) {
		chdir_or_die(pending_cwd);
		pending_cwd = NULL;
	}
}

static void op_caps(const struct op *o)
{
	uint64_t e = num(o, 0, 10), p = num(o, 1, 10), i = num(o, 2, 10);
	struct cap_header h = { .version = LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct cap_data d[2] = {
		{ (uint32_t)e, (uint32_t)p, (uint32_t)i },
		{ (uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32) },
	};
	if (syscall(SYS_capset, &h, d) < 0)
		die(errno, "capset");
}

static void op_ambient(const struct op *o)
{
	uint64_t mask = num(o, 0, 10);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die(errno, "clear ambient capabilities");
	for (int cap = 0; cap < 64; cap++)
		if ((mask & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			die(errno, "raise ambient capability %d", cap);
}

static void op_no_new_privs(const struct op *o)
{
	(void)o;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(errno, "prctl no_new_privs");
}

static void op_umask(const struct op *o)
{
	umask((mode_t)num(o, 0, 8) & 0777);
}

/*
 * DEFAULT_HOME uid (process.env has no HOME): runc's value, the home field of the first entry
 * of uid in the container's /etc/passwd, or "/" when there is no such entry or no readable
 * passwd. After pivot_root (or the mount namespace join of exec) "/" is the container's root,
 * so its symlinks resolve inside it; magic links (/proc/self/fd/N) are refused, and anything
 * but a regular file counts as no passwd.
 */
static void op_default_home(const struct op *o)
{
	uint64_t uid = num(o, 0, 10);
	struct open_how how = { .flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/etc/passwd", &how, sizeof how);
	struct stat st;
	FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;
	char *line = NULL, *home = NULL;
	size_t cap = 0;
	if (!f && fd >= 0)
		close(fd);
	while (f && !home && getline(&line, &cap, f) >= 0) {
		/* name:password:uid:gid:gecos:home:shell, surrounding blanks trimmed (as Go's parser) */
		char *field[7] = { 0 }, *p = line + strspn(line, " \t\r\n\v\f"), *end;
		size_t len = strlen(p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			p[--len] = '\0';
		for (int i = 0; i < 7 && p; i++) {
			field[i] = p;
			if ((p = strchr(p, ':')))
				*p++ = '\0';
		}
		if (!field[2] || !isdigit((unsigned char)*field[2]))
			continue;
		errno = 0;
		if (strtoull(field[2], &end, 10) == uid && !errno && !*end)
			home = field[5] ? field[5] : "";
	}
	size_t n = strlen(home ? home : "/") + sizeof "HOME=";
	if (!(home_env = malloc(n)))
		die(ENOMEM, "default HOME");
	snprintf(home_env, n, "HOME=%s", home ? home : "/");
	free(line);
	if (f)
		fclose(f);
}

/*
 * Go's findExecutable: stat, then eaccess(X_OK) falling back to the mode bits when the
 * syscall is missing or filtered. Directories give EACCES (Go < 1.20 wording, as runc prints).
 */
static int check_exec(const char *path, int *stat_failed)
{
	struct stat st;
	*stat_failed = stat(path, &st) < 0;
	if (*stat_failed)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EACCES;
	/* raw faccessat2: musl would emulate AT_EACCESS with a helper process when it is missing */
	if (syscall(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return errno;
	return st.st_mode & 0111 ? 0 : EACCES;
}

/* Go's exec.LookPath, so error texts match runc's. */
static void op_lookup(const struct op *o)
{
	const char *arg0 = o->argv[0], *path = o->argv[1];
	static char found[PATH_MAX];

	if (strchr(arg0, '/')) {
		int stat_failed, err = check_exec(arg0, &stat_failed);
		if (err && stat_failed)
			die(0, "exec: %s: stat %s: %s", go_quote(arg0), arg0, errtext(err));
		if (err)
			die(0, "exec: %s: %s", go_quote(arg0), errtext(err));
		exec_path = arg0;
		return;
	}
	/* Every ':'-separated entry, the empty ones too (Go's filepath.SplitList); none if PATH="". */
	for (const char *p = path; *path;) {
		const char *end = strchrnul(p, ':');
		size_t n = (size_t)(end - p);
		/* An empty PATH entry means the current directory, as in the shell. */
		int len = n == 0 ? snprintf(found, sizeof found, "%s", arg0)
				 : snprintf(found, sizeof found, "%.*s/%s", (int)n, p, arg0);
		int stat_failed;
		if (len > 0 && (size_t)len < sizeof found && check_exec(found, &stat_failed) == 0) {
			exec_path = found;
			return;
		}
		if (!*end)
			break;
		p = end + 1;
	}
	die(0, "exec: %s: executable file not found in $PATH", go_quote(arg0));
}

static void op_ready(const struct op *o)
{
	(void)o;
	if (send_line("READY") < 0)
		_exit(1);
	close(ctlfd);
	ctlfd = -1;
}

static void op_wait_start(const struct op *o)
{
	(void)o;
	char p[48];
	if (fifo_fd < 0 || hostproc_fd < 0)
		die(0, "bad plan: WAIT_START needs FIFO and HOSTPROC");
	/* Reopening the O_PATH fd for writing blocks until `start` opens the fifo for reading. */
	snprintf(p, sizeof p, "self/fd/%d", fifo_fd);
	int w;
	while ((w = openat(hostproc_fd, p, O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (w < 0)
		die(errno, "open exec fifo");
	if (write_all(w, "0", 1) < 0)
		die(errno, "write 0 exec fifo");
	close(w);
	close(fifo_fd);
	fifo_fd = -1;
	close(hostproc_fd);
	hostproc_fd = -1;
}

static void op_seccomp(const struct op *o)
{
	unsigned long flags = (unsigned long)num(o, 0, 10);
	size_t n = o->len[1];
	if (n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		die(EINVAL, "seccomp: bad filter length %zu", n);
	struct sock_fprog prog = {
		.len = (unsigned short)(n / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)(void *)o->argv[1],   /* malloc'd: aligned */
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0)
		die(errno, "seccomp");
}

static void op_close_fds(const struct op *o)
{
	unsigned first = (unsigned)num(o, 0, 10);
	/* CLOEXEC rather than close: libc or our own state may still hold some of them. */
	if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		die(errno, "close fds: open /proc/self/fd");
	for (struct dirent *e; (e = readdir(d));) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= (int)first && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

static void op_exec(const struct op *o)
{
	uint64_t argc = num(o, 0, 10);
	if (argc == 0 || argc > (uint64_t)o->argc - 1)
		die(0, "bad plan: EXEC argc %llu", (unsigned long long)argc);
	size_t nenv = o->argc - 1 - argc;
	char **argv = calloc(argc + 1, sizeof *argv), **envp = calloc(nenv + 2, sizeof *envp);
	if (!argv || !envp)
		die(ENOMEM, "exec");
	memcpy(argv, o->argv + 1, argc * sizeof *argv);
	memcpy(envp, o->argv + 1 + argc, nenv * sizeof *envp);
	envp[nenv] = home_env;             /* NULL without DEFAULT_HOME */
	execve(exec_path ? exec_path : argv[0], argv, envp);
	fail(255, errno, "exec: %s", go_quote(argv[0]));
}

static void op_reserved(const struct op *o)
{
	(void)o;
}

/* ---------------------------------------------------------------- config-field ops
 * Process attributes that must be set from inside the init (they are inherited by execve),
 * recursive mount attributes, the time namespace offsets and the in-container hooks. Every
 * error names the config field, since that is what the user has to change. */

static void op_personality(const struct op *o)
{
	unsigned long persona = (unsigned long)num(o, 0, 10);
	if (syscall(SYS_personality, persona) < 0)
		die(errno, "/linux/personality: personality 0x%lx", persona);
}

static void op_scheduler(const struct op *o)
{
	struct sched_attr a = {
		.size = sizeof a,
		.sched_policy = (uint32_t)num(o, 0, 10),
		.sched_flags = num(o, 1, 10),
		.sched_nice = (int32_t)num(o, 2, 10),
		.sched_priority = (uint32_t)num(o, 3, 10),
		.sched_runtime = num(o, 4, 10),
		.sched_deadline = num(o, 5, 10),
		.sched_period = num(o, 6, 10),
	};
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		die(errno, "/process/scheduler: sched_setattr");
}

static void op_ioprio(const struct op *o)
{
	int prio = (int)num(o, 0, 10);
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
		die(errno, "/process/ioPriority: ioprio_set");
}

/* MEMPOLICY mode(with MPOL_F_* flags) nodemask(raw unsigned longs, may be empty) */
static void op_mempolicy(const struct op *o)
{
	int mode = (int)num(o, 0, 10);
	size_t n = o->len[1];
	if (n % sizeof(unsigned long))
		die(EINVAL, "/linux/memoryPolicy: bad node mask length %zu", n);
	/* maxnode counts bits; the kernel uses maxnode - 1 of them */
	unsigned long maxnode = n ? n * 8 + 1 : 0;
	if (syscall(SYS_set_mempolicy, mode, n ? (void *)o->argv[1] : NULL, maxnode) < 0)
		die(errno, "/linux/memoryPolicy: set_mempolicy");
}

/* NETDEV name new-name pointer: in the child, in its final network namespace (see netlink.c). */
static void op_netdev(const struct op *o)
{
	const char *name = o->argv[0], *newname = *o->argv[1] ? o->argv[1] : o->argv[0], *ptr = o->argv[2];
	if (host_nl < 0)
		die(0, "bad plan: NETDEV needs NETLINK");
	int ns = open_proc_self("ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		die(errno, "%s: open network namespace", ptr);
	int here = nl_open();
	if (here < 0)
		die(-here, "%s: netlink socket", ptr);
	int r = nl_move_device(host_nl, here, ns, name, newname);
	if (r < 0)
		die(-r, "%s: move network device %s into the container as %s", ptr, name, newname);
	close(here);
	close(ns);
}

/*
 * SECCOMP_NOTIFY flags program state-template: load the filter with a listener (its
 * SCMP_ACT_NOTIFY calls wait for an agent) and send the listener fd to the agent's socket with
 * the container process state; \x01 in the template (JSON.stringify never emits a raw control
 * character) stands for our pid as the runtime sees it.
 */
static void op_seccomp_notify(const struct op *o)
{
	unsigned long flags = ((unsigned long)num(o, 0, 10) & ~SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
	size_t n = o->len[1];
	if (notify_sock < 0)
		die(0, "bad plan: SECCOMP_NOTIFY needs NOTIFY_SOCKET");
	if (n == 0 || n % sizeof(struct sock_filter) || n / sizeof(struct sock_filter) > BPF_MAXINSNS)
		die(EINVAL, "seccomp: bad filter length %zu", n);
	char pid[24];
	int pl = snprintf(pid, sizeof pid, "%ld", host_pid);
	size_t cap = o->len[2] + 64 * (size_t)pl + 1, used = 0;
	char *payload = malloc(cap);
	if (!payload)
		die(ENOMEM, "seccomp notify");
	for (size_t i = 0; i < o->len[2]; i++) {
		if (o->argv[2][i] == '\x01') {
			if (used + (size_t)pl >= cap)
				die(E2BIG, "seccomp notify: state");
			memcpy(payload + used, pid, (size_t)pl);
			used += (size_t)pl;
		} else if (used + 1 < cap) {
			payload[used++] = o->argv[2][i];
		}
	}
	struct sock_fprog prog = {
		.len = (unsigned short)(n / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)(void *)o->argv[1],
	};
	int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (listener < 0)
		die(errno, "seccomp");
	if (send_fd_with(notify_sock, listener, payload, used) < 0)
		die(errno, "/linux/seccomp/listenerPath: send the seccomp fd");
	close(listener);
	close(notify_sock);
	notify_sock = -1;
	free(payload);
}

/* CPU_AFFINITY mask pointer: sched_setaffinity(0) (process.execCPUAffinity of an exec). */
static void op_cpu_affinity(const struct op *o)
{
	if (o->len[0] == 0 || o->len[0] % sizeof(unsigned long))
		die(EINVAL, "%s: cpu mask of %u bytes", o->argv[1], o->len[0]);
	if (sched_setaffinity(0, o->len[0], (const cpu_set_t *)(const void *)o->argv[0]) < 0)
		die(errno, "%s: sched_setaffinity", o->argv[1]);
}

/* MOUNT_TREE slot target(in root) mk remountflags propagation: attach an IDMAP_TREE mount. */
static void op_mount_tree(const struct op *o)
{
	unsigned slot = (unsigned)num(o, 0, 10);
	const char *target = o->argv[1];
	if (slot >= TREES_MAX || trees[slot] <= 0)
		die(0, "bad plan: MOUNT_TREE slot %u", slot);
	int t = in_root_mkpath(target, o->argv[2][0]);
	if (t < 0 || syscall(SYS_move_mount, trees[slot], "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(errno, "mount idmapped %s to %s", "tree", target);
	close(t);
	close(trees[slot]);
	trees[slot] = 0;
	mount_finish("idmapped mount", target, (unsigned long)num(o, 3, 10), (unsigned long)num(o, 4, 10), -1);
}

/* MOUNT_SETATTR target(in root) attr_set attr_clr propagation recursive(0|1) pointer */
static void op_mount_setattr(const struct op *o)
{
	const char *target = o->argv[0], *ptr = o->argv[5];
	struct mount_attr a = {
		.attr_set = num(o, 1, 10),
		.attr_clr = num(o, 2, 10),
		.propagation = num(o, 3, 10),
	};
	unsigned flags = AT_EMPTY_PATH | (num(o, 4, 10) ? AT_RECURSIVE : 0);
	int t = in_root_open(target);
	if (t < 0)
		die(errno, "%s: mount_setattr %s", ptr, target);
	if (syscall(SYS_mount_setattr, t, "", flags, &a, sizeof a) < 0)
		die(errno, "%s: mount_setattr %s", ptr, target);
	close(t);
}

/* WRITE_PARENT path content: like WRITE_FILE, in the parent before CLONE (timens_offsets). */
static void op_write_parent(const struct op *o)
{
	write_file(open(o->argv[0], O_WRONLY | O_CLOEXEC), o->argv[0], o->argv[1], o->len[1]);
}

/* The last bytes a hook wrote to stdout and stderr (the start is dropped when it says more). */
struct hook_output {
	size_t len;
	char buf[2048];
};

static void hook_output_drain(struct hook_output *h, int fd)
{
	char chunk[sizeof h->buf / 2];   /* smaller than buf: a chunk always fits after the drop */
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (h->len + (size_t)n > sizeof h->buf) {
			size_t drop = h->len + (size_t)n - sizeof h->buf;
			memmove(h->buf, h->buf + drop, h->len - drop);
			h->len -= drop;
		}
		memcpy(h->buf + h->len, chunk, (size_t)n);
		h->len += (size_t)n;
	}
}

/* ", stdout+stderr: <text>" for an error message (as the runtime's own hooks), or "". */
static const char *hook_output_text(struct hook_output *h, int fd)
{
	static char text[sizeof h->buf + 32];
	hook_output_drain(h, fd);
	size_t b = 0, e = h->len;
	while (b < e && isspace((unsigned char)h->buf[b]))
		b++;
	while (e > b && isspace((unsigned char)h->buf[e - 1]))
		e--;
	if (b == e)
		return "";
	snprintf(text, sizeof text, ", stdout+stderr: %.*s", (int)(e - b), h->buf + b);
	return text;
}

/*
 * HOOK label timeout state-prefix state-suffix path argc argv... env...
 * fork + execve(path) with the state JSON (prefix, our pid as the container sees it, suffix) on
 * its stdin; its stdout/stderr go to a pipe, kept for the error message. A non-zero exit, a
 * signal or the timeout (seconds, 0 = none) fails the op: "error running <label>: exit status N".
 */
static void op_hook(const struct op *o)
{
	if (o->argc < 6)
		die(0, "bad plan: HOOK takes at least 6 arguments, got %u", o->argc);
	const char *label = o->argv[0], *path = o->argv[4];
	uint64_t timeout = num(o, 1, 10), argc = num(o, 5, 10);
	if (argc > (uint64_t)o->argc - 6)
		die(0, "bad plan: HOOK argc %llu", (unsigned long long)argc);
	size_t nenv = o->argc - 6 - argc;
	char **argv = calloc(argc + 2, sizeof *argv), **envp = calloc(nenv + 1, sizeof *envp);
	char pidtext[24];
	int pidlen = snprintf(pidtext, sizeof pidtext, "%ld", (long)syscall(SYS_getpid));
	if (!argv || !envp)
		die(ENOMEM, "error running %s", label);
	memcpy(argv, o->argv + 6, argc * sizeof *argv);
	if (argc == 0)
		argv[0] = (char *)path;
	memcpy(envp, o->argv + 6 + argc, nenv * sizeof *envp);

	int p[2], out[2];
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die(errno, "error running %s", label);
	long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die(errno, "error running %s: fork", label);
	if (pid == 0) {
		/* Its output is kept for the error message: it never reaches the container's stdio. */
		if (dup2(p[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execve(path, argv, envp);
		char msg[512];
		int m = snprintf(msg, sizeof msg, "oci-ts-shim: exec %s: %s\n", path, errtext(errno));
		if (m > 0)
			write_all(2, msg, (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1);
		_exit(127);
	}
	close(p[0]);
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* A hook that does not read its stdin must not kill us with SIGPIPE. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	write_all(p[1], o->argv[2], o->len[2]);
	write_all(p[1], pidtext, (size_t)pidlen);
	write_all(p[1], o->argv[3], o->len[3]);
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);

	int st = 0;
	uint64_t waited_ms = 0;
	struct hook_output ho = { .len = 0 };
	for (;;) {
		struct pollfd pf = { .fd = out[0], .events = POLLIN };
		if (poll(&pf, 1, 10) > 0)
			hook_output_drain(&ho, out[0]);
		long r = waitpid((pid_t)pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			die(errno, "error running %s: wait", label);
		if (r == 0 && timeout && (waited_ms += 10) >= timeout * 1000) {
			kill((pid_t)pid, SIGKILL);
			while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR)
				;
			die(0, "error running %s: timeout after %llu seconds%s", label, (unsigned long long)timeout, hook_output_text(&ho, out[0]));
		}
	}
	free(argv);
	free(envp);
	if (WIFSIGNALED(st))
		die(0, "error running %s: signal: %s%s", label, strsignal(WTERMSIG(st)), hook_output_text(&ho, out[0]));
	if (WEXITSTATUS(st) != 0)
		die(0, "error running %s: exit status %d%s", label, WEXITSTATUS(st), hook_output_text(&ho, out[0]));
	close(out[0]);
}

/* ---------------------------------------------------------------- dispatch */

enum phase { PARENT, CHILD, EITHER };

struct op_def {
	const char *name;
	void (*fn)(const struct op *);
	int argc;                /* exact count; -1: at least one (EXEC) */
	enum phase phase;
};

static const struct op_def ops[OP_MAX] = {
	[OP_FIFO] = { "FIFO", op_fifo, 1, PARENT },
	[OP_CONSOLE_SOCKET] = { "CONSOLE_SOCKET", op_console_socket, 1, PARENT },
	[OP_JOIN_NS] = { "JOIN_NS", op_join_ns, 2, PARENT },
	[OP_UNSHARE] = { "UNSHARE", op_unshare, 1, PARENT },
	[OP_MODE] = { "MODE", op_mode, 1, PARENT },
	[OP_HOSTPROC] = { "HOSTPROC", op_hostproc, 0, PARENT },
	[OP_CLONE] = { "CLONE", op_clone, 1, PARENT },
	[OP_TTY_RELAY] = { "TTY_RELAY", op_tty_relay, 0, PARENT },
	[OP_NETLINK] = { "NETLINK", op_netlink, 0, PARENT },
	[OP_NOTIFY_SOCKET] = { "NOTIFY_SOCKET", op_notify_socket, 1, PARENT },
	[OP_IDMAP_TREE] = { "IDMAP_TREE", op_idmap_tree, 8, PARENT },
	[OP_NETDEV_RETURN] = { "NETDEV_RETURN", op_netdev_return, 4, PARENT },
	[OP_CGROUP_JOIN] = { "CGROUP_JOIN", op_cgroup_join, 1, PARENT },
	[OP_ID_MAP] = { "ID_MAP", op_id_map, 2, PARENT },
	[OP_INIT_CHECK] = { "INIT_CHECK", op_init_check, 2, PARENT },
	[OP_SYNC] = { "SYNC", op_sync, 1, CHILD },
	[OP_SETSID] = { "SETSID", op_setsid, 0, CHILD },
	[OP_UNSHARE_CHILD] = { "UNSHARE_CHILD", op_unshare_child, 1, CHILD },
	[OP_ROOTFS] = { "ROOTFS", op_rootfs, 1, CHILD },
	[OP_MOUNT] = { "MOUNT", op_mount, 8, CHILD },
	[OP_MOUNT_HOST] = { "MOUNT_HOST", op_mount_host, 5, CHILD },
	[OP_MKNOD] = { "MKNOD", op_mknod, 7, CHILD },
	[OP_SYMLINK] = { "SYMLINK", op_symlink, 2, CHILD },
	[OP_PIVOT_ROOT] = { "PIVOT_ROOT", op_pivot_root, 0, CHILD },
	[OP_CHROOT] = { "CHROOT", op_chroot, 0, CHILD },
	[OP_MASK] = { "MASK", op_mask, 1, CHILD },
	[OP_READONLY] = { "READONLY", op_readonly, 1, CHILD },
	[OP_REMOUNT_RO] = { "REMOUNT_RO", op_remount_ro, 1, CHILD },
	[OP_WRITE_FILE] = { "WRITE_FILE", op_write_file, 2, CHILD },
	[OP_HOSTNAME] = { "HOSTNAME", op_hostname, 1, CHILD },
	[OP_DOMAINNAME] = { "DOMAINNAME", op_domainname, 1, CHILD },
	[OP_CONSOLE] = { "CONSOLE", op_console, 2, CHILD },
	[OP_RLIMIT] = { "RLIMIT", op_rlimit, 3, CHILD },
	[OP_CHDIR] = { "CHDIR", op_chdir, 1, CHILD },
	[OP_BOUNDING] = { "BOUNDING", op_bounding, 1, CHILD },
	[OP_SETUSER] = { "SETUSER", op_setuser, 3, CHILD },
	[OP_CAPS] = { "CAPS", op_caps, 3, CHILD },
	[OP_AMBIENT] = { "AMBIENT", op_ambient, 1, CHILD },
	[OP_NO_NEW_PRIVS] = { "NO_NEW_PRIVS", op_no_new_privs, 0, CHILD },
	[OP_UMASK] = { "UMASK", op_umask, 1, CHILD },
	[OP_LOOKUP] = { "LOOKUP", op_lookup, 2, CHILD },
	[OP_READY] = { "READY", op_ready, 0, CHILD },
	[OP_WAIT_START] = { "WAIT_START", op_wait_start, 0, CHILD },
	[OP_SECCOMP] = { "SECCOMP", op_seccomp, 2, CHILD },
	[OP_CLOSE_FDS] = { "CLOSE_FDS", op_close_fds, 1, CHILD },
	[OP_EXEC] = { "EXEC", op_exec, -1, CHILD },
	[OP_OOM_SCORE] = { "OOM_SCORE", op_oom_score, 1, CHILD },
	[OP_SETGROUPS_DENY] = { "SETGROUPS_DENY", op_reserved, 0, CHILD },
	[OP_PTY] = { "PTY", op_pty, 2, CHILD },
	[OP_DUMPABLE] = { "DUMPABLE", op_dumpable, 1, CHILD },
	[OP_DEFAULT_HOME] = { "DEFAULT_HOME", op_default_home, 1, CHILD },
	[OP_PERSONALITY] = { "PERSONALITY", op_personality, 1, CHILD },
	[OP_SCHEDULER] = { "SCHEDULER", op_scheduler, 7, CHILD },
	[OP_IOPRIO] = { "IOPRIO", op_ioprio, 1, CHILD },
	[OP_MEMPOLICY] = { "MEMPOLICY", op_mempolicy, 2, CHILD },
	[OP_MOUNT_SETATTR] = { "MOUNT_SETATTR", op_mount_setattr, 6, CHILD },
	[OP_WRITE_PARENT] = { "WRITE_PARENT", op_write_parent, 2, PARENT },
	[OP_HOOK] = { "HOOK", op_hook, -1, CHILD },
	[OP_NETDEV] = { "NETDEV", op_netdev, 3, CHILD },
	[OP_SECCOMP_NOTIFY] = { "SECCOMP_NOTIFY", op_seccomp_notify, 3, CHILD },
	[OP_MOUNT_TREE] = { "MOUNT_TREE", op_mount_tree, 5, CHILD },
	[OP_MKDIR] = { "MKDIR", op_mkdir, 1, CHILD },
	[OP_ROOT_PARENT_PRIVATE] = { "ROOT_PARENT_PRIVATE", op_root_parent_private, 1, CHILD },
	[OP_CPU_AFFINITY] = { "CPU_AFFINITY", op_cpu_affinity, 2, EITHER },
};

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Read exactly one plan message (Node's "G" bytes follow on the same socket) and check it. */
static void read_plan(void)
{
	unsigned char head[8];
	if (read_full(ctlfd, head, sizeof head) < 0)
		die(0, "bad plan: short read");
	uint32_t len = le32(head + 4);
	if (le32(head) != PLAN_MAGIC || len > PLAN_MAX)
		die(0, "bad plan: bad magic or length");
	unsigned char *buf = malloc(len ? len : 1);
	if (!buf || read_full(ctlfd, buf, len) < 0)
		die(0, "bad plan: short read");

	size_t cap = 0, off = 0;
	while (off < len) {
		if (len - off < 4)
			die(0, "bad plan: truncated record");
		if (plan_n == cap) {
			cap = cap ? cap * 2 : 64;
			plan = realloc(plan, cap * sizeof *plan);
			if (!plan)
				die(ENOMEM, "bad plan");
		}
		struct op *o = &plan[plan_n++];
		o->code = (uint16_t)(buf[off] | buf[off + 1] << 8);
		o->argc = (uint16_t)(buf[off + 2] | buf[off + 3] << 8);
		o->fd = -1;
		off += 4;
		o->argv = calloc(o->argc + 1u, sizeof *o->argv);
		o->len = calloc(o->argc + 1u, sizeof *o->len);
		if (!o->argv || !o->len)
			die(ENOMEM, "bad plan");
		for (unsigned i = 0; i < o->argc; i++) {
			if (len - off < 4 || len - off - 4 < le32(buf + off))
				die(0, "bad plan: truncated record");
			uint32_t n = le32(buf + off);
			off += 4;
			if (!(o->argv[i] = malloc(n + 1u)))
				die(ENOMEM, "bad plan");
			memcpy(o->argv[i], buf + off, n);
			o->argv[i][n] = '\0';
			o->len[i] = n;
			off += n;
		}
		const struct op_def *d = o->code < OP_MAX ? &ops[o->code] : NULL;
		if (!d || !d->fn)
			die(0, "bad plan: unknown op %u", o->code);
		if (d->argc >= 0 ? o->argc != d->argc : o->argc < 1)
			die(0, "bad plan: %s takes %d arguments, got %u", d->name, d->argc, o->argc);
	}
	free(buf);
}

static void __attribute__((noreturn)) usage(void)
{
	static const char text[] =
		"usage: oci-ts-shim <ctlfd>\n"
		"Runs the plan that oci-ts sends on the control socket <ctlfd>; not meant to be run by hand.\n";
	write_all(2, text, sizeof text - 1);
	_exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		write_all(1, SHIM_VERSION "\n", sizeof SHIM_VERSION);
		return 0;
	}
	char *end;
	long fd = argc == 2 ? strtol(argv[1], &end, 10) : -1;
	if (argc != 2 || *argv[1] == '\0' || *end != '\0' || fd < 3 || fd > INT_MAX)
		usage();
	ctlfd = (int)fd;
	/* Node hands the socket over blocking-or-not and inheritable; we need blocking + CLOEXEC
	 * so that a successful execve is what closes it (Node's success signal for exec). */
	int fl = fcntl(ctlfd, F_GETFL);
	if (fl < 0 || fcntl(ctlfd, F_SETFL, fl & ~O_NONBLOCK) < 0 || fcntl(ctlfd, F_SETFD, FD_CLOEXEC) < 0) {
		ctlfd = -1;
		die(errno, "control fd %ld", fd);
	}

	read_plan();
	for (cur = 0; cur < plan_n; cur++) {
		const struct op_def *d = &ops[plan[cur].code];
		if (d->phase != EITHER && (d->phase == CHILD) != in_child)
			die(0, "bad plan: %s is a %s-phase op", d->name, d->phase == CHILD ? "child" : "parent");
		d->fn(&plan[cur]);
	}
	/* A plan without EXEC (tests, or a failed exec plan) ends here. */
	return 0;
}
