/**
 * The plan description (lib/plan/describe.ts) and planBundle (lib/api/plan.ts), without root:
 * fake cgroup hosts read through a fake reader, fixed host views, and checks of the decoded
 * flags, the cgroup writes and the order of the steps.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { planBundle } from '../../lib/api/plan';
import type { HostCgroups } from '../../lib/cgroups/types';
import { OciError } from '../../lib/errors';
import {
  INIT_PID, cloneFlagNames, describePlan, formatPlanText, mountOptionWords, msFlagNames, planCgroup, propagationWord,
  type CgroupHostReader, type PlanDescription,
} from '../../lib/plan/describe';
import { buildInitPlan, type HostView } from '../../lib/plan/init-plan';
import { CLONE, MS } from '../../lib/shim/ops';
import type { Spec } from '../../lib/spec/types';

/** A read-only fake cgroupfs: files by path; directories are the prefixes of the files. */
function fakeReader(files: Record<string, string>): CgroupHostReader & { reads: string[] } {
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) for (let d = path.dirname(f); d !== '/'; d = path.dirname(d)) dirs.add(d);
  const reads: string[] = [];
  return {
    reads,
    exists: (p) => p in files || dirs.has(p),
    read: (p) => {
      reads.push(p);
      const v = files[p];
      if (v === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
      return v;
    },
  };
}

const UNIFIED: HostCgroups = {
  mode: 'unified',
  hierarchies: [{ kind: 'v2', mountpoint: '/sys/fs/cgroup', controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'] }],
};
const unifiedReader = (): ReturnType<typeof fakeReader> => fakeReader({
  '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
  '/sys/fs/cgroup/cgroup.subtree_control': 'memory pids\n',
  '/sys/fs/cgroup/cgroup.procs': '',
});

const HYBRID: HostCgroups = {
  mode: 'hybrid',
  hierarchies: [
    { kind: 'v1', mountpoint: '/sys/fs/cgroup/memory', controllers: ['memory'] },
    { kind: 'v1', mountpoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'] },
    { kind: 'v1', mountpoint: '/sys/fs/cgroup/devices', controllers: ['devices'] },
    { kind: 'v1', mountpoint: '/sys/fs/cgroup/pids', controllers: ['pids'] },
    { kind: 'v2', mountpoint: '/sys/fs/cgroup/unified', controllers: [] },
  ],
};
const hybridReader = (): ReturnType<typeof fakeReader> => fakeReader({
  '/sys/fs/cgroup/memory/cgroup.procs': '',
  '/sys/fs/cgroup/cpu,cpuacct/cgroup.procs': '',
  '/sys/fs/cgroup/devices/cgroup.procs': '',
  '/sys/fs/cgroup/pids/cgroup.procs': '',
  '/sys/fs/cgroup/unified/cgroup.procs': '',
  '/sys/fs/cgroup/unified/cgroup.controllers': '',
});

function spec(patch: (s: Spec) => void = () => {}): Spec {
  const s: Spec = {
    ociVersion: '1.3.0',
    root: { path: 'rootfs', readonly: true },
    hostname: 'box',
    process: {
      user: { uid: 1000, gid: 1000, additionalGids: [5] },
      cwd: '/work',
      args: ['sh', '-c', 'echo hi'],
      env: ['PATH=/bin:/usr/bin'],
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'],
        inheritable: [], ambient: [],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_CORE', soft: -1, hard: -1 }],
      noNewPrivileges: true,
    },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'nodev', 'noexec'] },
    ],
    hooks: {
      prestart: [{ path: '/usr/bin/net-setup', args: ['net-setup', 'up'], timeout: 5 }],
      poststart: [{ path: '/bin/notify' }],
      poststop: [{ path: '/bin/cleanup' }],
    },
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network', path: '/run/netns/n1' }],
      cgroupsPath: '/oci-ts/c1',
      resources: { pids: { limit: 64 }, memory: { limit: 64 * 1024 * 1024 } },
      sysctl: { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192' },
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
  patch(s);
  return s;
}

const HOST_VIEW: HostView = { isDirectory: () => true, cgroupViews: [], cgroup2Source: '/sys/fs/cgroup/oci-ts/c1' };

/** A stand-in for libseccomp: 5 instructions whatever the profile (the planner takes any compiler). */
const fakeSeccomp = (): { program: Buffer; flags: number; skipped: string[]; rules: number } => ({ program: Buffer.alloc(40), flags: 0, skipped: [], rules: 1 });

function describe(s: Spec, cgroupHost: HostCgroups = UNIFIED, reader = unifiedReader()): PlanDescription {
  const { plan: cgroup } = planCgroup({ spec: s, id: 'c1', host: cgroupHost, reader });
  const input: Parameters<typeof buildInitPlan>[0] & { compileSeccomp?: typeof fakeSeccomp } = {
    spec: s, rootfs: '/b/rootfs', bundle: '/b', fifo: '/run/oci-ts/c1/exec.fifo', noPivot: false, preserveFds: 0, mode: 'create', host: HOST_VIEW,
    compileSeccomp: fakeSeccomp,
  };
  const ops = buildInitPlan(input);
  return describePlan({ id: 'c1', bundle: '/b', rootfs: '/b/rootfs', spec: s, ops, cgroup, stateDir: '/run/oci-ts/c1', pidFile: '/run/c1.pid' });
}

test('MS_* flags decode to names and to runc option words', () => {
  assert.deepEqual(msFlagNames(MS.NOSUID | MS.NODEV | MS.NOEXEC), ['MS_NOSUID', 'MS_NODEV', 'MS_NOEXEC']);
  assert.deepEqual(msFlagNames(MS.BIND | MS.REC | MS.RDONLY), ['MS_RDONLY', 'MS_BIND', 'MS_REC']);
  assert.deepEqual(mountOptionWords(MS.BIND | MS.REC), ['rbind']);
  assert.deepEqual(mountOptionWords(MS.BIND), ['bind']);
  assert.deepEqual(mountOptionWords(MS.RDONLY | MS.NOSUID | MS.STRICTATIME), ['ro', 'nosuid', 'strictatime']);
  assert.equal(propagationWord(MS.SLAVE | MS.REC), 'rslave');
  assert.equal(propagationWord(MS.PRIVATE), 'private');
  assert.equal(propagationWord(0), undefined);
  assert.deepEqual(msFlagNames(1 << 30), ['0x40000000']);
  assert.deepEqual(cloneFlagNames(CLONE.NEWNS | CLONE.NEWPID), ['CLONE_NEWNS', 'CLONE_NEWPID']);
});

test('cgroup v2 plan: mkdirs, controller enabling, limits, then the join with the init pid', () => {
  const reader = unifiedReader();
  const { plan } = planCgroup({ spec: spec(), id: 'c1', host: UNIFIED, reader });
  assert.equal(plan.error, undefined);
  assert.equal(plan.version, 'v2');
  assert.equal(plan.path, '/oci-ts/c1');
  assert.deepEqual(plan.paths, { unified: '/sys/fs/cgroup/oci-ts/c1' });
  assert.deepEqual(plan.setup, [
    { action: 'mkdir', path: '/sys/fs/cgroup/oci-ts' },
    { action: 'mkdir', path: '/sys/fs/cgroup/oci-ts/c1' },
    { action: 'write', path: '/sys/fs/cgroup/cgroup.subtree_control', value: '+cpuset +cpu +io' },
    { action: 'write', path: '/sys/fs/cgroup/oci-ts/cgroup.subtree_control', value: '+cpuset +cpu +io +memory +pids' },
    { action: 'write', path: '/sys/fs/cgroup/oci-ts/c1/pids.max', value: '64' },
    { action: 'write', path: '/sys/fs/cgroup/oci-ts/c1/memory.max', value: '67108864' },
  ]);
  assert.deepEqual(plan.join, [{ action: 'write', path: '/sys/fs/cgroup/oci-ts/c1/cgroup.procs', value: INIT_PID }]);
  // Only reads went to the host, and never below the new cgroup.
  assert.ok(reader.reads.every((p) => !p.startsWith('/sys/fs/cgroup/oci-ts/')), reader.reads.join(' '));
});

test('cgroup v1 (hybrid) plan: a directory in every hierarchy, device rules, memory and pids', () => {
  const s = spec((x) => { x.linux!.resources!.devices = [{ allow: false, access: 'rwm' }]; });
  const { plan } = planCgroup({ spec: s, id: 'c1', host: HYBRID, reader: hybridReader() });
  assert.equal(plan.error, undefined);
  assert.equal(plan.version, 'v1');
  assert.deepEqual(plan.setup.filter((a) => a.action === 'mkdir').map((a) => a.path), [
    '/sys/fs/cgroup/memory/oci-ts', '/sys/fs/cgroup/memory/oci-ts/c1',
    '/sys/fs/cgroup/cpu,cpuacct/oci-ts', '/sys/fs/cgroup/cpu,cpuacct/oci-ts/c1',
    '/sys/fs/cgroup/devices/oci-ts', '/sys/fs/cgroup/devices/oci-ts/c1',
    '/sys/fs/cgroup/pids/oci-ts', '/sys/fs/cgroup/pids/oci-ts/c1',
    '/sys/fs/cgroup/unified/oci-ts', '/sys/fs/cgroup/unified/oci-ts/c1',
  ]);
  const writes = plan.setup.filter((a) => a.action === 'write').map((a) => `${path.basename(a.path)}=${a.value}`);
  assert.ok(writes.includes('memory.limit_in_bytes=67108864'), writes.join(' '));
  assert.ok(writes.includes('pids.max=64'));
  assert.ok(writes.includes('devices.deny=a *:* rwm'));
  assert.ok(writes.includes('devices.allow=c 1:3 rwm'));
  assert.equal(plan.join.length, 5);
  assert.ok(plan.join.every((a) => a.value === INIT_PID && a.path.endsWith('/cgroup.procs')));
});

test('a limit the host cannot take is an error in the plan, with the text create would give', () => {
  const { plan } = planCgroup({ spec: spec((s) => { s.linux!.resources = { memory: { swappiness: 10 } }; }), id: 'c1', host: UNIFIED, reader: unifiedReader() });
  assert.match(plan.error ?? '', /memory\.swappiness is not available on cgroup v2/);
  const none = planCgroup({ spec: spec(), id: 'c1', host: { mode: 'v1', hierarchies: [] }, reader: fakeReader({}) });
  assert.match(none.plan.error ?? '', /no cgroup file system mounted/);
});

test('the description decodes mounts, devices, rlimits, capabilities, sysctls and the process', () => {
  const d = describe(spec());
  assert.deepEqual(d.namespaces, [
    { type: 'pid', action: 'new' }, { type: 'mount', action: 'new' }, { type: 'uts', action: 'new' },
    { type: 'ipc', action: 'new' }, { type: 'network', action: 'join', path: '/run/netns/n1' },
  ]);
  const proc = d.mounts.find((m) => m.destination === '/proc')!;
  assert.deepEqual(proc.flags, ['MS_NOSUID', 'MS_NODEV', 'MS_NOEXEC']);
  assert.equal(proc.type, 'proc');
  const dev = d.mounts.find((m) => m.destination === '/dev')!;
  assert.deepEqual(dev.options, ['nosuid', 'strictatime']);
  assert.equal(dev.data, 'mode=755,size=65536k');
  const data = d.mounts.find((m) => m.destination === '/data')!;
  assert.equal(data.source, '/srv/data');
  assert.deepEqual(data.flags, ['MS_BIND', 'MS_REC']);
  assert.deepEqual(data.remountFlags, ['MS_RDONLY']);
  assert.equal(data.propagation, 'rprivate');
  const cg = d.mounts.find((m) => m.destination === '/sys/fs/cgroup')!;
  assert.equal(cg.source, '/sys/fs/cgroup/oci-ts/c1');
  assert.deepEqual(cg.options, ['rbind']);
  const hostMounts = d.mounts.filter((m) => m.scope === 'host');
  assert.deepEqual(hostMounts.map((m) => m.flags), [['MS_REC', 'MS_SLAVE'], ['MS_BIND', 'MS_REC']]);

  assert.deepEqual(d.devices.map((x) => `${x.path} ${x.type} ${x.major}:${x.minor} ${x.fileMode}`), [
    '/dev/null c 1:3 0666', '/dev/zero c 1:5 0666', '/dev/full c 1:7 0666', '/dev/random c 1:8 0666', '/dev/urandom c 1:9 0666', '/dev/tty c 5:0 0666',
  ]);
  assert.deepEqual(d.rlimits, [{ type: 'RLIMIT_NOFILE', soft: '1024', hard: '4096' }, { type: 'RLIMIT_CORE', soft: 'unlimited', hard: 'unlimited' }]);
  assert.deepEqual(d.capabilities.bounding, ['CAP_KILL', 'CAP_NET_BIND_SERVICE']);
  assert.deepEqual(d.capabilities.effective, ['CAP_KILL']);
  assert.deepEqual(d.capabilities.ambient, []);
  assert.deepEqual(d.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '8192' });
  assert.deepEqual(d.maskedPaths, ['/proc/kcore']);
  assert.deepEqual(d.readonlyPaths, ['/proc/sys']);
  assert.deepEqual(d.user, { uid: 1000, gid: 1000, additionalGids: [5], umask: '0022' });
  assert.equal(d.noNewPrivileges, true);
  assert.equal(d.hostname, 'box');
  assert.deepEqual(d.process.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(d.process.env, ['PATH=/bin:/usr/bin']);
  assert.match(d.steps.find((x) => x.op === 'DEFAULT_HOME')!.text, /\/etc\/passwd entry of uid 1000/);
  assert.deepEqual(d.process.lookup, { program: 'sh', path: '/bin:/usr/bin' });
  assert.deepEqual(d.hooks.map((h) => `${h.point}#${h.index} ${h.path}`), ['prestart#0 /usr/bin/net-setup', 'poststart#0 /bin/notify', 'poststop#0 /bin/cleanup']);
  assert.deepEqual(d.errors, []);
  // No numbers for flags anywhere in the mounts: every flag is a name.
  for (const m of d.mounts) for (const f of m.flags) assert.match(f, /^MS_[A-Z]+$/);
});

test('steps come in the order create and start run them', () => {
  const d = describe(spec((s) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }]; s.linux!.namespaces!.push({ type: 'user' }); }));
  const key = (s: { phase: string; op: string }): string => `${s.phase}:${s.op}`;
  const keys = d.steps.map(key);
  const at = (pred: (i: number) => boolean, what: string): number => {
    const i = keys.findIndex((_, j) => pred(j));
    assert.ok(i >= 0, `no step ${what}`);
    return i;
  };
  const firstCgroup = at((i) => keys[i] === 'runtime:cgroup', 'cgroup');
  const clone = at((i) => keys[i] === 'shim:CLONE', 'CLONE');
  const uidMap = at((i) => keys[i] === 'shim:idmap' && d.steps[i]!.text.includes('uid_map'), 'idmap');
  const join = at((i) => keys[i] === 'shim:cgroup' && d.steps[i]!.text.includes(INIT_PID), 'cgroup join');
  const pidSaved = at((i) => keys[i] === 'runtime:state' && d.steps[i]!.text.includes('status creating'), 'state creating');
  const firstMount = at((i) => keys[i] === 'init:MOUNT', 'MOUNT');
  const prestart = at((i) => d.steps[i]!.op === 'hook' && d.steps[i]!.text.startsWith('prestart'), 'prestart');
  const pivot = at((i) => keys[i] === 'init:PIVOT_ROOT', 'PIVOT_ROOT');
  const mask = at((i) => keys[i] === 'init:MASK', 'MASK');
  const ready = at((i) => keys[i] === 'init:READY', 'READY');
  const created = at((i) => keys[i] === 'runtime:state' && d.steps[i]!.text.includes('status created'), 'state created');
  const poststart = at((i) => d.steps[i]!.op === 'hook' && d.steps[i]!.text.startsWith('poststart'), 'poststart');
  const exec = at((i) => keys[i] === 'init:EXEC', 'EXEC');
  const poststop = at((i) => keys[i] === 'delete:hook', 'poststop');
  const order = [firstCgroup, clone, uidMap, join, pidSaved, firstMount, prestart, pivot, mask, ready, created, poststart, exec, poststop];
  assert.deepEqual(order, [...order].sort((a, b) => a - b), d.steps.map((s, i) => `${i} ${key(s)} ${s.text}`).join('\n'));
  assert.match(d.steps[created]!.text, /pid file \/run\/c1\.pid/);
  assert.match(d.steps[clone]!.text, /new namespaces: pid, mount, uts, user/);
  // The ipc namespace comes after the init became the user namespace's root (mqueue ownership).
  assert.ok(d.steps.some((s) => s.op === 'UNSHARE_CHILD' && /unshare ipc namespace/.test(s.text)));
  // A user-namespaced init first becomes root of the namespace: the final identity is the config's.
  assert.deepEqual(d.user, { uid: 1000, gid: 1000, additionalGids: [5], umask: '0022' });
});

test('seccomp is summarised (actions, rules, BPF size); v2 device rules are no longer a note (eBPF)', () => {
  const d = describe(spec((s) => {
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }, { names: ['ptrace'], action: 'SCMP_ACT_KILL' }] };
    s.linux!.resources!.devices = [{ allow: false, access: 'rwm' }];
  }));
  assert.equal(d.seccomp.configured, true);
  assert.equal(d.seccomp.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(d.seccomp.rules, 2);
  assert.equal(d.seccomp.syscalls, 3);
  assert.deepEqual(d.seccomp.actions, { SCMP_ACT_ALLOW: 2, SCMP_ACT_KILL: 1 });
  if (d.seccomp.applied) {
    assert.equal(d.seccomp.instructions, 5);
    assert.match(d.steps.find((s) => s.op === 'SECCOMP')!.text, /5 BPF instructions; default SCMP_ACT_ERRNO, 2 rules/);
  } else {
    assert.ok(d.notes.some((n) => n.includes('seccomp')));
  }
  assert.ok(!d.notes.some((n) => n.includes('not enforced on cgroup v2')));
  assert.deepEqual(describe(spec()).seccomp, { configured: false, applied: false });
});

test('the text plan names every section and numbers the steps', () => {
  const text = formatPlanText(describe(spec()));
  for (const heading of ['namespaces:', 'cgroup:', 'mounts:', 'devices:', 'masked paths:', 'read-only paths:', 'sysctls:', 'rlimits:', 'capabilities:', 'seccomp:', 'hooks:', 'process:', 'steps:']) {
    assert.ok(text.includes(`\n${heading}\n`), `missing ${heading}`);
  }
  assert.match(text, /proc on \/proc type proc \(nosuid,nodev,noexec\)/);
  assert.match(text, /\/srv\/data on \/data type bind \(rbind\), then remount ro, then make rprivate/);
  assert.match(text, /setrlimit RLIMIT_NOFILE soft 1024 hard 4096/);
  assert.match(text, /write "64" to \/sys\/fs\/cgroup\/oci-ts\/c1\/pids\.max/);
  assert.match(text, /^ *1 {2}runtime validate/m);
  assert.match(text, /execve "sh" argv \["sh","-c","echo hi"\]/);
  assert.doesNotMatch(text, /MS_\w+\b.*\b\d{4,}\b/); // flags are never printed as numbers
});

test('planBundle reads a bundle and writes nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-plan-'));
  try {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec((s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }]; })));
    const root = path.join(dir, 'state');
    const d = planBundle(dir, { id: 'c1', root, host: UNIFIED, reader: unifiedReader() });
    assert.equal(d.rootfs, path.join(dir, 'rootfs'));
    assert.equal(d.stateDir, path.join(root, 'c1'));
    assert.ok(d.steps.some((s) => s.op === 'FIFO' && s.text.includes(path.join(root, 'c1', 'exec.fifo'))));
    assert.equal(fs.existsSync(root), false);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['config.json', 'rootfs']);
    // The same inputs give the same plan.
    assert.deepEqual(planBundle(dir, { id: 'c1', root, host: UNIFIED, reader: unifiedReader() }), d);
    // Config errors are thrown with their pointer, as create would.
    const bad = spec((s) => { s.process!.rlimits = []; s.linux!.rootfsPropagation = 'sideways'; });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(bad));
    assert.throws(() => planBundle(dir, { id: 'c1', root, host: UNIFIED, reader: unifiedReader() }), (e: unknown) => e instanceof OciError && e.pointer === '/linux/rootfsPropagation');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
