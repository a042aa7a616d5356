/**
 * Unit tests for lib/cgroups: mountinfo probing, path resolution, value conversions, and the
 * v1/v2 managers against a FAKE cgroupfs (a temp directory tree with pre-created control files
 * and a CgroupIo that mimics the kernel where it matters: new cgroups get their control files,
 * cgroup.subtree_control feeds the children's cgroup.controllers, rmdir works on populated-with-
 * files directories but not on ones with processes or children).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OciError } from '../../lib/errors';
import { configureLog } from '../../lib/log';
import {
  DEFAULT_DEVICE_RULES, deviceRuleText, effectiveDeviceRules, hugepageSizeName, memorySwapToV2,
  normalizeDeviceRules, pidsLimitText, v2Limit, blkioWeightToIoWeight, cpuSharesToWeight, intText,
} from '../../lib/cgroups/convert';
import { pointerToDotted, realIo } from '../../lib/cgroups/io';
import { loadCgroupManager, newCgroupManager } from '../../lib/cgroups/manager';
import { checkSystemdDriver, parseSystemdCgroupPath, resolveCgroupPath } from '../../lib/cgroups/path';
import { hierarchyKey, parseMountinfo, probeHost, unescapeMountField } from '../../lib/cgroups/probe';
import type { CgroupIo, HostCgroups, Resources } from '../../lib/cgroups/types';

// Keep warnings (v2 device rules) out of the test output; the log file goes with the test.
const LOG_FILE = path.join(os.tmpdir(), `oci-ts-cgroups-unit-${process.pid}.log`);
configureLog({ format: 'text', debug: false, file: LOG_FILE });
after(() => fs.rmSync(LOG_FILE, { force: true }));

// ------------------------------------------------------------------------------------------------
// sample mountinfo texts

const V1_MOUNTINFO = `\
18 41 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw,seclabel
24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,seclabel,mode=755
25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,seclabel,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,seclabel,cpuacct,cpu
29 24 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,seclabel,net_prio,net_cls
30 24 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,seclabel,memory
31 24 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,seclabel,cpuset
32 24 0:28 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,seclabel,freezer
33 24 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,seclabel,pids
34 24 0:30 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,seclabel,hugetlb
35 24 0:31 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,seclabel,devices
36 24 0:32 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,seclabel,blkio
37 24 0:33 / /sys/fs/cgroup/perf_event rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,seclabel,perf_event
99 24 0:24 / /mnt/other\\040copy rw,relatime - cgroup cgroup rw,cpuacct,cpu
`;

// This host's layout (separate cpu and cpuacct, hugetlb only in cgroup2).
const HYBRID_MOUNTINFO = `\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

const UNIFIED_MOUNTINFO = `\
22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,seclabel,nsdelegate,memory_recursiveprot
36 24 0:30 / /run/other rw - cgroup2 cgroup2 rw
`;

// ------------------------------------------------------------------------------------------------
// fake cgroupfs

const tmpRoots: string[] = [];
after(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function errno(code: string, p: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${p}`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = p;
  return e;
}

/** Control files of a new (non-root) cgroup, per hierarchy directory name. */
const V1_FILES: Record<string, Record<string, string>> = {
  'cpu,cpuacct': {
    'cpu.shares': '1024\n', 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_burst_us': '0\n',
    'cpu.idle': '0\n', 'cpu.rt_period_us': '1000000\n', 'cpu.rt_runtime_us': '0\n', 'cpuacct.usage': '0\n',
  },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  memory: {
    'memory.limit_in_bytes': '9223372036854771712\n', 'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.soft_limit_in_bytes': '9223372036854771712\n', 'memory.swappiness': '60\n', 'memory.oom_control': 'oom_kill_disable 0\n',
    'memory.usage_in_bytes': '0\n', 'memory.max_usage_in_bytes': '0\n',
  },
  devices: { 'devices.allow': '', 'devices.deny': '', 'devices.list': 'a *:* rwm\n' },
  freezer: { 'freezer.state': 'THAWED\n', 'freezer.self_freezing': '0\n', 'freezer.parent_freezing': '0\n' },
  blkio: {
    'blkio.bfq.weight': '100\n', 'blkio.bfq.weight_device': '', 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
  },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  hugetlb: { 'hugetlb.2MB.limit_in_bytes': '9223372036854771712\n', 'hugetlb.1GB.limit_in_bytes': '9223372036854771712\n' },
  'net_cls,net_prio': { 'net_cls.classid': '0\n', 'net_prio.ifpriomap': 'lo 0\n' },
  systemd: {},
};

const V2_FILES: Record<string, string> = {
  'cgroup.freeze': '0\n', 'cgroup.kill': '', 'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.type': 'domain\n',
  'memory.max': 'max\n', 'memory.low': '0\n', 'memory.swap.max': 'max\n', 'memory.current': '0\n',
  'cpu.weight': '100\n', 'cpu.max': 'max 100000\n', 'cpu.max.burst': '0\n', 'cpu.idle': '0\n',
  'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'pids.max': 'max\n', 'io.weight': 'default 100\n', 'io.max': '',
  'hugetlb.2MB.max': 'max\n', 'hugetlb.2MB.rsvd.max': 'max\n', 'hugetlb.1GB.max': 'max\n', 'hugetlb.1GB.rsvd.max': 'max\n',
  'rdma.max': '', 'memory.high': 'max\n', 'cgroup.max.depth': 'max\n',
};

interface FakeOptions {
  v1?: string[]; // hierarchy dir names to create (keys of V1_FILES)
  v2?: boolean;
  v2Controllers?: string;
  omit?: string[]; // control files not provided by this "kernel"
}

class FakeCgroupFs {
  readonly root: string;
  readonly writes: Array<[string, string]> = [];
  readonly killed: Array<[number, number]> = [];
  readonly opts: FakeOptions;
  readonly io: CgroupIo;

  constructor(opts: FakeOptions) {
    this.opts = opts;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-fakecg-'));
    tmpRoots.push(this.root);
    for (const h of opts.v1 ?? []) {
      const mp = path.join(this.root, h);
      fs.mkdirSync(mp);
      this.populate(mp, h);
      if (h === 'cpuset') {
        fs.writeFileSync(path.join(mp, 'cpuset.cpus'), '0-3\n');
        fs.writeFileSync(path.join(mp, 'cpuset.mems'), '0\n');
      }
    }
    if (opts.v2 === true) {
      const mp = path.join(this.root, 'unified');
      fs.mkdirSync(mp);
      fs.writeFileSync(path.join(mp, 'cgroup.controllers'), (opts.v2Controllers ?? 'cpuset cpu io memory hugetlb pids rdma') + '\n');
      fs.writeFileSync(path.join(mp, 'cgroup.subtree_control'), '\n');
      fs.writeFileSync(path.join(mp, 'cgroup.procs'), '');
    }
    const self = this;
    this.io = {
      write(p: string, value: string): void {
        self.writes.push([self.rel(p), value]);
        if (path.basename(p) === 'cgroup.subtree_control') {
          self.subtreeControl(p, value);
          return;
        }
        realIo.write(p, value);
        if (path.basename(p) === 'cgroup.procs') self.movePid(p, value);
        // the kernel reports the freezer state in cgroup.events
        if (path.basename(p) === 'cgroup.freeze') fs.writeFileSync(path.join(path.dirname(p), 'cgroup.events'), `populated 0\nfrozen ${value.trim()}\n`);
      },
      read: (p) => realIo.read(p),
      exists: (p) => realIo.exists(p),
      mkdir(p: string): void {
        realIo.mkdir(p);
        const h = self.rel(p).split('/')[0] ?? '';
        self.populate(p, h);
      },
      rmdir(p: string): void {
        if (realIo.subdirs(p).length > 0) throw errno('EBUSY', p);
        const procs = path.join(p, 'cgroup.procs');
        if (fs.existsSync(procs) && fs.readFileSync(procs, 'utf8').trim() !== '') throw errno('EBUSY', p);
        fs.rmSync(p, { recursive: true });
      },
      subdirs: (p) => realIo.subdirs(p),
      list: (p) => realIo.list(p),
      kill(pid: number, signal: number): void {
        self.killed.push([pid, signal]);
        if (signal === 9) self.removePid(pid);
      },
    };
  }

  rel(p: string): string {
    return path.relative(this.root, p);
  }

  /** Give a new cgroup directory its control files. */
  populate(dir: string, hierarchy: string): void {
    const omit = new Set(this.opts.omit ?? []);
    const files: Record<string, string> =
      hierarchy === 'unified' ? { ...V2_FILES } : { ...(V1_FILES[hierarchy] ?? {}) };
    files['cgroup.procs'] = '';
    if (hierarchy === 'unified') {
      const parentSub = path.join(path.dirname(dir), 'cgroup.subtree_control');
      files['cgroup.controllers'] = fs.existsSync(parentSub) ? fs.readFileSync(parentSub, 'utf8') : '\n';
      files['cgroup.subtree_control'] = '\n';
    }
    for (const [f, v] of Object.entries(files)) if (!omit.has(f)) fs.writeFileSync(path.join(dir, f), v);
  }

  subtreeControl(file: string, value: string): void {
    const dir = path.dirname(file);
    const available = new Set(fs.readFileSync(path.join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter(Boolean));
    const enabled = new Set(fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean));
    for (const tok of value.split(/\s+/).filter(Boolean)) {
      const name = tok.slice(1);
      if (!available.has(name)) throw errno('ENOENT', file);
      if (tok[0] === '+') enabled.add(name);
      else enabled.delete(name);
    }
    const text = [...enabled].join(' ') + '\n';
    fs.writeFileSync(file, text);
    for (const sub of realIo.subdirs(dir)) fs.writeFileSync(path.join(dir, sub, 'cgroup.controllers'), text);
  }

  movePid(procsFile: string, value: string): void {
    // Writing a pid appends it (the regular file was truncated by the write: rebuild it).
    const pid = value.trim();
    const prev = this.pids.get(procsFile) ?? [];
    prev.push(pid);
    this.pids.set(procsFile, prev);
    fs.writeFileSync(procsFile, prev.join('\n') + '\n');
  }

  private readonly pids = new Map<string, string[]>();

  setProcs(relDir: string, pids: number[]): void {
    const f = path.join(this.root, relDir, 'cgroup.procs');
    this.pids.set(f, pids.map(String));
    fs.writeFileSync(f, pids.map((p) => `${p}\n`).join(''));
  }

  removePid(pid: number): void {
    for (const [f, list] of this.pids) {
      const next = list.filter((p) => p !== String(pid));
      this.pids.set(f, next);
      if (fs.existsSync(f)) fs.writeFileSync(f, next.map((p) => `${p}\n`).join(''));
    }
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.root, rel), 'utf8');
  }

  exists(rel: string): boolean {
    return fs.existsSync(path.join(this.root, rel));
  }

  mountinfo(): string {
    let id = 100;
    const lines: string[] = [];
    for (const h of this.opts.v1 ?? []) {
      const opts = h === 'systemd' ? 'rw,xattr,name=systemd' : `rw,${h.split(',').reverse().join(',')}`;
      lines.push(`${id++} 31 0:${id} / ${path.join(this.root, h)} rw,relatime - cgroup cgroup ${opts}`);
    }
    if (this.opts.v2 === true) lines.push(`${id++} 31 0:${id} / ${path.join(this.root, 'unified')} rw,relatime - cgroup2 cgroup2 rw`);
    return lines.join('\n') + '\n';
  }

  host(): HostCgroups {
    return probeHost(this.mountinfo());
  }

  /** Writes below relDir as [file, value], in order. */
  writesIn(relDir: string): Array<[string, string]> {
    return this.writes.filter(([p]) => path.dirname(p) === relDir).map(([p, v]) => [path.basename(p), v]);
  }

  /** Pre-create the cgroup directory (as if an earlier create()), without recording it as ours. */
  precreate(cgPath: string): void {
    for (const h of [...(this.opts.v1 ?? []), ...(this.opts.v2 === true ? ['unified'] : [])]) {
      let cur = path.join(this.root, h);
      for (const comp of cgPath.split('/').filter(Boolean)) {
        cur = path.join(cur, comp);
        if (!fs.existsSync(cur)) this.io.mkdir(cur);
      }
    }
    this.writes.length = 0;
  }
}

const ALL_V1 = ['cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls,net_prio', 'systemd'];

function ociErr(fn: () => unknown, check: { message?: RegExp | string; pointer?: string; kind?: string }): OciError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof OciError, `expected an OciError, got ${String(caught)}`);
  const e = caught as OciError;
  if (check.message instanceof RegExp) assert.match(e.message, check.message);
  else if (typeof check.message === 'string') assert.equal(e.message, check.message);
  if (check.pointer !== undefined) assert.equal(e.pointer, check.pointer);
  if (check.kind !== undefined) assert.equal(e.kind, check.kind);
  return e;
}

// ------------------------------------------------------------------------------------------------

describe('probe', () => {
  test('parseMountinfo splits optional fields and unescapes', () => {
    const m = parseMountinfo(V1_MOUNTINFO);
    assert.equal(m.length, 14);
    const last = m[13]!;
    assert.equal(last.mountpoint, '/mnt/other copy');
    assert.equal(last.fstype, 'cgroup');
    assert.deepEqual(last.superOptions, ['rw', 'cpuacct', 'cpu']);
    assert.equal(unescapeMountField('a\\040b\\011c\\134d'), 'a b\tc\\d');
  });

  test('v1 host', () => {
    const h = probeHost(V1_MOUNTINFO);
    assert.equal(h.mode, 'v1');
    const keys = h.hierarchies.map(hierarchyKey);
    assert.deepEqual(keys, [
      'name=systemd', 'cpu,cpuacct', 'net_cls,net_prio', 'memory', 'cpuset', 'freezer', 'pids', 'hugetlb', 'devices', 'blkio', 'perf_event',
    ]);
    const sd = h.hierarchies[0]!;
    assert.equal(sd.name, 'systemd');
    assert.deepEqual(sd.controllers, []);
    assert.equal(sd.mountpoint, '/sys/fs/cgroup/systemd');
    // The bind mount of the same hierarchy is deduplicated: the first mountpoint wins.
    assert.equal(h.hierarchies[1]!.mountpoint, '/sys/fs/cgroup/cpu,cpuacct');
    assert.deepEqual(h.hierarchies[1]!.controllers, ['cpu', 'cpuacct']);
  });

  test('hybrid host (this machine\'s layout)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-probe-'));
    tmpRoots.push(dir);
    let reads = 0;
    const h = probeHost(HYBRID_MOUNTINFO, (mp) => {
      reads++;
      assert.equal(mp, '/sys/fs/cgroup/unified');
      return ['hugetlb'];
    });
    assert.equal(h.mode, 'hybrid');
    assert.deepEqual(h.hierarchies.map(hierarchyKey), ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'name=systemd', 'unified']);
    const u = h.hierarchies[9]!;
    assert.equal(u.kind, 'v2');
    assert.equal(u.mountpoint, '/sys/fs/cgroup/unified');
    assert.equal(reads, 0, 'cgroup.controllers is read lazily');
    assert.deepEqual(u.controllers, ['hugetlb']);
    assert.deepEqual(u.controllers, ['hugetlb']);
    assert.equal(reads, 1);
  });

  test('unified host, controllers read from cgroup.controllers on access', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-probe-'));
    tmpRoots.push(dir);
    fs.writeFileSync(path.join(dir, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const h = probeHost(UNIFIED_MOUNTINFO.replace(' /sys/fs/cgroup ', ` ${dir} `));
    assert.equal(h.mode, 'unified');
    assert.equal(h.hierarchies.length, 1, 'second cgroup2 mount deduplicated');
    assert.equal(h.hierarchies[0]!.mountpoint, dir);
    assert.deepEqual(h.hierarchies[0]!.controllers, ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    assert.deepEqual(JSON.parse(JSON.stringify(h.hierarchies[0])).controllers, ['cpuset', 'cpu', 'io', 'memory', 'pids']);
  });

  test('no cgroup mounts', () => {
    const h = probeHost('22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n');
    assert.equal(h.hierarchies.length, 0);
    assert.throws(() => newCgroupManager({ id: 'x', host: h }), /no cgroup file system mounted/);
  });

  test('probeHost() on this machine parses', () => {
    const h = probeHost();
    assert.ok(['v1', 'hybrid', 'unified'].includes(h.mode));
  });
});

describe('path', () => {
  test('default, absolute, relative', () => {
    assert.equal(resolveCgroupPath(undefined, 'abc'), '/oci-ts/abc');
    assert.equal(resolveCgroupPath('', 'abc'), '/oci-ts/abc');
    assert.equal(resolveCgroupPath('/a/b', 'abc'), '/a/b');
    assert.equal(resolveCgroupPath('//a/./b/', 'abc'), '/a/b');
    assert.equal(resolveCgroupPath('a/b', 'abc'), '/a/b', 'relative paths go under the root, never the caller\'s cgroup');
  });

  test('refuses .. and the root', () => {
    ociErr(() => resolveCgroupPath('/a/../b', 'x'), { pointer: '/linux/cgroupsPath', message: /must not contain "\.\." components/ });
    ociErr(() => resolveCgroupPath('../x', 'x'), { pointer: '/linux/cgroupsPath' });
    ociErr(() => resolveCgroupPath('/', 'x'), { pointer: '/linux/cgroupsPath', message: /root cgroup/ });
    assert.throws(() => resolveCgroupPath(undefined, '..'));
    assert.throws(() => resolveCgroupPath(undefined, 'a/b'));
  });

  test('systemd driver', () => {
    assert.deepEqual(parseSystemdCgroupPath('system.slice:docker:abc'), { slice: 'system.slice', prefix: 'docker', name: 'abc' });
    ociErr(() => parseSystemdCgroupPath('/a/b'), { message: /slice:prefix:name/ });
    ociErr(() => checkSystemdDriver('system.slice:x:y', 'id', false), {
      message: 'systemd cgroup driver: systemd is not running on this host', pointer: '/linux/cgroupsPath',
    });
    ociErr(() => checkSystemdDriver(undefined, 'id', false), { message: /systemd is not running/ });
    ociErr(() => checkSystemdDriver('system.slice:x:y', 'id', true), { message: /not implemented/ });
    ociErr(() => checkSystemdDriver('bad', 'id', false), { message: /slice:prefix:name/ });
    ociErr(() => newCgroupManager({ id: 'x', systemd: true, cgroupsPath: 'a:b:c', systemdRunning: false }), {
      message: 'systemd cgroup driver: systemd is not running on this host',
    });
    // On this host (no systemd) the default check agrees.
    if (!fs.existsSync('/run/systemd/system')) {
      ociErr(() => newCgroupManager({ id: 'x', systemd: true, cgroupsPath: 'a:b:c' }), { message: /systemd is not running on this host/ });
    }
  });
});

describe('conversions', () => {
  test('cpu shares -> weight (runc formula)', () => {
    assert.equal(cpuSharesToWeight(0), 0);
    assert.equal(cpuSharesToWeight(2), 1);
    assert.equal(cpuSharesToWeight(1024), 39);
    assert.equal(cpuSharesToWeight(512), 20);
    assert.equal(cpuSharesToWeight(262144), 10000);
  });

  test('blkio weight -> io weight', () => {
    assert.equal(blkioWeightToIoWeight(0), 0);
    assert.equal(blkioWeightToIoWeight(10), 1);
    assert.equal(blkioWeightToIoWeight(500), 4950);
    assert.equal(blkioWeightToIoWeight(1000), 10000);
  });

  test('memory swap -> memory.swap.max', () => {
    assert.equal(memorySwapToV2(undefined, undefined), undefined);
    assert.equal(memorySwapToV2(undefined, 1000), undefined);
    assert.equal(memorySwapToV2(undefined, -1), 'max');
    assert.equal(memorySwapToV2(-1, 1000), 'max');
    assert.equal(memorySwapToV2(3000, 1000), '2000');
    assert.equal(memorySwapToV2(1000, 1000), '0');
    ociErr(() => memorySwapToV2(500, 1000), { pointer: '/linux/resources/memory/swap', message: /should be >= memory limit/ });
    ociErr(() => memorySwapToV2(500, undefined), { pointer: '/linux/resources/memory/swap', message: /without memory limit/ });
  });

  test('limits and numbers', () => {
    assert.equal(v2Limit(undefined), undefined);
    assert.equal(v2Limit(0), undefined);
    assert.equal(v2Limit(-1), 'max');
    assert.equal(v2Limit(67108864), '67108864');
    assert.equal(pidsLimitText(-1), 'max');
    assert.equal(pidsLimitText(0), 'max');
    assert.equal(pidsLimitText(20), '20');
    assert.equal(intText(1e21), '1000000000000000000000');
    assert.equal(hugepageSizeName(2048), '2MB');
    assert.equal(hugepageSizeName(1048576), '1GB');
    assert.equal(hugepageSizeName(64), '64KB');
  });

  test('pointers in messages', () => {
    assert.equal(pointerToDotted('/linux/resources/memory/swap'), 'linux.resources.memory.swap');
    assert.equal(pointerToDotted('/linux/resources/hugepageLimits/0/pageSize'), 'linux.resources.hugepageLimits[0].pageSize');
    assert.equal(pointerToDotted('/linux/resources/unified/a~1b'), 'linux.resources.unified.a/b');
  });

  test('device rules', () => {
    const rules = normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
      { allow: true, type: 'b', major: 8, minor: null },
    ]);
    assert.deepEqual(rules.map(deviceRuleText), ['a *:* rwm', 'c 10:229 rw', 'b 8:* rwm']);
    ociErr(() => normalizeDeviceRules([{ allow: true, type: 'x' }]), { pointer: '/linux/resources/devices/0/type' });
    ociErr(() => normalizeDeviceRules([{ allow: true, access: 'rwx' }]), { pointer: '/linux/resources/devices/0/access' });
    const eff = effectiveDeviceRules([{ allow: false, access: 'rwm' }]);
    assert.equal(eff.length, 1 + DEFAULT_DEVICE_RULES.length);
    assert.deepEqual(eff.slice(1).map(deviceRuleText), [
      'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm',
    ]);
  });
});

// ------------------------------------------------------------------------------------------------

describe('v1 manager on a fake cgroupfs', () => {
  test('create() makes the directory in every hierarchy, copies cpuset, records what it created', () => {
    const f = new FakeCgroupFs({ v1: ALL_V1 });
    fs.mkdirSync(path.join(f.root, 'memory', 'pre'));
    const m = newCgroupManager({ id: 'c1', cgroupsPath: '/pre/a/c1', host: f.host(), io: f.io });
    assert.equal(m.version, 'v1');
    assert.deepEqual(Object.keys(m.paths), [
      'cpu,cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'hugetlb', 'net_cls,net_prio', 'name=systemd',
    ]);
    assert.equal(m.paths['name=systemd'], path.join(f.root, 'systemd', 'pre/a/c1'));
    m.create();
    for (const h of ALL_V1) assert.ok(f.exists(`${h}/pre/a/c1`), h);
    // cpuset: every new level initialised from its parent
    assert.deepEqual(f.writesIn('cpuset/pre'), [['cpuset.cpus', '0-3\n'.trim()], ['cpuset.mems', '0']]);
    assert.deepEqual(f.writesIn('cpuset/pre/a/c1'), [['cpuset.cpus', '0-3'], ['cpuset.mems', '0']]);
    const j = m.toJSON();
    assert.ok(!j.created.includes(path.join(f.root, 'memory', 'pre')), 'pre-existing dir not recorded');
    assert.ok(j.created.includes(path.join(f.root, 'memory', 'pre', 'a')));
    assert.ok(j.created.includes(path.join(f.root, 'cpuset', 'pre')));
    m.destroy();
    for (const h of ALL_V1) {
      assert.ok(!f.exists(`${h}/pre/a`), `${h}/pre/a removed`);
      if (h === 'memory') assert.ok(f.exists('memory/pre'), 'never remove a dir we did not create');
      else assert.ok(!f.exists(`${h}/pre`), `${h}/pre removed`);
    }
    m.destroy(); // idempotent, tolerates ENOENT
  });

  test('apply() writes exactly the mapped files', () => {
    const f = new FakeCgroupFs({ v1: ALL_V1 });
    f.precreate('/oci-ts/c2');
    const m = newCgroupManager({ id: 'c2', host: f.host(), io: f.io });
    const r: Resources = {
      memory: { limit: 67108864, reservation: 33554432, swap: 134217728, swappiness: 10, disableOOMKiller: true },
      cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, idle: 0, realtimeRuntime: 1000, realtimePeriod: 100000, cpus: '0-1', mems: '0' },
      pids: { limit: 20 },
      blockIO: {
        weight: 300,
        weightDevice: [{ major: 8, minor: 0, weight: 500 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      },
      hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 1 }] },
    };
    m.apply(r);
    const cg = 'oci-ts/c2';
    // current limit (huge) >= new memsw: limit first, then memsw
    assert.deepEqual(f.writesIn(`memory/${cg}`), [
      ['memory.limit_in_bytes', '67108864'], ['memory.memsw.limit_in_bytes', '134217728'], ['memory.soft_limit_in_bytes', '33554432'],
      ['memory.swappiness', '10'], ['memory.oom_control', '1'],
    ]);
    assert.deepEqual(f.writesIn(`cpu,cpuacct/${cg}`), [
      ['cpu.shares', '512'], ['cpu.cfs_period_us', '100000'], ['cpu.cfs_burst_us', '1000'], ['cpu.cfs_quota_us', '50000'], ['cpu.idle', '0'],
      ['cpu.rt_period_us', '100000'], ['cpu.rt_runtime_us', '1000'],
    ]);
    assert.deepEqual(f.writesIn(`cpuset/${cg}`), [['cpuset.cpus', '0-1'], ['cpuset.mems', '0']]);
    assert.deepEqual(f.writesIn(`pids/${cg}`), [['pids.max', '20']]);
    assert.deepEqual(f.writesIn(`blkio/${cg}`), [
      ['blkio.bfq.weight', '300'], ['blkio.bfq.weight_device', '8:0 500'], ['blkio.throttle.read_bps_device', '8:0 1048576'],
      ['blkio.throttle.write_iops_device', '8:0 100'],
    ]);
    assert.deepEqual(f.writesIn(`hugetlb/${cg}`), [['hugetlb.2MB.limit_in_bytes', '4194304']]);
    assert.deepEqual(f.writesIn(`net_cls,net_prio/${cg}`), [
      ['net_cls.classid', '1048577'], ['net_prio.ifpriomap', 'eth0 5'], ['net_prio.ifpriomap', 'lo 1'],
    ]);
    assert.equal(f.writesIn(`devices/${cg}`).length, 0, 'no device rules given: nothing written');
    assert.equal(f.read(`memory/${cg}/memory.limit_in_bytes`), '67108864');
  });

  test('memory: memsw written first when raising above the current limit; -1 limit implies -1 memsw', () => {
    const f = new FakeCgroupFs({ v1: ['memory'] });
    f.precreate('/x');
    fs.writeFileSync(path.join(f.root, 'memory/x/memory.limit_in_bytes'), '1048576\n');
    const m = newCgroupManager({ id: 'x', cgroupsPath: '/x', host: f.host(), io: f.io });
    m.apply({ memory: { limit: 4194304, swap: 8388608 } });
    assert.deepEqual(f.writesIn('memory/x'), [['memory.memsw.limit_in_bytes', '8388608'], ['memory.limit_in_bytes', '4194304']]);
    f.writes.length = 0;
    m.apply({ memory: { limit: -1 } });
    assert.deepEqual(f.writesIn('memory/x'), [['memory.memsw.limit_in_bytes', '-1'], ['memory.limit_in_bytes', '-1']]);
    f.writes.length = 0;
    ociErr(() => m.apply({ memory: { limit: 4194304, swap: 1048576 } }), { pointer: '/linux/resources/memory/swap', kind: 'config' });
    ociErr(() => m.apply({ memory: { swappiness: 101 } }), { pointer: '/linux/resources/memory/swappiness' });
    assert.equal(f.writes.length, 0, 'validation happens before any write');
  });

  test('devices: config rules then the defaults', () => {
    const f = new FakeCgroupFs({ v1: ['devices'] });
    f.precreate('/d');
    const m = newCgroupManager({ id: 'd', cgroupsPath: '/d', host: f.host(), io: f.io });
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, { allow: false, type: 'c', major: 5, minor: 1, access: 'w' }] });
    assert.deepEqual(f.writesIn('devices/d'), [
      ['devices.deny', 'a *:* rwm'], ['devices.allow', 'c 10:200 rwm'], ['devices.deny', 'c 5:1 w'],
      ['devices.allow', 'c *:* m'], ['devices.allow', 'b *:* m'], ['devices.allow', 'c 1:3 rwm'], ['devices.allow', 'c 1:5 rwm'],
      ['devices.allow', 'c 1:7 rwm'], ['devices.allow', 'c 1:8 rwm'], ['devices.allow', 'c 1:9 rwm'], ['devices.allow', 'c 5:0 rwm'],
      ['devices.allow', 'c 5:1 rwm'], ['devices.allow', 'c 5:2 rwm'], ['devices.allow', 'c 136:* rwm'],
    ]);
  });

  test('unset values are never written', () => {
    const f = new FakeCgroupFs({ v1: ALL_V1 });
    f.precreate('/u');
    const m = newCgroupManager({ id: 'u', cgroupsPath: '/u', host: f.host(), io: f.io });
    m.apply(undefined);
    m.apply({});
    m.apply({ memory: {}, cpu: {}, pids: {}, blockIO: {}, hugepageLimits: [], network: {}, unified: {} });
    m.apply({ memory: { limit: 0, swap: 0, reservation: 0, swappiness: -1, disableOOMKiller: false }, cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' } });
    assert.deepEqual(f.writes, []);
  });

  test('missing controllers and files give config errors naming the field', () => {
    const f = new FakeCgroupFs({ v1: ['cpu,cpuacct', 'memory', 'cpuset', 'hugetlb', 'blkio'], omit: ['memory.memsw.limit_in_bytes', 'cpu.cfs_burst_us', 'cpu.idle', 'cpu.rt_runtime_us'] });
    f.precreate('/m');
    const m = newCgroupManager({ id: 'm', cgroupsPath: '/m', host: f.host(), io: f.io });
    const e = ociErr(() => m.apply({ memory: { limit: 67108864, swap: 134217728 } }), {
      pointer: '/linux/resources/memory/swap', kind: 'config', message: /^linux\.resources\.memory\.swap: .*memsw not available/,
    });
    assert.ok(e.message.includes('memory.memsw.limit_in_bytes'));
    ociErr(() => m.apply({ pids: { limit: 10 } }), { pointer: '/linux/resources/pids/limit', message: 'linux.resources.pids.limit: pids cgroup controller not mounted' });
    ociErr(() => m.apply({ network: { classID: 1 } }), { pointer: '/linux/resources/network/classID', message: /net_cls cgroup controller not mounted/ });
    ociErr(() => m.apply({ devices: [] }), { pointer: '/linux/resources/devices' });
    ociErr(() => m.apply({ cpu: { idle: 1 } }), { pointer: '/linux/resources/cpu/idle', message: 'linux.resources.cpu.idle: cpu.idle not available' });
    ociErr(() => m.apply({ cpu: { realtimeRuntime: 100 } }), { pointer: '/linux/resources/cpu/realtimeRuntime' });
    ociErr(() => m.apply({ hugepageLimits: [{ pageSize: '64KB', limit: 1 }] }), {
      pointer: '/linux/resources/hugepageLimits/0/pageSize', message: /hugepage size 64KB not supported \(available: 1GB, 2MB\)/,
    });
    ociErr(() => m.apply({ hugepageLimits: [{ pageSize: '2M', limit: 1 }] }), { pointer: '/linux/resources/hugepageLimits/0/pageSize' });
    ociErr(() => m.apply({ unified: { 'memory.high': '1' } }), { pointer: '/linux/resources/unified', message: /cannot use unified/ });
    ociErr(() => m.apply({ blockIO: { leafWeight: 10 } }), { pointer: '/linux/resources/blockIO/leafWeight' });
    assert.deepEqual(f.writes, [], 'nothing written by failing applies');
    // -1 swap without memsw is what the host does anyway; burst without the file is ignored (like runc).
    m.apply({ memory: { limit: 1048576, swap: -1 }, cpu: { burst: 10, quota: 1000 } });
    assert.deepEqual(f.writesIn('memory/m'), [['memory.limit_in_bytes', '1048576']]);
    assert.deepEqual(f.writesIn('cpu,cpuacct/m'), [['cpu.cfs_quota_us', '1000']]);
  });

  test('kernel errors report the file and value', () => {
    const f = new FakeCgroupFs({ v1: ['memory'] });
    f.precreate('/e');
    const io: CgroupIo = {
      ...f.io,
      write(p: string, v: string): void {
        if (p.endsWith('memory.limit_in_bytes')) throw errno('EINVAL', p);
        f.io.write(p, v);
      },
    };
    const m = newCgroupManager({ id: 'e', cgroupsPath: '/e', host: f.host(), io });
    ociErr(() => m.apply({ memory: { limit: 67108864 } }), {
      kind: 'system', message: 'failed to write 67108864 to memory.limit_in_bytes: invalid argument', pointer: '/linux/resources/memory/limit',
    });
    const io2: CgroupIo = { ...f.io, write(p: string): void { throw errno('EBUSY', p); } };
    const m2 = newCgroupManager({ id: 'e', cgroupsPath: '/e', host: f.host(), io: io2 });
    ociErr(() => m2.apply({ memory: { limit: 1 } }), { message: /^unable to set memory limit to 1 \(current usage: 0, peak usage: 0\)$/ });
  });

  test('cpu.shares read-back reports the kernel bound', () => {
    const f = new FakeCgroupFs({ v1: ['cpu,cpuacct'] });
    f.precreate('/s');
    const io: CgroupIo = {
      ...f.io,
      write(p: string, v: string): void {
        f.io.write(p, p.endsWith('cpu.shares') ? String(Math.min(Number(v), 262144)) : v);
      },
    };
    const m = newCgroupManager({ id: 's', cgroupsPath: '/s', host: f.host(), io });
    ociErr(() => m.apply({ cpu: { shares: 500000 } }), { message: 'the maximum allowed cpu-shares is 262144', pointer: '/linux/resources/cpu/shares' });
  });

  test('addProcess, procs, freeze, kill, destroy with leftovers', () => {
    const f = new FakeCgroupFs({ v1: ['cpu,cpuacct', 'memory', 'freezer', 'pids', 'systemd'], v2: true, v2Controllers: 'hugetlb' });
    const m = newCgroupManager({ id: 'p', host: f.host(), io: f.io });
    assert.ok('unified' in m.paths, 'hybrid: the cgroup2 hierarchy gets the dir too');
    m.create();
    m.addProcess(4242);
    for (const h of ['cpu,cpuacct', 'memory', 'freezer', 'pids', 'systemd', 'unified']) {
      assert.deepEqual(f.writesIn(`${h}/oci-ts/p`).filter(([file]) => file === 'cgroup.procs'), [['cgroup.procs', '4242']], h);
    }
    // read from the first hierarchy with pids or freezer (freezer here), sub-cgroups included
    fs.mkdirSync(path.join(f.root, 'freezer/oci-ts/p/sub'));
    f.setProcs('freezer/oci-ts/p', [30, 10]);
    f.setProcs('freezer/oci-ts/p/sub', [20, 10]);
    assert.deepEqual(m.procs(), [10, 20, 30]);

    assert.equal(m.frozen(), false);
    m.freeze();
    assert.equal(f.read('freezer/oci-ts/p/freezer.state'), 'FROZEN');
    fs.writeFileSync(path.join(f.root, 'freezer/oci-ts/p/freezer.self_freezing'), '1\n');
    assert.equal(m.frozen(), true);
    m.thaw();
    fs.writeFileSync(path.join(f.root, 'freezer/oci-ts/p/freezer.self_freezing'), '0\n');
    assert.equal(m.frozen(), false);

    f.writes.length = 0;
    m.kill(15);
    assert.deepEqual(f.killed, [[10, 15], [20, 15], [30, 15]]);
    assert.deepEqual(f.writesIn('freezer/oci-ts/p'), [['freezer.state', 'FROZEN'], ['freezer.state', 'THAWED']], 'frozen around the signalling');
    f.killed.length = 0;
    f.writes.length = 0;
    m.kill(9);
    assert.deepEqual(f.writesIn('unified/oci-ts/p'), [['cgroup.kill', '1']], 'hybrid SIGKILL also uses cgroup.kill');
    assert.deepEqual(f.killed.map(([, s]) => s), [9, 9, 9]);

    // leftovers: a process still in the memory cgroup is killed by destroy(), then rmdir succeeds
    fs.rmSync(path.join(f.root, 'freezer/oci-ts/p/sub'), { recursive: true });
    f.setProcs('freezer/oci-ts/p', []);
    f.removePid(4242);
    f.setProcs('memory/oci-ts/p', [77]);
    f.killed.length = 0;
    m.destroy();
    assert.deepEqual(f.killed, [[77, 9]]);
    for (const h of ['cpu,cpuacct', 'memory', 'freezer', 'pids', 'systemd', 'unified']) {
      assert.ok(!f.exists(`${h}/oci-ts/p`), h);
      assert.ok(!f.exists(`${h}/oci-ts`), `${h}: the /oci-ts parent we created is removed too`);
    }
  });

  test('destroy() keeps a shared parent that is still in use and reports a stuck leaf', () => {
    const f = new FakeCgroupFs({ v1: ['memory'] });
    const a = newCgroupManager({ id: 'a', host: f.host(), io: f.io });
    a.create();
    const b = newCgroupManager({ id: 'b', host: f.host(), io: f.io });
    b.create();
    assert.ok(b.toJSON().created.every((d) => !d.endsWith('/oci-ts')), 'b did not create /oci-ts');
    a.destroy();
    assert.ok(f.exists('memory/oci-ts/b'));
    const io: CgroupIo = { ...f.io, rmdir(p: string): void { throw errno('EBUSY', p); } };
    const stuck = loadCgroupManager(b.toJSON(), { io });
    ociErr(() => stuck.destroy(), { kind: 'system', message: /failed to remove cgroup .*oci-ts\/b: device or resource busy/ });
    b.destroy();
    assert.ok(!f.exists('memory/oci-ts/b'));
    assert.ok(f.exists('memory/oci-ts'), 'never remove a dir we did not create');
  });

  test('toJSON() / loadCgroupManager() round trip', () => {
    const f = new FakeCgroupFs({ v1: ['cpu,cpuacct', 'memory', 'systemd'], v2: true, v2Controllers: 'hugetlb' });
    const m = newCgroupManager({ id: 'j', host: f.host(), io: f.io });
    m.create();
    const j = JSON.parse(JSON.stringify(m.toJSON()));
    assert.equal(j.version, 'v1');
    assert.equal(j.path, '/oci-ts/j');
    assert.deepEqual(j.paths, m.paths);
    assert.equal(j.created.length, 8);
    const l = loadCgroupManager(j, { io: f.io });
    assert.equal(l.version, 'v1');
    assert.deepEqual(l.paths, m.paths);
    assert.deepEqual(l.toJSON(), j);
    l.destroy();
    assert.ok(!f.exists('memory/oci-ts'));
    assert.ok(!f.exists('unified/oci-ts'));
    assert.throws(() => loadCgroupManager({} as never), /invalid persisted cgroup state/);
  });

  test('hybrid: hugepage limits go to the cgroup2 hugetlb controller when v1 has none', () => {
    const f = new FakeCgroupFs({ v1: ['memory'], v2: true, v2Controllers: 'hugetlb' });
    const m = newCgroupManager({ id: 'h', host: f.host(), io: f.io });
    m.create();
    m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] });
    assert.equal(f.read('unified/cgroup.subtree_control').trim(), 'hugetlb');
    assert.equal(f.read('unified/oci-ts/cgroup.subtree_control').trim(), 'hugetlb');
    assert.deepEqual(f.writesIn('unified/oci-ts/h'), [['hugetlb.2MB.max', '2097152'], ['hugetlb.2MB.rsvd.max', '2097152']]);
    const f2 = new FakeCgroupFs({ v1: ['memory'], v2: true, v2Controllers: '' });
    const m2 = newCgroupManager({ id: 'h', host: f2.host(), io: f2.io });
    m2.create();
    ociErr(() => m2.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), { pointer: '/linux/resources/hugepageLimits', message: /hugetlb cgroup controller not mounted/ });
  });
});

// ------------------------------------------------------------------------------------------------

describe('v2 manager on a fake cgroupfs', () => {
  function v2(opts: Omit<FakeOptions, 'v2'> = {}): FakeCgroupFs {
    return new FakeCgroupFs({ ...opts, v2: true });
  }
  function host(f: FakeCgroupFs): HostCgroups {
    const h = f.host();
    assert.equal(h.mode, 'unified');
    return h;
  }

  test('create() enables the controllers in every ancestor', () => {
    const f = v2();
    const m = newCgroupManager({ id: 'a', cgroupsPath: '/x/y/a', host: host(f), io: f.io });
    assert.equal(m.version, 'v2');
    assert.deepEqual(Object.keys(m.paths), ['unified']);
    m.create();
    for (const d of ['unified', 'unified/x', 'unified/x/y']) {
      assert.deepEqual(f.read(`${d}/cgroup.subtree_control`).trim().split(' ').sort(), ['cpu', 'cpuset', 'hugetlb', 'io', 'memory', 'pids', 'rdma'], d);
    }
    assert.equal(f.read('unified/x/y/a/cgroup.subtree_control').trim(), '', 'never in the leaf');
    m.destroy();
    assert.ok(!f.exists('unified/x'));
  });

  test('apply() maps the resources to v2 files', () => {
    const f = v2();
    const m = newCgroupManager({ id: 'b', host: host(f), io: f.io });
    m.create();
    f.writes.length = 0;
    m.apply({
      memory: { limit: 67108864, reservation: 33554432, swap: 100663296, disableOOMKiller: false },
      cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, cpus: '0-1', mems: '0' },
      pids: { limit: -1 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 10 }] },
      hugepageLimits: [{ pageSize: '1GB', limit: 0 }],
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 1000 } },
      devices: [{ allow: false, access: 'rwm' }],
      unified: { 'memory.high': '50331648', 'cgroup.max.depth': '4' },
    });
    assert.deepEqual(f.writesIn('unified/oci-ts/b'), [
      ['pids.max', 'max'],
      ['memory.swap.max', '33554432'], ['memory.max', '67108864'], ['memory.low', '33554432'],
      ['io.weight', '4950'], ['io.max', '8:0 rbps=1048576'], ['io.max', '8:16 wiops=10'],
      ['cpu.weight', '20'], ['cpu.max.burst', '1000'], ['cpu.max', '50000 100000'],
      ['cpuset.cpus', '0-1'], ['cpuset.mems', '0'],
      ['hugetlb.1GB.max', '0'], ['hugetlb.1GB.rsvd.max', '0'],
      ['rdma.max', 'mlx5_1 hca_handle=3 hca_object=1000'],
      ['memory.high', '50331648'], ['cgroup.max.depth', '4'],
    ]);
    assert.ok(!f.writesIn('unified/oci-ts/b').some(([file]) => file.startsWith('devices')), 'device rules skipped on v2');
  });

  test('period only keeps the current quota; bfq weight when present', () => {
    const f = v2();
    const m = newCgroupManager({ id: 'c', host: host(f), io: f.io });
    m.create();
    fs.writeFileSync(path.join(f.root, 'unified/oci-ts/c/cpu.max'), '25000 100000\n');
    fs.writeFileSync(path.join(f.root, 'unified/oci-ts/c/io.bfq.weight'), 'default 100\n');
    f.writes.length = 0;
    m.apply({ cpu: { period: 50000 }, blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
    assert.deepEqual(f.writesIn('unified/oci-ts/c'), [['io.bfq.weight', '500'], ['io.bfq.weight', '8:0 200'], ['cpu.max', '25000 50000']]);
    f.writes.length = 0;
    m.apply({ cpu: { quota: -1 }, memory: { limit: -1 } });
    assert.deepEqual(f.writesIn('unified/oci-ts/c'), [['memory.swap.max', 'max'], ['memory.max', 'max'], ['cpu.max', 'max']]);
  });

  test('missing controllers / unsupported fields', () => {
    const f = v2({ v2Controllers: 'cpu memory pids', omit: ['memory.swap.max', 'hugetlb.1GB.max'] });
    const m = newCgroupManager({ id: 'd', host: host(f), io: f.io });
    m.create();
    f.writes.length = 0;
    ociErr(() => m.apply({ cpu: { cpus: '0' } }), { pointer: '/linux/resources/cpu/cpus', message: /^linux\.resources\.cpu\.cpus: cpuset cgroup controller not available/ });
    ociErr(() => m.apply({ memory: { limit: 100, swap: 200 } }), { pointer: '/linux/resources/memory/swap', message: /swap limit set but memory\.swap\.max not available/ });
    ociErr(() => m.apply({ memory: { swappiness: 10 } }), { pointer: '/linux/resources/memory/swappiness' });
    ociErr(() => m.apply({ cpu: { realtimeRuntime: 10 } }), { pointer: '/linux/resources/cpu/realtimeRuntime' });
    ociErr(() => m.apply({ network: { classID: 1 } }), { pointer: '/linux/resources/network/classID' });
    ociErr(() => m.apply({ unified: { 'io.max': '8:0 rbps=1' } }), { pointer: '/linux/resources/unified/io.max', message: /io cgroup controller not available/ });
    ociErr(() => m.apply({ unified: { 'a/b': '1' } }), { pointer: '/linux/resources/unified/a~1b' });
    ociErr(() => m.apply({ unified: { nodot: '1' } }), { pointer: '/linux/resources/unified/nodot', message: /CONTROLLER\.PARAMETER/ });
    ociErr(() => m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), { pointer: '/linux/resources/hugepageLimits' });
    assert.deepEqual(f.writes, []);
    // no swap accounting: swap == limit ("no swap") and -1 are fine
    m.apply({ memory: { limit: 100, swap: 100 } });
    assert.deepEqual(f.writesIn('unified/oci-ts/d'), [['memory.max', '100']]);
  });

  test('checkBeforeUpdate refuses a limit below usage', () => {
    const f = v2();
    const m = newCgroupManager({ id: 'u', host: host(f), io: f.io });
    m.create();
    fs.writeFileSync(path.join(f.root, 'unified/oci-ts/u/memory.current'), '5000\n');
    ociErr(() => m.apply({ memory: { limit: 4096, checkBeforeUpdate: true } }), { message: 'rejecting memory limit 4096 below usage 5000' });
    m.apply({ memory: { limit: 8192, checkBeforeUpdate: true } });
  });

  test('freeze, kill, procs, round trip', () => {
    const f = v2();
    const m = newCgroupManager({ id: 'k', host: host(f), io: f.io });
    m.create();
    m.addProcess(11);
    assert.deepEqual(m.procs(), [11]);
    m.freeze();
    assert.equal(f.read('unified/oci-ts/k/cgroup.freeze'), '1');
    assert.equal(m.frozen(), true);
    m.thaw();
    assert.equal(m.frozen(), false);
    f.writes.length = 0;
    m.kill(9);
    assert.deepEqual(f.writesIn('unified/oci-ts/k'), [['cgroup.kill', '1']]);
    assert.deepEqual(f.killed, []);
    m.kill(15);
    assert.deepEqual(f.killed, [[11, 15]]);
    const l = loadCgroupManager(JSON.parse(JSON.stringify(m.toJSON())), { io: f.io });
    assert.equal(l.version, 'v2');
    f.setProcs('unified/oci-ts/k', []);
    l.destroy();
    assert.ok(!f.exists('unified/oci-ts'));
  });
});
