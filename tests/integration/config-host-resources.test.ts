/**
 * Config fields that hand host resources to a container, on real busybox containers:
 *   linux.netDevices   a veth end moved into the container's netns, renamed, addresses kept, up
 *   idmapped mounts    mounts[].uidMappings/gidMappings, idmap/ridmap (ls -ln inside)
 *   SCMP_ACT_NOTIFY    the listener fd and the container process state reach a seccomp agent
 *                      (tests/fixtures/seccomp-agent/agent.py), which answers the calls
 * and the refusals of what cannot be applied, each naming the field and leaving nothing behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { baseSpec, type TestSpec } from '../helpers/bundle';
import { skipReason, waitFor } from '../helpers/runtime';
import { configSuite } from './config-helpers';

const s = configSuite('hr');
const sh = (script: string) => (x: TestSpec): void => { x.process.args = ['/bin/sh', '-c', script]; };
const ip = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('ip', args, { encoding: 'utf8' });
const hasLink = (name: string): boolean => ip('link', 'show', name).status === 0;

describe('config: linux.netDevices', { skip: skipReason }, () => {
  // Unique per run: a second run on the same host (or a leftover) never collides.
  const host = `octh${process.pid % 100000}`;
  const peer = `octp${process.pid % 100000}`;
  before(() => {
    s.setup();
    execFileSync('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    execFileSync('ip', ['addr', 'add', '10.213.7.2/24', 'dev', peer]);
    execFileSync('ip', ['-6', 'addr', 'add', 'fd00:213:7::2/64', 'dev', peer, 'nodad']);
  });
  after(() => {
    if (hasLink(host)) ip('link', 'del', host);
    s.teardown();
  });

  test('the device is moved in under its new name, with its addresses, and up', () => {
    const r = s.run((x) => {
      sh('ip -o addr show dev eth7; ip -o link show dev eth7')(x);
      x.linux.netDevices = { [peer]: { name: 'eth7' } };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /eth7\s+inet 10\.213\.7\.2\/24 /);
    assert.match(r.stdout, /eth7\s+inet6 fd00:213:7::2\/64 /);
    assert.match(r.stdout, /eth7[@:][^\n]*<[^>]*\bUP\b[^>]*>/);
    // Gone from the host's namespace: it was moved, not copied.
    assert.equal(hasLink(peer), false);
  });

  test('a joined network namespace outlives the container: the device comes back at delete and after a failed create', async () => {
    const a = `octa${process.pid % 100000}`;
    const b = `octb${process.pid % 100000}`;
    // A lasting network namespace of the test's own (not `ip netns add`: that leaves /run/netns
    // mounted on the host): a sleeper's netns bound on a file in the sandbox.
    const holder = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
    const nsFile = path.join(s.sb().dir, 'netns-holder');
    fs.writeFileSync(nsFile, '');
    let mounted = false;
    try {
      assert.ok(waitFor(() => fs.readlinkSync(`/proc/${holder.pid}/ns/net`) !== fs.readlinkSync('/proc/self/ns/net')), 'the holder has its netns');
      execFileSync('mount', ['--bind', `/proc/${holder.pid}/ns/net`, nsFile]);
      mounted = true;
      execFileSync('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      execFileSync('ip', ['addr', 'add', '10.213.8.2/24', 'dev', b]);
      const joined = (x: TestSpec): void => {
        x.linux.namespaces = x.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
        x.linux.namespaces.push({ type: 'network', path: nsFile });
        x.linux.netDevices = { [b]: { name: 'eth5' } };
      };
      const { dir, id } = s.bundle((x) => { joined(x); x.process.args = ['/bin/sleep', '100']; });
      assert.equal(s.sb().detached(['run', '-d', '--bundle', dir, id]).status, 0);
      assert.match(execFileSync('nsenter', [`--net=${nsFile}`, 'ip', '-o', 'addr', 'show', 'dev', 'eth5'], { encoding: 'utf8' }), /inet 10\.213\.8\.2\/24/);
      assert.equal(hasLink(b), false);
      assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
      assert.match(ip('-o', 'addr', 'show', 'dev', b).stdout as string, /inet 10\.213\.8\.2\/24/, 'back on the host with its address');

      // The process cannot be found: create fails after the device was moved; it comes back.
      const out = s.failsCleanly((x) => { joined(x); x.process.args = ['/no/such/program']; });
      assert.match(out, /no such file or directory/);
      assert.equal(hasLink(b), true, 'back on the host after the failed create');
    } finally {
      ip('link', 'del', a);
      if (mounted) spawnSync('umount', [nsFile]);
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
  });

  test('a device the host does not have: create fails naming the field, nothing left', () => {
    const out = s.failsCleanly((x) => { x.linux.netDevices = { octnosuchdev0: {} }; });
    assert.match(out, /\/linux\/netDevices\/octnosuchdev0: move network device octnosuchdev0 .*no such device/);
  });

  test('without a network namespace of its own: refused', () => {
    s.refused((x) => {
      x.linux.namespaces = x.linux.namespaces.filter((n: { type: string }) => n.type !== 'network');
      x.linux.netDevices = { lo: {} };
    }, '/linux/netDevices', /requires a network namespace/);
  });
});

describe('config: idmapped mounts', { skip: skipReason }, () => {
  let src = '';
  before(() => {
    s.setup();
    fs.chmodSync(s.sb().dir, 0o711);   // the remapped root must reach the rootfs
    src = path.join(s.sb().dir, 'idmap-src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'by-root'), '');
    fs.writeFileSync(path.join(src, 'by-1000'), '');
    fs.chownSync(path.join(src, 'by-1000'), 1000, 1000);
  });
  after(() => s.teardown());

  const owners = (stdout: string): Record<string, string> => Object.fromEntries(
    stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 9).map((f) => [f[f.length - 1]!, `${f[2]}:${f[3]}`]),
  );

  test('mount uidMappings/gidMappings without a user namespace: ids shown through the mapping', () => {
    const r = s.run((x) => {
      sh('ls -ln /mnt')(x);
      x.mounts.push({
        destination: '/mnt', type: 'bind', source: src, options: ['bind'],
        uidMappings: [{ containerID: 0, hostID: 2000, size: 1001 }], gidMappings: [{ containerID: 0, hostID: 3000, size: 1001 }],
      });
    });
    assert.equal(r.status, 0, r.stderr);
    const o = owners(r.stdout);
    assert.equal(o['by-root'], '2000:3000');
    assert.equal(o['by-1000'], '3000:4000');
    // The source itself is untouched.
    assert.equal(fs.statSync(path.join(src, 'by-root')).uid, 0);
  });

  test('the idmap option in a user namespace uses its mappings: host root files are root inside', () => {
    const { dir, id } = s.bundle((x) => {
      x.linux.namespaces.push({ type: 'user' });
      x.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      x.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      x.mounts = x.mounts.filter((m: { destination: string }) => m.destination !== '/sys/fs/cgroup');
      sh('ls -ln /idm /plain')(x);
      x.mounts.push({ destination: '/idm', type: 'bind', source: src, options: ['bind', 'idmap'] });
      x.mounts.push({ destination: '/plain', type: 'bind', source: src, options: ['bind'] });
    });
    execFileSync('chown', ['-R', '100000:100000', path.join(dir, 'rootfs')]);
    const r = s.sb().run(['run', '--bundle', dir, id]);
    assert.equal(r.status, 0, r.stderr);
    const [idm, plain] = r.stdout.split(/\n\n/);
    assert.equal(owners(idm!)['by-root'], '0:0');
    assert.equal(owners(idm!)['by-1000'], '1000:1000');
    // Without idmap the host's root is nobody inside.
    assert.equal(owners(plain!)['by-root'], '65534:65534');
  });

  test('ridmap on an rbind maps the submounts too; idmap only the top', () => {
    const inner = path.join(src, 'sub');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'octidm', inner]);
    try {
      fs.writeFileSync(path.join(inner, 'in-sub'), '');
      const mapped = (opt: string): TestSpec => ({
        destination: `/${opt}`, type: 'bind', source: src, options: ['rbind', opt],
        uidMappings: [{ containerID: 0, hostID: 2000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 2000, size: 1 }],
      });
      const r = s.run((x) => {
        sh('ls -ln /ridmap/sub; echo ==; ls -ln /idmap/sub')(x);
        x.mounts.push(mapped('ridmap'), mapped('idmap'));
      });
      assert.equal(r.status, 0, r.stderr);
      const [rid, id] = r.stdout.split('==');
      assert.equal(owners(rid!)['in-sub'], '2000:2000');
      assert.equal(owners(id!)['in-sub'], '0:0');
    } finally {
      spawnSync('umount', ['-l', inner]);
    }
  });

  test('refusals name the field: idmap on a tmpfs, idmap without mappings or user namespace, one-sided mappings', () => {
    s.refused((x) => { x.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }); },
      `/mounts/${baseMounts()}/options/0`, /only supported for bind mounts/);
    s.refused((x) => { x.mounts.push({ destination: '/t', type: 'bind', source: src, options: ['bind', 'idmap'] }); },
      `/mounts/${baseMounts()}/options/1`, /needs uidMappings and gidMappings on the mount, or a user namespace/);
    s.refused((x) => {
      x.mounts.push({ destination: '/t', type: 'bind', source: src, options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
    }, `/mounts/${baseMounts()}/gidMappings`, /must be given together/);
  });
});

/** How many mounts the suite's base spec has (the index a pushed mount gets). */
function baseMounts(): number {
  return (baseSpec().mounts as unknown[]).length;
}

describe('config: seccomp SCMP_ACT_NOTIFY', { skip: skipReason }, () => {
  let agent: ChildProcess | undefined;
  let out = '';
  let sock = '';
  const agentPath = path.join(__dirname, '../fixtures/seccomp-agent/agent.py');
  const ENOSPC = 28;

  before(() => {
    s.setup();
    out = fs.mkdtempSync(path.join(s.sb().dir, 'agent-'));
    sock = path.join(out, 'agent.sock');
    agent = spawn('python3', [agentPath, sock, out, String(ENOSPC), '60'], { stdio: 'inherit' });
    assert.ok(waitFor(() => fs.existsSync(path.join(out, 'ready'))), 'the agent listens');
  });
  after(() => {
    if (out !== '') fs.writeFileSync(path.join(out, 'stop'), '');
    agent?.kill('SIGKILL');
    s.teardown();
  });

  const notifyMkdir = (x: TestSpec): void => {
    x.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, listenerMetadata: 'tenant=42',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }, { names: ['chroot'], action: 'SCMP_ACT_ERRNO' }],
    };
  };
  const states = (): Array<Record<string, any>> => fs.readdirSync(out).filter((f) => f.startsWith('state-')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as Record<string, any>);

  test('the agent gets the listener and the state; it answers mkdir; exec gets its own listener', () => {
    const { dir, id } = s.bundle((x) => {
      notifyMkdir(x);
      x.process.args = ['/bin/sleep', '100'];
    });
    assert.equal(s.sb().detached(['run', '-d', '--bundle', dir, id]).status, 0);
    const pid = Number(JSON.parse(s.sb().run(['state', id]).stdout).pid);
    assert.ok(waitFor(() => states().length === 1), 'one state received');
    const [st] = states();
    assert.deepEqual(st!.fds, ['seccompFd']);
    assert.equal(st!.pid, pid);
    assert.equal(st!.metadata, 'tenant=42');
    assert.equal(st!.state.id, id);
    assert.equal(st!.state.pid, pid);
    assert.equal(st!.state.bundle, dir);

    const e = s.sb().run(['exec', id, '/bin/sh', '-c', 'mkdir /tmp/notified; echo "rc=$?"']);
    assert.match(e.stdout, /rc=1/);
    assert.match(e.stderr, /No space left on device/, 'the agent\'s answer (ENOSPC) reached the process');
    assert.equal(states().length, 2);
    assert.equal(states()[1]!.state.status, 'running');
    assert.match(fs.readFileSync(path.join(out, 'calls'), 'utf8'), /^83$/m);   // mkdir on x86_64
    assert.equal(s.sb().run(['delete', '--force', id]).status, 0);
  });

  test('refusals: NOTIFY without listenerPath, as the default action, on sendmsg; an agent that is not there', () => {
    s.refused((x) => {
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    }, '/linux/seccomp/listenerPath', /is required/);
    s.refused((x) => { x.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: sock }; }, '/linux/seccomp/defaultAction');
    s.refused((x) => {
      x.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: sock, syscalls: [{ names: ['mkdir', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] };
    }, '/linux/seccomp/syscalls/0/names/1');
    const out2 = s.failsCleanly((x) => {
      notifyMkdir(x);
      x.linux.seccomp.listenerPath = path.join(out, 'nobody-listens.sock');
    });
    assert.match(out2, /listenerPath: connect to .*nobody-listens\.sock: no such file or directory/);
  });
});
