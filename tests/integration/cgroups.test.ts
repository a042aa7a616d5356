/**
 * Integration tests for lib/cgroups against the real cgroupfs of this host (root only).
 *
 * - The manager newCgroupManager() picks on this host (v1 or hybrid: V1Manager; unified: V2Manager)
 *   for a unique path /oci-ts-test-<pid>-<n>/c: create, apply, join, freeze, kill, destroy.
 * - The V2Manager for real against the cgroup2 hierarchy (on a hybrid host that is
 *   /sys/fs/cgroup/unified): create, join, procs, freeze via cgroup.freeze, kill via cgroup.kill,
 *   hugetlb limit when available, destroy.
 * Everything created is removed in `after` hooks even when a test fails, and any
 * cgroup.subtree_control the tests changed is restored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureLog } from '../../lib/log';
import { newCgroupManager } from '../../lib/cgroups/manager';
import { probeHost } from '../../lib/cgroups/probe';
import type { CgroupManager, Hierarchy, HostCgroups } from '../../lib/cgroups/types';

configureLog({ format: 'text', debug: false, file: path.join(os.tmpdir(), `oci-ts-cgroups-int-${process.pid}.log`) });

const isRoot = process.getuid?.() === 0;
const host: HostCgroups | undefined = fs.existsSync('/proc/self/mountinfo') ? probeHost() : undefined;
const skip = !isRoot ? 'needs root' : host === undefined || host.hierarchies.length === 0 ? 'no cgroup fs' : false;

let counter = 0;
function uniqueTop(): string {
  return `/oci-ts-test-${process.pid}-${++counter}`;
}

const children: ChildProcess[] = [];
const tops: string[] = [];
const subtreeBackup = new Map<string, string>();

function snapshotSubtree(mountpoint: string): void {
  const f = path.join(mountpoint, 'cgroup.subtree_control');
  if (!subtreeBackup.has(f) && fs.existsSync(f)) subtreeBackup.set(f, fs.readFileSync(f, 'utf8').trim());
}

function spawnSleep(): ChildProcess & { pid: number } {
  const c = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(c);
  assert.ok(c.pid !== undefined);
  return c as ChildProcess & { pid: number };
}

function exited(c: ChildProcess, ms = 5000): Promise<NodeJS.Signals | number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.signalCode ?? c.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pid ${c.pid} did not exit`)), ms);
    c.once('exit', (code, sig) => {
      clearTimeout(t);
      resolve(sig ?? code);
    });
  });
}

function read(p: string): string {
  return fs.readFileSync(p, 'utf8').trim();
}

function procCgroupLines(pid: number): string[] {
  return read(`/proc/${pid}/cgroup`).split('\n');
}

function procState(pid: number): string {
  return /^State:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
}

/** Remove <mountpoint><top> and everything below it in every hierarchy, bottom-up (best effort). */
function cleanupTop(top: string): void {
  for (const h of host?.hierarchies ?? []) {
    const base = path.join(h.mountpoint, top);
    const rm = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(path.join(d, e.name));
      try {
        // Processes left behind (a failed test): kill them, then rmdir.
        for (const pid of read(path.join(d, 'cgroup.procs')).split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone
          }
        }
      } catch {
        // no cgroup.procs
      }
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(d);
          return;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    };
    // thaw first, in case a test failed while frozen
    try {
      fs.writeFileSync(path.join(base, 'c', 'freezer.state'), 'THAWED');
    } catch {
      // not a freezer hierarchy / not there
    }
    try {
      fs.writeFileSync(path.join(base, 'c', 'cgroup.freeze'), '0');
    } catch {
      // not cgroup2 / not there
    }
    rm(base);
  }
}

after(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const t of tops) cleanupTop(t);
  for (const [f, v] of subtreeBackup) {
    try {
      const now = read(f).split(/\s+/).filter(Boolean);
      const was = new Set(v.split(/\s+/).filter(Boolean));
      const extra = now.filter((c) => !was.has(c));
      if (extra.length > 0) fs.writeFileSync(f, extra.map((c) => `-${c}`).join(' '));
    } catch {
      // best effort
    }
  }
});

describe('cgroup manager on this host', { skip }, () => {
  let top = '';
  let m: CgroupManager;
  before(() => {
    top = uniqueTop();
    tops.push(top);
    const u = host?.hierarchies.find((h) => h.kind === 'v2');
    if (u !== undefined) snapshotSubtree(u.mountpoint);
    m = newCgroupManager({ cgroupsPath: `${top}/c`, id: 'c' });
  });

  test('create() makes the directory in every hierarchy', () => {
    const expectedVersion = host?.mode === 'unified' ? 'v2' : 'v1';
    assert.equal(m.version, expectedVersion);
    m.create();
    const paths = m.paths;
    if (host?.mode !== 'unified') {
      for (const h of host?.hierarchies ?? []) {
        const d = path.join(h.mountpoint, top, 'c');
        assert.ok(fs.existsSync(d), `${d} exists`);
        assert.ok(Object.values(paths).includes(d), `${d} in paths`);
      }
      if (host?.hierarchies.some((h) => h.name === 'systemd')) assert.ok('name=systemd' in paths);
      if (host?.mode === 'hybrid') assert.ok('unified' in paths);
      const cpuset = host?.hierarchies.find((h) => h.kind === 'v1' && h.controllers.includes('cpuset'));
      if (cpuset !== undefined) {
        assert.notEqual(read(path.join(cpuset.mountpoint, top, 'cpuset.cpus')), '', 'intermediate cpuset initialised');
        assert.equal(read(path.join(cpuset.mountpoint, top, 'c', 'cpuset.cpus')), read(path.join(cpuset.mountpoint, 'cpuset.cpus')));
        assert.equal(read(path.join(cpuset.mountpoint, top, 'c', 'cpuset.mems')), read(path.join(cpuset.mountpoint, 'cpuset.mems')));
      }
    }
    assert.equal(m.toJSON().created.length, Object.keys(paths).length * 2, 'both levels recorded as ours in every hierarchy');
  });

  test('apply() limits are readable back from the cgroupfs', () => {
    m.apply({
      memory: { limit: 64 * 1024 * 1024 },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 20 },
    });
    const dirOf = (ctrl: string): string => {
      const h = host?.hierarchies.find((x) => (host?.mode === 'unified' ? x.kind === 'v2' : x.kind === 'v1' && x.controllers.includes(ctrl)));
      assert.ok(h, `${ctrl} hierarchy`);
      return path.join(h.mountpoint, top, 'c');
    };
    if (m.version === 'v1') {
      assert.equal(read(path.join(dirOf('memory'), 'memory.limit_in_bytes')), '67108864');
      assert.equal(read(path.join(dirOf('cpu'), 'cpu.shares')), '512');
      assert.equal(read(path.join(dirOf('cpu'), 'cpu.cfs_quota_us')), '50000');
      assert.equal(read(path.join(dirOf('cpu'), 'cpu.cfs_period_us')), '100000');
      assert.equal(read(path.join(dirOf('pids'), 'pids.max')), '20');
    } else {
      assert.equal(read(path.join(dirOf('memory'), 'memory.max')), '67108864');
      assert.equal(read(path.join(dirOf('cpu'), 'cpu.weight')), '20');
      assert.equal(read(path.join(dirOf('cpu'), 'cpu.max')), '50000 100000');
      assert.equal(read(path.join(dirOf('pids'), 'pids.max')), '20');
    }
  });

  test('device rules are accepted by the kernel (v1)', { skip: host?.mode === 'unified' ? 'v2 device rules need eBPF' : false }, () => {
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] });
    const h = host?.hierarchies.find((x) => x.kind === 'v1' && x.controllers.includes('devices'));
    assert.ok(h);
    const list = read(path.join(h.mountpoint, top, 'c', 'devices.list')).split('\n');
    for (const rule of ['c 10:229 rw', 'c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm']) {
      assert.ok(list.includes(rule), `${rule} in devices.list: ${list.join(', ')}`);
    }
    assert.ok(!list.includes('a *:* rwm'), 'default deny');
  });

  test('a limit on a missing controller file is a config error; a kernel refusal names file and value', () => {
    if (m.version === 'v1') {
      assert.throws(() => m.apply({ network: { classID: 1 } }), (e: Error & { pointer?: string }) => e.pointer === '/linux/resources/network/classID');
      assert.throws(() => m.apply({ cpu: { cpus: '0-100000' } }), /failed to write 0-100000 to cpuset\.cpus: /);
    }
    assert.throws(() => m.apply({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), (e: Error & { pointer?: string }) =>
      e.pointer === '/linux/resources/hugepageLimits/0/pageSize' || e.pointer === '/linux/resources/hugepageLimits');
  });

  test('hugepage limit (v1 hugetlb, or the cgroup2 hugetlb controller on a hybrid host)', (t) => {
    const v1 = host?.hierarchies.find((x) => x.kind === 'v1' && x.controllers.includes('hugetlb'));
    const u = host?.hierarchies.find((x) => x.kind === 'v2');
    if (v1 === undefined && (u === undefined || !u.controllers.includes('hugetlb'))) {
      t.skip('no hugetlb controller');
      return;
    }
    m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2097152 }] });
    const file = v1 !== undefined
      ? path.join(v1.mountpoint, top, 'c', 'hugetlb.2MB.limit_in_bytes')
      : path.join((u as Hierarchy).mountpoint, top, 'c', 'hugetlb.2MB.max');
    assert.equal(read(file), String(4 * 2097152));
  });

  test('addProcess: /proc/<pid>/cgroup shows the path in every hierarchy; procs(); freeze/thaw; kill', async () => {
    const c = spawnSleep();
    m.addProcess(c.pid);
    const want = `${top}/c`;
    const lines = procCgroupLines(c.pid);
    for (const line of lines) {
      const [, ctrls, p] = /^(\d+:[^:]*):(.*)$/.exec(line) ?? [];
      const mounted = host?.hierarchies.some((h) =>
        (h.kind === 'v2' && ctrls?.endsWith(':')) ||
        (h.kind === 'v1' && ctrls?.split(':')[1] === [...h.controllers, ...(h.name ? [`name=${h.name}`] : [])].join(',')) ||
        (h.kind === 'v1' && h.controllers.length > 0 && ctrls?.split(':')[1]?.split(',').sort().join(',') === h.controllers.join(',')));
      if (mounted === true) assert.equal(p, want, `${line}`);
    }
    assert.ok(lines.filter((l) => l.endsWith(`:${want}`)).length >= Object.keys(m.paths).length, lines.join('\n'));
    assert.deepEqual(m.procs(), [c.pid]);

    assert.equal(m.frozen(), false);
    m.freeze();
    assert.equal(m.frozen(), true);
    if (m.version === 'v1' && host?.hierarchies.some((h) => h.kind === 'v1' && h.controllers.includes('freezer'))) {
      const fz = host.hierarchies.find((h) => h.kind === 'v1' && h.controllers.includes('freezer')) as Hierarchy;
      assert.equal(read(path.join(fz.mountpoint, top, 'c', 'freezer.state')), 'FROZEN');
      // a task stopped by the v1 freezer shows as uninterruptible sleep
      assert.match(procState(c.pid), /^D/);
    }
    const frozenState = procState(c.pid);
    m.thaw();
    assert.equal(m.frozen(), false);
    assert.match(procState(c.pid), /^S/, `thawed (was ${frozenState} while frozen)`);

    // SIGTERM goes through freeze / signal / thaw
    m.kill(15);
    assert.equal(await exited(c), 'SIGTERM');
    assert.equal(m.frozen(), false, 'thawed again after signalling');
    assert.deepEqual(m.procs(), []);

    const c2 = spawnSleep();
    m.addProcess(c2.pid);
    assert.deepEqual(m.procs(), [c2.pid]);
    m.kill(9);
    assert.equal(await exited(c2), 'SIGKILL');
    assert.deepEqual(m.procs(), []);
  });

  test('destroy() removes every directory it created, the parent included', async () => {
    // a leftover process: destroy() kills it and retries the busy rmdir
    const c = spawnSleep();
    m.addProcess(c.pid);
    const exit = exited(c);
    m.destroy();
    assert.equal(await exit, 'SIGKILL');
    for (const h of host?.hierarchies ?? []) {
      if (host?.mode === 'unified' && h.kind !== 'v2') continue;
      assert.ok(!fs.existsSync(path.join(h.mountpoint, top, 'c')), `${h.mountpoint}${top}/c removed`);
      assert.ok(!fs.existsSync(path.join(h.mountpoint, top)), `${h.mountpoint}${top} removed`);
    }
    m.destroy(); // again: nothing left, no error
  });
});

// The v2 implementation for real, against the host's one cgroup2 hierarchy.
const v2h = host?.hierarchies.find((h) => h.kind === 'v2');
describe('v2 manager on the real cgroup2 hierarchy', { skip: skip || (v2h === undefined ? 'no cgroup2 mounted' : false) }, () => {
  let top = '';
  let m: CgroupManager;
  let dir = '';
  before(() => {
    top = uniqueTop();
    tops.push(top);
    snapshotSubtree((v2h as Hierarchy).mountpoint);
    m = newCgroupManager({ cgroupsPath: `${top}/c`, id: 'c', host: { mode: 'unified', hierarchies: [v2h as Hierarchy] } });
    dir = path.join((v2h as Hierarchy).mountpoint, top, 'c');
  });

  test('create, addProcess, procs', () => {
    assert.equal(m.version, 'v2');
    m.create();
    assert.ok(fs.existsSync(dir));
    assert.deepEqual(m.paths, { unified: dir });
    const c = spawnSleep();
    m.addProcess(c.pid);
    assert.ok(procCgroupLines(c.pid).includes(`0::${top}/c`), procCgroupLines(c.pid).join('\n'));
    assert.deepEqual(m.procs(), [c.pid]);
  });

  test('hugetlb limit when the controller is available', (t) => {
    const available = read(path.join((v2h as Hierarchy).mountpoint, 'cgroup.controllers')).split(/\s+/);
    if (!available.includes('hugetlb')) {
      t.skip('hugetlb not in cgroup.controllers');
      return;
    }
    m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 2 * 2097152 }] });
    assert.equal(read(path.join(dir, 'hugetlb.2MB.max')), String(2 * 2097152));
    assert.ok(read(path.join(dir, 'cgroup.controllers')).split(/\s+/).includes('hugetlb'));
  });

  test('freeze via cgroup.freeze', (t) => {
    if (!fs.existsSync(path.join(dir, 'cgroup.freeze'))) {
      t.skip('no cgroup.freeze');
      return;
    }
    m.freeze();
    assert.equal(read(path.join(dir, 'cgroup.freeze')), '1');
    assert.match(read(path.join(dir, 'cgroup.events')), /^frozen 1$/m);
    assert.equal(m.frozen(), true);
    m.thaw();
    assert.match(read(path.join(dir, 'cgroup.events')), /^frozen 0$/m);
    assert.equal(m.frozen(), false);
  });

  test('kill via cgroup.kill, then destroy', async () => {
    const pids = m.procs();
    assert.equal(pids.length, 1);
    const c = children.find((x) => x.pid === pids[0]) as ChildProcess;
    const c2 = spawnSleep();
    m.addProcess(c2.pid);
    assert.deepEqual(m.procs(), [...pids, c2.pid].sort((a, b) => a - b));
    const hasKill = fs.existsSync(path.join(dir, 'cgroup.kill'));
    m.kill(9);
    assert.equal(await exited(c), 'SIGKILL');
    assert.equal(await exited(c2), 'SIGKILL');
    assert.deepEqual(m.procs(), []);
    if (!hasKill) assert.ok(true, 'no cgroup.kill: signalled one by one');
    m.destroy();
    assert.ok(!fs.existsSync(dir));
    assert.ok(!fs.existsSync(path.join((v2h as Hierarchy).mountpoint, top)));
  });
});

// cgroup v2 threaded mode: the type written first, and cgroups below a threaded one usable.
describe('v2 manager: threaded subtrees', { skip: skip || (v2h === undefined ? 'no cgroup2 mounted' : false) }, () => {
  let top = '';
  before(() => {
    top = uniqueTop();
    tops.push(top);
  });

  test('unified cgroup.type "threaded": the parent becomes "domain threaded"; a child cgroup is threaded, not "domain invalid", and takes a process', async () => {
    const mp = (v2h as Hierarchy).mountpoint;
    const hv = { mode: 'unified' as const, hierarchies: [v2h as Hierarchy] };
    const t = newCgroupManager({ cgroupsPath: `${top}/t`, id: 't', host: hv });
    t.create();
    t.apply({ unified: { 'cgroup.type': 'threaded' } });
    assert.equal(read(path.join(mp, top, 't', 'cgroup.type')), 'threaded');
    assert.equal(read(path.join(mp, top, 'cgroup.type')), 'domain threaded');

    const sub = newCgroupManager({ cgroupsPath: `${top}/t/sub`, id: 'sub', host: hv });
    sub.create();
    assert.equal(read(path.join(mp, top, 't', 'sub', 'cgroup.type')), 'threaded');
    const c = spawnSleep();
    sub.addProcess(c.pid);
    assert.ok(procCgroupLines(c.pid).includes(`0::${top}/t/sub`), procCgroupLines(c.pid).join('\n'));
    c.kill('SIGKILL');
    await exited(c);
    sub.destroy();
    t.destroy();
    assert.ok(!fs.existsSync(path.join(mp, top, 't')));
  });
});
