/**
 * Pure value conversions and validation shared by the v1 and v2 managers (no I/O here).
 */
import { configError } from '../errors';
import { unavailable } from './io';
import type { DeviceRule } from '../spec/types';

/** runc: cpu.shares (2..262144) -> cpu.weight (1..10000); 0 means unset. */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares < 2) return 1;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** runc: blkio.weight (10..1000) -> io.weight (1..10000); 0 means unset. */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  if (weight < 10) return 1;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** v2 limit text: 0 -> unset (undefined), -1 -> "max", otherwise the number. */
export function v2Limit(n: number | undefined): string | undefined {
  if (n === undefined || n === 0) return undefined;
  if (n === -1) return 'max';
  return intText(n);
}

export function intText(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : String(Math.trunc(n));
}

/**
 * runtime-spec memory.swap is memory+swap (the v1 memsw value); v2 memory.swap.max is swap only.
 * Returns the memory.swap.max text, or undefined when nothing should be written. Throws a config
 * error naming /linux/resources/memory/swap for impossible combinations.
 */
export function memorySwapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  const s = swap ?? 0;
  const m = limit ?? 0;
  const ptr = '/linux/resources/memory/swap';
  // Memory unlimited and swap not given: make swap unlimited too (cgroup v1 compatibility).
  if (m === -1 && s === 0) return 'max';
  if (s === -1) return 'max';
  if (s === 0) return undefined;
  if (m === 0 || m === -1) throw unavailable(ptr, 'unable to set swap limit without memory limit');
  if (m < 0) throw configError('config.json', '/linux/resources/memory/limit', `invalid memory value: ${m}`);
  if (s < m) throw unavailable(ptr, 'memory+swap limit should be >= memory limit');
  // swap == limit means "no swap": write 0.
  return intText(s - m);
}

/** pids.limit: -1 or 0 (or any value <= 0) -> "max". */
export function pidsLimitText(limit: number): string {
  return limit <= 0 ? 'max' : intText(limit);
}

export interface NormalRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number | '*';
  minor: number | '*';
  access: string;
}

/** The devices every container gets (after the config's rules), as runc's AllowedDevices. */
export const DEFAULT_DEVICE_RULES: readonly NormalRule[] = [
  { allow: true, type: 'c', major: '*', minor: '*', access: 'm' }, // mknod any char device
  { allow: true, type: 'b', major: '*', minor: '*', access: 'm' }, // mknod any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: '*', access: 'rwm' }, // /dev/pts/*
];

/** Validate and normalise linux.resources.devices (type default "a", wildcard major/minor, access "rwm"). */
export function normalizeDeviceRules(rules: DeviceRule[] | undefined): NormalRule[] {
  const out: NormalRule[] = [];
  (rules ?? []).forEach((r, i) => {
    const ptr = `/linux/resources/devices/${i}`;
    const type = r.type ?? 'a';
    if (type !== 'a' && type !== 'b' && type !== 'c') throw configError('config.json', `${ptr}/type`, `invalid device type ${JSON.stringify(type)}: must be "a", "b" or "c"`);
    const access = r.access ?? 'rwm';
    if (access === '' || !/^[rwm]+$/.test(access) || new Set(access).size !== access.length) {
      throw configError('config.json', `${ptr}/access`, `invalid device access ${JSON.stringify(access)}: must be a combination of "r", "w" and "m"`);
    }
    const num = (v: number | null | undefined, field: string): number | '*' => {
      if (v === undefined || v === null || v === -1) return '*';
      if (!Number.isInteger(v) || v < 0) throw configError('config.json', `${ptr}/${field}`, `invalid device ${field} ${v}`);
      return v;
    };
    out.push({ allow: r.allow, type, major: num(r.major, 'major'), minor: num(r.minor, 'minor'), access });
  });
  return out;
}

/** The rules to write: the config's, then the defaults. */
export function effectiveDeviceRules(rules: DeviceRule[] | undefined): NormalRule[] {
  return [...normalizeDeviceRules(rules), ...DEFAULT_DEVICE_RULES];
}

/** devices.allow / devices.deny line: `c 1:3 rwm`, `a *:* rwm`. */
export function deviceRuleText(r: NormalRule): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/** `hugepages-2048kB` -> `2MB` (the names hugetlb cgroup files use). */
export function hugepageSizeName(kB: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = kB;
  let u = 0;
  while (v >= 1024 && v % 1024 === 0 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v}${units[u]}`;
}

export function validHugepageSize(s: string): boolean {
  return /^[1-9][0-9]*(KB|MB|GB|TB)$/.test(s);
}

/** "maj:min value" for blkio weight_device / throttle files. */
export function devValue(major: number, minor: number, value: number | string): string {
  return `${major}:${minor} ${typeof value === 'number' ? intText(value) : value}`;
}

/** rdma.max line: `mlx5_1 hca_handle=3 hca_object=1000`. */
export function rdmaLine(device: string, l: { hcaHandles?: number; hcaObjects?: number }): string {
  let s = device;
  if (l.hcaHandles !== undefined) s += ` hca_handle=${intText(l.hcaHandles)}`;
  if (l.hcaObjects !== undefined) s += ` hca_object=${intText(l.hcaObjects)}`;
  return s;
}

/** JSON-pointer escape one token. */
export function ptrToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
