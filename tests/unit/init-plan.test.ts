import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInitPlan, type HostView } from '../../lib/plan/init-plan';
import { CLONE, MS } from '../../lib/shim/ops';
import type { Spec } from '../../lib/spec/types';

const host: HostView = {
  isDirectory: (p) => !p.endsWith('.conf'),
  cgroupViews: [
    { name: 'memory', source: '/sys/fs/cgroup/memory/oci/c1', links: [] },
    { name: 'cpu,cpuacct', source: '/sys/fs/cgroup/cpu,cpuacct/oci/c1', links: ['cpu', 'cpuacct'] },
  ],
};

function spec(patch: (s: Spec) => void = () => {}): Spec {
  const s: Spec = {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 1000, gid: 1000, additionalGids: [5, 6] }, cwd: '/work', args: ['sh', '-c', 'true'], env: ['PATH=/bin'] },
    hostname: 'box',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/etc/app.conf', type: 'bind', source: 'app.conf', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'network', path: '/run/netns/x' }, { type: 'cgroup' }] },
  };
  patch(s);
  return s;
}

const base = { rootfs: '/b/rootfs', bundle: '/b', fifo: '/run/oci-ts/c1/exec.fifo', noPivot: false, preserveFds: 0, mode: 'create' as const, host };

function ops(s: Spec, extra: Partial<typeof base> = {}): Array<{ op: string; args: string[] }> {
  return buildInitPlan({ ...base, ...extra, spec: s }).map((o) => ({ op: o.op, args: o.args.map(String) }));
}

test('new namespaces go into one clone; joined ones are setns before it; cgroup ns after the join', () => {
  const plan = ops(spec());
  const names = plan.map((o) => o.op);
  const clone = plan.find((o) => o.op === 'CLONE')!;
  assert.equal(Number(clone.args[0]), CLONE.NEWPID | CLONE.NEWNS | CLONE.NEWUTS);
  assert.deepEqual(plan.find((o) => o.op === 'JOIN_NS')!.args, [String(CLONE.NEWNET), '/run/netns/x']);
  assert.ok(names.indexOf('JOIN_NS') < names.indexOf('CLONE'));
  assert.ok(names.indexOf('CLONE') < names.indexOf('UNSHARE_CHILD'));
});

test('a ro bind of a file gets a file mount point and a ro remount; propagation is kept', () => {
  const m = ops(spec()).filter((o) => o.op === 'MOUNT').find((o) => o.args[1] === '/etc/app.conf')!;
  assert.equal(m.args[0], '/b/app.conf');
  assert.equal(Number(m.args[3]) & (MS.BIND | MS.REC), MS.BIND | MS.REC);
  assert.equal(Number(m.args[5]) & MS.RDONLY, MS.RDONLY);
  assert.equal(Number(m.args[6]), MS.PRIVATE | MS.REC);
  assert.equal(m.args[7], 'f');
});

test('a cgroup mount on v1 becomes a tmpfs plus one bind per hierarchy, with links, remounted ro', () => {
  const plan = ops(spec());
  const targets = plan.filter((o) => o.op === 'MOUNT').map((o) => o.args[1]);
  assert.ok(targets.includes('/sys/fs/cgroup'));
  assert.ok(targets.includes('/sys/fs/cgroup/memory'));
  assert.ok(targets.includes('/sys/fs/cgroup/cpu,cpuacct'));
  assert.deepEqual(plan.filter((o) => o.op === 'SYMLINK' && o.args[1]!.startsWith('/sys')).map((o) => o.args[1]), ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct']);
  assert.ok(plan.some((o) => o.op === 'REMOUNT_RO' && o.args[0] === '/sys/fs/cgroup'));
});

test('identity ops: user, groups, caps and the program, in a safe order', () => {
  const plan = ops(spec((s) => { s.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_BOGUS'], effective: ['CAP_KILL'] }; }));
  const names = plan.map((o) => o.op);
  assert.deepEqual(plan.find((o) => o.op === 'SETUSER')!.args, ['1000', '1000', '5,6']);
  assert.equal(plan.find((o) => o.op === 'BOUNDING')!.args[0], String(1n << 5n));
  assert.ok(names.indexOf('BOUNDING') < names.indexOf('SETUSER'));
  assert.ok(names.indexOf('SETUSER') < names.indexOf('CAPS'));
  assert.ok(names.indexOf('READY') < names.indexOf('WAIT_START'));
  assert.equal(names.at(-1), 'EXEC');
  assert.deepEqual(plan.at(-1)!.args, ['3', 'sh', '-c', 'true', 'PATH=/bin']);
  assert.deepEqual(plan.find((o) => o.op === 'LOOKUP')!.args, ['sh', '/bin']);
});

test('HOME not in env: DEFAULT_HOME for the process uid, inside the container, before SETUSER', () => {
  for (const noPivot of [false, true]) {
    const plan = ops(spec(), { noPivot });
    const names = plan.map((o) => o.op);
    const i = names.indexOf('DEFAULT_HOME');
    assert.deepEqual(plan[i]!.args, ['1000']);
    assert.ok(i > names.indexOf(noPivot ? 'CHROOT' : 'PIVOT_ROOT'));
    assert.ok(i < names.lastIndexOf('SETUSER'));
  }
  const set = ops(spec((s) => { s.process!.env!.push('HOME=/srv'); }));
  assert.ok(!set.some((o) => o.op === 'DEFAULT_HOME'));
  assert.deepEqual(set.at(-1)!.args.slice(4), ['PATH=/bin', 'HOME=/srv']);
});

test('default devices are made unless the config lists the same path', () => {
  const plan = ops(spec((s) => { s.linux!.devices = [{ type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o600 }]; }));
  const nulls = plan.filter((o) => o.op === 'MKNOD' && o.args[0] === '/dev/null');
  assert.equal(nulls.length, 1);
  assert.equal(Number(nulls[0]!.args[1]) & 0o7777, 0o600);
  assert.ok(plan.some((o) => o.op === 'MKNOD' && o.args[0] === '/dev/urandom'));
});

test('no new mount namespace is refused with the field named', () => {
  assert.throws(() => ops(spec((s) => { s.linux!.namespaces = [{ type: 'pid' }]; })), /config\.json \/linux\/namespaces: a new mount namespace is required/);
});

test('idmap without mappings or a user namespace is refused, not ignored', () => {
  assert.throws(() => ops(spec((s) => { s.mounts!.push({ destination: '/x', type: 'bind', source: '/srv', options: ['rbind', 'idmap'] }); })), /config\.json \/mounts\/3\/options\/1: needs uidMappings and gidMappings on the mount, or a user namespace/);
});

test('idmapped mounts: IDMAP_TREE in the parent phase (before CLONE), MOUNT_TREE in place of MOUNT', () => {
  const p = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    s.mounts!.push({ destination: '/a', type: 'bind', source: '/srv/a', options: ['rbind', 'ridmap', 'ro'] });
    s.mounts!.push({ destination: '/b', type: 'bind', source: 'rel', options: ['bind'], uidMappings: [{ containerID: 1, hostID: 2, size: 3 }], gidMappings: [{ containerID: 4, hostID: 5, size: 6 }] });
  }));
  const names = p.map((o) => o.op);
  const trees = p.filter((o) => o.op === 'IDMAP_TREE');
  assert.equal(trees.length, 2);
  assert.ok(names.lastIndexOf('IDMAP_TREE') < names.indexOf('CLONE'));
  assert.deepEqual(trees[0]!.args, ['0', '/srv/a', '1', '1', '0 100000 65536\n', '0 200000 65536\n', '', '/mounts/3']);
  assert.deepEqual(trees[1]!.args.slice(0, 6), ['1', '/b/rel', '0', '0', '1 2 3\n', '4 5 6\n']);
  const attach = p.filter((o) => o.op === 'MOUNT_TREE');
  assert.deepEqual(attach.map((o) => [o.args[0], o.args[1]]), [['0', '/a'], ['1', '/b']]);
  assert.equal(attach[0]!.args[3], '1', 'ro is a remount flag of the attached tree');
  assert.ok(!p.some((o) => o.op === 'MOUNT' && (o.args[1] === '/a' || o.args[1] === '/b')));
});

test('netDevices: NETLINK before any JOIN_NS, NETDEV in the child once it is in its network namespace', () => {
  const p = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'network', path: '/var/run/netns/x' });
    s.linux!.netDevices = { eth1: { name: 'c0' }, eth2: {} };
  }));
  const names = p.map((o) => o.op);
  assert.ok(names.indexOf('NETLINK') < names.indexOf('JOIN_NS'));
  const dev = p.filter((o) => o.op === 'NETDEV').map((o) => o.args);
  assert.deepEqual(dev, [['eth1', 'c0', '/linux/netDevices/eth1'], ['eth2', '', '/linux/netDevices/eth2']]);
  assert.ok(names.indexOf('NETDEV') > names.indexOf('CLONE'));
});

test('tmpcopyup: a tmpfs mount point made with copy-up (mk D); ro only after the copy; a no-op elsewhere', () => {
  const mount = (options: string[], type = 'tmpfs'): { op: string; args: string[] } =>
    ops(spec((s) => { s.mounts!.push({ destination: '/data', type, source: type === 'bind' ? '/srv' : type, options }); }))
      .find((o) => o.op === 'MOUNT' && o.args[1] === '/data')!;
  const rw = mount(['tmpcopyup', 'nosuid', 'mode=755']);
  assert.deepEqual(rw.args, ['tmpfs', '/data', 'tmpfs', String(MS.NOSUID), 'mode=755', '0', '0', 'D']);
  const ro = mount(['ro', 'nosuid', 'tmpcopyup']);
  assert.deepEqual([ro.args[3], ro.args[5], ro.args[7]], [String(MS.NOSUID), String(MS.RDONLY | MS.NOSUID), 'D']);
  assert.deepEqual(mount(['nosuid']).args.slice(5), ['0', '0', 'd']);
  assert.equal(mount(['rbind', 'tmpcopyup'], 'bind').args[7], 'd');
  assert.equal(mount(['tmpcopyup'], 'proc').args[7], 'd');
});

test('preserved fds move the close-range start; --no-pivot uses chroot', () => {
  const plan = ops(spec(), { preserveFds: 2, noPivot: true });
  assert.deepEqual(plan.find((o) => o.op === 'CLOSE_FDS')!.args, ['5']);
  assert.ok(plan.some((o) => o.op === 'CHROOT'));
  assert.ok(!plan.some((o) => o.op === 'PIVOT_ROOT'));
});

test('the init waits for the runtime only when there are hooks to run before pivot_root', () => {
  assert.equal(ops(spec()).filter((o) => o.op === 'SYNC').length, 0);
  const withHook = ops(spec((s) => { s.hooks = { prestart: [{ path: '/bin/true' }] }; }));
  const names = withHook.map((o) => o.op);
  assert.deepEqual(withHook.filter((o) => o.op === 'SYNC').map((o) => o.args), [['hooks']]);
  assert.ok(names.lastIndexOf('SYNC') < names.indexOf('PIVOT_ROOT'));
});

test('the shim joins the cgroups (files opened before any setns) and writes the id maps of a new user namespace', () => {
  const procs = ['/sys/fs/cgroup/memory/c1/cgroup.procs', '/sys/fs/cgroup/pids/c1/cgroup.procs'];
  const withUser = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }, { containerID: 1000, hostID: 1000, size: 1 }];
  }), { host: { ...host, cgroupProcs: procs } });
  const names = withUser.map((o) => o.op);
  assert.deepEqual(withUser.filter((o) => o.op === 'CGROUP_JOIN').map((o) => o.args), procs.map((p) => [p]));
  assert.ok(names.lastIndexOf('CGROUP_JOIN') < names.indexOf('JOIN_NS'), 'opened in the runtime\'s namespaces');
  assert.deepEqual(withUser.filter((o) => o.op === 'ID_MAP').map((o) => o.args), [
    ['uid_map', '0 100000 65536\n'], ['gid_map', '0 200000 1000\n1000 1000 1\n'],
  ]);
  assert.ok(names.lastIndexOf('ID_MAP') < names.indexOf('CLONE'));
  // Without a new user namespace there is nothing to map, whatever the config says.
  const noUser = ops(spec((s) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; }));
  assert.equal(noUser.filter((o) => o.op === 'ID_MAP').length, 0);
});

test('process.env: one entry per name, first place, last value (as runc); a missing cwd is created', () => {
  const p = ops(spec((s) => {
    s.process!.env = ['PATH=/bin', 'DUP=first', 'OTHER=1', 'DUP=last'];
    s.process!.cwd = '/var/work dir';
  }));
  const exec = p.find((o) => o.op === 'EXEC')!;
  const env = exec.args.slice(1 + Number(exec.args[0]));
  assert.deepEqual(env, ['PATH=/bin', 'DUP=last', 'OTHER=1']);
  const names = p.map((o) => o.op);
  const mkdir = p.findIndex((o) => o.op === 'MKDIR' && o.args[0] === '/var/work dir');
  assert.ok(mkdir > names.lastIndexOf('MOUNT') && mkdir < names.indexOf('PIVOT_ROOT'), 'after the mounts, before pivot_root');
});

test('a new user and ipc namespace: ipc is unshared after SETUSER 0 (mqueue owned by the container root)', () => {
  const p = ops(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' }, { type: 'ipc' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  }));
  const clone = p.find((o) => o.op === 'CLONE')!;
  assert.equal(Number(clone.args[0]) & CLONE.NEWIPC, 0);
  const names = p.map((o) => o.op);
  const unshare = p.findIndex((o) => o.op === 'UNSHARE_CHILD' && Number(o.args[0]) === CLONE.NEWIPC);
  assert.ok(unshare > names.indexOf('SETUSER') && unshare < names.indexOf('MOUNT'));
});

test('rootfsPropagation shared: the rootfs parent mount is made private before pivot_root', () => {
  const names = ops(spec((s) => { s.linux!.rootfsPropagation = 'shared'; })).map((o) => o.op);
  assert.ok(names.indexOf('ROOT_PARENT_PRIVATE') < names.indexOf('ROOTFS'), 'before the rootfs is bound on itself');
  assert.ok(!ops(spec()).some((o) => o.op === 'ROOT_PARENT_PRIVATE'));
});
