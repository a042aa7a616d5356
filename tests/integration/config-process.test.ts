/**
 * Process and namespace attributes read back from the kernel: personality (uname -m), scheduler
 * (/proc/<pid>/stat policy and nice), ioPriority (ionice), memoryPolicy (numa_maps), sysctl,
 * domainname, time namespace offsets (/proc/<pid>/timens_offsets, /proc/uptime), and the fields
 * that are refused with their pointer and nothing left behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { TestSpec } from '../helpers/bundle';
import { readProc, skipReason } from '../helpers/runtime';
import { configSuite, statFields } from './config-helpers';

const s = configSuite('pr');
const sh = (script: string) => (x: TestSpec): void => { x.process.args = ['/bin/sh', '-c', script]; };

/** Start a detached sleeper with `patch`, hand its pid to `check`, then delete it. */
function withSleeper(patch: (x: TestSpec) => void, check: (pid: number) => void): void {
  const { dir, id } = s.bundle((x) => { x.process.args = ['/bin/sleep', '100']; patch(x); });
  const r = s.sb().detached(['run', '-d', '--bundle', dir, id]);
  assert.equal(r.status, 0, r.output);
  try {
    check(Number(JSON.parse(s.sb().run(['state', id]).stdout).pid));
  } finally {
    s.sb().run(['delete', '--force', id]);
  }
}

describe('config: process and namespace attributes', { skip: skipReason }, () => {
  before(() => s.setup());
  after(() => s.teardown());

  test('linux.devices outside /dev: made with its type, numbers, mode and owner, parents created', () => {
    const r = s.run((x) => {
      sh('stat -c "%F %t:%T %a %u:%g" /opt/devs/null2; echo x > /srv/null3 && echo wrote')(x);
      x.linux.devices = [
        { type: 'c', path: '/opt/devs/null2', major: 1, minor: 3, fileMode: 0o640, uid: 7, gid: 8 },
        { type: 'c', path: '/srv/null3', major: 1, minor: 3, fileMode: 0o666 },
      ];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'character special file 1:3 640 7:8\nwrote\n');
  });

  test('linux.personality LINUX32: uname -m says i686; LINUX: x86_64', () => {
    const r32 = s.run((x) => { x.process.args = ['/bin/uname', '-m']; x.linux.personality = { domain: 'LINUX32' }; });
    assert.equal(r32.status, 0, r32.stderr);
    assert.equal(r32.stdout, 'i686\n');
    const r64 = s.run((x) => { x.process.args = ['/bin/uname', '-m']; x.linux.personality = { domain: 'LINUX' }; });
    assert.equal(r64.stdout, `${process.arch === 'x64' ? 'x86_64' : r64.stdout.trim()}\n`);
  });

  test('process.scheduler SCHED_BATCH with nice 7: policy 3 and nice 7 in /proc/<pid>/stat', () => {
    withSleeper((x) => { x.process.scheduler = { policy: 'SCHED_BATCH', nice: 7 }; }, (pid) => {
      const f = statFields(pid);
      assert.equal(f[16], '7', 'nice (field 19)');
      assert.equal(f[38], '3', 'policy (field 41)');
    });
  });

  test('process.scheduler SCHED_IDLE', () => {
    withSleeper((x) => { x.process.scheduler = { policy: 'SCHED_IDLE' }; }, (pid) => {
      assert.equal(statFields(pid)[38], '5');
    });
  });

  test('process.ioPriority: class and level as ionice reports them', () => {
    const idle = s.run((x) => { sh('ionice -p $$')(x); x.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }; });
    assert.equal(idle.status, 0, idle.stderr);
    assert.equal(idle.stdout.trim(), 'idle');
    const be = s.run((x) => { sh('ionice -p $$')(x); x.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }; });
    assert.equal(be.stdout.trim(), 'best-effort: prio 6');
  });

  test('linux.memoryPolicy MPOL_BIND / MPOL_INTERLEAVE on node 0: numa_maps shows the task policy', () => {
    withSleeper((x) => { x.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }; }, (pid) => {
      assert.match(readProc(pid, 'numa_maps'), /^[0-9a-f]+ bind:0 /m);
    });
    withSleeper((x) => { x.linux.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }; }, (pid) => {
      assert.match(readProc(pid, 'numa_maps'), /^[0-9a-f]+ interleave=static:0 /m);
    });
  });

  test('linux.memoryPolicy on a node this host does not have fails the create, nothing left behind', () => {
    const online = fs.readFileSync('/sys/devices/system/node/online', 'utf8').trim();
    if (online !== '0') return; // only meaningful on a one-node host
    const { dir, id, cg } = s.bundle((x) => { x.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '7' }; });
    const r = s.sb().detached(['create', '--bundle', dir, id]);
    assert.notEqual(r.status, 0);
    assert.match(r.output, /\/linux\/memoryPolicy: set_mempolicy: invalid argument/);
    assert.ok(!fs.existsSync(`${s.sb().root}/${id}`));
    void cg;
  });

  test('linux.sysctl in owned namespaces: net and ipc values inside, the host unchanged', () => {
    const hostForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    const r = s.run((x) => {
      sh('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/net/ipv4/conf/lo/forwarding')(x);
      x.linux.sysctl = { 'net.ipv4.ip_forward': hostForward.trim() === '1' ? '0' : '1', 'kernel/shmmni': '1234', 'net.ipv4.conf.lo.forwarding': '1' };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${hostForward.trim() === '1' ? '0' : '1'}\n1234\n1\n`);
    assert.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward);
  });

  test('hostname and domainname in the uts namespace', () => {
    const r = s.run((x) => { sh('hostname; cat /proc/sys/kernel/domainname')(x); x.hostname = 'box7'; x.domainname = 'example.test'; });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'box7\nexample.test\n');
  });

  test('linux.timeOffsets in a new time namespace: timens_offsets and a shifted uptime', () => {
    const hostUptime = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    withSleeper((x) => {
      x.linux.namespaces.push({ type: 'time' });
      x.linux.timeOffsets = { boottime: { secs: 86400 * 3 }, monotonic: { secs: 3600, nanosecs: 5 } };
    }, (pid) => {
      const offsets = readProc(pid, 'timens_offsets');
      assert.match(offsets, /^monotonic\s+3600\s+5$/m);
      assert.match(offsets, /^boottime\s+259200\s+0$/m);
      assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/time`), fs.readlinkSync('/proc/self/ns/time'));
    });
    const r = s.run((x) => {
      sh('cut -d" " -f1 /proc/uptime')(x);
      x.linux.namespaces.push({ type: 'time' });
      x.linux.timeOffsets = { boottime: { secs: 86400 * 3 } };
    });
    assert.equal(r.status, 0, r.stderr);
    const inside = Number(r.stdout.trim());
    assert.ok(inside >= hostUptime + 86400 * 3 && inside < hostUptime + 86400 * 3 + 120, `uptime inside ${inside}, host ${hostUptime}`);
  });

  test('process.execCPUAffinity is accepted for the init (not applicable to it, per the spec)', () => {
    const r = s.run((x) => { sh('echo ran')(x); x.process.execCPUAffinity = { initial: '0', final: '0' }; });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ran\n');
  });

  describe('refused, nothing left behind', () => {
    const cases: Array<[string, (x: TestSpec) => void, string, RegExp?]> = [
      ['AppArmor profile', (x) => { x.process.apparmorProfile = 'docker-default'; }, '/process/apparmorProfile', /AppArmor is not supported/],
      ['SELinux label', (x) => { x.process.selinuxLabel = 'system_u:system_r:container_t:s0'; }, '/process/selinuxLabel', /SELinux is not supported/],
      ['mount label', (x) => { x.linux.mountLabel = 'system_u:object_r:container_file_t:s0'; }, '/linux/mountLabel'],
      ['Intel RDT', (x) => { x.linux.intelRdt = { closID: 'guaranteed', l3CacheSchema: 'L3:0=ffff' }; }, '/linux/intelRdt', /resctrl/],
      ['net devices without a network namespace', (x) => {
        x.linux.namespaces = x.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
        x.linux.netDevices = { dummy0: { name: 'eth1' } };
      }, '/linux/netDevices', /requires a network namespace/],
      ['personality flags', (x) => { x.linux.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }; }, '/linux/personality/flags/0'],
      ['SCHED_ISO', (x) => { x.process.scheduler = { policy: 'SCHED_ISO' }; }, '/process/scheduler/policy'],
      ['a global sysctl', (x) => { x.linux.sysctl = { 'kernel.pid_max': '4096' }; }, '/linux/sysctl/kernel.pid_max', /not in a separate kernel namespace/],
      ['a net sysctl in the host network namespace', (x) => {
        x.linux.namespaces = x.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path: `/proc/${process.pid}/ns/net` } : n));
        x.mounts = x.mounts.filter((m: { type?: string }) => m.type !== 'sysfs');
        x.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
      }, '/linux/sysctl/net.ipv4.ip_forward', /runtime's own network namespace/],
      ['time offsets without a time namespace', (x) => { x.linux.timeOffsets = { boottime: { secs: 1 } }; }, '/linux/timeOffsets'],
    ];
    for (const [what, patch, ptr, reason] of cases) {
      test(what, () => { s.refused(patch, ptr, reason); });
    }
  });
});
