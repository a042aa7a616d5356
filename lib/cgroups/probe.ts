/**
 * Find the mounted cgroup hierarchies from /proc/self/mountinfo (pure parsing; the only I/O is
 * the lazy read of a cgroup2 mount's cgroup.controllers on first access of `.controllers`).
 *
 * Modes:
 *  - 'v1':      v1 hierarchies with controllers, no cgroup2 mount
 *  - 'hybrid':  v1 hierarchies with controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified)
 *  - 'unified': no v1 controller hierarchy, a cgroup2 mount (usually /sys/fs/cgroup)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hierarchy, HostCgroups } from './types';

export interface MountInfoEntry {
  id: number;
  parent: number;
  device: string;
  root: string;
  mountpoint: string;
  options: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

/** Undo the octal escapes of mountinfo (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 10 || sep < 0 || fields.length < sep + 3) continue;
    out.push({
      id: Number(fields[0]),
      parent: Number(fields[1]),
      device: fields[2] ?? '',
      root: unescapeMountField(fields[3] ?? '/'),
      mountpoint: unescapeMountField(fields[4] ?? ''),
      options: (fields[5] ?? '').split(','),
      fstype: fields[sep + 1] ?? '',
      source: unescapeMountField(fields[sep + 2] ?? ''),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

/**
 * The v1 controller names. A v1 mount's super options mix controllers with generic and LSM
 * options (rw, xattr, seclabel, release_agent=..., name=...), so only known names count.
 */
export const V1_CONTROLLERS = new Set([
  'cpuset', 'cpu', 'cpuacct', 'blkio', 'io', 'memory', 'devices', 'freezer', 'net_cls', 'perf_event',
  'net_prio', 'hugetlb', 'pids', 'rdma', 'misc', 'debug',
]);

function readControllersFile(mountpoint: string): string[] {
  try {
    return fs.readFileSync(path.join(mountpoint, 'cgroup.controllers'), 'utf8').split(/\s+/).filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** A v2 hierarchy whose `controllers` are read from <mountpoint>/cgroup.controllers on first access. */
export function lazyV2Hierarchy(mountpoint: string, root?: string, read: (mp: string) => string[] = readControllersFile): Hierarchy {
  const h = { kind: 'v2', mountpoint } as Hierarchy;
  let cached: string[] | undefined;
  Object.defineProperty(h, 'controllers', {
    enumerable: true,
    configurable: true,
    get(): string[] {
      if (cached === undefined) cached = read(mountpoint);
      return cached;
    },
    set(v: string[]) {
      cached = v;
    },
  });
  if (root !== undefined && root !== '/') h.root = root;
  return h;
}

export function hierarchiesFromMountinfo(text: string, read?: (mp: string) => string[]): Hierarchy[] {
  const out: Hierarchy[] = [];
  const seen = new Set<string>();
  for (const m of parseMountinfo(text)) {
    if (m.fstype === 'cgroup') {
      const controllers: string[] = [];
      let name: string | undefined;
      for (const opt of m.superOptions) {
        if (opt.startsWith('name=')) name = opt.slice(5);
        else if (V1_CONTROLLERS.has(opt)) controllers.push(opt);
      }
      if (controllers.length === 0 && name === undefined) continue;
      controllers.sort(); // the kernel may print "cpuacct,cpu": keys are "cpu,cpuacct"
      // The same hierarchy may be mounted twice (bind mounts): keep the first.
      const key = hierarchyKey({ kind: 'v1', mountpoint: m.mountpoint, controllers, ...(name !== undefined ? { name } : {}) });
      if (seen.has(key)) continue;
      seen.add(key);
      const h: Hierarchy = { kind: 'v1', mountpoint: m.mountpoint, controllers };
      if (name !== undefined) h.name = name;
      if (m.root !== '/') h.root = m.root;
      out.push(h);
    } else if (m.fstype === 'cgroup2') {
      if (seen.has('unified')) continue;
      seen.add('unified');
      out.push(lazyV2Hierarchy(m.mountpoint, m.root, read));
    }
  }
  return out;
}

export function modeOf(hierarchies: Hierarchy[]): HostCgroups['mode'] {
  const hasV1 = hierarchies.some((h) => h.kind === 'v1' && h.controllers.length > 0);
  const hasV2 = hierarchies.some((h) => h.kind === 'v2');
  if (hasV1) return hasV2 ? 'hybrid' : 'v1';
  return hasV2 ? 'unified' : 'v1';
}

/** Parse mountinfo (default: this process's) into the host's cgroup layout. */
export function probeHost(mountinfo: string = fs.readFileSync('/proc/self/mountinfo', 'utf8'), read?: (mp: string) => string[]): HostCgroups {
  const hierarchies = hierarchiesFromMountinfo(mountinfo, read);
  return { mode: modeOf(hierarchies), hierarchies };
}

/** "cpu,cpuacct", "name=systemd", "cpu,name=foo", or "unified" for cgroup2. */
export function hierarchyKey(h: Hierarchy): string {
  if (h.kind === 'v2') return 'unified';
  const parts = [...h.controllers];
  if (h.name !== undefined) parts.push(`name=${h.name}`);
  return parts.join(',');
}
