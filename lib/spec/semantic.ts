/**
 * Semantic checks of a config.json (or an `exec --process` file) that already passed the JSON
 * schema: the rules that involve more than one field, or that a schema cannot say clearly.
 *
 * Everything here is pure (no file system, no syscalls), so it works on any Spec object, including
 * one built in code. The `*Issues` functions return every problem found, in document order; the
 * `check*` functions throw the first one as a config OciError:
 * `config.json /linux/namespaces/2/type: duplicate namespace type "pid" (first at /linux/namespaces/0)`.
 */
import { configError } from '../errors';
import type { Hooks, NamespaceType, Process, Spec } from './types';

/** One problem: the JSON pointer of the offending field and a lower-case human reason. */
export interface Issue {
  pointer: string;
  reason: string;
}

/** The config versions this runtime reads: 1.0.0 through 1.3.x (any pre-release or build suffix). */
export const OCI_VERSION_MAJOR = 1;
export const OCI_VERSION_MINOR_MAX = 3;

export const NAMESPACE_TYPES: readonly NamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/** The resource names setrlimit(2) knows on Linux. */
export const RLIMIT_NAMES: ReadonlySet<string> = new Set([
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
]);

/** Capability names are checked for syntax only; unknown names are the runtime's to warn about. */
export const CAPABILITY_SYNTAX = /^CAP_[A-Z_]+$/;

const CAPABILITY_SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;
const HOOK_KINDS: ReadonlyArray<keyof Hooks> = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
const TIME_CLOCKS: ReadonlySet<string> = new Set(['boottime', 'monotonic']);

/** JSON pointer (RFC 6901) from path segments: `pointer('linux', 'sysctl', 'a/b')` is `/linux/sysctl/a~1b`. */
export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/');
}

function hasDotDot(p: string): boolean {
  return p.split('/').includes('..');
}

/**
 * Why `version` is not a supported ociVersion, or undefined when it is. The schema has already
 * checked the SemVer syntax; this decides the range (major 1, minor 0 to 3).
 */
export function ociVersionProblem(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/s.exec(version);
  if (!m) return 'must be a semantic version such as 1.3.0';
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== OCI_VERSION_MAJOR || minor > OCI_VERSION_MINOR_MAX) {
    return `unsupported version ${version}: this runtime supports ${OCI_VERSION_MAJOR}.0.0 through ${OCI_VERSION_MAJOR}.${OCI_VERSION_MINOR_MAX}.x`;
  }
  return undefined;
}

/** runc accepts '/' in place of '.' in sysctl names (sysctl.d(5)); normalise to the dotted form. */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** Sysctls that belong to the IPC namespace (SysV IPC and POSIX message queues). */
function isIpcSysctl(name: string): boolean {
  return /^kernel\.(shm[a-z_]*|msg[a-z_]*|sem|sem_next_id)$/.test(name) || name.startsWith('fs.mqueue.');
}

/**
 * The namespace a sysctl belongs to (dotted name), or undefined when it is global. user.* are the
 * per-user-namespace limits (user_namespaces(7)); runc accepts them with a user namespace too.
 */
export function sysctlNamespace(name: string): NamespaceType | undefined {
  if (isIpcSysctl(name)) return 'ipc';
  if (name.startsWith('net.')) return 'network';
  if (name === 'kernel.hostname' || name === 'kernel.domainname') return 'uts';
  if (name.startsWith('user.')) return 'user';
  return undefined;
}

function isValidInterfaceName(name: string): boolean {
  // IFNAMSIZ is 16 including the NUL; dev_valid_name() also refuses '.', '..', '/', ':' and spaces.
  return name.length > 0 && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

/** Every semantic problem of a Process. `base` is its pointer: '/process' in config.json, '' in a process.json. */
export function processIssues(proc: Process, base = '/process'): Issue[] {
  const out: Issue[] = [];
  const add = (ptr: string, reason: string): void => {
    out.push({ pointer: ptr, reason });
  };

  if (!proc.commandLine) {
    if (proc.args === undefined) add(`${base}/args`, 'is required');
    else if (proc.args.length === 0) add(`${base}/args`, 'must be a non-empty array');
  }

  proc.env?.forEach((kv, i) => {
    const eq = kv.indexOf('=');
    if (eq < 0) add(`${base}/env/${i}`, 'must have the form NAME=value');
    else if (eq === 0) add(`${base}/env/${i}`, 'must have a non-empty variable name');
  });

  if (!isAbsolutePath(proc.cwd)) add(`${base}/cwd`, 'must be an absolute path');

  if (proc.capabilities) {
    for (const set of CAPABILITY_SETS) {
      proc.capabilities[set]?.forEach((cap, i) => {
        if (!CAPABILITY_SYNTAX.test(cap)) add(`${base}/capabilities/${set}/${i}`, 'must be a capability name such as CAP_KILL');
      });
    }
  }

  const seen = new Map<string, number>();
  proc.rlimits?.forEach((rl, i) => {
    const at = `${base}/rlimits/${i}`;
    if (!RLIMIT_NAMES.has(rl.type)) {
      add(`${at}/type`, `unknown resource limit ${rl.type}`);
    } else if (seen.has(rl.type)) {
      add(`${at}/type`, `duplicate resource limit ${rl.type} (first at ${base}/rlimits/${seen.get(rl.type)})`);
    } else {
      seen.set(rl.type, i);
    }
    if (rl.soft > rl.hard) add(`${at}/soft`, `must not be greater than hard (${rl.soft} > ${rl.hard})`);
  });

  const s = proc.scheduler;
  if (s) {
    if (s.nice !== undefined && (s.nice < -20 || s.nice > 19)) add(`${base}/scheduler/nice`, 'must be between -20 and 19');
    if (s.priority !== undefined && s.priority !== 0 && s.policy !== 'SCHED_FIFO' && s.policy !== 'SCHED_RR') {
      add(`${base}/scheduler/priority`, 'can only be set for the SCHED_FIFO and SCHED_RR policies');
    }
    if (s.policy !== 'SCHED_DEADLINE') {
      for (const f of ['runtime', 'deadline', 'period'] as const) {
        if (s[f] !== undefined && s[f] !== 0) add(`${base}/scheduler/${f}`, 'can only be set for the SCHED_DEADLINE policy');
      }
    }
  }
  return out;
}

/** Every semantic problem of a config.json that passed the schema, in document order. */
export function configIssues(spec: Spec): Issue[] {
  const out: Issue[] = [];
  const add = (ptr: string, reason: string): void => {
    out.push({ pointer: ptr, reason });
  };

  const versionProblem = ociVersionProblem(spec.ociVersion);
  if (versionProblem) add('/ociVersion', versionProblem);

  // root.path may be relative: it is resolved against the bundle directory.
  if (!spec.root) add('/root', 'is required');
  else if (spec.root.path === '') add('/root/path', 'must be a non-empty path');

  if (!spec.process) add('/process', 'is required');
  else out.push(...processIssues(spec.process, '/process'));

  // Namespaces first: several rules below depend on them.
  const linux = spec.linux ?? {};
  const namespaces = new Map<NamespaceType, { index: number; path: string | undefined }>();
  linux.namespaces?.forEach((ns, i) => {
    const prev = namespaces.get(ns.type);
    if (prev) {
      add(`/linux/namespaces/${i}/type`, `duplicate namespace type "${ns.type}" (first at /linux/namespaces/${prev.index})`);
      return;
    }
    const path = ns.path === undefined || ns.path === '' ? undefined : ns.path;
    if (path !== undefined && !isAbsolutePath(path)) add(`/linux/namespaces/${i}/path`, 'must be an absolute path');
    namespaces.set(ns.type, { index: i, path });
  });
  const has = (t: NamespaceType): boolean => namespaces.has(t);
  const joinedAt = (t: NamespaceType): string | undefined => {
    const ns = namespaces.get(t);
    return ns?.path === undefined ? undefined : `/linux/namespaces/${ns.index}/path`;
  };

  // Like runc, a uts namespace that is joined by path may still get the hostname written: engines
  // (CRI-O pods, for one) send hostname with a joined uts namespace.
  for (const field of ['hostname', 'domainname'] as const) {
    const value = spec[field];
    if (typeof value === 'string' && value !== '' && !has('uts')) {
      add(`/${field}`, 'requires a uts namespace in /linux/namespaces');
    }
  }

  spec.mounts?.forEach((m, i) => {
    // runc accepts a relative destination (with a deprecation warning) and treats it as relative
    // to '/'; oci-ts refuses it, as the spec requires an absolute path.
    if (!isAbsolutePath(m.destination)) add(`/mounts/${i}/destination`, 'must be an absolute path');
  });

  if (spec.hooks) {
    for (const kind of HOOK_KINDS) {
      spec.hooks[kind]?.forEach((h, i) => {
        if (!isAbsolutePath(h.path)) add(`/hooks/${kind}/${i}/path`, 'must be an absolute path');
      });
    }
  }

  // User namespace and ID mappings.
  const userJoined = joinedAt('user');
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    const maps = linux[key];
    if (maps && maps.length > 0) {
      if (!has('user')) add(`/linux/${key}`, 'requires a user namespace in /linux/namespaces');
      else if (userJoined) add(`/linux/${key}`, `cannot be set when the user namespace is joined (${userJoined})`);
      maps.forEach((m, i) => {
        if (m.size < 1) add(`/linux/${key}/${i}/size`, 'must be at least 1');
      });
    } else if (has('user') && !userJoined) {
      add(`/linux/${key}`, 'is required when a new user namespace is created');
    }
  }

  if (linux.timeOffsets) {
    const clocks = Object.keys(linux.timeOffsets);
    if (clocks.length > 0) {
      const timeJoined = joinedAt('time');
      if (!has('time')) add('/linux/timeOffsets', 'requires a time namespace in /linux/namespaces');
      else if (timeJoined) add('/linux/timeOffsets', `cannot be set when the time namespace is joined (${timeJoined})`);
    }
    for (const clock of clocks) {
      if (!TIME_CLOCKS.has(clock)) add(pointer('linux', 'timeOffsets', clock), 'unknown clock (must be boottime or monotonic)');
    }
  }

  linux.devices?.forEach((d, i) => {
    const at = `/linux/devices/${i}`;
    if (!isAbsolutePath(d.path)) add(`${at}/path`, 'must be an absolute path');
    // config-linux.md: "The path MAY be anywhere in the container filesystem, notably outside
    // of /dev"; it is created inside the rootfs whatever its symlinks say (the shim's in-root
    // resolution), and ".." is refused to keep the intent plain.
    else if (hasDotDot(d.path) || d.path === '/') add(`${at}/path`, 'must name a file in the container (no ".." components)');
    if (d.type !== 'p') {
      if (d.major === undefined) add(`${at}/major`, `is required for device type ${d.type}`);
      if (d.minor === undefined) add(`${at}/minor`, `is required for device type ${d.type}`);
    }
  });

  if (linux.netDevices) {
    const names = Object.keys(linux.netDevices);
    if (names.length > 0 && !has('network')) add('/linux/netDevices', 'requires a network namespace in /linux/namespaces');
    for (const name of names) {
      const at = pointer('linux', 'netDevices', name);
      if (!isValidInterfaceName(name)) add(at, 'is not a valid network interface name');
      const rename = linux.netDevices[name]?.name;
      if (rename !== undefined && rename !== '' && !isValidInterfaceName(rename)) add(`${at}/name`, 'is not a valid network interface name');
    }
  }

  if (linux.cgroupsPath !== undefined && linux.cgroupsPath.split(/[/:]/).includes('..')) {
    add('/linux/cgroupsPath', 'must not contain ".." components');
  }

  if (linux.sysctl) {
    for (const key of Object.keys(linux.sysctl)) {
      const name = normalizeSysctlName(key);
      const at = pointer('linux', 'sysctl', key);
      const ns = sysctlNamespace(name);
      if (ns === undefined) add(at, `sysctl ${name} is not in a separate kernel namespace`);
      else if (!has(ns)) add(at, `sysctl ${name} requires ${ns === 'ipc' ? 'an' : 'a'} ${ns} namespace`);
    }
  }

  for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
    linux[key]?.forEach((p, i) => {
      if (!isAbsolutePath(p)) add(`/linux/${key}/${i}`, 'must be an absolute path');
    });
  }

  const mp = linux.memoryPolicy;
  if (mp) {
    const nodes = mp.nodes?.trim() ?? '';
    if ((mp.mode === 'MPOL_DEFAULT' || mp.mode === 'MPOL_LOCAL') && nodes !== '') {
      add('/linux/memoryPolicy/nodes', `must be empty for ${mp.mode}`);
    }
    if (['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'].includes(mp.mode) && nodes === '') {
      add('/linux/memoryPolicy/nodes', `is required for ${mp.mode}`);
    }
  }

  return out;
}

/** Throw the first semantic problem of a config as `<file> <pointer>: <reason>`. */
export function checkConfigSemantics(spec: Spec, file = 'config.json'): void {
  const first = configIssues(spec)[0];
  if (first) throw configError(file, first.pointer, first.reason);
}

/** Throw the first semantic problem of a stand-alone process.json (pointers relative to its root). */
export function checkProcessSemantics(proc: Process, file: string): void {
  const first = processIssues(proc, '')[0];
  if (first) throw configError(file, first.pointer, first.reason);
}
