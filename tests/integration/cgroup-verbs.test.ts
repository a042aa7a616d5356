/**
 * update, events, pause/resume, ps, kill --all and delete on real busybox containers driven
 * through dist/oci-ts (root only), with the kernel's view read back from cgroupfs and /proc.
 *
 * The limits are read from the cgroup v1 files (memory.limit_in_bytes, memory.memsw.limit_in_bytes,
 * cpu.cfs_quota_us, cpu.shares, pids.max, freezer.state), so the tests that read them need a
 * v1 or hybrid host; they are skipped on a pure cgroup v2 host.
 * Every container lives under a cgroup parent unique to this process, removed in `after`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import {
  cgroupDirsLeft, cgroupMounts, cleanEnv, ociTsBinary, removeCgroupTree, sandbox, skipReason, sleepMs, statusField, waitFor, type Sandbox,
} from '../helpers/runtime';

const CG_PARENT = `oci-ts-cgv-${process.pid}`;
const MiB = 1024 * 1024;
const v1Host = fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && fs.existsSync('/sys/fs/cgroup/pids');
const skip = skipReason ?? (v1Host ? undefined : 'needs the cgroup v1 memory, cpu, pids and freezer hierarchies (v1 or hybrid host)');

let sb: Sandbox;
let n = 0;
const children: ChildProcess[] = [];

interface Box {
  dir: string;
  id: string;
  cg: string;
}

function bundle(args: string[], patch?: (s: TestSpec) => void): Box {
  const id = `cgv${++n}`;
  const cg = `${CG_PARENT}/${id}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = args;
    s.root.readonly = false;
    s.linux.cgroupsPath = `/${cg}`;
    patch?.(s);
  });
  return { dir, id, cg };
}

function runDetached(b: Box): number {
  const r = sb.detached(['run', '-d', '--bundle', b.dir, b.id]);
  assert.equal(r.status, 0, r.output);
  const st = stateOf(b.id);
  assert.equal(st.status, 'running');
  return st.pid;
}

function stateOf(id: string): { status: string; pid: number } {
  const r = sb.run(['state', id]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

function cgFile(ctrl: string, cg: string, file: string): string {
  return fs.readFileSync(`/sys/fs/cgroup/${ctrl}/${cg}/${file}`, 'utf8').trim();
}

function keyValue(text: string, key: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

/** Run oci-ts, expecting success with empty stdout and stderr. */
function ok(args: string[], input?: string): void {
  const r = sb.run(args, input === undefined ? {} : { input });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, '', `${args.join(' ')} wrote to stderr`);
}

function fails(args: string[], message: RegExp, input?: string): void {
  const r = sb.run(args, input === undefined ? {} : { input });
  assert.notEqual(r.status, 0, `${args.join(' ')} succeeded`);
  assert.match(r.stderr, message);
}

function recordedResources(id: string): Record<string, Record<string, unknown>> {
  return (JSON.parse(fs.readFileSync(path.join(sb.root, id, 'state.json'), 'utf8')) as { resources: Record<string, Record<string, unknown>> }).resources;
}

interface Background {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** oci-ts in the background (events), killed after timeoutMs at the latest. */
function background(args: string[], timeoutMs: number): Background {
  const child = spawn(ociTsBinary, ['--root', sb.root, ...args], { cwd: sb.dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

function events(text: string): Array<{ type: string; id: string; data?: Record<string, Record<string, unknown>> }> {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; id: string });
}

function pidAlive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(st);
  } catch {
    return false;
  }
}

const SLEEPER = ['/bin/sh', '-c', 'while true; do sleep 1; done'];

describe('cgroup verbs', { skip }, () => {
  before(() => { sb = sandbox('cgroup-verbs'); });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('update with runc flags rewrites the v1 files; zero values leave them unchanged; the record keeps the result', () => {
    const b = bundle(SLEEPER, (s) => { s.linux.resources = { ...s.linux.resources, memory: { reservation: 32 * MiB } }; });
    runDetached(b);
    ok(['update', '--memory', '64m', '--memory-swap', '128m', '--cpu-quota', '50000', '--cpu-period', '100000', '--cpu-share', '512', '--pids-limit', '50', b.id]);
    assert.equal(cgFile('memory', b.cg, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cgFile('memory', b.cg, 'memory.memsw.limit_in_bytes'), String(128 * MiB));
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_quota_us'), '50000');
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_period_us'), '100000');
    assert.equal(cgFile('cpu', b.cg, 'cpu.shares'), '512');
    assert.equal(cgFile('pids', b.cg, 'pids.max'), '50');

    // Zero means unchanged; only the quota moves.
    ok(['update', '--memory', '0', '--cpu-share', '0', '--pids-limit', '0', '--memory-reservation', '0', '--cpu-quota', '25000', b.id]);
    assert.equal(cgFile('memory', b.cg, 'memory.limit_in_bytes'), String(64 * MiB));
    assert.equal(cgFile('memory', b.cg, 'memory.soft_limit_in_bytes'), String(32 * MiB));
    assert.equal(cgFile('cpu', b.cg, 'cpu.shares'), '512');
    assert.equal(cgFile('pids', b.cg, 'pids.max'), '50');
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_quota_us'), '25000');

    // -1 is unlimited.
    ok(['update', '--pids-limit', '-1', '--cpu-quota', '-1', b.id]);
    assert.equal(cgFile('pids', b.cg, 'pids.max'), 'max');
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_quota_us'), '-1');

    const rec = recordedResources(b.id);
    assert.deepEqual(rec.memory, { reservation: 32 * MiB, limit: 64 * MiB, swap: 128 * MiB });
    assert.deepEqual(rec.cpu, { shares: 512, quota: -1, period: 100000 });
    assert.deepEqual(rec.pids, { limit: -1 });
  });

  test('update --resources - with docker\'s exact JSON, and a file as podman writes it', () => {
    const b = bundle(SLEEPER, (s) => {
      s.linux.resources = { ...s.linux.resources, memory: { reservation: 16 * MiB }, cpu: { shares: 256 } };
    });
    runDetached(b);
    const docker = '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":50000,"period":100000},"pids":{"limit":50},"blockIO":{"weight":0}}';
    ok(['update', '--resources', '-', b.id], docker);
    assert.equal(cgFile('memory', b.cg, 'memory.limit_in_bytes'), '67108864');
    assert.equal(cgFile('memory', b.cg, 'memory.memsw.limit_in_bytes'), '134217728');
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_quota_us'), '50000');
    assert.equal(cgFile('pids', b.cg, 'pids.max'), '50');
    // docker's zeros left the config's values alone
    assert.equal(cgFile('cpu', b.cg, 'cpu.shares'), '256');
    assert.equal(cgFile('memory', b.cg, 'memory.soft_limit_in_bytes'), String(16 * MiB));

    // podman: update --resources=<file> <id>, only the fields it sets; lower memory+swap first
    // would be refused by the kernel, the runtime orders the writes.
    const file = path.join(sb.dir, 'podman-resources.json');
    fs.writeFileSync(file, '{"memory":{"limit":33554432,"swap":33554432},"cpu":{"quota":30000,"period":100000}}');
    ok(['update', `--resources=${file}`, b.id]);
    assert.equal(cgFile('memory', b.cg, 'memory.limit_in_bytes'), '33554432');
    assert.equal(cgFile('memory', b.cg, 'memory.memsw.limit_in_bytes'), '33554432');
    assert.equal(cgFile('cpu', b.cg, 'cpu.cfs_quota_us'), '30000');
    assert.equal(cgFile('cpu', b.cg, 'cpu.shares'), '256');
    assert.equal(cgFile('pids', b.cg, 'pids.max'), '50');
    const rec = recordedResources(b.id);
    assert.deepEqual(rec.memory, { reservation: 16 * MiB, limit: 33554432, swap: 33554432 });
    assert.deepEqual(rec.cpu, { shares: 256, quota: 30000, period: 100000 });

    // Raising the memory limit above memory+swap alone is refused with a clear text.
    fails(['update', '--memory', '64m', b.id], /would exceed the memory\+swap limit 33554432/);
    assert.equal(cgFile('memory', b.cg, 'memory.limit_in_bytes'), '33554432');
  });

  test('update errors: bad JSON names the pointer, Intel RDT, unknown and stopped containers', () => {
    const b = bundle(['/bin/sh', '-c', 'sleep 100']);
    runDetached(b);
    fails(['update', '--resources', '-', b.id], /invalid resources \(stdin\): \/memory\/limit: must be a number \(int64\), not a string/, '{"memory":{"limit":"64m"}}');
    fails(['update', '--resources', '-', b.id], /invalid resources \(stdin\): \/cpu\/shares: -1 is out of range for uint64/, '{"cpu":{"shares":-1}}');
    fails(['update', '--resources', '-', b.id], /not valid JSON/, '{"memory":');
    fails(['update', '--resources', path.join(sb.dir, 'nope.json'), b.id], /open .*nope\.json: no such file or directory/);
    fails(['update', '--l3-cache-schema', 'L3:0=ff', b.id], /Intel RDT\/CAT: l3 cache schema is not enabled/);
    fails(['update', '--mem-bw-schema', 'MB:0=70', b.id], /Intel RDT\/MBA: memory bandwidth schema is not enabled/);
    fails(['update', '--memory', '64m', '--memory-swap', '32m', b.id], /should be greater than or equal to the memory limit/);
    fails(['update', '--pids-limit', '5', 'no-such-container'], /container does not exist/);
    ok(['kill', b.id, 'KILL']);
    assert.ok(waitFor(() => stateOf(b.id).status === 'stopped'));
    fails(['update', '--pids-limit', '5', b.id], /container not running/);
  });

  test('events --stats: one stats event with memory usage and the pids count', () => {
    const b = bundle(SLEEPER, (s) => { s.linux.resources = { ...s.linux.resources, memory: { limit: 64 * MiB }, pids: { limit: 40 } }; });
    runDetached(b);
    const r = sb.run(['events', '--stats', b.id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1);
    const ev = JSON.parse(lines[0] as string) as { type: string; id: string; data: Record<string, Record<string, Record<string, number>>> };
    assert.equal(ev.type, 'stats');
    assert.equal(ev.id, b.id);
    const d = ev.data;
    assert.ok((d.memory?.usage?.usage ?? 0) > 0, 'memory usage > 0');
    assert.equal(d.memory?.usage?.limit, 64 * MiB);
    const pids = d.pids as unknown as { current: number; limit: number };
    assert.ok(pids.current >= 1, 'pids current >= 1');
    assert.equal(pids.limit, 40);
    assert.ok(Object.hasOwn(d, 'cpu') && Object.hasOwn(d, 'blkio') && Object.hasOwn(d, 'hugetlb') && Object.hasOwn(d, 'cpuset'));
    assert.ok(typeof (d.cpu?.usage as unknown as { total: number }).total === 'number');
    assert.ok(/"kernelTCP":\{"limit":\d{16,}/.test(r.stdout), 'the unlimited 2^63-4096 limit is written exactly');
    ok(['kill', b.id, 'KILL']);
    assert.ok(waitFor(() => stateOf(b.id).status === 'stopped'));
    fails(['events', '--stats', b.id], new RegExp(`container with id ${b.id} is not running`));
  });

  test('a memory hog under 16 MiB (swap = limit) is OOM-killed and events reports it, then ends', async () => {
    const b = bundle(['/bin/sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; x=a; while true; do x=$x$x; done'], (s) => {
      s.linux.resources = { ...s.linux.resources, memory: { limit: 16 * MiB, swap: 16 * MiB } };
    });
    runDetached(b);
    const ev = background(['events', '--interval', '100ms', b.id], 30_000);
    // The first stats line means the OOM watch is registered (it is set up before the timers).
    assert.ok(await until(() => ev.stdout().includes('"type":"stats"'), 10_000), `no stats from events: ${ev.stderr()}`);
    fs.writeFileSync(path.join(b.dir, 'rootfs/tmp/go'), '');
    const { code, signal } = await ev.exit;
    assert.equal(signal, null, `events was killed by the timeout; stdout so far: ${ev.stdout().slice(-500)}`);
    assert.equal(code, 0, ev.stderr());
    const all = events(ev.stdout());
    assert.ok(all.some((e) => e.type === 'oom' && e.id === b.id), `no oom event in ${all.map((e) => e.type).join(',')}`);
    assert.ok(all.every((e) => e.id === b.id && (e.type === 'oom' || e.type === 'stats')));
    assert.ok(keyValue(cgFile('memory', b.cg, 'memory.oom_control'), 'oom_kill') >= 1, 'the kernel counted an OOM kill');
    assert.equal(stateOf(b.id).status, 'stopped');
  });

  test('a fork bomb is bounded by pids.max set with update', (t) => {
    const b = bundle(['/bin/sh', '-c',
      'while [ ! -e /tmp/go ]; do sleep 0.05; done; sh -c \'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done; wait\'; echo $? > /tmp/done; exec sleep 100']);
    runDetached(b);
    ok(['update', '--pids-limit', '10', b.id]);
    assert.equal(cgFile('pids', b.cg, 'pids.max'), '10');
    fs.writeFileSync(path.join(b.dir, 'rootfs/tmp/go'), '');
    let max = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !fs.existsSync(path.join(b.dir, 'rootfs/tmp/done'))) {
      max = Math.max(max, Number(cgFile('pids', b.cg, 'pids.current')));
      sleepMs(5);
    }
    max = Math.max(max, Number(cgFile('pids', b.cg, 'pids.current')));
    assert.ok(fs.existsSync(path.join(b.dir, 'rootfs/tmp/done')), 'the fork loop finished');
    assert.ok(max <= 10, `pids.current reached ${max}`);
    assert.ok(max >= 8, `the loop did start processes (max ${max})`);
    const refused = keyValue(cgFile('pids', b.cg, 'pids.events'), 'max');
    t.diagnostic(`pids.max 10: peak pids.current ${max}, forks refused (pids.events max) ${refused}`);
    assert.ok(refused > 0, 'forks were refused at the limit');
    const ps = sb.run(['ps', '--format', 'json', b.id]);
    assert.ok((JSON.parse(ps.stdout) as number[]).length <= 10);
  });

  test('pause freezes every process, state says paused, resume thaws; wrong-state errors', () => {
    const b = bundle(['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.02; done']);
    const pid = runDetached(b);
    const count = (): number => Number(fs.readFileSync(path.join(b.dir, 'rootfs/tmp/count'), 'utf8').trim() || '0');
    assert.ok(waitFor(() => fs.existsSync(path.join(b.dir, 'rootfs/tmp/count')) && count() > 2));
    fails(['resume', b.id], /container not paused/);
    ok(['pause', b.id]);
    assert.equal(stateOf(b.id).status, 'paused');
    assert.equal(cgFile('freezer', b.cg, 'freezer.state'), 'FROZEN');
    // Frozen tasks sleep uninterruptibly in the freezer (D on this kernel).
    assert.match(statusField(pid, 'State'), /^D /);
    const frozenAt = count();
    sleepMs(300);
    assert.equal(count(), frozenAt, 'no progress while paused');
    fails(['pause', b.id], /container not running/);
    // list shows the paused status too
    const list = JSON.parse(sb.run(['list', '--format', 'json']).stdout) as Array<{ id: string; status: string }>;
    assert.equal(list.find((s) => s.id === b.id)?.status, 'paused');
    ok(['resume', b.id]);
    assert.equal(stateOf(b.id).status, 'running');
    assert.equal(cgFile('freezer', b.cg, 'freezer.state'), 'THAWED');
    assert.ok(waitFor(() => count() > frozenAt + 2), 'progress after resume');
    // SIGKILL to a paused container works (it is thawed for it).
    ok(['pause', b.id]);
    ok(['kill', b.id, 'KILL']);
    assert.ok(waitFor(() => stateOf(b.id).status === 'stopped'));
    fails(['pause', b.id], /container not running/);
    fails(['resume', b.id], /container not paused/);
  });

  test('ps: json lists the host pids with nothing on stderr; table mode passes the ps arguments', () => {
    const b = bundle(['/bin/sh', '-c', 'sleep 1000 & while true; do sleep 1; done']);
    const pid = runDetached(b);
    assert.ok(waitFor(() => cgFile('pids', b.cg, 'cgroup.procs').split('\n').length >= 3));
    const j = sb.run(['ps', '--format', 'json', b.id]);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(j.stderr, '');
    const pids = JSON.parse(j.stdout) as number[];
    assert.ok(pids.includes(pid), `${JSON.stringify(pids)} lacks the init ${pid}`);
    const inCgroup = cgFile('pids', b.cg, 'cgroup.procs').split('\n').map(Number);
    for (const p of pids) assert.ok(inCgroup.includes(p) || !pidAlive(p), `${p} is not in the cgroup`);
    assert.deepEqual([...pids].sort((x, y) => x - y), pids, 'sorted');

    const t = sb.run(['ps', b.id]); // default -ef
    assert.equal(t.status, 0, t.stderr);
    const [header, ...rows] = t.stdout.trim().split('\n');
    assert.match(header ?? '', /^UID\s+PID\s+PPID/);
    assert.ok(rows.some((r) => r.trim().split(/\s+/)[1] === String(pid)), t.stdout);
    assert.ok(rows.every((r) => pids.includes(Number(r.trim().split(/\s+/)[1]))), 'only the container\'s processes');
    const o = sb.run(['ps', b.id, '-o', 'pid,args']);
    assert.equal(o.status, 0, o.stderr);
    const lines = o.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^\s*PID\s+COMMAND/);
    assert.ok(lines.some((l) => l.trim().startsWith(`${pid} `) && l.includes('/bin/sh -c sleep 1000')), o.stdout);
    assert.ok(lines.some((l) => /sleep 1000$/.test(l.trim())), o.stdout);
  });

  test('kill --all without a pid namespace kills the background children too, also after the init died', () => {
    const b = bundle(['/bin/sh', '-c', 'sleep 1001 & sleep 1002 & echo started > /tmp/started; wait'], (s) => {
      s.linux.namespaces = (s.linux.namespaces as Array<{ type: string }>).filter((ns) => ns.type !== 'pid');
    });
    const pid = runDetached(b);
    assert.ok(waitFor(() => fs.existsSync(path.join(b.dir, 'rootfs/tmp/started'))));
    assert.equal(fs.readlinkSync(`/proc/${pid}/ns/pid`), fs.readlinkSync('/proc/self/ns/pid'), 'no private pid namespace');
    const procs = (): number[] => cgFile('pids', b.cg, 'cgroup.procs').split('\n').filter((l) => l !== '').map(Number);
    assert.ok(waitFor(() => procs().length === 3), `expected init + 2 sleeps, got ${procs().join(' ')}`);
    const children1 = procs().filter((p) => p !== pid);

    // Plain kill signals the init only: without a pid namespace its children survive it.
    ok(['kill', b.id, 'KILL']);
    assert.ok(waitFor(() => stateOf(b.id).status === 'stopped'));
    sleepMs(100);
    assert.ok(children1.every(pidAlive), 'the children outlive the init');
    // kill --all of the stopped container still reaches them (runc does the same).
    ok(['kill', '--all', b.id, 'KILL']);
    assert.ok(waitFor(() => children1.every((p) => !pidAlive(p))), 'kill --all killed the leftovers');
    assert.ok(waitFor(() => procs().length === 0));
    ok(['delete', b.id]);
    assert.deepEqual(cgroupDirsLeft(b.cg), []);

    // And on a running container: init and children at once, with TERM.
    const c = bundle(['/bin/sh', '-c', 'sleep 1003 & sleep 1004 & echo started > /tmp/started; wait'], (s) => {
      s.linux.namespaces = (s.linux.namespaces as Array<{ type: string }>).filter((ns) => ns.type !== 'pid');
    });
    runDetached(c);
    assert.ok(waitFor(() => fs.existsSync(path.join(c.dir, 'rootfs/tmp/started'))));
    const procsC = (): number[] => cgFile('pids', c.cg, 'cgroup.procs').split('\n').filter((l) => l !== '').map(Number);
    assert.ok(waitFor(() => procsC().length === 3));
    const all = procsC();
    ok(['kill', '--all', c.id, 'TERM']);
    assert.ok(waitFor(() => all.every((p) => !pidAlive(p))), `left: ${all.filter(pidAlive).join(' ')}`);
    assert.ok(waitFor(() => stateOf(c.id).status === 'stopped'));
    ok(['kill', '--all', c.id, 'KILL']); // nothing left: still success
    fails(['kill', c.id, 'KILL'], /container not running/);
  });

  test('delete removes the cgroup in every hierarchy, also after a crash half-way through create', () => {
    const everywhere = (cg: string): void => {
      assert.deepEqual(cgroupDirsLeft(cg).sort(), cgroupMounts().map((m) => path.join(m, cg)).sort(), 'a directory in every hierarchy');
    };
    const rewrite = (id: string, patch: (r: Record<string, unknown>) => void): void => {
      const f = path.join(sb.root, id, 'state.json');
      const rec = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
      patch(rec);
      fs.writeFileSync(f, JSON.stringify(rec));
    };

    // 1. Normal: created, then deleted.
    const a = bundle(SLEEPER);
    assert.equal(sb.detached(['create', '--bundle', a.dir, a.id]).status, 0);
    everywhere(a.cg);
    ok(['delete', a.id]);
    assert.deepEqual(cgroupDirsLeft(a.cg), []);

    // 2. A record left with creating=true and the init still alive (create died after the
    //    sync): delete --force, as engines do after a failed create.
    const b = bundle(SLEEPER);
    assert.equal(sb.detached(['create', '--bundle', b.dir, b.id]).status, 0);
    const pidB = stateOf(b.id).pid;
    rewrite(b.id, (r) => { r.creating = true; });
    fs.rmSync(path.join(sb.root, b.id, 'exec.fifo'), { force: true });
    assert.equal(stateOf(b.id).status, 'creating');
    everywhere(b.cg);
    ok(['delete', '--force', b.id]);
    assert.deepEqual(cgroupDirsLeft(b.cg), []);
    assert.ok(waitFor(() => !pidAlive(pidB)), 'the init was killed');
    assert.ok(!fs.existsSync(path.join(sb.root, b.id)));

    // 3. creating=true and no init at all (create died before the shim started): plain delete.
    const c = bundle(SLEEPER);
    assert.equal(sb.detached(['create', '--bundle', c.dir, c.id]).status, 0);
    const pidC = stateOf(c.id).pid;
    process.kill(pidC, 'SIGKILL');
    assert.ok(waitFor(() => !pidAlive(pidC)));
    rewrite(c.id, (r) => { r.creating = true; r.pid = 0; r.initStartTime = ''; });
    assert.equal(stateOf(c.id).status, 'stopped');
    everywhere(c.cg);
    ok(['delete', c.id]);
    assert.deepEqual(cgroupDirsLeft(c.cg), []);
  });

  test('delete --force after create was killed at a fault point (OCI_TS_FAULT) leaves no cgroup', () => {
    const b = bundle(SLEEPER);
    const r = spawnSync(ociTsBinary, ['--root', sb.root, 'create', '--bundle', b.dir, b.id], {
      cwd: sb.dir, env: cleanEnv({ OCI_TS_FAULT: 'after-pid' }), stdio: 'ignore', timeout: 30_000,
    });
    // Every build has the fault points (lib/fault.ts): a create that was not killed is a failure.
    if (r.signal !== 'SIGKILL') sb.run(['delete', '--force', b.id]);
    assert.equal(r.signal, 'SIGKILL', `create was not killed at after-pid (status ${r.status})`);
    const rec = JSON.parse(fs.readFileSync(path.join(sb.root, b.id, 'state.json'), 'utf8')) as { creating?: boolean; pid: number };
    assert.equal(rec.creating, true);
    assert.ok(cgroupDirsLeft(b.cg).length > 0, 'the crash left the cgroup behind');
    ok(['delete', '--force', b.id]);
    assert.deepEqual(cgroupDirsLeft(b.cg), []);
    if (rec.pid > 0) assert.ok(waitFor(() => !pidAlive(rec.pid)), 'the orphaned init was killed');
  });
});

/**
 * The cgroup v2 stats code against a real kernel: on a hybrid host the cgroup2 hierarchy has
 * cpu.stat, the PSI files and cgroup.procs for any cgroup (no controller needs enabling, so
 * cgroup.subtree_control is left alone). Memory, pids and io of v2 are unit-tested only.
 */
describe('cgroup v2 stats on the real cgroup2 hierarchy', { skip: skipReason ?? (cgroup2Mount() === undefined ? 'no cgroup2 mount' : undefined) }, () => {
  const rel = `${CG_PARENT}-v2`;
  let sleeper: ChildProcess | undefined;
  after(() => {
    sleeper?.kill('SIGKILL');
    const mp = cgroup2Mount();
    if (mp !== undefined) waitFor(() => { try { fs.rmdirSync(path.join(mp, rel)); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT'; } }, 2000);
  });

  test('cpu usage, PSI and the process count come from the files; the OOM target needs memory.events', async () => {
    const mp = cgroup2Mount() as string;
    const { loadCgroupManager } = await import('../../lib/cgroups/manager');
    fs.mkdirSync(path.join(mp, rel));
    const m = loadCgroupManager({ version: 'v2', path: `/${rel}`, hierarchies: [{ kind: 'v2', mountpoint: mp, controllers: [] }], created: [path.join(mp, rel)], paths: {} });
    // The busy loop starts only once the process is in the cgroup (it waits for a line on stdin),
    // so its CPU time is always charged there, however slow the host is to spawn it.
    sleeper = spawn('sh', ['-c', 'read go; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    m.addProcess(sleeper.pid as number);
    sleeper.stdin?.write('go\n');
    await until(() => (m.stats().cpu.usage.total ?? 0n) > 0n, 5000);
    const s = m.stats();
    assert.ok((s.cpu.usage.total ?? 0n) > 0n, 'cpu usage from cpu.stat usage_usec');
    assert.equal(s.pids.current, 1n, 'no pids controller here: the processes are counted');
    if (fs.existsSync(path.join(mp, rel, 'cpu.pressure'))) assert.ok(s.cpu.psi?.some !== undefined, 'PSI');
    assert.equal(m.oomTarget() === undefined, !fs.existsSync(path.join(mp, rel, 'memory.events')));
    sleeper.kill('SIGKILL');
    await until(() => m.procs().length === 0, 5000);
    m.destroy();
    assert.ok(!fs.existsSync(path.join(mp, rel)));
  });
});

function cgroup2Mount(): string | undefined {
  try {
    const line = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => / - cgroup2 /.test(l));
    return line?.split(' ')[4];
  } catch {
    return undefined;
  }
}
