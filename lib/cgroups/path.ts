/**
 * Where a container's cgroup goes.
 *
 * cgroupfs driver: an absolute linux.cgroupsPath is used as given (normalised); a relative one
 * is placed under the hierarchy root `/` (runc joins relative paths to the caller's own cgroup;
 * we never nest containers under the runtime caller's cgroup, whose limits would then apply and
 * which may be deleted by whoever owns it); no path gives `/oci-ts/<id>`. `..` is refused.
 *
 * systemd driver (`--systemd-cgroup`, path `slice:prefix:name`): only validated here; without a
 * running systemd it is an error. The driver itself is not implemented yet.
 */
import * as fs from 'node:fs';
import { OciError, configError } from '../errors';

const POINTER = '/linux/cgroupsPath';

export const DEFAULT_PARENT = '/oci-ts';

export function resolveCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') {
    if (id === '' || id.includes('/') || id === '.' || id === '..' || id.includes('\0')) {
      throw new OciError('config', `invalid container id for a cgroup name: ${JSON.stringify(id)}`);
    }
    return `${DEFAULT_PARENT}/${id}`;
  }
  if (cgroupsPath.includes('\0')) throw configError('config.json', POINTER, 'must not contain NUL bytes');
  const parts: string[] = [];
  for (const part of cgroupsPath.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw configError('config.json', POINTER, `must not contain ".." components: ${cgroupsPath}`);
    parts.push(part);
  }
  if (parts.length === 0) throw configError('config.json', POINTER, `must not be the root cgroup: ${cgroupsPath}`);
  return '/' + parts.join('/');
}

export interface SystemdCgroupPath {
  slice: string;
  prefix: string;
  name: string;
}

/** Parse `slice:prefix:name` (runc's format for --systemd-cgroup). */
export function parseSystemdCgroupPath(cgroupsPath: string): SystemdCgroupPath {
  const parts = cgroupsPath.split(':');
  if (parts.length !== 3) {
    throw configError('config.json', POINTER, `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(cgroupsPath)} instead`);
  }
  const [slice, prefix, name] = parts as [string, string, string];
  if (name === '') throw configError('config.json', POINTER, `systemd cgroup name must not be empty: ${JSON.stringify(cgroupsPath)}`);
  for (const p of parts) {
    if (p.includes('/')) throw configError('config.json', POINTER, `systemd cgroup path components must not contain "/": ${JSON.stringify(cgroupsPath)}`);
  }
  return { slice, prefix, name };
}

export function systemdRunning(): boolean {
  return fs.existsSync('/run/systemd/system');
}

/**
 * Validate a --systemd-cgroup request. Always throws for now: when systemd is absent with the
 * runc-like error, otherwise because the driver is not implemented yet.
 */
export function checkSystemdDriver(cgroupsPath: string | undefined, id: string, running: boolean = systemdRunning()): never {
  // runc's default for --systemd-cgroup without a path is system.slice:runc:<id>.
  parseSystemdCgroupPath(cgroupsPath === undefined || cgroupsPath === '' ? `system.slice:oci-ts:${id}` : cgroupsPath);
  if (!running) {
    throw new OciError('config', 'systemd cgroup driver: systemd is not running on this host', { pointer: POINTER });
  }
  throw new OciError('config', 'systemd cgroup driver: not implemented yet (run without --systemd-cgroup)', { pointer: POINTER });
}
