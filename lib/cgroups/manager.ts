/**
 * The cgroup manager used by create/delete (and later pause/resume/update/ps/kill --all/events).
 *
 * One interface (CgroupManager), two implementations chosen by probing /proc/self/mountinfo:
 *  - v1 and hybrid hosts: V1Manager over every mounted hierarchy (plus the cgroup2 one on hybrid)
 *  - unified hosts:       V2Manager over the cgroup2 hierarchy
 * The manager serialises itself (toJSON) into state.json; loadCgroupManager() rebuilds it from
 * that record alone, so `delete` never depends on flags or on re-probing.
 */
import { OciError } from '../errors';
import { realIo } from './io';
import { checkSystemdDriver, resolveCgroupPath } from './path';
import { probeHost } from './probe';
import { V1Manager } from './v1';
import { V2Manager } from './v2';
import type { CgroupIo, CgroupManager, Hierarchy, HostCgroups, PersistedCgroup } from './types';

export type { BlockIO, CgroupIo, CgroupManager, Hierarchy, HostCgroups, PersistedCgroup, Resources } from './types';
export type { CgroupStats } from './stats';
export type { OomTarget, OomWatcher } from './oom';

export interface NewCgroupManagerOptions {
  /** linux.cgroupsPath from config.json. */
  cgroupsPath?: string | undefined;
  id: string;
  /** --systemd-cgroup */
  systemd?: boolean | undefined;
  /** The probed host layout (default: probeHost()). */
  host?: HostCgroups | undefined;
  /** File-system operations (default: the real cgroupfs). */
  io?: CgroupIo | undefined;
  /** Whether systemd runs (default: /run/systemd/system exists). */
  systemdRunning?: boolean | undefined;
}

export function newCgroupManager(opts: NewCgroupManagerOptions): CgroupManager {
  if (opts.systemd === true) checkSystemdDriver(opts.cgroupsPath, opts.id, opts.systemdRunning);
  const cgPath = resolveCgroupPath(opts.cgroupsPath, opts.id);
  const host = opts.host ?? probeHost();
  const io = opts.io ?? realIo;
  if (host.mode === 'unified') {
    const v2 = host.hierarchies.find((h) => h.kind === 'v2');
    if (v2 === undefined) throw new OciError('system', 'no cgroup2 hierarchy mounted');
    return new V2Manager({ path: cgPath, hierarchies: [v2], io });
  }
  const hierarchies = host.hierarchies.filter((h) => h.kind === 'v1');
  if (hierarchies.length === 0) throw new OciError('system', 'no cgroup file system mounted');
  // Hybrid: the cgroup2 hierarchy gets the directory (and the processes) too, as with runc.
  const v2 = host.mode === 'hybrid' ? host.hierarchies.find((h) => h.kind === 'v2') : undefined;
  if (v2 !== undefined) hierarchies.push(v2);
  return new V1Manager({ path: cgPath, hierarchies, io });
}

export function loadCgroupManager(p: PersistedCgroup, opts: { io?: CgroupIo } = {}): CgroupManager {
  if (p === null || typeof p !== 'object' || typeof p.path !== 'string' || !Array.isArray(p.hierarchies) || !Array.isArray(p.created)) {
    throw new OciError('system', 'invalid persisted cgroup state');
  }
  const io = opts.io ?? realIo;
  const hierarchies: Hierarchy[] = p.hierarchies.map((h) => {
    const o: Hierarchy = { kind: h.kind, mountpoint: h.mountpoint, controllers: [...h.controllers] };
    if (h.name !== undefined) o.name = h.name;
    if (h.root !== undefined) o.root = h.root;
    return o;
  });
  const init = { path: p.path, hierarchies, created: p.created, io };
  if (p.version === 'v2') return new V2Manager(init);
  if (p.version === 'v1') return new V1Manager(init);
  throw new OciError('system', `invalid persisted cgroup version ${JSON.stringify(p.version)}`);
}

export { probeHost, hierarchyKey, parseMountinfo } from './probe';
export { resolveCgroupPath, parseSystemdCgroupPath, checkSystemdDriver } from './path';
export { cpuSharesToWeight, blkioWeightToIoWeight, memorySwapToV2, DEFAULT_DEVICE_RULES } from './convert';
