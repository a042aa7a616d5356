/**
 * The init plan for the config fields of lib/plan/extras.ts and the recursive mount options:
 * which ops appear, where, with which arguments, and which fields are refused (with pointers).
 * The seccomp compiler is replaced by a fake, so nothing here needs libseccomp or root.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildInitPlan, type HostView, type InitPlanInput } from '../../lib/plan/init-plan';
import { MOUNT_ATTR, parseMountOptions } from '../../lib/plan/mount-options';
import { nodeMask, refuseUnsupported, seccompLoadsEarly, timeOffsetsText } from '../../lib/plan/extras';
import type { CompiledSeccomp } from '../../lib/seccomp/compile';
import { configIssues, sysctlNamespace } from '../../lib/spec/semantic';
import type { Seccomp, Spec } from '../../lib/spec/types';

const host: HostView = { isDirectory: () => true, cgroupViews: [] };
const FAKE_BPF = Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]); // ret ALLOW

function spec(patch: (s: Spec) => void = () => {}): Spec {
  const s: Spec = {
    ociVersion: '1.3.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 1000, gid: 1000 }, cwd: '/', args: ['sh'], env: ['PATH=/bin'], noNewPrivileges: true },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }] },
  };
  patch(s);
  return s;
}

const compiled: Seccomp[] = [];
const fakeCompile = (s: Seccomp): CompiledSeccomp => {
  compiled.push(s);
  return { program: FAKE_BPF, flags: 2, skipped: [], rules: 1 };
};

function plan(s: Spec, extra: Partial<InitPlanInput> = {}): Array<{ op: string; args: string[] }> {
  return buildInitPlan({
    spec: s, rootfs: '/b/rootfs', bundle: '/b', fifo: '/run/oci-ts/c1/exec.fifo', noPivot: false, preserveFds: 0, mode: 'create', host,
    compileSeccomp: fakeCompile, ...extra,
  }).map((o) => ({ op: o.op, args: o.args.map((a) => (a instanceof Uint8Array ? `bytes:${Buffer.from(a).toString('hex')}` : String(a))) }));
}
const names = (p: Array<{ op: string }>): string[] => p.map((o) => o.op);

describe('seccomp in the plan', () => {
  test('with noNewPrivileges: one SECCOMP op, after CLOSE_FDS and right before EXEC, with flags and the program', () => {
    const p = plan(spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; }));
    const n = names(p);
    assert.equal(n.filter((x) => x === 'SECCOMP').length, 1);
    assert.deepEqual(n.slice(-4), ['WAIT_START', 'CLOSE_FDS', 'SECCOMP', 'EXEC']);
    assert.ok(n.indexOf('NO_NEW_PRIVS') < n.indexOf('SECCOMP'));
    assert.deepEqual(p.find((o) => o.op === 'SECCOMP')!.args, ['2', `bytes:${FAKE_BPF.toString('hex')}`]);
  });

  test('without noNewPrivileges and without CAP_SYS_ADMIN: loaded before SETUSER drops privileges', () => {
    const p = names(plan(spec((s) => {
      s.process!.noNewPrivileges = false;
      s.process!.capabilities = { effective: ['CAP_KILL'], permitted: ['CAP_KILL'], bounding: ['CAP_KILL'] };
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    })));
    assert.equal(p.indexOf('SECCOMP') + 1, p.lastIndexOf('SETUSER'));
    assert.ok(p.indexOf('BOUNDING') < p.indexOf('SECCOMP'));
    assert.ok(!p.includes('NO_NEW_PRIVS'));
  });

  test('without noNewPrivileges but root with CAP_SYS_ADMIN kept: still last', () => {
    const proc = { user: { uid: 0, gid: 0 }, cwd: '/', noNewPrivileges: false, capabilities: { effective: ['CAP_SYS_ADMIN'] } };
    assert.equal(seccompLoadsEarly(proc), false);
    assert.equal(seccompLoadsEarly({ ...proc, user: { uid: 1, gid: 1 } }), true);
    assert.equal(seccompLoadsEarly({ ...proc, noNewPrivileges: true, capabilities: {} }), false);
  });

  test('no linux.seccomp: no SECCOMP op and the compiler is never called', () => {
    compiled.length = 0;
    assert.ok(!names(plan(spec())).includes('SECCOMP'));
    assert.equal(compiled.length, 0);
  });
});

describe('process attributes', () => {
  test('personality, scheduler, ioPriority and memoryPolicy become ops before the identity switch', () => {
    const p = plan(spec((s) => {
      s.linux!.personality = { domain: 'LINUX32' };
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7, flags: ['SCHED_FLAG_RESET_ON_FORK'] };
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 3 };
      s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1,65', flags: ['MPOL_F_STATIC_NODES'] };
    }));
    const get = (op: string): string[] => p.find((o) => o.op === op)!.args;
    assert.deepEqual(get('PERSONALITY'), ['8']);
    assert.deepEqual(get('SCHEDULER'), ['3', '1', '7', '0', '0', '0', '0']);
    assert.deepEqual(get('IOPRIO'), [String((2 << 13) | 3)]);
    const mask = Buffer.alloc(16);
    mask[0] = 0b11;
    mask[8] = 0b10; // node 65
    assert.deepEqual(get('MEMPOLICY'), [String(2 | (1 << 15)), `bytes:${mask.toString('hex')}`]);
    const n = names(p);
    for (const op of ['PERSONALITY', 'SCHEDULER', 'IOPRIO', 'MEMPOLICY']) {
      assert.ok(n.indexOf(op) > n.indexOf('PIVOT_ROOT') && n.indexOf(op) < n.lastIndexOf('SETUSER'), op);
    }
  });

  test('execCPUAffinity is accepted and does nothing for the init (the spec: not applicable)', () => {
    const p = plan(spec((s) => { s.process!.execCPUAffinity = { initial: '0', final: '0-1' }; }));
    assert.deepEqual(names(p), names(plan(spec())));
  });

  test('MPOL_LOCAL/DEFAULT take an empty mask; node lists are checked', () => {
    const p = plan(spec((s) => { s.linux!.memoryPolicy = { mode: 'MPOL_LOCAL' }; }));
    assert.deepEqual(p.find((o) => o.op === 'MEMPOLICY')!.args, ['4', 'bytes:']);
    assert.equal(nodeMask(' 0 , 2-3 ', '/x').toString('hex'), '0d00000000000000');
    assert.throws(() => nodeMask('3-1', '/linux/memoryPolicy/nodes'), /\/linux\/memoryPolicy\/nodes: range "3-1" is reversed/);
    assert.throws(() => nodeMask('a', '/linux/memoryPolicy/nodes'), /is not a node number or range/);
    assert.throws(() => nodeMask('5000', '/linux/memoryPolicy/nodes'), /beyond the 1024 nodes/);
  });

  test('time offsets are written by the parent after unshare(CLONE_NEWTIME), before the clone', () => {
    const p = plan(spec((s) => {
      s.linux!.namespaces!.push({ type: 'time' });
      s.linux!.timeOffsets = { monotonic: { secs: 3600, nanosecs: 5 }, boottime: { secs: -86400 } };
    }));
    const n = names(p);
    assert.equal(n.indexOf('WRITE_PARENT'), n.indexOf('UNSHARE') + 1);
    assert.ok(n.indexOf('WRITE_PARENT') < n.indexOf('CLONE'));
    assert.deepEqual(p.find((o) => o.op === 'WRITE_PARENT')!.args, ['/proc/self/timens_offsets', 'monotonic 3600 5\nboottime -86400 0\n']);
    assert.equal(timeOffsetsText(spec()), undefined);
    assert.throws(() => timeOffsetsText(spec((s) => { s.linux!.timeOffsets = { monotonic: { nanosecs: 1e9 } }; })), /\/linux\/timeOffsets\/monotonic\/nanosecs/);
  });
});

describe('hooks inside the container', () => {
  test('createContainer before pivot_root, startContainer after WAIT_START; the state is split around pid', () => {
    const p = plan(spec((s) => {
      s.annotations = { a: 'b' };
      s.hooks = {
        createContainer: [{ path: '/usr/bin/hook', args: ['hook', 'x'], env: ['A=1'], timeout: 5 }],
        startContainer: [{ path: '/bin/true' }],
      };
    }));
    const n = names(p);
    const hooks = p.filter((o) => o.op === 'HOOK');
    assert.equal(hooks.length, 2);
    assert.ok(n.indexOf('HOOK') < n.indexOf('PIVOT_ROOT'));
    assert.equal(n.lastIndexOf('HOOK'), n.indexOf('WAIT_START') + 1);
    const [label, timeout, prefix, suffix, file, argc, ...rest] = hooks[0]!.args;
    assert.deepEqual([label, timeout, file, argc, rest], ['createContainer hook #0', '5', '/usr/bin/hook', '2', ['hook', 'x', 'A=1']]);
    assert.deepEqual(JSON.parse(`${prefix}1${suffix}`), { ociVersion: '1.3.0', id: 'c1', status: 'creating', bundle: '/b', annotations: { a: 'b' }, pid: 1 });
    const start = hooks[1]!.args;
    assert.deepEqual(start.slice(4), ['/bin/true', '1', '/bin/true']);
    assert.equal(JSON.parse(`${start[2]}7${start[3]}`).status, 'created');
  });

  test('createRuntime still syncs with Node; no hooks, no HOOK ops', () => {
    assert.ok(!names(plan(spec())).includes('HOOK'));
  });
});

describe('recursive mount attributes', () => {
  test('r* options become mount_setattr(AT_RECURSIVE) right after the mount', () => {
    const p = plan(spec((s) => { s.mounts!.push({ destination: '/data', type: 'bind', source: '/srv', options: ['rbind', 'rro', 'rnosuid', 'rnoatime'] }); }));
    const i = p.findIndex((o) => o.op === 'MOUNT_SETATTR');
    assert.equal(p[i - 1]!.op, 'MOUNT');
    assert.equal(p[i - 1]!.args[1], '/data');
    const set = MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOATIME;
    assert.deepEqual(p[i]!.args, ['/data', String(set), String(MOUNT_ATTR.ATIME_MASK), '0', '1', '/mounts/1/options']);
  });

  test('later options win; clearing forms clear', () => {
    const o = parseMountOptions(['rro', 'rrw', 'rnoexec', 'rstrictatime', 'rrelatime'], '/m');
    assert.equal(o.recAttrSet, MOUNT_ATTR.NOEXEC | MOUNT_ATTR.RELATIME);
    assert.equal(o.recAttrClr, MOUNT_ATTR.RDONLY | MOUNT_ATTR.ATIME_MASK);
    assert.equal(parseMountOptions(['ro', 'nosuid'], '/m').recAttrSet, 0);
  });

  test('idmap and ridmap are extensions, not data; tmpcopyup is parsed into a flag', () => {
    assert.equal(parseMountOptions(['mode=755', 'tmpcopyup'], '/m').copyUp, true);
    assert.deepEqual(parseMountOptions(['mode=755', 'tmpcopyup'], '/m').data, ['mode=755']);
    assert.equal(parseMountOptions(['mode=755'], '/m').copyUp, false);
    assert.deepEqual(parseMountOptions(['rbind', 'ridmap'], '/mounts/4').idmap, { recursive: true, pointer: '/mounts/4/options/1' });
    assert.deepEqual(parseMountOptions(['rbind', 'idmap'], '/mounts/4').data, []);
  });
});

describe('refusals', () => {
  const cases: Array<[string, (s: Spec) => void, RegExp]> = [
    ['apparmor', (s) => { s.process!.apparmorProfile = 'docker-default'; }, /config\.json \/process\/apparmorProfile: AppArmor is not supported/],
    ['selinux', (s) => { s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'; }, /\/process\/selinuxLabel: SELinux is not supported/],
    ['mountLabel', (s) => { s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'; }, /\/linux\/mountLabel: SELinux/],
    ['intelRdt', (s) => { s.linux!.intelRdt = { closID: 'x' }; }, /\/linux\/intelRdt: Intel RDT \(resctrl\) is not supported/],
    ['personality flags', (s) => { s.linux!.personality = { domain: 'LINUX', flags: ['ADDR_NO_RANDOMIZE'] }; }, /\/linux\/personality\/flags\/0: personality flag "ADDR_NO_RANDOMIZE" is not supported/],
    ['SCHED_ISO', (s) => { s.process!.scheduler = { policy: 'SCHED_ISO' }; }, /\/process\/scheduler\/policy: SCHED_ISO is not implemented/],
    ['hook path', (s) => { s.hooks = { startContainer: [{ path: 'rel' }] }; }, /\/hooks\/startContainer\/0\/path: must be an absolute path/],
    ['mount idmappings', (s) => { s.mounts!.push({ destination: '/v', type: 'bind', source: '/srv', options: ['rbind'], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] }); }, /\/mounts\/1\/uidMappings: uidMappings and gidMappings must be given together/],
  ];
  for (const [what, patch, re] of cases) {
    test(what, () => assert.throws(() => plan(spec(patch)), re));
  }

  test('empty strings and empty objects are not refusals', () => {
    assert.doesNotThrow(() => plan(spec((s) => { s.process!.apparmorProfile = ''; s.process!.selinuxLabel = ''; s.linux!.mountLabel = ''; s.linux!.netDevices = {}; })));
  });

  test('a sysctl in a joined namespace that is the runtime\'s own is refused', () => {
    const s = spec((x) => {
      x.linux!.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }];
      x.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    assert.throws(() => refuseUnsupported(s, () => true), /\/linux\/sysctl\/net\.ipv4\.ip_forward: sysctl net\.ipv4\.ip_forward is not allowed in the runtime's own network namespace \(\/proc\/1\/ns\/net\)/);
    assert.doesNotThrow(() => refuseUnsupported(s, () => false));
  });

  test('user.* sysctls belong to the user namespace (per-namespace limits)', () => {
    assert.equal(sysctlNamespace('user.max_user_namespaces'), 'user');
    assert.equal(sysctlNamespace('kernel.shmmax'), 'ipc');
    assert.equal(sysctlNamespace('vm.swappiness'), undefined);
    const without = spec((x) => { x.linux!.sysctl = { 'user.max_inotify_watches': '100' }; });
    assert.deepEqual(configIssues(without).map((i) => i.reason), ['sysctl user.max_inotify_watches requires a user namespace']);
    const withUser = spec((x) => {
      x.linux!.sysctl = { 'user.max_inotify_watches': '100' };
      x.linux!.namespaces!.push({ type: 'user' });
      x.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1 }];
      x.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 1 }];
    });
    assert.deepEqual(configIssues(withUser), []);
  });
});
