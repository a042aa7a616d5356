/**
 * state.json is read back by every call, and the calls act on what it says: they signal its pid,
 * remove its cgroup directories, kill the processes listed in them and run its hooks. A damaged
 * or foreign file must therefore give a clear error, never a JavaScript TypeError halfway through
 * a delete, and never make delete or kill touch anything that is not a cgroup below a cgroup
 * mount (an rmdir of any empty host directory, or a `kill -9` of everything in the root cgroup).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError } from '../errors';
import type { ContainerRecord } from './store';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

function bad(id: string, what: string): OciError {
  return new OciError('system', `invalid state file for container ${id}: ${what}`);
}

/** JSON.parse of a state file, with a runtime-style error instead of a SyntaxError. */
export function parseRecordText(text: string, id: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bad(id, 'not valid JSON');
  }
}

function checkHooks(hooks: unknown, id: string): void {
  if (!isObj(hooks)) throw bad(id, 'hooks is not an object');
  for (const [point, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) throw bad(id, `hooks.${point} is not a list`);
    list.forEach((h: unknown, i) => {
      if (!isObj(h) || !isStr(h.path) || h.path === '') throw bad(id, `hooks.${point}[${i}] has no path`);
      if (h.args !== undefined && !isStrArray(h.args)) throw bad(id, `hooks.${point}[${i}].args is not a list of strings`);
      if (h.env !== undefined && !isStrArray(h.env)) throw bad(id, `hooks.${point}[${i}].env is not a list of strings`);
      if (h.timeout !== undefined && (typeof h.timeout !== 'number' || !Number.isFinite(h.timeout))) throw bad(id, `hooks.${point}[${i}].timeout is not a number`);
    });
  }
}

function isCgroupMount(dir: string): boolean {
  try {
    const t = Number(fs.statfsSync(dir).type);
    return t === CGROUP_SUPER_MAGIC || t === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * The persisted cgroup: a non-root path without `..`, hierarchies mounted as cgroup file
 * systems, and `created` (what destroy() removes) made only of that path's directories in them.
 */
function checkCgroup(cg: unknown, id: string, mounts: boolean): void {
  if (!isObj(cg) || !isStr(cg.path) || !Array.isArray(cg.hierarchies) || !isStrArray(cg.created)) throw bad(id, 'cgroup is malformed');
  const parts = cg.path.split('/').filter((p) => p !== '' && p !== '.');
  if (!cg.path.startsWith('/') || parts.length === 0 || parts.includes('..') || cg.path.includes('\0')) throw bad(id, `cgroup path ${JSON.stringify(cg.path)}`);
  const allowed = new Set<string>();
  for (const h of cg.hierarchies as unknown[]) {
    if (!isObj(h) || !isStr(h.mountpoint) || !path.isAbsolute(h.mountpoint) || !isStrArray(h.controllers)) throw bad(id, 'cgroup hierarchy is malformed');
    if (mounts) checkMount(h.mountpoint, id);
    let cur = path.normalize(h.mountpoint);
    for (const p of parts) {
      cur = path.join(cur, p);
      allowed.add(cur);
    }
  }
  for (const d of cg.created) if (!allowed.has(d)) throw bad(id, `cgroup directory ${JSON.stringify(d)} is not the container's`);
}

function checkMount(mountpoint: string, id: string): void {
  if (!isCgroupMount(mountpoint)) throw bad(id, `cgroup hierarchy ${JSON.stringify(mountpoint)} is not a cgroup file system`);
}

/**
 * The statfs of every hierarchy a record names (about ten on a v1 host): only what writes to or
 * removes cgroup files needs it, so `state` and `list` skip it in checkRecord and call this
 * before the one write they may make (thawing a freeze left by a dead kill --all).
 */
export function checkCgroupMounts(rec: ContainerRecord): void {
  const cg = rec.cgroup as { hierarchies?: Array<{ mountpoint: string }> } | undefined;
  for (const h of cg?.hierarchies ?? []) checkMount(h.mountpoint, rec.id);
}

export interface CheckOptions {
  /** Also check that the cgroup hierarchies are cgroup file systems (default true). */
  cgroupMounts?: boolean;
}

/** Check the fields later calls rely on; returns the record typed. */
export function checkRecord(raw: unknown, id: string, opts: CheckOptions = {}): ContainerRecord {
  if (!isObj(raw)) throw bad(id, 'not a JSON object');
  if (raw.runtime !== 'oci-ts' || raw.id !== id) throw new OciError('system', `invalid state file for container ${id}`);
  if (typeof raw.pid !== 'number' || !Number.isSafeInteger(raw.pid) || raw.pid < 0) throw bad(id, 'pid');
  for (const k of ['ociVersion', 'initStartTime', 'bundle', 'rootfs', 'created', 'owner'] as const) {
    if (!isStr(raw[k])) throw bad(id, `${k} is not a string`);
  }
  if (!/^\d*$/.test(raw.initStartTime as string)) throw bad(id, 'initStartTime is not a number');
  if (raw.bundle !== '' && !path.isAbsolute(raw.bundle as string)) throw bad(id, 'bundle is not an absolute path');
  for (const k of ['newPidNamespace', 'creating'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean') throw bad(id, `${k} is not a boolean`);
  }
  if (raw.annotations !== undefined && (!isObj(raw.annotations) || !Object.values(raw.annotations).every(isStr))) throw bad(id, 'annotations');
  if (raw.namespaces !== undefined && (!isObj(raw.namespaces) || !Object.values(raw.namespaces).every(isStr))) throw bad(id, 'namespaces');
  if (raw.hooks !== undefined) checkHooks(raw.hooks, id);
  if (raw.cgroup !== undefined) checkCgroup(raw.cgroup, id, opts.cgroupMounts !== false);
  return raw as unknown as ContainerRecord;
}
