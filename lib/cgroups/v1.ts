/**
 * cgroup v1 manager (also used on hybrid hosts).
 *
 * The directory is created in EVERY mounted hierarchy, named ones (name=systemd) included, and
 * on a hybrid host in the cgroup2 hierarchy too (as runc does); processes join all of them.
 * On a hybrid host, when a controller is not mounted as v1 but is offered by the cgroup2
 * hierarchy (hugetlb here, or the freezer), the cgroup2 directory is used for it.
 */
import * as path from 'node:path';
import { OciError, configError } from '../errors';
import { debug, warn } from '../log';
import { BaseManager, SIGKILL, freezeV1, freezeV2, frozenV1, frozenV2, thawV1, thawV2, type ManagerInit } from './base';
import { devValue, deviceRuleText, effectiveDeviceRules, intText, pidsLimitText, ptrToken, rdmaLine, validHugepageSize } from './convert';
import { errCode, parseBig, readControl, unavailable, writeControl, writeError } from './io';
import { statsV1, type CgroupStats } from './stats';
import { enableControllers, hugeSizes, planHugetlbV2 } from './v2';
import type { OomTarget } from './oom';
import type { BlockIO, CgroupIo, Hierarchy, Resources } from './types';

type Step = () => void;

function firstPtr(base: string, obj: Record<string, unknown>, fields: string[]): string {
  for (const f of fields) if (obj[f] !== undefined) return `${base}/${f}`;
  return base;
}

export class V1Manager extends BaseManager {
  readonly version = 'v1' as const;

  constructor(init: ManagerInit) {
    super(init);
    if (init.hierarchies.filter((h) => h.kind === 'v2').length > 1) {
      throw new OciError('system', 'cgroup v1 manager: more than one cgroup2 hierarchy');
    }
  }

  /** Directory of the hierarchy that has controller c, if mounted. */
  dirFor(controller: string): string | undefined {
    const h = this.hierarchies.find((x) => x.kind === 'v1' && x.controllers.includes(controller));
    return h === undefined ? undefined : this.dirOf(h);
  }

  /** The cgroup2 hierarchy of a hybrid host. */
  private get unified(): Hierarchy | undefined {
    return this.hierarchies.find((h) => h.kind === 'v2');
  }

  private get unifiedDir(): string | undefined {
    const u = this.unified;
    return u === undefined ? undefined : this.dirOf(u);
  }

  /** A new cpuset cgroup has empty cpus/mems: copy them from the parent, for every level. */
  protected override prepareDir(h: Hierarchy, dir: string, parent: string, _createdNow: boolean): void {
    if (h.kind !== 'v1' || !h.controllers.includes('cpuset')) return;
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      let cur: string;
      try {
        cur = this.io.read(path.join(dir, file)).trim();
      } catch (err) {
        if (errCode(err) === 'ENOENT') continue; // noprefix mounts and the like
        throw err;
      }
      if (cur !== '') continue;
      const fromParent = readControl(this.io, parent, file).trim();
      if (fromParent !== '') writeControl(this.io, dir, file, fromParent);
    }
  }

  protected override procsHierarchy(): Hierarchy | undefined {
    return (
      this.hierarchies.find((h) => h.kind === 'v1' && (h.controllers.includes('pids') || h.controllers.includes('freezer'))) ??
      this.hierarchies[0]
    );
  }

  // ---- freezer: the v1 freezer, or on a hybrid host without it cgroup.freeze of the v2 dir.
  private freezer(): { kind: 'v1' | 'v2'; dir: string } | undefined {
    const d = this.dirFor('freezer');
    if (d !== undefined) return { kind: 'v1', dir: d };
    const u = this.unifiedDir;
    if (u !== undefined && this.io.exists(path.join(u, 'cgroup.freeze'))) return { kind: 'v2', dir: u };
    return undefined;
  }

  protected override canFreeze(): boolean {
    return this.freezer() !== undefined;
  }

  freeze(): void {
    const f = this.freezer();
    if (f === undefined) throw new OciError('system', 'freezer cgroup not available');
    if (f.kind === 'v1') freezeV1(this.io, f.dir);
    else freezeV2(this.io, f.dir);
  }

  thaw(): void {
    const f = this.freezer();
    if (f === undefined) throw new OciError('system', 'freezer cgroup not available');
    if (f.kind === 'v1') thawV1(this.io, f.dir);
    else thawV2(this.io, f.dir);
  }

  frozen(): boolean {
    const f = this.freezer();
    if (f === undefined) return false;
    return f.kind === 'v1' ? frozenV1(this.io, f.dir) : frozenV2(this.io, f.dir);
  }

  protected override signalAll(signal: number): void {
    const u = this.unifiedDir;
    if (signal === SIGKILL && u !== undefined && this.io.exists(path.join(u, 'cgroup.kill'))) {
      try {
        writeControl(this.io, u, 'cgroup.kill', '1');
      } catch (err) {
        debug(`cgroup: cgroup.kill failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    super.signalAll(signal);
  }

  stats(): CgroupStats {
    const main = this.procsHierarchy();
    if (main !== undefined && !this.io.exists(this.dirOf(main))) throw new OciError('system', `cgroup ${this.dirOf(main)} does not exist`);
    const existing = (d: string | undefined): string | undefined => (d !== undefined && this.io.exists(d) ? d : undefined);
    const s = statsV1(this.io, {
      cpu: existing(this.dirFor('cpu')),
      cpuacct: existing(this.dirFor('cpuacct')),
      cpuset: existing(this.dirFor('cpuset')),
      memory: existing(this.dirFor('memory')),
      pids: existing(this.dirFor('pids')),
      blkio: existing(this.dirFor('blkio')),
      hugetlb: existing(this.dirFor('hugetlb')),
      unified: existing(this.unifiedDir),
    });
    // Without a pids controller, count the processes (runc's fallback on cgroup v2).
    if (this.dirFor('pids') === undefined) {
      const n = BigInt(this.procs().length);
      if (n > 0n) s.pids.current = n;
    }
    return s;
  }

  oomTarget(): OomTarget | undefined {
    const d = this.dirFor('memory');
    return d === undefined ? undefined : { version: 'v1', dir: d };
  }

  apply(r: Resources | undefined): void {
    if (r === undefined) return;
    const steps = this.plan(r);
    for (const s of steps) s();
  }

  /** Validate everything first (controllers, files, values), then return the writes in order. */
  private plan(r: Resources): Step[] {
    const io = this.io;
    const steps: Step[] = [];
    const need = (controller: string, pointer: string): string => {
      const d = this.dirFor(controller);
      if (d === undefined) throw unavailable(pointer, `${controller} cgroup controller not mounted`);
      if (!io.exists(d)) throw new OciError('system', `cgroup ${d} does not exist`);
      return d;
    };
    const has = (dir: string, file: string): boolean => io.exists(path.join(dir, file));
    const needFile = (dir: string, file: string, pointer: string, why = ''): void => {
      if (!has(dir, file)) throw unavailable(pointer, `${file} not available${why}`);
    };
    const w = (dir: string, file: string, value: string, pointer?: string): Step => () => writeControl(io, dir, file, value, pointer);

    // ---- memory
    const m = r.memory;
    if (m !== undefined) {
      const base = '/linux/resources/memory';
      if (m.kernel !== undefined || m.kernelTCP !== undefined) warn('linux.resources.memory.kernel and kernelTCP are not supported and are ignored');
      const limit = m.limit ?? 0;
      const reservation = m.reservation ?? 0;
      let swap = m.swap ?? 0;
      const swappiness = m.swappiness !== undefined && m.swappiness !== -1 ? m.swappiness : undefined;
      const oom = m.disableOOMKiller === true;
      if (limit !== 0 || reservation !== 0 || swap !== 0 || swappiness !== undefined || oom) {
        const dir = need('memory', firstPtr(base, m, ['limit', 'reservation', 'swap', 'swappiness', 'disableOOMKiller']));
        const memsw = has(dir, 'memory.memsw.limit_in_bytes');
        // Unlimited memory with no explicit swap: make memory+swap unlimited too (runc).
        if (limit === -1 && swap === 0 && memsw) swap = -1;
        if (swap !== 0 && !memsw) {
          if (swap === -1) {
            debug('cgroup: memory.memsw.limit_in_bytes not available; unlimited swap is the default');
            swap = 0;
          } else {
            throw unavailable(`${base}/swap`, 'swap limit set but memsw not available (no memory.memsw.limit_in_bytes: swap accounting disabled?)');
          }
        }
        if (limit > 0 && swap > 0 && swap < limit) {
          throw configError('config.json', `${base}/swap`, `memory+swap limit (${swap}) should be greater than or equal to the memory limit (${limit})`);
        }
        if (limit !== 0) needFile(dir, 'memory.limit_in_bytes', `${base}/limit`);
        if (reservation !== 0) needFile(dir, 'memory.soft_limit_in_bytes', `${base}/reservation`);
        if (swappiness !== undefined) {
          if (!Number.isInteger(swappiness) || swappiness < 0 || swappiness > 100) {
            throw configError('config.json', `${base}/swappiness`, `invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
          }
          needFile(dir, 'memory.swappiness', `${base}/swappiness`);
        }
        if (oom) needFile(dir, 'memory.oom_control', `${base}/disableOOMKiller`);

        const writeLimit = (): void => {
          const v = intText(limit);
          try {
            io.write(path.join(dir, 'memory.limit_in_bytes'), v);
            debug(`cgroup: wrote ${v} to ${path.join(dir, 'memory.limit_in_bytes')}`);
          } catch (err) {
            if (errCode(err) === 'EBUSY') {
              const usage = safeRead(io, dir, 'memory.usage_in_bytes');
              const peak = safeRead(io, dir, 'memory.max_usage_in_bytes');
              throw new OciError('system', `unable to set memory limit to ${v} (current usage: ${usage}, peak usage: ${peak})`, { pointer: `${base}/limit`, cause: err });
            }
            const cur = errCode(err) === 'EINVAL' && memsw && swap === 0 ? safeRead(io, dir, 'memory.memsw.limit_in_bytes') : '?';
            if (/^\d+$/.test(cur) && limit > 0 && BigInt(limit) > BigInt(cur)) {
              // The kernel keeps memory <= memory+swap: a higher limit needs a higher memsw too.
              throw new OciError('config', `unable to set memory limit to ${v}: it would exceed the memory+swap limit ${cur}; set the memory+swap limit (memory.swap, update --memory-swap) at the same time`, { pointer: `${base}/limit`, cause: err });
            }
            throw writeError(err, 'memory.limit_in_bytes', v, `${base}/limit`);
          }
        };
        const writeSwap = (): void => {
          const v = intText(swap);
          try {
            io.write(path.join(dir, 'memory.memsw.limit_in_bytes'), v);
            debug(`cgroup: wrote ${v} to ${path.join(dir, 'memory.memsw.limit_in_bytes')}`);
          } catch (err) {
            const cur = errCode(err) === 'EINVAL' && limit === 0 && swap > 0 ? safeRead(io, dir, 'memory.limit_in_bytes') : '?';
            if (/^\d+$/.test(cur) && BigInt(swap) < BigInt(cur)) {
              throw new OciError('config', `unable to set memory+swap limit to ${v}: it is below the memory limit ${cur}; set the memory limit (memory.limit, update --memory) at the same time`, { pointer: `${base}/swap`, cause: err });
            }
            throw writeError(err, 'memory.memsw.limit_in_bytes', v, `${base}/swap`);
          }
        };
        // memsw must stay >= limit at every moment: pick the order that keeps it so.
        steps.push(() => {
          if (limit !== 0 && swap !== 0) {
            const cur = parseBig(readControl(io, dir, 'memory.limit_in_bytes'));
            if (swap === -1 || (cur !== 'max' && cur < BigInt(swap))) {
              writeSwap();
              writeLimit();
              return;
            }
          }
          if (limit !== 0) writeLimit();
          if (swap !== 0) writeSwap();
        });
        if (reservation !== 0) steps.push(w(dir, 'memory.soft_limit_in_bytes', intText(reservation), `${base}/reservation`));
        if (swappiness !== undefined) steps.push(w(dir, 'memory.swappiness', intText(swappiness), `${base}/swappiness`));
        if (oom) steps.push(w(dir, 'memory.oom_control', '1', `${base}/disableOOMKiller`));
      }
    }

    // ---- cpu
    const c = r.cpu;
    if (c !== undefined) {
      const base = '/linux/resources/cpu';
      const shares = c.shares ?? 0;
      const quota = c.quota ?? 0;
      const period = c.period ?? 0;
      const rtPeriod = c.realtimePeriod ?? 0;
      const rtRuntime = c.realtimeRuntime ?? 0;
      if (shares !== 0 || quota !== 0 || period !== 0 || c.burst !== undefined || c.idle !== undefined || rtPeriod !== 0 || rtRuntime !== 0) {
        const dir = need('cpu', firstPtr(base, c, ['shares', 'quota', 'period', 'burst', 'idle', 'realtimePeriod', 'realtimeRuntime']));
        if (shares !== 0) needFile(dir, 'cpu.shares', `${base}/shares`);
        if (period !== 0) needFile(dir, 'cpu.cfs_period_us', `${base}/period`);
        if (quota !== 0) needFile(dir, 'cpu.cfs_quota_us', `${base}/quota`);
        if (c.idle !== undefined) needFile(dir, 'cpu.idle', `${base}/idle`);
        if (rtPeriod !== 0) needFile(dir, 'cpu.rt_period_us', `${base}/realtimePeriod`, ' (kernel without CONFIG_RT_GROUP_SCHED?)');
        if (rtRuntime !== 0) needFile(dir, 'cpu.rt_runtime_us', `${base}/realtimeRuntime`, ' (kernel without CONFIG_RT_GROUP_SCHED?)');
        // Burst is optional (older kernels lack cpu.cfs_burst_us): ignored when absent, like runc.
        const hasBurst = c.burst !== undefined && has(dir, 'cpu.cfs_burst_us');
        if (c.burst !== undefined && !hasBurst) debug('cgroup: cpu.cfs_burst_us not available; burst ignored');

        if (shares !== 0) {
          steps.push(() => {
            writeControl(io, dir, 'cpu.shares', intText(shares), `${base}/shares`);
            // The kernel clamps silently: read back and report the bound.
            const got = Number(readControl(io, dir, 'cpu.shares').trim());
            if (shares > got) throw new OciError('config', `the maximum allowed cpu-shares is ${got}`, { pointer: `${base}/shares` });
            if (shares < got) throw new OciError('config', `the minimum allowed cpu-shares is ${got}`, { pointer: `${base}/shares` });
          });
        }
        let periodPending = false;
        let burstPending = false;
        if (period !== 0) {
          steps.push(() => {
            try {
              io.write(path.join(dir, 'cpu.cfs_period_us'), intText(period));
            } catch (err) {
              // A smaller period can be refused until the new quota is in: retry after it.
              if (errCode(err) !== 'EINVAL' || quota === 0) throw writeError(err, 'cpu.cfs_period_us', intText(period), `${base}/period`);
              periodPending = true;
            }
          });
        }
        if (hasBurst) {
          const burst = intText(c.burst ?? 0);
          steps.push(() => {
            try {
              io.write(path.join(dir, 'cpu.cfs_burst_us'), burst);
            } catch (err) {
              if (errCode(err) !== 'EINVAL' || quota === 0) throw writeError(err, 'cpu.cfs_burst_us', burst, `${base}/burst`);
              burstPending = true;
            }
          });
        }
        if (quota !== 0) {
          steps.push(() => {
            writeControl(io, dir, 'cpu.cfs_quota_us', intText(quota), `${base}/quota`);
            if (periodPending) writeControl(io, dir, 'cpu.cfs_period_us', intText(period), `${base}/period`);
            if (burstPending) writeControl(io, dir, 'cpu.cfs_burst_us', intText(c.burst ?? 0), `${base}/burst`);
          });
        }
        if (c.idle !== undefined) steps.push(w(dir, 'cpu.idle', intText(c.idle), `${base}/idle`));
        if (rtPeriod !== 0) steps.push(w(dir, 'cpu.rt_period_us', intText(rtPeriod), `${base}/realtimePeriod`));
        if (rtRuntime !== 0) steps.push(w(dir, 'cpu.rt_runtime_us', intText(rtRuntime), `${base}/realtimeRuntime`));
      }

      // ---- cpuset
      if ((c.cpus ?? '') !== '' || (c.mems ?? '') !== '') {
        const dir = need('cpuset', firstPtr(base, c, ['cpus', 'mems']));
        if ((c.cpus ?? '') !== '') {
          needFile(dir, 'cpuset.cpus', `${base}/cpus`);
          steps.push(w(dir, 'cpuset.cpus', c.cpus ?? '', `${base}/cpus`));
        }
        if ((c.mems ?? '') !== '') {
          needFile(dir, 'cpuset.mems', `${base}/mems`);
          steps.push(w(dir, 'cpuset.mems', c.mems ?? '', `${base}/mems`));
        }
      }
    }

    // ---- pids
    if (r.pids?.limit !== undefined) {
      const ptr = '/linux/resources/pids/limit';
      const dir = need('pids', ptr);
      needFile(dir, 'pids.max', ptr);
      steps.push(w(dir, 'pids.max', pidsLimitText(r.pids.limit), ptr));
    }

    // ---- devices: the config's rules in order, then the defaults (runc's AllowedDevices)
    if (r.devices !== undefined) {
      const ptr = '/linux/resources/devices';
      const own = r.devices.length;
      const rules = effectiveDeviceRules(r.devices);
      const dir = need('devices', ptr);
      needFile(dir, 'devices.allow', ptr);
      needFile(dir, 'devices.deny', ptr);
      rules.forEach((rule, i) => {
        const p = i < own ? `${ptr}/${i}` : ptr;
        steps.push(w(dir, rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleText(rule), p));
      });
    }

    // ---- blkio
    const b = r.blockIO as BlockIO | undefined;
    if (b !== undefined) {
      const base = '/linux/resources/blockIO';
      const throttles: Array<[keyof BlockIO, string]> = [
        ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
        ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
        ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
        ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
      ];
      const anySet = (b.weight ?? 0) !== 0 || (b.leafWeight ?? 0) !== 0 || (b.weightDevice?.length ?? 0) > 0 ||
        throttles.some(([k]) => ((b[k] as unknown[] | undefined)?.length ?? 0) > 0);
      if (anySet) {
        const dir = need('blkio', firstPtr(base, b as Record<string, unknown>, ['weight', 'leafWeight', 'weightDevice', ...throttles.map(([k]) => k)]));
        // CFQ files (blkio.weight) on old kernels, BFQ files (blkio.bfq.weight) on new ones.
        const cfq = has(dir, 'blkio.weight');
        const weightFile = cfq ? 'blkio.weight' : 'blkio.bfq.weight';
        const weightDeviceFile = cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device';
        if ((b.weight ?? 0) !== 0) {
          needFile(dir, weightFile, `${base}/weight`, ' (no blkio.weight either: I/O scheduler without weights?)');
          steps.push(w(dir, weightFile, intText(b.weight ?? 0), `${base}/weight`));
        }
        if ((b.leafWeight ?? 0) !== 0) {
          needFile(dir, 'blkio.leaf_weight', `${base}/leafWeight`);
          steps.push(w(dir, 'blkio.leaf_weight', intText(b.leafWeight ?? 0), `${base}/leafWeight`));
        }
        (b.weightDevice ?? []).forEach((wd, i) => {
          const ptr = `${base}/weightDevice/${i}`;
          if ((wd.weight ?? 0) !== 0) {
            needFile(dir, weightDeviceFile, `${ptr}/weight`);
            steps.push(w(dir, weightDeviceFile, devValue(wd.major, wd.minor, wd.weight ?? 0), `${ptr}/weight`));
          }
          if ((wd.leafWeight ?? 0) !== 0) {
            needFile(dir, 'blkio.leaf_weight_device', `${ptr}/leafWeight`);
            steps.push(w(dir, 'blkio.leaf_weight_device', devValue(wd.major, wd.minor, wd.leafWeight ?? 0), `${ptr}/leafWeight`));
          }
        });
        for (const [key, file] of throttles) {
          const list = (b[key] as BlockIO['throttleReadBpsDevice']) ?? [];
          list.forEach((td, i) => {
            const ptr = `${base}/${key}/${i}`;
            needFile(dir, file, ptr);
            steps.push(w(dir, file, devValue(td.major, td.minor, td.rate), ptr));
          });
        }
      }
    }

    // ---- hugetlb: v1 files, or on a hybrid host the cgroup2 hugetlb controller
    const hp = r.hugepageLimits ?? [];
    if (hp.length > 0) {
      const ptr = '/linux/resources/hugepageLimits';
      const dir = this.dirFor('hugetlb');
      const u = this.unified;
      if (dir !== undefined) {
        if (!io.exists(dir)) throw new OciError('system', `cgroup ${dir} does not exist`);
        hp.forEach((l, i) => {
          const p = `${ptr}/${i}`;
          if (!validHugepageSize(l.pageSize)) throw configError('config.json', `${p}/pageSize`, `invalid hugepage size ${JSON.stringify(l.pageSize)}`);
          const file = `hugetlb.${l.pageSize}.limit_in_bytes`;
          if (!has(dir, file)) {
            throw unavailable(`${p}/pageSize`, `hugepage size ${l.pageSize} not supported (available: ${hugeSizes(io, dir, /^hugetlb\.(\w+)\.limit_in_bytes$/).join(', ') || 'none'})`);
          }
          steps.push(w(dir, file, intText(l.limit), `${p}/limit`));
          const rsvd = `hugetlb.${l.pageSize}.rsvd.limit_in_bytes`;
          if (has(dir, rsvd)) steps.push(w(dir, rsvd, intText(l.limit), `${p}/limit`));
        });
      } else if (u !== undefined) {
        const udir = this.dirOf(u);
        if (!io.exists(udir)) throw new OciError('system', `cgroup ${udir} does not exist`);
        steps.push(...planHugetlbV2(io, udir, hp, () => {
          if (!readWordsSafe(io, path.join(u.mountpoint, 'cgroup.controllers')).includes('hugetlb')) {
            throw unavailable(ptr, 'hugetlb cgroup controller not mounted (neither v1 nor in the cgroup2 hierarchy)');
          }
          enableControllers(io, u.mountpoint, this.path, ['hugetlb']);
          if (!readWordsSafe(io, path.join(udir, 'cgroup.controllers')).includes('hugetlb')) {
            throw unavailable(ptr, `hugetlb controller could not be enabled for ${udir}`);
          }
        }));
      } else {
        throw unavailable(ptr, 'hugetlb cgroup controller not mounted');
      }
    }

    // ---- network
    const n = r.network;
    if (n !== undefined) {
      const base = '/linux/resources/network';
      if (n.classID !== undefined) {
        const dir = need('net_cls', `${base}/classID`);
        needFile(dir, 'net_cls.classid', `${base}/classID`);
        steps.push(w(dir, 'net_cls.classid', intText(n.classID), `${base}/classID`));
      }
      const prios = n.priorities ?? [];
      if (prios.length > 0) {
        const dir = need('net_prio', `${base}/priorities`);
        needFile(dir, 'net_prio.ifpriomap', `${base}/priorities`);
        prios.forEach((p, i) => steps.push(w(dir, 'net_prio.ifpriomap', `${p.name} ${intText(p.priority)}`, `${base}/priorities/${i}`)));
      }
    }

    // ---- rdma
    const rdma = Object.entries(r.rdma ?? {});
    if (rdma.length > 0) {
      const dir = need('rdma', '/linux/resources/rdma');
      needFile(dir, 'rdma.max', '/linux/resources/rdma');
      for (const [dev, lim] of rdma) steps.push(w(dir, 'rdma.max', rdmaLine(dev, lim), `/linux/resources/rdma/${ptrToken(dev)}`));
    }

    // ---- unified: cgroup v2 only (runc: "cannot use unified on cgroup v1")
    if (Object.keys(r.unified ?? {}).length > 0) {
      throw unavailable('/linux/resources/unified', 'invalid configuration: cannot use unified resources on cgroup v1');
    }

    return steps;
  }
}

function safeRead(io: CgroupIo, dir: string, file: string): string {
  try {
    return io.read(path.join(dir, file)).trim();
  } catch {
    return '?';
  }
}

function readWordsSafe(io: CgroupIo, file: string): string[] {
  try {
    return io.read(file).split(/\s+/).filter((s) => s !== '');
  } catch {
    return [];
  }
}
