/**
 * Container statistics for `events`, in the shape of runc's types/events.go (`Stats`), read from
 * the cgroup files the same way libcontainer does:
 *
 *  - cgroup v1: cpuacct.{usage,usage_percpu,usage_all,stat} and cpu.stat; cpuset.*; memory.stat
 *    and memory.{,memsw.,kmem.,kmem.tcp.}{usage_in_bytes,max_usage_in_bytes,failcnt,
 *    limit_in_bytes}; pids.{current,max}; blkio (BFQ, then CFQ, then throttle files, the first
 *    group that has entries); hugetlb.<size>.{usage_in_bytes,max_usage_in_bytes,failcnt}.
 *    On a hybrid host hugetlb (when only the cgroup2 hierarchy offers it) and the PSI files
 *    (cpu/memory/io.pressure) come from the cgroup2 directory of the container.
 *  - cgroup v2: cpu.stat, memory.{stat,current,max,peak,events}, memory.swap.{current,max,peak}
 *    (reported as memory+swap, like runc, for v1 compatibility), pids.*, io.stat, hugetlb.*,
 *    cpuset.{cpus,mems}.effective and the PSI files.
 *
 * Counters are uint64 in the kernel, and some (v1 "unlimited" limits, 2^63 - 4096) do not fit a
 * JS number, so every counter is a bigint and `statsJson()` writes them as plain JSON numbers.
 * Optional fields follow the Go struct tags: `omitempty` fields are left out when zero/empty.
 * Everything here is pure given a CgroupIo: unit tests run it over fake cgroup files.
 */
import * as path from 'node:path';
import { errCode } from './io';
import type { CgroupIo } from './types';

/** Go's math.MaxUint64: what libcontainer reports for "max". */
export const MAX_UINT64 = 18446744073709551615n;

export interface PsiData {
  avg10: number;
  avg60: number;
  avg300: number;
  total: bigint;
}

export interface PsiStats {
  some?: PsiData;
  full?: PsiData;
}

export interface CpuUsage {
  total?: bigint;
  percpu?: bigint[];
  percpu_kernel?: bigint[];
  percpu_user?: bigint[];
  kernel: bigint;
  user: bigint;
}

export interface Throttling {
  periods?: bigint;
  throttledPeriods?: bigint;
  throttledTime?: bigint;
}

export interface CpuStats {
  usage: CpuUsage;
  throttling: Throttling;
  psi?: PsiStats;
}

export interface CpusetStats {
  cpus?: number[];
  cpu_exclusive: bigint;
  mems?: number[];
  mem_hardwall: bigint;
  mem_exclusive: bigint;
  memory_migrate: bigint;
  memory_spread_page: bigint;
  memory_spread_slab: bigint;
  memory_pressure: bigint;
  memory_pressure_enabled: bigint;
  sched_load_balance: bigint;
  sched_relax_domain_level: bigint;
}

export interface MemoryEntry {
  limit: bigint;
  usage?: bigint;
  max?: bigint;
  failcnt: bigint;
}

export interface MemoryStats {
  cache?: bigint;
  usage: MemoryEntry;
  swap: MemoryEntry;
  kernel: MemoryEntry;
  kernelTCP: MemoryEntry;
  raw?: Record<string, bigint>;
  psi?: PsiStats;
}

export interface PidsStats {
  current?: bigint;
  limit?: bigint;
}

export interface BlkioEntry {
  major?: bigint;
  minor?: bigint;
  op?: string;
  value?: bigint;
}

export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
  ioQueueRecursive?: BlkioEntry[];
  ioServiceTimeRecursive?: BlkioEntry[];
  ioWaitTimeRecursive?: BlkioEntry[];
  ioMergedRecursive?: BlkioEntry[];
  ioTimeRecursive?: BlkioEntry[];
  sectorsRecursive?: BlkioEntry[];
  psi?: PsiStats;
}

export interface HugetlbStats {
  usage?: bigint;
  max?: bigint;
  failcnt: bigint;
}

/** runc types.Stats (the `data` of a `stats` event). */
export interface CgroupStats {
  cpu: CpuStats;
  cpuset: CpusetStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
  hugetlb: Record<string, HugetlbStats>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

// ---- small readers --------------------------------------------------------------------------

/** The file's text, or undefined when it does not exist. */
export function readOptional(io: CgroupIo, dir: string, file: string): string | undefined {
  try {
    return io.read(path.join(dir, file));
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENODEV' || code === 'EOPNOTSUPP') return undefined;
    throw err;
  }
}

/** libcontainer's ParseUint: "max" -> MaxUint64, a negative number -> 0. */
export function parseU64(text: string): bigint {
  const t = text.trim();
  if (t === 'max') return MAX_UINT64;
  if (/^-\d+$/.test(t)) return 0n;
  if (!/^\d+$/.test(t)) throw new Error(`cannot parse ${JSON.stringify(t)} as uint64`);
  const v = BigInt(t);
  return v > MAX_UINT64 ? MAX_UINT64 : v;
}

function readU64(io: CgroupIo, dir: string, file: string): bigint | undefined {
  const t = readOptional(io, dir, file);
  if (t === undefined || t.trim() === '') return undefined;
  return parseU64(t);
}

/** `key value` lines (memory.stat, cpu.stat, memory.events, ...). Malformed lines are skipped. */
export function parseKeyValues(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 2 || f[0] === '') continue;
    try {
      out.set(f[0] as string, parseU64(f[1] as string));
    } catch {
      // not a number: skipped
    }
  }
  return out;
}

function readKeyValues(io: CgroupIo, dir: string, file: string): Map<string, bigint> | undefined {
  const t = readOptional(io, dir, file);
  return t === undefined ? undefined : parseKeyValues(t);
}

/** A whitespace-separated list of numbers (cpuacct.usage_percpu). */
export function parseU64List(text: string): bigint[] {
  return text.split(/\s+/).filter((s) => s !== '').map(parseU64);
}

/** cpuset list syntax: `0-3,5,7-8` -> [0,1,2,3,5,7,8]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) throw new Error(`invalid cpuset list ${JSON.stringify(text.trim())}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b && i <= 0xffff; i++) out.push(i);
  }
  return out;
}

/** A PSI file (`some avg10=0.00 avg60=0.00 avg300=0.00 total=0`, and a `full` line). */
export function parsePsi(text: string): PsiStats {
  const out: PsiStats = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const kind = f[0];
    if (kind !== 'some' && kind !== 'full') continue;
    const d: PsiData = { avg10: 0, avg60: 0, avg300: 0, total: 0n };
    for (const kv of f.slice(1)) {
      const [k, v = ''] = kv.split('=');
      if (k === 'avg10' || k === 'avg60' || k === 'avg300') d[k] = Number(v) || 0;
      else if (k === 'total' && /^\d+$/.test(v)) d.total = BigInt(v);
    }
    out[kind] = d;
  }
  return out;
}

function readPsi(io: CgroupIo, dir: string | undefined, file: string): PsiStats | undefined {
  if (dir === undefined) return undefined;
  let t: string | undefined;
  try {
    t = readOptional(io, dir, file);
  } catch {
    return undefined; // EOPNOTSUPP and friends when PSI is disabled (psi=0)
  }
  if (t === undefined || t.trim() === '') return undefined;
  return parsePsi(t);
}

/** A v1 blkio stats file: `8:0 Read 4096`, `8:0 4096` (sectors, time), `Total 4096` (skipped). */
export function parseBlkioFile(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/[\s:]+/).filter((s) => s !== '');
    if (f.length === 0) continue;
    if (f.length < 3) continue; // "Total N"
    if (!/^\d+$/.test(f[0] as string) || !/^\d+$/.test(f[1] as string)) continue;
    const op = f.length >= 4 ? (f[2] as string) : '';
    const value = f[f.length >= 4 ? 3 : 2] as string;
    if (!/^\d+$/.test(value)) continue;
    out.push(blkioEntry(BigInt(f[0] as string), BigInt(f[1] as string), op, BigInt(value)));
  }
  return out;
}

/** Go's omitempty: zero values are left out. */
function blkioEntry(major: bigint, minor: bigint, op: string, value: bigint): BlkioEntry {
  const e: BlkioEntry = {};
  if (major !== 0n) e.major = major;
  if (minor !== 0n) e.minor = minor;
  if (op !== '') e.op = op;
  if (value !== 0n) e.value = value;
  return e;
}

/** v2 io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0` -> v1-style tables. */
export function parseIoStat(text: string): BlkioStats {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (dev === null) continue;
    const major = BigInt(dev[1] as string);
    const minor = BigInt(dev[2] as string);
    for (const item of f.slice(1)) {
      const [k, v = ''] = item.split('=');
      if (!/^\d+$/.test(v)) continue;
      const value = BigInt(v);
      if (k === 'rbytes') bytes.push(blkioEntry(major, minor, 'Read', value));
      else if (k === 'wbytes') bytes.push(blkioEntry(major, minor, 'Write', value));
      else if (k === 'rios') ios.push(blkioEntry(major, minor, 'Read', value));
      else if (k === 'wios') ios.push(blkioEntry(major, minor, 'Write', value));
    }
  }
  const out: BlkioStats = {};
  if (bytes.length > 0) out.ioServiceBytesRecursive = bytes;
  if (ios.length > 0) out.ioServicedRecursive = ios;
  return out;
}

// ---- empty values ---------------------------------------------------------------------------

function emptyMemoryEntry(): MemoryEntry {
  return { limit: 0n, failcnt: 0n };
}

function memoryEntry(limit: bigint, usage: bigint, max: bigint, failcnt: bigint): MemoryEntry {
  // Field order of the Go struct: limit, usage, max, failcnt.
  const e = { limit } as MemoryEntry;
  if (usage !== 0n) e.usage = usage;
  if (max !== 0n) e.max = max;
  e.failcnt = failcnt;
  return e;
}

export function emptyStats(): CgroupStats {
  return {
    cpu: { usage: { kernel: 0n, user: 0n }, throttling: {} },
    cpuset: {
      cpu_exclusive: 0n, mem_hardwall: 0n, mem_exclusive: 0n, memory_migrate: 0n, memory_spread_page: 0n,
      memory_spread_slab: 0n, memory_pressure: 0n, memory_pressure_enabled: 0n, sched_load_balance: 0n, sched_relax_domain_level: 0n,
    },
    memory: { usage: emptyMemoryEntry(), swap: emptyMemoryEntry(), kernel: emptyMemoryEntry(), kernelTCP: emptyMemoryEntry() },
    pids: {},
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** A copy of o with its keys in Go's struct field order (JSON consumers do not care; people do). */
function ordered<T extends object>(o: T, keys: ReadonlyArray<keyof T>): T {
  const out = {} as T;
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const CPU_USAGE_ORDER: ReadonlyArray<keyof CpuUsage> = ['total', 'percpu', 'percpu_kernel', 'percpu_user', 'kernel', 'user'];
const CPUSET_ORDER: ReadonlyArray<keyof CpusetStats> = [
  'cpus', 'cpu_exclusive', 'mems', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab',
  'memory_pressure', 'memory_pressure_enabled', 'sched_load_balance', 'sched_relax_domain_level',
];
const BLKIO_ORDER: ReadonlyArray<keyof BlkioStats> = [
  'ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive', 'ioWaitTimeRecursive',
  'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive', 'psi',
];

/** Put every struct in Go's field order. */
function finish(s: CgroupStats): CgroupStats {
  s.cpu = ordered({ ...s.cpu, usage: ordered(s.cpu.usage, CPU_USAGE_ORDER), throttling: ordered(s.cpu.throttling, ['periods', 'throttledPeriods', 'throttledTime']) }, ['usage', 'throttling', 'psi']);
  s.cpuset = ordered(s.cpuset, CPUSET_ORDER);
  s.memory = ordered(s.memory, ['cache', 'usage', 'swap', 'kernel', 'kernelTCP', 'raw', 'psi']);
  s.pids = ordered(s.pids, ['current', 'limit']);
  s.blkio = ordered(s.blkio, BLKIO_ORDER);
  return s;
}

function nz(v: bigint | undefined): bigint | undefined {
  return v === undefined || v === 0n ? undefined : v;
}

function setThrottling(t: Throttling, periods: bigint | undefined, throttled: bigint | undefined, time: bigint | undefined): void {
  const p = nz(periods);
  const tp = nz(throttled);
  const tt = nz(time);
  if (p !== undefined) t.periods = p;
  if (tp !== undefined) t.throttledPeriods = tp;
  if (tt !== undefined) t.throttledTime = tt;
}

function sortedRecord<T>(entries: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = v;
  return out;
}

/** Hugepage sizes offered by dir, from its file names (`hugetlb.2MB.usage_in_bytes` -> 2MB). */
function hugeSizesIn(io: CgroupIo, dir: string, re: RegExp): string[] {
  try {
    return io.list(dir).map((n) => re.exec(n)?.[1]).filter((s): s is string => s !== undefined).sort();
  } catch {
    return [];
  }
}

// ---- cgroup v1 --------------------------------------------------------------------------------

/** USER_HZ: cpuacct.stat counts clock ticks of 1/100 s on every Linux architecture. */
const NS_PER_TICK = 10_000_000n;

/** Directories of the controllers a v1 (or hybrid) container has; absent controllers are skipped. */
export interface V1StatDirs {
  cpu?: string | undefined;
  cpuacct?: string | undefined;
  cpuset?: string | undefined;
  memory?: string | undefined;
  pids?: string | undefined;
  blkio?: string | undefined;
  hugetlb?: string | undefined;
  /** The container's cgroup2 directory on a hybrid host (hugetlb fallback, PSI). */
  unified?: string | undefined;
}

export function statsV1(io: CgroupIo, d: V1StatDirs): CgroupStats {
  const s = emptyStats();

  // cpu / cpuacct
  if (d.cpuacct !== undefined) {
    const u = s.cpu.usage;
    const total = nz(readU64(io, d.cpuacct, 'cpuacct.usage'));
    if (total !== undefined) u.total = total;
    const percpu = readOptional(io, d.cpuacct, 'cpuacct.usage_percpu');
    if (percpu !== undefined && percpu.trim() !== '') u.percpu = parseU64List(percpu);
    const all = readOptional(io, d.cpuacct, 'cpuacct.usage_all');
    if (all !== undefined) {
      const kernel: bigint[] = [];
      const user: bigint[] = [];
      for (const line of all.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length !== 3) continue;
        user.push(parseU64(f[1] as string));
        kernel.push(parseU64(f[2] as string));
      }
      if (kernel.length > 0) u.percpu_kernel = kernel;
      if (user.length > 0) u.percpu_user = user;
    }
    const st = readKeyValues(io, d.cpuacct, 'cpuacct.stat');
    if (st !== undefined) {
      u.kernel = (st.get('system') ?? 0n) * NS_PER_TICK;
      u.user = (st.get('user') ?? 0n) * NS_PER_TICK;
    }
  } else if (d.unified !== undefined) {
    cpuStatV2(io, d.unified, s);
  }
  if (d.cpu !== undefined) {
    const st = readKeyValues(io, d.cpu, 'cpu.stat');
    if (st !== undefined) setThrottling(s.cpu.throttling, st.get('nr_periods'), st.get('nr_throttled'), st.get('throttled_time'));
  }
  const cpuPsi = readPsi(io, d.unified, 'cpu.pressure');
  if (cpuPsi !== undefined) s.cpu.psi = cpuPsi;

  // cpuset
  if (d.cpuset !== undefined) {
    const c = s.cpuset;
    const cpus = readOptional(io, d.cpuset, 'cpuset.cpus');
    if (cpus !== undefined && cpus.trim() !== '') c.cpus = parseCpuList(cpus);
    const mems = readOptional(io, d.cpuset, 'cpuset.mems');
    if (mems !== undefined && mems.trim() !== '') c.mems = parseCpuList(mems);
    const u = (file: string): bigint => readU64(io, d.cpuset as string, file) ?? 0n;
    c.cpu_exclusive = u('cpuset.cpu_exclusive');
    c.mem_hardwall = u('cpuset.mem_hardwall');
    c.mem_exclusive = u('cpuset.mem_exclusive');
    c.memory_migrate = u('cpuset.memory_migrate');
    c.memory_spread_page = u('cpuset.memory_spread_page');
    c.memory_spread_slab = u('cpuset.memory_spread_slab');
    c.memory_pressure = u('cpuset.memory_pressure');
    const relax = readOptional(io, d.cpuset, 'cpuset.sched_relax_domain_level');
    c.sched_load_balance = u('cpuset.sched_load_balance');
    c.sched_relax_domain_level = relax !== undefined && /^-?\d+$/.test(relax.trim()) ? BigInt(relax.trim()) : 0n;
  }

  // memory
  if (d.memory !== undefined) {
    const m = s.memory;
    const raw = readKeyValues(io, d.memory, 'memory.stat');
    if (raw !== undefined) {
      const cache = nz(raw.get('cache'));
      if (cache !== undefined) m.cache = cache;
      if (raw.size > 0) m.raw = sortedRecord([...raw.entries()]);
    }
    const entry = (prefix: string): MemoryEntry => {
      const dir = d.memory as string;
      const usage = readU64(io, dir, `${prefix}.usage_in_bytes`);
      if (usage === undefined) return emptyMemoryEntry(); // memsw / kmem are optional in the kernel
      return memoryEntry(
        readU64(io, dir, `${prefix}.limit_in_bytes`) ?? 0n, usage,
        readU64(io, dir, `${prefix}.max_usage_in_bytes`) ?? 0n, readU64(io, dir, `${prefix}.failcnt`) ?? 0n,
      );
    };
    m.usage = entry('memory');
    m.swap = entry('memory.memsw');
    m.kernel = entry('memory.kmem');
    m.kernelTCP = entry('memory.kmem.tcp');
  }
  const memPsi = readPsi(io, d.unified, 'memory.pressure');
  if (memPsi !== undefined) s.memory.psi = memPsi;

  // pids
  if (d.pids !== undefined) pidsStats(io, d.pids, s);

  // blkio: the first group whose leading file has entries (runc's order)
  if (d.blkio !== undefined) {
    const groups: Array<Array<[string, keyof BlkioStats]>> = [
      [
        ['blkio.bfq.sectors_recursive', 'sectorsRecursive'], ['blkio.bfq.io_service_time_recursive', 'ioServiceTimeRecursive'],
        ['blkio.bfq.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.bfq.io_merged_recursive', 'ioMergedRecursive'],
        ['blkio.bfq.io_queued_recursive', 'ioQueueRecursive'], ['blkio.bfq.time_recursive', 'ioTimeRecursive'],
        ['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
      ],
      [['blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
      [
        ['blkio.sectors_recursive', 'sectorsRecursive'], ['blkio.io_service_time_recursive', 'ioServiceTimeRecursive'],
        ['blkio.io_wait_time_recursive', 'ioWaitTimeRecursive'], ['blkio.io_merged_recursive', 'ioMergedRecursive'],
        ['blkio.io_queued_recursive', 'ioQueueRecursive'], ['blkio.time_recursive', 'ioTimeRecursive'],
        ['blkio.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'],
      ],
      [['blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive']],
      [['blkio.throttle.io_serviced', 'ioServicedRecursive'], ['blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive']],
    ];
    for (const group of groups) {
      const tables = new Map<keyof BlkioStats, BlkioEntry[]>();
      let usable = true;
      for (const [i, [file, key]] of group.entries()) {
        const t = readOptional(io, d.blkio, file);
        const entries = t === undefined ? [] : parseBlkioFile(t);
        if (i === 0 && entries.length === 0) {
          usable = false;
          break;
        }
        if (entries.length > 0) tables.set(key, entries);
      }
      if (!usable) continue;
      for (const [key, entries] of tables) (s.blkio as Record<string, BlkioEntry[]>)[key] = entries;
      break;
    }
  }
  const ioPsi = readPsi(io, d.unified, 'io.pressure');
  if (ioPsi !== undefined) s.blkio.psi = ioPsi;

  // hugetlb: the v1 controller, else the hybrid host's cgroup2 one
  if (d.hugetlb !== undefined) {
    const entries: Array<[string, HugetlbStats]> = [];
    for (const size of hugeSizesIn(io, d.hugetlb, /^hugetlb\.([^.]+)\.usage_in_bytes$/)) {
      const h: HugetlbStats = { failcnt: 0n };
      const usage = nz(readU64(io, d.hugetlb, `hugetlb.${size}.usage_in_bytes`));
      const max = nz(readU64(io, d.hugetlb, `hugetlb.${size}.max_usage_in_bytes`));
      if (usage !== undefined) h.usage = usage;
      if (max !== undefined) h.max = max;
      h.failcnt = readU64(io, d.hugetlb, `hugetlb.${size}.failcnt`) ?? 0n;
      entries.push([size, reorderHugetlb(h)]);
    }
    s.hugetlb = sortedRecord(entries);
  } else if (d.unified !== undefined) {
    s.hugetlb = hugetlbV2(io, d.unified);
  }
  return finish(s);
}

/** Field order of the Go struct: usage, max, failcnt. */
function reorderHugetlb(h: HugetlbStats): HugetlbStats {
  const o = {} as HugetlbStats;
  if (h.usage !== undefined) o.usage = h.usage;
  if (h.max !== undefined) o.max = h.max;
  o.failcnt = h.failcnt;
  return o;
}

function pidsStats(io: CgroupIo, dir: string, s: CgroupStats): void {
  const current = nz(readU64(io, dir, 'pids.current'));
  const maxText = readOptional(io, dir, 'pids.max')?.trim();
  // "max" (no limit) is reported as 0, like libcontainer.
  const limit = maxText === undefined || maxText === 'max' || maxText === '' ? undefined : nz(parseU64(maxText));
  s.pids = {};
  if (current !== undefined) s.pids.current = current;
  if (limit !== undefined) s.pids.limit = limit;
}

function hugetlbV2(io: CgroupIo, dir: string): Record<string, HugetlbStats> {
  const entries: Array<[string, HugetlbStats]> = [];
  for (const size of hugeSizesIn(io, dir, /^hugetlb\.([^.]+)\.current$/)) {
    const h: HugetlbStats = { failcnt: 0n };
    const usage = nz(readU64(io, dir, `hugetlb.${size}.current`));
    if (usage !== undefined) h.usage = usage;
    h.failcnt = readKeyValues(io, dir, `hugetlb.${size}.events`)?.get('max') ?? 0n;
    entries.push([size, reorderHugetlb(h)]);
  }
  return sortedRecord(entries);
}

function cpuStatV2(io: CgroupIo, dir: string, s: CgroupStats): void {
  const st = readKeyValues(io, dir, 'cpu.stat');
  if (st === undefined) return;
  const u = s.cpu.usage;
  const total = nz((st.get('usage_usec') ?? 0n) * 1000n);
  if (total !== undefined) u.total = total;
  u.kernel = (st.get('system_usec') ?? 0n) * 1000n;
  u.user = (st.get('user_usec') ?? 0n) * 1000n;
  const tt = st.get('throttled_usec');
  setThrottling(s.cpu.throttling, st.get('nr_periods'), st.get('nr_throttled'), tt === undefined ? undefined : tt * 1000n);
}

// ---- cgroup v2 ----------------------------------------------------------------------------------

export function statsV2(io: CgroupIo, dir: string): CgroupStats {
  const s = emptyStats();
  cpuStatV2(io, dir, s);
  const cpuPsi = readPsi(io, dir, 'cpu.pressure');
  if (cpuPsi !== undefined) s.cpu.psi = cpuPsi;

  const cpus = readOptional(io, dir, 'cpuset.cpus.effective');
  if (cpus !== undefined && cpus.trim() !== '') s.cpuset.cpus = parseCpuList(cpus);
  const mems = readOptional(io, dir, 'cpuset.mems.effective');
  if (mems !== undefined && mems.trim() !== '') s.cpuset.mems = parseCpuList(mems);

  const m = s.memory;
  const raw = readKeyValues(io, dir, 'memory.stat');
  if (raw !== undefined) {
    const file = nz(raw.get('file'));
    if (file !== undefined) m.cache = file;
    if (raw.size > 0) m.raw = sortedRecord([...raw.entries()]);
  }
  const usage = readU64(io, dir, 'memory.current');
  if (usage !== undefined) {
    const events = readKeyValues(io, dir, 'memory.events');
    m.usage = memoryEntry(readU64(io, dir, 'memory.max') ?? MAX_UINT64, usage, readU64(io, dir, 'memory.peak') ?? 0n, events?.get('max') ?? 0n);
    const swapUsage = readU64(io, dir, 'memory.swap.current');
    if (swapUsage !== undefined) {
      // v1 reports memory+swap; so does runc on v2.
      const swapLimit = readU64(io, dir, 'memory.swap.max') ?? MAX_UINT64;
      const limit = swapLimit === MAX_UINT64 || m.usage.limit === MAX_UINT64 ? MAX_UINT64 : swapLimit + m.usage.limit;
      const swapEvents = readKeyValues(io, dir, 'memory.swap.events');
      m.swap = memoryEntry(limit, swapUsage + usage, readU64(io, dir, 'memory.swap.peak') ?? 0n, swapEvents?.get('max') ?? 0n);
    }
  }
  const memPsi = readPsi(io, dir, 'memory.pressure');
  if (memPsi !== undefined) m.psi = memPsi;

  pidsStats(io, dir, s);

  const ioStat = readOptional(io, dir, 'io.stat');
  if (ioStat !== undefined) s.blkio = parseIoStat(ioStat);
  const ioPsi = readPsi(io, dir, 'io.pressure');
  if (ioPsi !== undefined) s.blkio.psi = ioPsi;

  s.hugetlb = hugetlbV2(io, dir);
  return finish(s);
}

// ---- output ------------------------------------------------------------------------------------

/**
 * JSON with bigints written as plain numbers (JSON.stringify throws on them) and undefined
 * properties left out; otherwise what JSON.stringify gives.
 */
export function toJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => toJson(x)).join(',')}]`;
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined || typeof x === 'function') continue;
        parts.push(`${JSON.stringify(k)}:${toJson(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}
