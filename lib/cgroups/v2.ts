/**
 * cgroup v2 (unified) manager.
 *
 * Device rules: cgroup v2 has no devices.allow/deny files; they are enforced by an eBPF program
 * (BPF_PROG_TYPE_CGROUP_DEVICE) built from the effective rules and attached to the cgroup with
 * BPF_PROG_ATTACH (devices-bpf.ts). A directory that is not on a cgroup2 filesystem (a test's
 * fake tree) gets no program: the rules are skipped with a warning there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError, configError } from '../errors';
import { debug, warn } from '../log';
import { BaseManager, SIGKILL, freezeV2, frozenV2, thawV2, type ManagerInit } from './base';
import { applyDeviceFilter } from './devices-bpf';
import {
  blkioWeightToIoWeight, cpuSharesToWeight, devValue, effectiveDeviceRules, intText, memorySwapToV2, pidsLimitText, ptrToken, rdmaLine, v2Limit, validHugepageSize,
} from './convert';
import { errCode, parseBig, readControl, unavailable, writeControl, writeError } from './io';
import { statsV2, type CgroupStats } from './stats';
import type { OomTarget } from './oom';
import type { BlockIO, CgroupIo, Hierarchy, Resources } from './types';

type Step = () => void;

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((s) => s !== '');
}

function readWords(io: CgroupIo, file: string): string[] {
  try {
    return splitWords(io.read(file));
  } catch {
    return [];
  }
}

/**
 * Enable controllers in cgroup.subtree_control of every ancestor of `cgPath` (from the hierarchy
 * root down to the leaf's parent). `wanted === 'all'` enables everything the root offers (runc's
 * behaviour at create). Failures are ignored, as runc does: setting a limit later reports a
 * missing controller precisely.
 */
export function enableControllers(io: CgroupIo, mountpoint: string, cgPath: string, wanted: string[] | 'all'): void {
  const comps = cgPath.split('/').filter((c) => c !== '');
  let cur = mountpoint;
  for (let i = 0; i < comps.length; i++) {
    const available = readWords(io, path.join(cur, 'cgroup.controllers'));
    const enabled = new Set(readWords(io, path.join(cur, 'cgroup.subtree_control')));
    const toEnable = available.filter((c) => (wanted === 'all' || wanted.includes(c)) && !enabled.has(c));
    if (toEnable.length > 0) {
      const file = path.join(cur, 'cgroup.subtree_control');
      const all = toEnable.map((c) => `+${c}`).join(' ');
      try {
        debug(`cgroup: write ${JSON.stringify(all)} to ${file}`);
        io.write(file, all);
      } catch {
        for (const c of toEnable) {
          try {
            io.write(file, `+${c}`);
          } catch (err) {
            debug(`cgroup: cannot enable ${c} in ${file}: ${errCode(err) ?? String(err)}`);
          }
        }
      }
    }
    cur = path.join(cur, comps[i] ?? '');
  }
}

/** Pointer of the first field of obj (under base) that is set. */
function firstPtr(base: string, obj: Record<string, unknown>, fields: string[]): string {
  for (const f of fields) if (obj[f] !== undefined) return `${base}/${f}`;
  return base;
}

export class V2Manager extends BaseManager {
  readonly version = 'v2' as const;
  /** Controllers to enable in the ancestors at create(): 'all' (runc) or none (hybrid's unified dir). */
  private readonly enableAtCreate: boolean;

  constructor(init: ManagerInit & { enableAtCreate?: boolean }) {
    super(init);
    if (init.hierarchies.length !== 1 || init.hierarchies[0]?.kind !== 'v2') {
      throw new OciError('system', 'cgroup v2 manager needs exactly one cgroup2 hierarchy');
    }
    this.enableAtCreate = init.enableAtCreate ?? true;
  }

  private get h(): Hierarchy {
    return this.hierarchies[0] as Hierarchy;
  }

  get dir(): string {
    return this.dirOf(this.h);
  }

  override create(): void {
    super.create();
    if (this.enableAtCreate) enableControllers(this.io, this.h.mountpoint, this.path, 'all');
  }

  /**
   * A cgroup made under a threaded one ("threaded" or "domain threaded") starts "domain
   * invalid", where no process can join: it is made part of the threaded subtree at once.
   */
  protected override prepareDir(_h: Hierarchy, dir: string, parent: string, createdNow: boolean): void {
    if (!createdNow) return;
    let parentType = '';
    try {
      parentType = this.io.read(path.join(parent, 'cgroup.type')).trim();
    } catch {
      return; // the root has no cgroup.type; an old kernel has none at all
    }
    if (parentType === 'threaded' || parentType === 'domain threaded') writeControl(this.io, dir, 'cgroup.type', 'threaded');
  }

  protected override canFreeze(): boolean {
    return this.io.exists(path.join(this.dir, 'cgroup.freeze'));
  }

  freeze(): void {
    freezeV2(this.io, this.dir);
  }

  thaw(): void {
    thawV2(this.io, this.dir);
  }

  frozen(): boolean {
    return frozenV2(this.io, this.dir);
  }

  override kill(signal: number): void {
    if (signal === SIGKILL && this.io.exists(path.join(this.dir, 'cgroup.kill'))) {
      // Atomic for the whole subtree, forks included (kernel >= 5.14).
      writeControl(this.io, this.dir, 'cgroup.kill', '1');
      return;
    }
    super.kill(signal);
  }

  stats(): CgroupStats {
    if (!this.io.exists(this.dir)) throw new OciError('system', `cgroup ${this.dir} does not exist`);
    const s = statsV2(this.io, this.dir);
    // No pids controller: count the processes (runc).
    if (s.pids.current === undefined && !this.io.exists(path.join(this.dir, 'pids.current'))) {
      const n = BigInt(this.procs().length);
      if (n > 0n) s.pids.current = n;
    }
    return s;
  }

  oomTarget(): OomTarget | undefined {
    return this.io.exists(path.join(this.dir, 'memory.events')) ? { version: 'v2', dir: this.dir } : undefined;
  }

  apply(r: Resources | undefined): void {
    if (r === undefined) return;
    const steps = planV2(this.io, this.h.mountpoint, this.path, this.dir, r);
    if (r.unified?.['cgroup.type'] === 'threaded') this.makeRoomForThreaded();
    for (const s of steps) s();
  }

  /**
   * The kernel refuses a threaded child (ENOTSUP) under a domain cgroup that has domain
   * controllers enabled for its children. When that parent was made for this container, those
   * controllers were enabled by create() and serve nobody else: they are turned off again.
   */
  private makeRoomForThreaded(): void {
    const parent = path.dirname(this.dir);
    if (!this.created.includes(parent)) return;
    const file = path.join(parent, 'cgroup.subtree_control');
    for (const c of readWords(this.io, file)) {
      if (THREADED_CONTROLLERS.has(c)) continue;
      try {
        this.io.write(file, `-${c}`);
      } catch (err) {
        debug(`cgroup: cannot disable ${c} in ${file}: ${errCode(err) ?? String(err)}`);
      }
    }
  }
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** Controllers that work in threaded subtrees (cgroup-v2.rst, "Threads"). */
const THREADED_CONTROLLERS: ReadonlySet<string> = new Set(['cpu', 'cpuset', 'perf_event', 'pids']);

function onCgroup2(dir: string): boolean {
  try {
    return fs.statfsSync(dir).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** Controllers available to the cgroup at dir (its cgroup.controllers). */
function controllersOf(io: CgroupIo, dir: string): Set<string> {
  return new Set(readWords(io, path.join(dir, 'cgroup.controllers')));
}

/**
 * Validate everything (controllers, files, values) first, then return the writes as steps, so a
 * missing controller never leaves half-applied limits behind.
 */
export function planV2(io: CgroupIo, mountpoint: string, cgPath: string, dir: string, r: Resources): Step[] {
  if (!io.exists(dir)) throw new OciError('system', `cgroup ${dir} does not exist`);
  const steps: Step[] = [];
  let ctrls = controllersOf(io, dir);
  const need = (ctrl: string, pointer: string): void => {
    if (ctrls.has(ctrl)) return;
    enableControllers(io, mountpoint, cgPath, [ctrl]);
    ctrls = controllersOf(io, dir);
    if (!ctrls.has(ctrl)) throw unavailable(pointer, `${ctrl} cgroup controller not available (not in ${path.join(dir, 'cgroup.controllers')})`);
  };
  const needFile = (file: string, pointer: string, why = ''): void => {
    if (!io.exists(path.join(dir, file))) throw unavailable(pointer, `${file} not available${why}`);
  };
  const w = (file: string, value: string, pointer?: string): Step => () => writeControl(io, dir, file, value, pointer);

  // ---- pids
  if (r.pids?.limit !== undefined) {
    const ptr = '/linux/resources/pids/limit';
    need('pids', ptr);
    needFile('pids.max', ptr);
    steps.push(w('pids.max', pidsLimitText(r.pids.limit), ptr));
  }

  // ---- memory
  const m = r.memory;
  if (m !== undefined) {
    const base = '/linux/resources/memory';
    if (m.kernel !== undefined || m.kernelTCP !== undefined) warn('linux.resources.memory.kernel and kernelTCP are not supported and are ignored');
    if (m.swappiness !== undefined && m.swappiness !== -1) throw unavailable(`${base}/swappiness`, 'memory.swappiness is not available on cgroup v2');
    if (m.disableOOMKiller === true) throw unavailable(`${base}/disableOOMKiller`, 'disabling the OOM killer is not available on cgroup v2');
    const max = v2Limit(m.limit);
    const low = v2Limit(m.reservation);
    let swap = memorySwapToV2(m.swap, m.limit);
    if (max !== undefined || low !== undefined || swap !== undefined) {
      need('memory', firstPtr(base, m, ['limit', 'reservation', 'swap']));
      if (max !== undefined) needFile('memory.max', `${base}/limit`);
      if (low !== undefined) needFile('memory.low', `${base}/reservation`);
      if (swap !== undefined && !io.exists(path.join(dir, 'memory.swap.max'))) {
        // No swap accounting: "unlimited" and "no swap" are what the host gives anyway.
        if (swap === 'max' || swap === '0') swap = undefined;
        else throw unavailable(`${base}/swap`, 'swap limit set but memory.swap.max not available (swap accounting disabled?)');
      }
      if (m.checkBeforeUpdate === true && m.limit !== undefined && m.limit > 0) {
        const limit = m.limit;
        steps.push(() => {
          let usage: bigint | 'max' = 0n;
          try {
            usage = parseBig(readControl(io, dir, 'memory.current'));
          } catch {
            return;
          }
          if (usage !== 'max' && usage >= BigInt(limit)) {
            throw new OciError('config', `rejecting memory limit ${limit} below usage ${usage}`, { pointer: `${base}/limit` });
          }
        });
      }
      const swapText = swap;
      if (swapText !== undefined) steps.push(w('memory.swap.max', swapText, `${base}/swap`));
      if (max !== undefined) steps.push(w('memory.max', max, `${base}/limit`));
      if (low !== undefined) steps.push(w('memory.low', low, `${base}/reservation`));
    }
  }

  // ---- io
  const b = r.blockIO as BlockIO | undefined;
  if (b !== undefined) {
    const base = '/linux/resources/blockIO';
    const throttles: Array<[keyof BlockIO, string]> = [
      ['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'], ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops'],
    ];
    const anySet = (b.weight ?? 0) !== 0 || (b.leafWeight ?? 0) !== 0 || (b.weightDevice?.length ?? 0) > 0 ||
      throttles.some(([k]) => ((b[k] as unknown[] | undefined)?.length ?? 0) > 0);
    if (anySet) {
      need('io', firstPtr(base, b as Record<string, unknown>, ['weight', 'leafWeight', 'weightDevice', ...throttles.map(([k]) => k)]));
      if ((b.leafWeight ?? 0) !== 0) throw unavailable(`${base}/leafWeight`, 'leaf weights are not available on cgroup v2');
      const bfq = io.exists(path.join(dir, 'io.bfq.weight'));
      if ((b.weight ?? 0) !== 0) {
        const weight = b.weight ?? 0;
        if (bfq) steps.push(w('io.bfq.weight', intText(weight), `${base}/weight`));
        else {
          needFile('io.weight', `${base}/weight`);
          steps.push(w('io.weight', intText(blkioWeightToIoWeight(weight)), `${base}/weight`));
        }
      }
      (b.weightDevice ?? []).forEach((wd, i) => {
        const ptr = `${base}/weightDevice/${i}`;
        if ((wd.leafWeight ?? 0) !== 0) throw unavailable(`${ptr}/leafWeight`, 'leaf weights are not available on cgroup v2');
        if ((wd.weight ?? 0) === 0) return;
        if (!bfq) throw unavailable(`${ptr}/weight`, 'per-device weights need io.bfq.weight (the BFQ I/O scheduler)');
        steps.push(w('io.bfq.weight', devValue(wd.major, wd.minor, wd.weight ?? 0), ptr));
      });
      for (const [key, name] of throttles) {
        const list = (b[key] as BlockIO['throttleReadBpsDevice']) ?? [];
        list.forEach((td, i) => {
          const ptr = `${base}/${key}/${i}`;
          needFile('io.max', ptr);
          steps.push(w('io.max', `${td.major}:${td.minor} ${name}=${intText(td.rate)}`, ptr));
        });
      }
    }
  }

  // ---- cpu
  const c = r.cpu;
  if (c !== undefined) {
    const base = '/linux/resources/cpu';
    if ((c.realtimeRuntime ?? 0) !== 0 || (c.realtimePeriod ?? 0) !== 0) {
      throw unavailable(firstPtr(base, c, ['realtimeRuntime', 'realtimePeriod']), 'realtime scheduling limits are not available on cgroup v2');
    }
    const weight = cpuSharesToWeight(c.shares ?? 0);
    const quota = c.quota ?? 0;
    const period = c.period ?? 0;
    if (weight !== 0 || quota !== 0 || period !== 0 || c.burst !== undefined || c.idle !== undefined) {
      need('cpu', firstPtr(base, c, ['shares', 'quota', 'period', 'burst', 'idle']));
      if (weight !== 0) {
        needFile('cpu.weight', `${base}/shares`);
        steps.push(w('cpu.weight', String(weight), `${base}/shares`));
      }
      if (c.idle !== undefined) {
        needFile('cpu.idle', `${base}/idle`);
        steps.push(w('cpu.idle', intText(c.idle), `${base}/idle`));
      }
      const hasBurst = c.burst !== undefined && io.exists(path.join(dir, 'cpu.max.burst'));
      if (c.burst !== undefined && !hasBurst) debug('cgroup: cpu.max.burst not available; burst ignored');
      let burstPending = false;
      if (hasBurst) {
        const burst = intText(c.burst ?? 0);
        steps.push(() => {
          try {
            io.write(path.join(dir, 'cpu.max.burst'), burst);
          } catch (err) {
            // Raising burst above the current quota fails until the quota is written.
            if (errCode(err) !== 'EINVAL' || (quota === 0 && period === 0)) throw writeError(err, 'cpu.max.burst', burst, `${base}/burst`);
            burstPending = true;
          }
        });
      }
      if (quota !== 0 || period !== 0) {
        needFile('cpu.max', firstPtr(base, c, ['quota', 'period']));
        steps.push(() => {
          let q: string;
          if (quota > 0) q = intText(quota);
          else if (quota < 0) q = 'max';
          else q = splitWords(readControl(io, dir, 'cpu.max'))[0] ?? 'max'; // only the period changes
          const value = period !== 0 ? `${q} ${intText(period)}` : q;
          writeControl(io, dir, 'cpu.max', value, firstPtr(base, c, ['quota', 'period']));
          if (burstPending) writeControl(io, dir, 'cpu.max.burst', intText(c.burst ?? 0), `${base}/burst`);
        });
      }
    }
  }

  // ---- devices (see the file comment): the config's rules in order, then the defaults
  if (r.devices !== undefined && r.devices.length > 0) {
    const rules = effectiveDeviceRules(r.devices); // validates (config errors) before any write
    if (!onCgroup2(dir)) {
      warn(`linux.resources.devices: ${dir} is not on a cgroup2 filesystem; ${r.devices.length} device rule(s) ignored`);
    } else {
      steps.push(() => {
        try {
          debug(`cgroup: attach a device program (${rules.length} rules) to ${dir}`);
          applyDeviceFilter(dir, rules);
        } catch (err) {
          throw new OciError('system', `linux.resources.devices: cannot attach the device eBPF program to ${dir}: ${err instanceof Error ? err.message : String(err)}`, {
            pointer: '/linux/resources/devices',
            cause: err,
          });
        }
      });
    }
  }

  // ---- cpuset
  if (c !== undefined && ((c.cpus ?? '') !== '' || (c.mems ?? '') !== '')) {
    const base = '/linux/resources/cpu';
    need('cpuset', firstPtr(base, c, ['cpus', 'mems']));
    if ((c.cpus ?? '') !== '') {
      needFile('cpuset.cpus', `${base}/cpus`);
      steps.push(w('cpuset.cpus', c.cpus ?? '', `${base}/cpus`));
    }
    if ((c.mems ?? '') !== '') {
      needFile('cpuset.mems', `${base}/mems`);
      steps.push(w('cpuset.mems', c.mems ?? '', `${base}/mems`));
    }
  }

  // ---- hugetlb
  const hp = r.hugepageLimits ?? [];
  if (hp.length > 0) {
    steps.push(...planHugetlbV2(io, dir, hp, () => need('hugetlb', '/linux/resources/hugepageLimits')));
  }

  // ---- rdma
  const rdma = Object.entries(r.rdma ?? {});
  if (rdma.length > 0) {
    need('rdma', '/linux/resources/rdma');
    needFile('rdma.max', '/linux/resources/rdma');
    for (const [dev, lim] of rdma) steps.push(w('rdma.max', rdmaLine(dev, lim), `/linux/resources/rdma/${ptrToken(dev)}`));
  }

  // ---- network: cgroup v2 has no net_cls / net_prio
  const n = r.network;
  if (n !== undefined) {
    if (n.classID !== undefined) throw unavailable('/linux/resources/network/classID', 'net_cls is not available on cgroup v2');
    if ((n.priorities ?? []).length > 0) throw unavailable('/linux/resources/network/priorities', 'net_prio is not available on cgroup v2');
  }

  // ---- unified: verbatim, last (so it can override the mapped values)
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    const ptr = `/linux/resources/unified/${ptrToken(key)}`;
    if (key === '' || key.includes('/') || key === '.' || key === '..') throw configError('config.json', ptr, `invalid unified resource name ${JSON.stringify(key)}`);
    const dot = key.indexOf('.');
    if (dot <= 0 || dot === key.length - 1) throw configError('config.json', ptr, `unified resource ${JSON.stringify(key)} must be in the form CONTROLLER.PARAMETER`);
    const ctrl = key.slice(0, dot);
    if (ctrl !== 'cgroup') need(ctrl, ptr);
    needFile(key, ptr);
    // The type goes first: a threaded cgroup has no domain controller files to write before it.
    if (key === 'cgroup.type') steps.unshift(w(key, String(value), ptr));
    else steps.push(w(key, String(value), ptr));
  }

  return steps;
}

/** hugetlb.<size>.max (and .rsvd.max when the kernel has it) for each limit. */
export function planHugetlbV2(io: CgroupIo, dir: string, limits: Array<{ pageSize: string; limit: number }>, need: () => void): Step[] {
  need();
  const steps: Step[] = [];
  limits.forEach((l, i) => {
    const ptr = `/linux/resources/hugepageLimits/${i}`;
    if (!validHugepageSize(l.pageSize)) throw configError('config.json', `${ptr}/pageSize`, `invalid hugepage size ${JSON.stringify(l.pageSize)}`);
    const file = `hugetlb.${l.pageSize}.max`;
    if (!io.exists(path.join(dir, file))) {
      throw unavailable(`${ptr}/pageSize`, `hugepage size ${l.pageSize} not supported (available: ${hugeSizes(io, dir, /^hugetlb\.(\w+)\.max$/).join(', ') || 'none'})`);
    }
    const value = intText(l.limit);
    steps.push(() => writeControl(io, dir, file, value, `${ptr}/limit`));
    const rsvd = `hugetlb.${l.pageSize}.rsvd.max`;
    if (io.exists(path.join(dir, rsvd))) steps.push(() => writeControl(io, dir, rsvd, value, `${ptr}/limit`));
  });
  return steps;
}

export function hugeSizes(io: CgroupIo, dir: string, re: RegExp): string[] {
  try {
    return io.list(dir).map((n) => re.exec(n)?.[1]).filter((s): s is string => s !== undefined && s !== 'rsvd').sort();
  } catch {
    return [];
  }
}
