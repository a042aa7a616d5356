/**
 * The config.json that `oci-ts spec` writes: the same template as `runc spec` (a shell in a
 * read-only "rootfs" directory, a small capability set, the usual /proc, /dev, /sys mounts, masked
 * and read-only kernel paths) with hostname "oci-ts" and ociVersion 1.3.0.
 *
 * `rootless: true` gives the variant for an unprivileged user (`runc spec --rootless`): a user
 * namespace mapping container root to the calling user, no network namespace (it could not be
 * given an interface), /sys bind-mounted from the host instead of a new sysfs (which needs a
 * network namespace owned by the container's user namespace), no cgroup mount and no cgroup
 * resources (an unprivileged user may not be able to use either), and no uid=/gid= mount options
 * (those IDs are not mapped).
 */
import type { Linux, Mount, Namespace, Spec } from './types';

export const DEFAULT_OCI_VERSION = '1.3.0';

export interface DefaultSpecOptions {
  rootless: boolean;
  /** Host user and group mapped to container root when rootless; default: the effective IDs of this process. */
  hostUid?: number;
  hostGid?: number;
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function mounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function currentId(get: (() => number) | undefined): number {
  return typeof get === 'function' ? get() : 0;
}

export function defaultSpec(opts: DefaultSpecOptions): Spec {
  const namespaces: Namespace[] = [
    { type: 'pid' },
    { type: 'network' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ];

  const linux: Linux = {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces,
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
  };
  const spec: Spec = {
    ociVersion: DEFAULT_OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'oci-ts',
    mounts: mounts(),
    linux,
  };

  if (!opts.rootless) return spec;

  linux.namespaces = namespaces.filter((ns) => ns.type !== 'network');
  linux.namespaces.push({ type: 'user' });
  linux.uidMappings = [{ containerID: 0, hostID: opts.hostUid ?? currentId(process.geteuid), size: 1 }];
  linux.gidMappings = [{ containerID: 0, hostID: opts.hostGid ?? currentId(process.getegid), size: 1 }];
  delete linux.resources;

  spec.mounts = mounts()
    .filter((m) => m.type !== 'cgroup')
    .map((m): Mount => {
      if (m.destination === '/sys') {
        return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
      }
      const options = m.options?.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid='));
      return options === undefined ? m : { ...m, options };
    });
  return spec;
}
