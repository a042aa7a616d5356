import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildExecPlan, execProcessFromConfig, mergeEnv, parseSubCgroupArgs, type ExecPlanInput, type ExecProcessFlags,
} from '../../lib/plan/exec-plan';
import { buildInitPlan } from '../../lib/plan/init-plan';
import { CLONE } from '../../lib/shim/ops';
import type { Process, Spec } from '../../lib/spec/types';

function proc(patch: (p: Process) => void = () => {}): Process {
  const p: Process = {
    user: { uid: 1000, gid: 1000, additionalGids: [5] },
    cwd: '/work',
    args: ['sh', '-c', 'true'],
    env: ['PATH=/bin:/usr/bin', 'TERM=xterm'],
    capabilities: { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] },
    rlimits: [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }],
    noNewPrivileges: true,
  };
  patch(p);
  return p;
}

const NS = [
  { type: 'mount' as const, path: '/proc/42/ns/mnt' },
  { type: 'pid' as const, path: '/proc/42/ns/pid' },
  { type: 'network' as const, path: '/proc/42/ns/net' },
  { type: 'ipc' as const, path: '/proc/42/ns/ipc' },
];

const container: Spec = { ociVersion: '1.3.0', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }] } };
const fakeSeccomp = (): { flags: number; program: Buffer; skipped: string[]; rules: number } => ({ flags: 0, program: Buffer.alloc(8, 1), skipped: [], rules: 1 });

function plan(p: Process, extra: Partial<ExecPlanInput> = {}): Array<{ op: string; args: string[] }> {
  const input: ExecPlanInput = {
    process: p, container, compileSeccomp: fakeSeccomp, source: { file: 'config.json', base: '/process' }, namespaces: NS,
    detach: false, preserveFds: 0, ...extra,
  };
  return buildExecPlan(input).map((o) => ({ op: o.op, args: o.args.map(String) }));
}

const names = (ops: Array<{ op: string }>): string[] => ops.map((o) => o.op);

test('the whole plan: init check, cgroup files, joins (mount last), fork, session, identity, fds, exec', () => {
  const procs = ['/sys/fs/cgroup/memory/c1/cgroup.procs', '/sys/fs/cgroup/pids/c1/cgroup.procs'];
  assert.deepEqual(plan(proc(), { init: { pid: 42, startTime: '123456' }, cgroupProcs: procs }), [
    { op: 'INIT_CHECK', args: ['42', '123456'] },
    { op: 'CGROUP_JOIN', args: [procs[0]!] },
    { op: 'CGROUP_JOIN', args: [procs[1]!] },
    { op: 'JOIN_NS', args: [String(CLONE.NEWIPC), '/proc/42/ns/ipc'] },
    { op: 'JOIN_NS', args: [String(CLONE.NEWNET), '/proc/42/ns/net'] },
    { op: 'JOIN_NS', args: [String(CLONE.NEWPID), '/proc/42/ns/pid'] },
    { op: 'JOIN_NS', args: [String(CLONE.NEWNS), '/proc/42/ns/mnt'] },
    { op: 'MODE', args: ['exec'] },
    { op: 'CLONE', args: ['0'] },
    { op: 'DUMPABLE', args: ['0'] },
    { op: 'SETSID', args: [] },
    { op: 'RLIMIT', args: ['7', '512', '1024'] },
    { op: 'CHDIR', args: ['/work'] },
    { op: 'UMASK', args: ['22'] },
    { op: 'DEFAULT_HOME', args: ['1000'] },
    { op: 'BOUNDING', args: [String((1 << 5) | (1 << 0))] },
    { op: 'SETUSER', args: ['1000', '1000', '5'] },
    { op: 'CAPS', args: ['32', '32', '32'] },
    { op: 'AMBIENT', args: ['32'] },
    { op: 'NO_NEW_PRIVS', args: [] },
    { op: 'LOOKUP', args: ['sh', '/bin:/usr/bin'] },
    { op: 'CLOSE_FDS', args: ['3'] },
    { op: 'EXEC', args: ['3', 'sh', '-c', 'true', 'PATH=/bin:/usr/bin', 'TERM=xterm'] },
  ]);
});

test('HOME: from the container\'s /etc/passwd (DEFAULT_HOME, after the mount ns join) unless env sets it', () => {
  const ops = plan(proc((q) => { q.user.uid = 65534; }));
  const i = names(ops).indexOf('DEFAULT_HOME');
  assert.deepEqual(ops[i]!.args, ['65534']);
  assert.ok(i > names(ops).indexOf('CLONE') && i < names(ops).indexOf('SETUSER'));
  assert.ok(!ops.at(-1)!.args.some((a) => a.startsWith('HOME=')));
  const set = plan(proc((q) => { q.env!.push('HOME=/data'); }));
  assert.ok(!names(set).includes('DEFAULT_HOME'));
  assert.equal(set.at(-1)!.args.at(-1), 'HOME=/data');
  // An empty HOME counts as none (runc): dropped, and looked up.
  const empty = plan(proc((q) => { q.env = ['HOME=/a', 'PATH=/bin', 'HOME=']; }));
  assert.ok(names(empty).includes('DEFAULT_HOME'));
  assert.deepEqual(empty.at(-1)!.args.slice(4), ['PATH=/bin']);
});

test('a user namespace is joined first, and the child becomes its root before anything else', () => {
  const ops = plan(proc(), { namespaces: [...NS, { type: 'user', path: '/proc/42/ns/user' }, { type: 'cgroup', path: '/proc/42/ns/cgroup' }] });
  const joins = ops.filter((o) => o.op === 'JOIN_NS').map((o) => o.args[1]);
  assert.deepEqual(joins, ['/proc/42/ns/user', '/proc/42/ns/ipc', '/proc/42/ns/net', '/proc/42/ns/pid', '/proc/42/ns/cgroup', '/proc/42/ns/mnt']);
  const clone = names(ops).indexOf('CLONE');
  assert.deepEqual(ops.slice(clone + 1, clone + 3), [{ op: 'DUMPABLE', args: ['0'] }, { op: 'SETUSER', args: ['0', '0', ''] }]);
  assert.ok(!names(ops).includes('SYNC'), 'nothing waits for the runtime');
});

test('oom_score_adj: written by the shim parent to itself before any setns, so the child inherits it with host privileges', () => {
  const ops = plan(proc((p) => { p.oomScoreAdj = -500; }));
  const i = names(ops).indexOf('WRITE_PARENT');
  assert.deepEqual(ops[i], { op: 'WRITE_PARENT', args: ['/proc/self/oom_score_adj', '-500'] });
  assert.ok(i < names(ops).indexOf('JOIN_NS'));
  assert.ok(!names(plan(proc())).includes('WRITE_PARENT'));
});

test('only the given namespaces are joined (those that differ from the host), never twice', () => {
  const ops = plan(proc(), { namespaces: [{ type: 'mount', path: '/proc/9/ns/mnt' }] });
  assert.deepEqual(ops.filter((o) => o.op === 'JOIN_NS'), [{ op: 'JOIN_NS', args: [String(CLONE.NEWNS), '/proc/9/ns/mnt'] }]);
  assert.throws(() => plan(proc(), { namespaces: [NS[0]!, NS[0]!] }), /namespace mount given twice/);
});

test('--detach: MODE exec-detach; preserved fds stay open', () => {
  const ops = plan(proc(), { detach: true, preserveFds: 2 });
  assert.deepEqual(ops.find((o) => o.op === 'MODE')!.args, ['exec-detach']);
  assert.deepEqual(ops.find((o) => o.op === 'CLOSE_FDS')!.args, ['5']);
});

test('the identity ops are exactly the init\'s for the same process', () => {
  const p = proc((q) => { q.user.umask = 0o027; });
  const spec: Spec = { ociVersion: '1.3.0', root: { path: 'rootfs' }, process: p, linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }] } };
  const host = { isDirectory: () => true, cgroupViews: [] };
  const init = buildInitPlan({ spec, rootfs: '/b/rootfs', bundle: '/b', fifo: '/f', noPivot: false, preserveFds: 0, mode: 'create', host })
    .map((o) => ({ op: o.op, args: o.args.map(String) }));
  const slice = (ops: Array<{ op: string; args: string[] }>): Array<{ op: string; args: string[] }> =>
    ops.slice(names(ops).indexOf('RLIMIT'), names(ops).indexOf('LOOKUP') + 1);
  assert.deepEqual(slice(plan(p)), slice(init));
  assert.deepEqual(plan(p).at(-1), init.at(-1), 'same EXEC');
});

test('the container\'s seccomp filter, personality and the process\'s scheduler: as the init gets them', () => {
  const withAll: Spec = { ...container, linux: { ...container.linux, seccomp: { defaultAction: 'SCMP_ACT_ALLOW' }, personality: { domain: 'LINUX32' } } };
  // no_new_privs: the filter is loaded last, right before execve.
  const nnp = plan(proc(), { container: withAll });
  assert.deepEqual(names(nnp).slice(-3), ['CLOSE_FDS', 'SECCOMP', 'EXEC']);
  assert.deepEqual(nnp.find((o) => o.op === 'PERSONALITY')!.args, ['8']);
  // Without it, and no CAP_SYS_ADMIN kept: while still privileged, right before SETUSER.
  const p = proc((q) => { q.noNewPrivileges = false; q.scheduler = { policy: 'SCHED_BATCH', nice: 3 }; });
  const ops = plan(p, { container: withAll });
  const i = names(ops).lastIndexOf('SETUSER');
  assert.equal(ops[i - 1]!.op, 'SECCOMP');
  assert.equal(names(ops).filter((n) => n === 'SECCOMP').length, 1);
  // The same tail as the init's plan for the same config.
  const spec: Spec = { ...withAll, process: p };
  const host = { isDirectory: () => true, cgroupViews: [] };
  const init = buildInitPlan({ spec, rootfs: '/b/rootfs', bundle: '/b', fifo: '/r/c1/exec.fifo', noPivot: false, preserveFds: 0, mode: 'create', host, compileSeccomp: fakeSeccomp })
    .map((o) => ({ op: o.op, args: o.args.map(String) }))
    .filter((o) => o.op !== 'READY' && o.op !== 'WAIT_START');
  const tail = (x: Array<{ op: string; args: string[] }>): Array<{ op: string; args: string[] }> => x.slice(names(x).indexOf('PERSONALITY'));
  assert.deepEqual(tail(ops), tail(init));
  assert.throws(() => plan(proc((q) => { q.scheduler = { policy: 'SCHED_NOPE' }; }), { source: { file: 'process.json', base: '' } }),
    /\/scheduler\/policy: unknown scheduling policy "SCHED_NOPE"/);
});

test('a terminal with a console socket: the socket is connected before any setns, then PTY', () => {
  const ops = plan(proc((p) => { p.terminal = true; p.consoleSize = { height: 30, width: 100 }; }), { consoleSocket: '/tmp/c.sock', detach: true });
  assert.deepEqual(ops[0], { op: 'CONSOLE_SOCKET', args: ['/tmp/c.sock'] });
  assert.ok(!names(ops).includes('SETSID'));
  assert.ok(!names(ops).includes('TTY_RELAY'));
  assert.ok(!names(ops).includes('CONSOLE'), 'the container\'s /dev/console is left alone');
  const pty = names(ops).indexOf('PTY');
  assert.deepEqual(ops[pty]!.args, ['30', '100']);
  assert.ok(pty > names(ops).indexOf('SYNC') && pty < names(ops).indexOf('SETUSER'));
});

test('a terminal in the foreground without a console socket: the shim relays it', () => {
  const ops = plan(proc((p) => { p.terminal = true; }));
  assert.deepEqual(names(ops).slice(0, 2), ['TTY_RELAY', 'JOIN_NS']);
  assert.deepEqual(ops.find((o) => o.op === 'MODE')!.args, ['exec']);
  assert.deepEqual(ops.find((o) => o.op === 'PTY')!.args, ['0', '0']);
});

test('terminal and console-socket combinations runc refuses', () => {
  assert.throws(() => plan(proc((p) => { p.terminal = true; }), { detach: true }),
    /cannot allocate tty if oci-ts will detach without setting console socket/);
  assert.throws(() => plan(proc(), { consoleSocket: '/tmp/c.sock' }),
    /cannot use console socket if oci-ts will not detach or allocate tty/);
});

test('an AppArmor profile or SELinux label is refused with a clear error', () => {
  assert.throws(() => plan(proc((p) => { p.apparmorProfile = 'docker-default'; })), /apparmor profile "docker-default" cannot be applied: AppArmor is not supported on this host/);
  assert.throws(() => plan(proc((p) => { p.selinuxLabel = 'system_u:system_r:container_t:s0'; })), /SELinux is not supported on this host/);
  assert.doesNotThrow(() => plan(proc((p) => { p.apparmorProfile = ''; })));
});

test('errors name the process file and pointer', () => {
  const bad = proc((p) => { p.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]; });
  assert.throws(() => plan(bad, { source: { file: 'process.json', base: '' } }), /process\.json \/rlimits\/0\/type: unknown rlimit type "RLIMIT_BOGUS"/);
  assert.throws(() => plan(proc((p) => { p.args = []; }), { source: { file: 'process.json', base: '' } }), /process\.json \/args: must be a non-empty array/);
  assert.throws(() => plan(proc((p) => { p.cwd = 'rel'; }), { source: { file: 'process.json', base: '' } }), /process\.json \/cwd: must be an absolute path/);
});

const noFlags: ExecProcessFlags = { args: ['ls', '-l'], env: [], additionalGids: [], caps: [] };

test('without --process: config.json\'s process with the args replaced and nothing else changed', () => {
  const base = proc((p) => { p.terminal = true; });
  const p = execProcessFromConfig(base, noFlags);
  assert.deepEqual(p.args, ['ls', '-l']);
  assert.deepEqual(p.env, base.env);
  assert.equal(p.cwd, '/work');
  assert.equal(p.terminal, true);
  assert.deepEqual(p.user, base.user);
  assert.deepEqual(p.rlimits, base.rlimits);
  assert.equal(p.noNewPrivileges, true);
  assert.deepEqual(base.args, ['sh', '-c', 'true'], 'the config is not modified');
});

test('the flags override or add, as runc applies them', () => {
  const base = proc();
  const p = execProcessFromConfig(base, {
    ...noFlags, cwd: '/tmp', env: ['TERM=dumb', 'FOO=1'], tty: true, noNewPrivs: false,
    user: { uid: 65534 }, additionalGids: [7, 8], caps: ['CAP_SYS_ADMIN', 'CAP_KILL'],
    apparmor: 'prof', processLabel: 'lbl',
  });
  assert.equal(p.cwd, '/tmp');
  assert.deepEqual(p.env, ['PATH=/bin:/usr/bin', 'TERM=dumb', 'FOO=1']);
  assert.equal(p.terminal, true);
  assert.equal(p.noNewPrivileges, false);
  assert.deepEqual(p.user, { uid: 65534, gid: 1000, additionalGids: [5, 7, 8] });
  assert.deepEqual(p.capabilities!.bounding, ['CAP_KILL', 'CAP_CHOWN', 'CAP_SYS_ADMIN']);
  assert.deepEqual(p.capabilities!.effective, ['CAP_KILL', 'CAP_SYS_ADMIN']);
  assert.deepEqual(p.capabilities!.permitted, ['CAP_KILL', 'CAP_SYS_ADMIN']);
  assert.deepEqual(p.capabilities!.inheritable, ['CAP_KILL'], 'never inheritable');
  assert.deepEqual(p.capabilities!.ambient, ['CAP_KILL'], 'ambient only when inheritable');
  assert.equal(p.apparmorProfile, 'prof');
  assert.equal(p.selinuxLabel, 'lbl');
  assert.equal(execProcessFromConfig(base, { ...noFlags, user: { uid: 1, gid: 2 } }).user.gid, 2);
});

test('mergeEnv replaces variables in place, drops later duplicates and appends new ones', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2', 'A=3'], ['A=9', 'C=4', 'C=5']), ['A=9', 'B=2', 'C=5']);
  assert.deepEqual(mergeEnv([], []), []);
});

test('--cgroup arguments: one bare path, or controller-prefixed paths that cannot climb out', () => {
  assert.deepEqual([...parseSubCgroupArgs(['sub/x'])], [['', 'sub/x']]);
  assert.deepEqual([...parseSubCgroupArgs(['memory,pids:a', 'cpu:b'])], [['memory', 'a'], ['pids', 'a'], ['cpu', 'b']]);
  assert.deepEqual([...parseSubCgroupArgs(['memory:../../x'])], [['memory', 'x']]);
  assert.equal(parseSubCgroupArgs([]).size, 0);
  assert.throws(() => parseSubCgroupArgs(['a', 'b']), /missing <controller>: prefix/);
  assert.throws(() => parseSubCgroupArgs([':a']), /empty <controller> prefix/);
  assert.throws(() => parseSubCgroupArgs(['memory:a', 'memory:b']), /controller memory specified multiple times/);
  assert.throws(() => parseSubCgroupArgs(['a:b:c']), /invalid --cgroup argument: a:b:c/);
  assert.throws(() => parseSubCgroupArgs(['memory:..']), /empty path/);
});

test('execCPUAffinity: initial in the shim parent (inherited, then reset by the cgroup join after the clone), final in the child; masks are cpu_set_t bytes', () => {
  const raw = buildExecPlan({
    process: proc((p) => { p.execCPUAffinity = { initial: '0-1', final: '65' }; }), container, compileSeccomp: fakeSeccomp,
    source: { file: 'process.json', base: '' }, namespaces: NS, detach: false, preserveFds: 0,
  });
  const names = raw.map((o) => o.op);
  const aff = raw.filter((o) => o.op === 'CPU_AFFINITY');
  assert.equal(aff.length, 2);
  assert.ok(names.indexOf('CPU_AFFINITY') < names.indexOf('JOIN_NS') && names.lastIndexOf('CPU_AFFINITY') > names.indexOf('CLONE'));
  assert.deepEqual([...(aff[0]!.args[0] as Buffer)], [3, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal((aff[1]!.args[0] as Buffer).length, 16);
  assert.equal((aff[1]!.args[0] as Buffer)[8], 2);
  assert.equal(aff[1]!.args[1], '/execCPUAffinity/final');
  assert.ok(!plan(proc()).some((o) => o.op === 'CPU_AFFINITY'));
});
