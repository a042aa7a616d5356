/*
 * probe: the conformance suite's eyes inside a container.
 *
 * Run as the container's process, it prints ONE JSON object on stdout describing what the
 * process sees from the inside: credentials, capabilities and other /proc/self/status fields
 * (as raw text), cwd, uname, umask, rlimits, environment, namespace inodes, personality,
 * scheduling, I/O priority and a few /proc/self files. The test compares that with config.json.
 *
 * Arguments ask for more, per path (each may repeat):
 *   --stat PATH    lstat + statvfs + readlink + directory entry count
 *   --read PATH    the first 64 KiB of the file (e.g. /proc/sys/..., a masked path)
 *   --wopen PATH   errno of open(O_WRONLY) (0: it opened; nothing is written)
 *   --mkdir PATH   errno of mkdir(PATH, 0700) (0: made, and removed again)
 *
 * Pure C, no dependencies: built `musl-gcc -static -Os` so it runs in any rootfs. It never
 * aborts on a failed look-up: a failure is reported as an errno next to the field.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* Writes s as a JSON string. Bytes >= 0x80 pass through (the reader decodes UTF-8). */
static void jstr_n(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      putchar('\\');
      putchar(c);
    } else if (c == '\n') {
      fputs("\\n", stdout);
    } else if (c == '\t') {
      fputs("\\t", stdout);
    } else if (c < 0x20 || c == 0x7f) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

static void jstr(const char *s) { jstr_n(s, strlen(s)); }

/* `"key":` with a leading comma unless it is the first member of its object. */
static void key(int *first, const char *k) {
  if (!*first) putchar(',');
  *first = 0;
  jstr(k);
  putchar(':');
}

/* {"errno":N} when the file cannot be read, else {"data":"..."}. */
static void file_json(const char *path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    printf("{\"errno\":%d}", errno);
    return;
  }
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      printf("{\"errno\":%d}", e);
      return;
    }
    if (r == 0 || (len += (size_t)r) == sizeof buf) break;
  }
  close(fd);
  fputs("{\"data\":", stdout);
  jstr_n(buf, len);
  putchar('}');
}

static char file_type(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return 'f';
    case S_IFDIR: return 'd';
    case S_IFLNK: return 'l';
    case S_IFCHR: return 'c';
    case S_IFBLK: return 'b';
    case S_IFIFO: return 'p';
    case S_IFSOCK: return 's';
    default: return '?';
  }
}

/* Number of entries besides . and .., or -errno. */
static long dir_entries(const char *path) {
  DIR *d = opendir(path);
  if (!d) return -(long)errno;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

static void stat_json(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    printf("{\"errno\":%d}", errno);
    return;
  }
  printf("{\"errno\":0,\"type\":\"%c\",\"mode\":%u,\"uid\":%u,\"gid\":%u,\"major\":%u,\"minor\":%u,\"size\":%lld",
         file_type(st.st_mode), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
         major(st.st_rdev), minor(st.st_rdev), (long long)st.st_size);
  struct statvfs vfs;
  if (statvfs(path, &vfs) == 0) printf(",\"readonly\":%s", (vfs.f_flag & ST_RDONLY) ? "true" : "false");
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n >= 0) {
      fputs(",\"link\":", stdout);
      jstr_n(target, (size_t)n);
    }
  }
  if (S_ISDIR(st.st_mode)) printf(",\"entries\":%ld", dir_entries(path));
  putchar('}');
}

static int wopen_errno(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

static int mkdir_errno(const char *path) {
  if (mkdir(path, 0700) != 0) return errno;
  rmdir(path);
  return 0;
}

static const char *const RLIMITS[] = {
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
  "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

static const char *const NAMESPACES[] = {
  "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts",
};

/* Files that every probe reports, raw: the test parses them. */
static const char *const PROC_FILES[] = {
  "/proc/self/status", "/proc/self/mountinfo", "/proc/self/cgroup", "/proc/self/oom_score_adj",
  "/proc/self/uid_map", "/proc/self/gid_map", "/proc/self/setgroups", "/proc/self/timens_offsets",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Request lists from argv: the op of each path, in order. */
enum op { OP_STAT, OP_READ, OP_WOPEN, OP_MKDIR, OP_COUNT };
static const char *const OP_FLAGS[OP_COUNT] = { "--stat", "--read", "--wopen", "--mkdir" };
static const char *const OP_KEYS[OP_COUNT] = { "stat", "read", "wopen", "mkdir" };

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i += 2) {
    int known = 0;
    for (int o = 0; o < OP_COUNT; o++) known |= strcmp(argv[i], OP_FLAGS[o]) == 0;
    if (!known || i + 1 >= argc) {
      fprintf(stderr, "probe: usage: probe [--stat|--read|--wopen|--mkdir PATH]...\n");
      return 2;
    }
  }

  /* umask can only be read by setting it: set it back at once. */
  mode_t mask = umask(0);
  umask(mask);

  int first = 1;
  putchar('{');

  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  key(&first, "uid");
  printf("[%u,%u,%u]", ru, eu, su);
  key(&first, "gid");
  printf("[%u,%u,%u]", rg, eg, sg);

  static gid_t groups[NGROUPS_MAX];
  int ng = getgroups(NGROUPS_MAX, groups);
  key(&first, "groups");
  putchar('[');
  for (int i = 0; i < ng; i++) printf("%s%u", i ? "," : "", groups[i]);
  putchar(']');

  char cwd[PATH_MAX];
  key(&first, "cwd");
  if (getcwd(cwd, sizeof cwd)) {
    jstr(cwd);
  } else {
    printf("null");
    key(&first, "cwdErrno");
    printf("%d", errno);
  }

  struct utsname u;
  if (uname(&u) == 0) {
    key(&first, "uname");
    fputs("{\"nodename\":", stdout);
    jstr(u.nodename);
    fputs(",\"domainname\":", stdout);
    jstr(u.domainname);
    fputs(",\"machine\":", stdout);
    jstr(u.machine);
    putchar('}');
  }

  key(&first, "umask");
  printf("%u", (unsigned)mask);

  /* rlim_t is 64-bit and RLIM_INFINITY does not fit a JSON number exactly: strings. */
  key(&first, "rlimits");
  putchar('{');
  for (unsigned i = 0; i < N(RLIMITS); i++) {
    struct rlimit rl;
    if (getrlimit((int)i, &rl) != 0) continue;
    printf("%s\"%s\":[\"%llu\",\"%llu\"]", i ? "," : "", RLIMITS[i], (unsigned long long)rl.rlim_cur,
           (unsigned long long)rl.rlim_max);
  }
  putchar('}');

  key(&first, "env");
  putchar('[');
  for (char **e = environ; e && *e; e++) {
    if (e != environ) putchar(',');
    jstr(*e);
  }
  putchar(']');

  /* Namespace identity is the nsfs inode of /proc/self/ns/<type> (null: not supported). */
  key(&first, "ns");
  putchar('{');
  for (unsigned i = 0; i < N(NAMESPACES); i++) {
    char p[64];
    struct stat st;
    snprintf(p, sizeof p, "/proc/self/ns/%s", NAMESPACES[i]);
    printf("%s\"%s\":", i ? "," : "", NAMESPACES[i]);
    if (stat(p, &st) == 0) printf("%llu", (unsigned long long)st.st_ino);
    else printf("null");
  }
  putchar('}');

  key(&first, "personality");
  printf("%d", personality(0xffffffff));

  /* Policy, static priority and nice. Raw syscalls: musl's sched_get* wrappers return ENOSYS
   * (Linux schedules threads, not processes), and ioprio_get has no wrapper at all. */
  struct sched_param sp = { 0 };
  long policy = syscall(SYS_sched_getscheduler, 0);
  syscall(SYS_sched_getparam, 0, &sp);
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  key(&first, "sched");
  printf("{\"policy\":%ld,\"priority\":%d,\"nice\":%d}", policy, sp.sched_priority, errno ? 0 : nice);
  key(&first, "ioprio");
  printf("%ld", syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));

  key(&first, "files");
  putchar('{');
  for (unsigned i = 0; i < N(PROC_FILES); i++) {
    if (i) putchar(',');
    jstr(PROC_FILES[i]);
    putchar(':');
    file_json(PROC_FILES[i]);
  }
  putchar('}');

  /* One object per op, keyed by path, in argument order. */
  for (int o = 0; o < OP_COUNT; o++) {
    key(&first, OP_KEYS[o]);
    putchar('{');
    int firstPath = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
      if (strcmp(argv[i], OP_FLAGS[o]) != 0) continue;
      key(&firstPath, argv[i + 1]);
      switch (o) {
        case OP_STAT: stat_json(argv[i + 1]); break;
        case OP_READ: file_json(argv[i + 1]); break;
        case OP_WOPEN: printf("%d", wopen_errno(argv[i + 1])); break;
        case OP_MKDIR: printf("%d", mkdir_errno(argv[i + 1])); break;
      }
    }
    putchar('}');
  }

  puts("}");
  return fflush(stdout) == 0 ? 0 : 1;
}
