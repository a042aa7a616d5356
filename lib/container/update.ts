/**
 * `update`: change the cgroup limits of a live container.
 *
 * Input: runc's flags and/or `--resources FILE|-` (a runtime-spec LinuxResources object; `-` is
 * stdin). Docker's shim sends `update --resources - <id>` with JSON on stdin, podman
 * `update --resources=<file> <id>`. When both a file and flags are given, the flags win for the
 * fields they set (runc ignores the flags in that case; oci-ts merges).
 *
 * Zero means "leave unchanged" (Docker sends shares 0, weight 0, reservation 0, kernel 0): the
 * request is reduced to the fields that change something (`effectiveChanges`) and given to the
 * cgroup manager's apply(), which validates everything before it writes anything. Device rules
 * are not changed by update (runc ignores them too). The merged resources are kept in the state
 * record (`resources`), so a later update or events sees what is in force.
 *
 * Refused: a stopped container ("container not running", runc's ErrNotRunning from Set), and
 * Intel RDT schemas (no resctrl support here).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realIo } from '../cgroups/io';
import { loadCgroupManager, type PersistedCgroup } from '../cgroups/manager';
import type { UpdateOptions } from '../cli/argv';
import { OciError } from '../errors';
import { faultAfterWrite, faultPoint } from '../fault';
import { debug } from '../log';
import type { Resources } from '../spec/types';
import { statusOf } from './lifecycle';
import { lockContainer } from './lock';
import { sleepMs } from './proc';
import { containerDir, requireRecord, saveRecord, type ContainerRecord } from './store';

/** The state record with the resources in force (written by update). */
export type RecordWithResources = ContainerRecord & { resources?: Resources };

// ---- validation of a LinuxResources document ---------------------------------------------------

type Scalar = 'int64' | 'uint64' | 'uint32' | 'uint16' | 'string' | 'bool';
type Schema =
  | { t: Scalar }
  | { t: 'object'; fields: Record<string, Schema>; required?: string[] }
  | { t: 'array'; items: Schema }
  | { t: 'map'; values: Schema };

const i64: Schema = { t: 'int64' };
const u64: Schema = { t: 'uint64' };
const u32: Schema = { t: 'uint32' };
const u16: Schema = { t: 'uint16' };
const str: Schema = { t: 'string' };
const bool: Schema = { t: 'bool' };
const obj = (fields: Record<string, Schema>, required?: string[]): Schema => ({ t: 'object', fields, ...(required ? { required } : {}) });
const arr = (items: Schema): Schema => ({ t: 'array', items });
const map = (values: Schema): Schema => ({ t: 'map', values });

const THROTTLE = obj({ major: i64, minor: i64, rate: u64 }, ['major', 'minor', 'rate']);

/** runtime-spec LinuxResources with the Go types of runc's decoder. */
const RESOURCES_SCHEMA: Schema = obj({
  devices: arr(obj({ allow: bool, type: str, major: i64, minor: i64, access: str }, ['allow'])),
  memory: obj({
    limit: i64, reservation: i64, swap: i64, kernel: i64, kernelTCP: i64, swappiness: u64,
    disableOOMKiller: bool, useHierarchy: bool, checkBeforeUpdate: bool,
  }),
  cpu: obj({
    shares: u64, quota: i64, burst: u64, period: u64, realtimeRuntime: i64, realtimePeriod: u64, cpus: str, mems: str, idle: i64,
  }),
  pids: obj({ limit: i64 }),
  blockIO: obj({
    weight: u16, leafWeight: u16,
    weightDevice: arr(obj({ major: i64, minor: i64, weight: u16, leafWeight: u16 }, ['major', 'minor'])),
    throttleReadBpsDevice: arr(THROTTLE), throttleWriteBpsDevice: arr(THROTTLE),
    throttleReadIOPSDevice: arr(THROTTLE), throttleWriteIOPSDevice: arr(THROTTLE),
  }),
  hugepageLimits: arr(obj({ pageSize: str, limit: u64 }, ['pageSize', 'limit'])),
  network: obj({ classID: u32, priorities: arr(obj({ name: str, priority: u32 }, ['name', 'priority'])) }),
  rdma: map(obj({ hcaHandles: u32, hcaObjects: u32 })),
  unified: map(str),
});

const RANGES: Record<'int64' | 'uint64' | 'uint32' | 'uint16', [number, number]> = {
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint32: [0, 0xffffffff],
  uint16: [0, 0xffff],
};

function escapeToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/**
 * Check v against schema and return a copy with null members removed (Go's decoder leaves a
 * pointer nil for null) and unknown members dropped (Go ignores them). Throws with the pointer.
 */
function check(v: unknown, schema: Schema, ptr: string, fail: (ptr: string, reason: string) => never): unknown {
  switch (schema.t) {
    case 'string':
      if (typeof v !== 'string') fail(ptr, `must be a string, not ${typeName(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') fail(ptr, `must be a boolean, not ${typeName(v)}`);
      return v;
    case 'int64':
    case 'uint64':
    case 'uint32':
    case 'uint16': {
      if (typeof v !== 'number') fail(ptr, `must be a number (${schema.t}), not ${typeName(v)}`);
      const n = v as number;
      if (!Number.isInteger(n)) fail(ptr, `must be an integer (${schema.t}), not ${n}`);
      const [lo, hi] = RANGES[schema.t];
      if (n < lo || n > hi) {
        const why = schema.t === 'int64' || schema.t === 'uint64' ? ` (values beyond ±2^53 cannot be represented exactly)` : '';
        fail(ptr, `${n} is out of range for ${schema.t}: must be between ${lo} and ${hi}${why}`);
      }
      return n;
    }
    case 'array': {
      if (!Array.isArray(v)) fail(ptr, `must be an array, not ${typeName(v)}`);
      return (v as unknown[]).map((x, i) => check(x, schema.items, `${ptr}/${i}`, fail));
    }
    case 'map':
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(ptr, `must be an object, not ${typeName(v)}`);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const p = `${ptr}/${escapeToken(k)}`;
        if (x === null) continue;
        if (schema.t === 'map') {
          out[k] = check(x, schema.values, p, fail);
          continue;
        }
        const sub = schema.fields[k];
        if (sub === undefined) {
          debug(`update: ignoring unknown resources field ${p}`);
          continue;
        }
        out[k] = check(x, sub, p, fail);
      }
      if (schema.t === 'object') {
        for (const r of schema.required ?? []) if (out[r] === undefined) fail(`${ptr}/${escapeToken(r)}`, 'is required');
      }
      return out;
    }
  }
}

/**
 * Parse and validate a LinuxResources document. `source` names it in errors ('stdin' or the
 * file path); errors name the JSON pointer inside the document, e.g.
 * `invalid resources (stdin): /memory/limit: must be a number (int64), not a string`.
 */
export function parseResources(text: string, source: string): Resources {
  const fail = (ptr: string, reason: string): never => {
    throw new OciError('config', `invalid resources (${source}): ${ptr === '' ? '/' : ptr}: ${reason}`, { pointer: ptr });
  };
  if (text.trim() === '') fail('', 'empty input: expected a LinuxResources JSON object');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OciError('config', `invalid resources (${source}): not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return check(doc, RESOURCES_SCHEMA, '', fail) as Resources;
}

// ---- flags, zero values, merging ---------------------------------------------------------------

type Memory = NonNullable<Resources['memory']>;
type Cpu = NonNullable<Resources['cpu']>;
type BlockIOLike = Record<string, unknown>;

/** runc update's flags as a LinuxResources object (only the flags that were given). */
export function flagsToResources(o: UpdateOptions): Resources {
  const r: Resources = {};
  const memory: Memory = {};
  if (o.memory !== undefined) memory.limit = o.memory;
  if (o.memoryReservation !== undefined) memory.reservation = o.memoryReservation;
  if (o.memorySwap !== undefined) memory.swap = o.memorySwap;
  if (Object.keys(memory).length > 0) r.memory = memory;
  const cpu: Cpu = {};
  if (o.cpuShare !== undefined) cpu.shares = o.cpuShare;
  if (o.cpuQuota !== undefined) cpu.quota = o.cpuQuota;
  if (o.cpuPeriod !== undefined) cpu.period = o.cpuPeriod;
  if (o.cpuBurst !== undefined) cpu.burst = o.cpuBurst;
  if (o.cpuRtPeriod !== undefined) cpu.realtimePeriod = o.cpuRtPeriod;
  if (o.cpuRtRuntime !== undefined) cpu.realtimeRuntime = o.cpuRtRuntime;
  if (o.cpusetCpus !== undefined) cpu.cpus = o.cpusetCpus;
  if (o.cpusetMems !== undefined) cpu.mems = o.cpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (o.pidsLimit !== undefined) r.pids = { limit: o.pidsLimit };
  if (o.blkioWeight !== undefined) r.blockIO = { weight: o.blkioWeight };
  return r;
}

const SECTIONS = ['memory', 'cpu', 'pids', 'blockIO', 'network'] as const;

/** `top` over `bottom`, per section (memory, cpu, ...): fields set in top win. */
export function overlayResources(bottom: Resources, top: Resources): Resources {
  const out: Resources = { ...bottom, ...top };
  for (const k of SECTIONS) {
    const b = bottom[k] as Record<string, unknown> | undefined;
    const t = top[k] as Record<string, unknown> | undefined;
    if (b !== undefined && t !== undefined) (out as Record<string, unknown>)[k] = { ...b, ...t };
  }
  for (const k of ['rdma', 'unified'] as const) {
    if (bottom[k] !== undefined && top[k] !== undefined) (out as Record<string, unknown>)[k] = { ...bottom[k], ...top[k] };
  }
  return out;
}

function nonZero(v: number | undefined): v is number {
  return v !== undefined && v !== 0;
}

/**
 * The part of a request that changes something: zero (and empty) values mean "unchanged" and
 * are dropped, as are device rules (update does not change them; runc ignores them too).
 */
export function effectiveChanges(r: Resources): Resources {
  const out: Resources = {};
  const m = r.memory;
  if (m !== undefined) {
    const o: Memory = {};
    if (nonZero(m.limit)) o.limit = m.limit;
    if (nonZero(m.reservation)) o.reservation = m.reservation;
    if (nonZero(m.swap)) o.swap = m.swap;
    if (nonZero(m.kernel)) o.kernel = m.kernel;
    if (nonZero(m.kernelTCP)) o.kernelTCP = m.kernelTCP;
    if (m.swappiness !== undefined) o.swappiness = m.swappiness;
    if (m.disableOOMKiller === true) o.disableOOMKiller = true;
    if (m.checkBeforeUpdate === true) o.checkBeforeUpdate = true;
    if (Object.keys(o).length > 0 && !(Object.keys(o).length === 1 && o.checkBeforeUpdate === true)) out.memory = o;
  }
  const c = r.cpu;
  if (c !== undefined) {
    const o: Cpu = {};
    if (nonZero(c.shares)) o.shares = c.shares;
    if (nonZero(c.quota)) o.quota = c.quota;
    if (nonZero(c.period)) o.period = c.period;
    if (c.burst !== undefined) o.burst = c.burst; // 0 is a value (no burst); absent is "unchanged"
    if (nonZero(c.realtimeRuntime)) o.realtimeRuntime = c.realtimeRuntime;
    if (nonZero(c.realtimePeriod)) o.realtimePeriod = c.realtimePeriod;
    if ((c.cpus ?? '') !== '') o.cpus = c.cpus as string;
    if ((c.mems ?? '') !== '') o.mems = c.mems as string;
    if (c.idle !== undefined) o.idle = c.idle;
    if (Object.keys(o).length > 0) out.cpu = o;
  }
  if (nonZero(r.pids?.limit)) out.pids = { limit: r.pids?.limit as number };
  const b = r.blockIO as BlockIOLike | undefined;
  if (b !== undefined) {
    const o: BlockIOLike = {};
    for (const k of ['weight', 'leafWeight']) if (nonZero(b[k] as number | undefined)) o[k] = b[k];
    for (const k of ['weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
      const list = b[k] as unknown[] | undefined;
      if (list !== undefined && list.length > 0) o[k] = list;
    }
    if (Object.keys(o).length > 0) out.blockIO = o;
  }
  if ((r.hugepageLimits ?? []).length > 0) out.hugepageLimits = r.hugepageLimits as NonNullable<Resources['hugepageLimits']>;
  const n = r.network;
  if (n !== undefined) {
    const o: NonNullable<Resources['network']> = {};
    if (nonZero(n.classID)) o.classID = n.classID;
    if ((n.priorities ?? []).length > 0) o.priorities = n.priorities as NonNullable<typeof n.priorities>;
    if (Object.keys(o).length > 0) out.network = o;
  }
  if (Object.keys(r.rdma ?? {}).length > 0) out.rdma = r.rdma as NonNullable<Resources['rdma']>;
  if (Object.keys(r.unified ?? {}).length > 0) out.unified = r.unified as NonNullable<Resources['unified']>;
  return out;
}

/** The resources in force after `changes` (already reduced by effectiveChanges) were applied over `base`. */
export function mergeResources(base: Resources, changes: Resources): Resources {
  const out = overlayResources(base, changes);
  // Per-device and per-size lists: replace entries for the same device / page size.
  const bb = base.blockIO as BlockIOLike | undefined;
  const cb = changes.blockIO as BlockIOLike | undefined;
  if (bb !== undefined && cb !== undefined) {
    const merged: BlockIOLike = { ...bb, ...cb };
    for (const k of ['weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']) {
      const a = (bb[k] as Array<{ major: number; minor: number }> | undefined) ?? [];
      const c = cb[k] as Array<{ major: number; minor: number }> | undefined;
      if (c === undefined) continue;
      merged[k] = [...a.filter((x) => !c.some((y) => y.major === x.major && y.minor === x.minor)), ...c];
    }
    out.blockIO = merged;
  }
  if (base.hugepageLimits !== undefined && changes.hugepageLimits !== undefined) {
    const c = changes.hugepageLimits;
    out.hugepageLimits = [...base.hugepageLimits.filter((x) => !c.some((y) => y.pageSize === x.pageSize)), ...c];
  }
  if (base.network?.priorities !== undefined && changes.network?.priorities !== undefined) {
    const c = changes.network.priorities;
    out.network = { ...out.network, priorities: [...base.network.priorities.filter((x) => !c.some((y) => y.name === x.name)), ...c] };
  }
  return out;
}

// ---- the verb ----------------------------------------------------------------------------------

/** Read all of fd (stdin may be a non-blocking pipe: EAGAIN is waited out). */
function readAllFd(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        sleepMs(2);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `-` is stdin, anything else a file. */
export function readResourcesSource(source: string): string {
  if (source === '-') return readAllFd(0);
  try {
    return fs.readFileSync(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const text = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code.toLowerCase();
    throw new OciError('config', `open ${source}: ${text}`, { cause: err });
  }
}

/** The resources in force before the first update: the config create applied (best effort). */
function initialResources(rec: ContainerRecord): Resources {
  if (rec.config !== undefined) return (rec.config.linux?.resources ?? {}) as Resources;
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(rec.bundle, 'config.json'), 'utf8')) as { linux?: { resources?: Resources } };
    return spec.linux?.resources ?? {};
  } catch {
    return {};
  }
}

/** The request from the flags and --resources: validated, merged, reduced to what changes. */
export function updateRequest(o: UpdateOptions, read: (source: string) => string = readResourcesSource): Resources {
  if ((o.l3CacheSchema ?? '') !== '') {
    throw new OciError('config', 'Intel RDT/CAT: l3 cache schema is not enabled (oci-ts has no Intel RDT / resctrl support)');
  }
  if ((o.memBwSchema ?? '') !== '') {
    throw new OciError('config', 'Intel RDT/MBA: memory bandwidth schema is not enabled (oci-ts has no Intel RDT / resctrl support)');
  }
  let requested: Resources = {};
  if (o.resources !== undefined && o.resources !== '') {
    requested = parseResources(read(o.resources), o.resources === '-' ? 'stdin' : o.resources);
  }
  return effectiveChanges(overlayResources(requested, flagsToResources(o)));
}

/**
 * Apply an update to a running, created or paused container and record the result. Returns the
 * resources now in force (as recorded).
 */
export function updateContainer(root: string, o: UpdateOptions, read: (source: string) => string = readResourcesSource): Resources {
  requireRecord(root, o.id); // "container does not exist" before any input problem
  const changes = updateRequest(o, read);
  const lock = lockContainer(containerDir(root, o.id), o.id);
  try {
    faultPoint('update-after-lock');
    const rec = requireRecord(root, o.id) as RecordWithResources;
    const status = statusOf(root, rec);
    if (status === 'stopped') throw new OciError('state', 'container not running');
    if (status === 'creating') throw new OciError('state', 'cannot update a container that is still being created');
    if (rec.cgroup === undefined) throw new OciError('system', `container ${o.id} has no cgroup`);
    const cg = loadCgroupManager(rec.cgroup as PersistedCgroup, { io: faultAfterWrite(realIo, 'update-mid-apply') });
    cg.apply(changes);
    // The record follows the cgroup: a crash between the two leaves the old (whole) record and
    // limits already in force; the caller's retry of the same update writes both again.
    faultPoint('update-before-record');
    rec.resources = mergeResources(rec.resources ?? initialResources(rec), changes);
    saveRecord(root, rec);
    return rec.resources;
  } finally {
    lock.release();
  }
}
