/**
 * `oci-ts plan --format json` against the kernel: plan a bundle, create the real container from
 * the same bundle, and check that what the plan says is what the container's init got, as
 * /proc/<init pid>/{mountinfo,limits,status} and its UTS namespace show it. The init is left
 * blocked on exec.fifo (never started): by then every mount, rlimit and capability of the plan
 * has been applied (they all come before READY/WAIT_START).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CAPABILITIES } from '../../lib/plan/capabilities';
import type { MountDescription, PlanDescription } from '../../lib/plan/describe';
import { makeBundle } from '../helpers/bundle';
import { ociTsBinary, readProc, removeCgroupTree, sandbox, skipReason, type Sandbox } from '../helpers/runtime';

const CG_PARENT = `oci-ts-pvk-${process.pid}`;
const KEY_FLAGS = ['ro', 'nosuid', 'nodev', 'noexec'] as const;
let sb: Sandbox | undefined;

interface MountInfo { mountpoint: string; options: Set<string>; fstype: string }

function parseMountinfo(text: string): MountInfo[] {
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return { mountpoint: unescape(f[4]!), options: new Set(f[5]!.split(',')), fstype: f[sep + 1]! };
  });
}

/** The key flags of a mountinfo entry (ro/rw from the per-mount options). */
function kernelFlags(m: MountInfo): string[] {
  return KEY_FLAGS.filter((k) => m.options.has(k));
}

/** The key flags the plan puts on a mount: its flags, the bind remount's, and a later REMOUNT_RO. */
function plannedFlags(m: MountDescription, remountRo: Set<string>): string[] {
  const words = new Set([...m.options, ...(m.remountOptions ?? [])]);
  if (remountRo.has(m.destination)) words.add('ro');
  return KEY_FLAGS.filter((k) => words.has(k));
}

/** The host mount that holds a path (longest mount point prefix; the last one mounted wins). */
function hostMountOf(p: string, host: MountInfo[]): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of host) {
    if (p === m.mountpoint || p.startsWith(m.mountpoint === '/' ? '/' : m.mountpoint + '/')) {
      if (best === undefined || m.mountpoint.length >= best.mountpoint.length) best = m;
    }
  }
  return best;
}

/** /proc/<pid>/limits rows in RLIMIT_* order: [soft, hard]. */
function limitsOf(pid: number): Array<[string, string]> {
  return readProc(pid, 'limits').split('\n').slice(1).filter((l) => l.startsWith('Max ')).map((l) => {
    const m = /^Max .+?\s{2,}(\S+)\s+(\S+)/.exec(l);
    assert.ok(m, l);
    return [m[1]!, m[2]!];
  });
}

function capNames(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, i) => ((mask >> BigInt(i)) & 1n) === 1n);
}

describe('plan vs kernel', { skip: skipReason || (!fs.existsSync(ociTsBinary) && `${ociTsBinary} is missing: run make build`) }, () => {
  before(() => { sb = sandbox('plan-kernel'); });
  after(() => {
    sb?.cleanup(); // delete --force of every container left in the state root
    removeCgroupTree(CG_PARENT);
  });

  test('the plan\'s mounts, masked and read-only paths, hostname, rlimits and capabilities are what create does', () => {
    const s = sb!;
    const id = 'pvk1';
    const vol = path.join(s.dir, 'vol');
    fs.mkdirSync(vol);
    fs.writeFileSync(path.join(s.dir, 'hosts'), '127.0.0.1 localhost\n');
    const dir = makeBundle(path.join(s.dir, id), (c) => {
      c.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
      c.hostname = 'plan-vs-kernel';
      c.root.readonly = true;
      c.process.args = ['/bin/sh', '-c', 'sleep 30'];
      c.process.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 },
        { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      ];
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'];
      c.process.capabilities = { bounding: [...caps, 'CAP_SYS_CHROOT'], effective: caps, permitted: caps, inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
      c.mounts.push(
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=1777', 'size=1m'] },
        { destination: '/data', type: 'bind', source: vol, options: ['rbind', 'ro', 'nosuid', 'nodev', 'rprivate'] },
        { destination: '/etc/hosts', type: 'bind', source: path.join(s.dir, 'hosts'), options: ['rbind', 'noexec', 'rprivate'] },
      );
      c.linux.maskedPaths = [...(c.linux.maskedPaths ?? []), '/proc/does-not-exist'];
    });

    const p = s.run(['plan', '--format', 'json', '--bundle', dir, id]);
    assert.equal(p.status, 0, p.stderr);
    const plan = JSON.parse(p.stdout) as PlanDescription;
    assert.equal(fs.existsSync(path.join(s.root, id)), false, 'plan made no state dir');

    const c = s.detached(['create', '--bundle', dir, id]);
    try {
      assert.equal(c.status, 0, c.output);
      const st = s.run(['state', id]);
      assert.equal(st.status, 0, st.stderr);
      const pid = (JSON.parse(st.stdout) as { pid: number }).pid;
      assert.ok(pid > 0);

      const inside = parseMountinfo(readProc(pid, 'mountinfo'));
      const host = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
      const topAt = (dest: string): MountInfo | undefined => inside.filter((m) => m.mountpoint === dest).at(-1);
      const remountRo = new Set(plan.steps.filter((x) => x.op === 'REMOUNT_RO').map((x) => (x.detail as { path: string }).path));

      // Root: read-only as planned.
      assert.ok(remountRo.has('/'));
      assert.deepEqual(kernelFlags(topAt('/')!).includes('ro'), true, 'rootfs is read-only');

      // Every container mount of the plan, in order: there, of the planned type, with the flags.
      const planned = plan.mounts.filter((m) => m.scope === 'container');
      assert.ok(planned.length >= 10, `${planned.length} mounts planned`);
      for (const m of planned) {
        const k = topAt(m.destination);
        assert.ok(k !== undefined, `${m.destination}: planned (${m.type} from ${m.source}) but not mounted`);
        const want = plannedFlags(m, remountRo);
        if (m.type === 'bind') {
          // A bind shows the source's filesystem; flags the plan does not set are inherited.
          assert.equal(k.fstype, hostMountOf(m.source, host)?.fstype, `${m.destination}: fstype of ${m.source}`);
          for (const f of want) assert.ok(k.options.has(f), `${m.destination}: ${f} planned, kernel has ${[...k.options].join(',')}`);
        } else {
          assert.equal(k.fstype, m.type, `${m.destination}: fstype`);
          assert.deepEqual(kernelFlags(k), want, `${m.destination}: key flags (kernel ${[...k.options].join(',')})`);
        }
      }
      // The order of the mounts in the container is the plan's (mount ids grow; compare the
      // relative order of the first entry at each destination).
      const firstIndex = (dest: string): number => inside.findIndex((m) => m.mountpoint === dest);
      const order = planned.map((m) => firstIndex(m.destination));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), 'mounts appear in the planned order');
      // The explicit ones of this test.
      assert.deepEqual(kernelFlags(topAt('/data')!), ['ro', 'nosuid', 'nodev']);
      assert.ok(topAt('/etc/hosts')!.options.has('noexec'));
      assert.deepEqual(kernelFlags(topAt('/tmp')!), ['nosuid', 'nodev', 'noexec']);

      // Masked paths: each existing one is covered (tmpfs ro on a directory, /dev/null on a file);
      // the missing one is skipped as planned.
      assert.ok(plan.maskedPaths.includes('/proc/does-not-exist'));
      for (const mp of plan.maskedPaths) {
        const k = topAt(mp);
        if (mp === '/proc/does-not-exist') {
          assert.equal(k, undefined);
          continue;
        }
        if (k === undefined) {
          // Only paths the container's kernel view lacks are skipped.
          assert.equal(fs.existsSync(path.join(`/proc/${pid}/root`, mp)), false, `${mp}: masked in the plan, no mount`);
          continue;
        }
        const st = fs.statSync(path.join(`/proc/${pid}/root`, mp));
        if (st.isDirectory()) {
          assert.equal(k.fstype, 'tmpfs', `${mp}: an empty tmpfs on a directory`);
          assert.ok(k.options.has('ro'), `${mp}: the masking tmpfs is read-only`);
          assert.deepEqual(fs.readdirSync(path.join(`/proc/${pid}/root`, mp)), [], `${mp} is empty`);
        } else {
          assert.ok(st.isCharacterDevice() && st.rdev === fs.statSync('/dev/null').rdev, `${mp}: /dev/null on a file`);
        }
      }
      const maskedMounts = plan.maskedPaths.filter((mp) => topAt(mp) !== undefined);
      assert.ok(maskedMounts.length >= 2, `some masked paths exist on this kernel: ${maskedMounts.join(' ')}`);
      // Read-only paths: bound on themselves, read-only.
      assert.ok(plan.readonlyPaths.length >= 5);
      for (const rp of plan.readonlyPaths) {
        const k = topAt(rp);
        if (k === undefined) {
          assert.equal(fs.existsSync(path.join(`/proc/${pid}/root`, rp)), false, `${rp}: read-only in the plan, no mount`);
          continue;
        }
        assert.ok(k.options.has('ro'), `${rp}: read-only`);
      }
      assert.ok(topAt('/proc/sys')?.options.has('ro'));

      // Hostname.
      assert.equal(plan.hostname, 'plan-vs-kernel');
      const h = spawnSync('nsenter', ['-t', String(pid), '-u', 'cat', '/proc/sys/kernel/hostname'], { encoding: 'utf8' });
      assert.equal(h.status, 0, h.stderr);
      assert.equal(h.stdout.trim(), plan.hostname);

      // Rlimits: /proc/<pid>/limits rows are in RLIMIT_* number order.
      const rows = limitsOf(pid);
      const index: Record<string, number> = { RLIMIT_CORE: 4, RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7 };
      assert.deepEqual(plan.rlimits.map((r) => r.type), ['RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_CORE']);
      for (const r of plan.rlimits) assert.deepEqual(rows[index[r.type]!], [r.soft, r.hard], r.type);

      // Capabilities, and the user.
      const status = readProc(pid, 'status');
      const field = (name: string): string => (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '').trim();
      assert.deepEqual(capNames(field('CapBnd')), plan.capabilities.bounding, 'bounding');
      assert.deepEqual(capNames(field('CapEff')), plan.capabilities.effective, 'effective');
      assert.deepEqual(capNames(field('CapPrm')), plan.capabilities.permitted, 'permitted');
      assert.deepEqual(capNames(field('CapInh')), plan.capabilities.inheritable, 'inheritable');
      assert.deepEqual(capNames(field('CapAmb')), plan.capabilities.ambient, 'ambient');
      assert.deepEqual(plan.capabilities.ambient, ['CAP_KILL']);
      assert.equal(field('Uid').split(/\s+/)[0], String(plan.user.uid));
      assert.equal(field('NoNewPrivs'), plan.noNewPrivileges ? '1' : '0');
    } finally {
      s.run(['delete', '--force', id]);
    }
  });
});
