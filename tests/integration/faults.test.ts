/**
 * Crash consistency: the runtime SIGKILLs itself at each named fault point of create, start,
 * delete, exec, kill, pause/resume and update (OCI_TS_FAULT=<point>, lib/fault.ts). Each test
 * asserts the call really died by SIGKILL (so a point that is never reached fails it). After each
 * crash `state` must still answer (or say the container does not exist), the same verb must work
 * again (a lock left by the dead call is broken as stale, not waited out), `delete --force` must
 * succeed, and nothing may be left on the host: no process, no mount, no cgroup directory in any
 * hierarchy, no state dir, fifo or lock, nothing holding the container's namespaces. The id must
 * be usable again afterwards. An exec killed half-way must never leave its process outside the
 * container's cgroups.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readStat } from '../../lib/container/proc';
import { FAULT_POINTS, type FaultPoint } from '../../lib/fault';
import { makeBundle } from '../helpers/bundle';
import { spawn } from 'node:child_process';
import { cgroupMounts, cleanEnv, ociTsBinary, removeCgroupTree, sandbox, skipReason, waitFor, type Sandbox } from '../helpers/runtime';
import { crashSignature, forceClean, runCli, waitNoLeftovers, type CliResult, type LeakScope } from '../fuzz/host-check';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const CG_PARENT = `oci-ts-faults-${RUN}`;
let sb: Sandbox;
let n = 0;

interface Case {
  id: string;
  bundle: string;
  pidFile: string;
  scope: LeakScope;
}

function newCase(tag: string): Case {
  const id = `f${++n}-${tag}`;
  const token = `OCI_TS_FAULT_TOKEN=${RUN}-${id}`;
  const cgroup = `${CG_PARENT}/${id}`;
  const bundle = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = ['/bin/sleep', '1000'];
    s.process.env = [...(s.process.env ?? []), token];
    s.linux.cgroupsPath = `/${cgroup}`;
  });
  return { id, bundle, pidFile: path.join(sb.dir, `${id}.pid`), scope: { root: sb.root, id, paths: [bundle], cgroup, token } };
}

/** `cwd`: a case's bundle, so that the runtime and its shim are found by the leak check's cwd test. */
function cli(args: string[], fault?: FaultPoint, cwd?: string): CliResult {
  const r = runCli(sb.root, args, { ...(fault === undefined ? {} : { env: { OCI_TS_FAULT: fault } }), ...(cwd === undefined ? {} : { cwd }) });
  assert.equal(crashSignature(r.output), undefined, `no JS error text from ${args.join(' ')}: ${r.output}`);
  return r;
}

function crashAt(point: FaultPoint, args: string[], cwd?: string): void {
  const r = cli(args, point, cwd);
  assert.equal(r.signal, 'SIGKILL', `oci-ts ${args[0]} reaches ${point} and dies there (status ${r.status}): ${r.output}`);
}

/** `state` answers with one of `allowed` (or "does not exist" when that is allowed). */
function stateAfterCrash(id: string, allowed: readonly string[]): { status: string; pid: number } | undefined {
  const r = cli(['state', id]);
  if (r.status !== 0) {
    assert.ok(allowed.includes('missing'), `state of ${id} fails: ${r.output}`);
    assert.match(r.output, /container does not exist/);
    return undefined;
  }
  const st = JSON.parse(r.output) as { status: string; pid: number; id: string };
  assert.equal(st.id, id);
  assert.ok(allowed.includes(st.status), `state of ${id} is ${st.status}, expected one of ${allowed.join(', ')}`);
  if (st.status === 'stopped') assert.equal(st.pid, 0);
  else assert.ok(st.pid > 0 && fs.existsSync(`/proc/${st.pid}`), `a ${st.status} container has a live pid`);
  return st;
}

function deleteAndCheck(c: Case, force = true): void {
  const d = cli(force ? ['delete', '--force', c.id] : ['delete', c.id]);
  assert.equal(d.status, 0, `delete${force ? ' --force' : ''} after the crash: ${d.output}`);
  assert.deepEqual(waitNoLeftovers(c.scope), [], 'nothing is left on the host');
}

/** The id can be used again: a normal create + delete. */
function reuse(c: Case): void {
  const r = cli(['create', '--bundle', c.bundle, c.id]);
  assert.equal(r.status, 0, `create of ${c.id} again: ${r.output}`);
  assert.equal(cli(['delete', '--force', c.id]).status, 0);
  assert.deepEqual(waitNoLeftovers(c.scope), []);
}

// ---- running containers: their init, namespaces and cgroups -------------------------------------

/** What identifies a running container: its init, the init's pid and mount namespaces, its cgroup lines. */
interface Init {
  pid: number;
  pidns: string;
  mntns: string;
  /** The lines of /proc/<init>/cgroup that name the container's cgroup (one per hierarchy). */
  cgroupLines: string[];
}

interface Proc {
  pid: number;
  start: string;
  pidns: string;
  mntns: string;
  cmdline: string;
  cgroup: string;
}

function readOr(file: string, fallback = ''): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return fallback;
  }
}

function linkOr(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '';
  }
}

/** `run -d` the case's container (sleep 1000) and identify its init. */
function runDetached(c: Case): Init {
  const r = cli(['run', '-d', '--bundle', c.bundle, c.id], undefined, c.bundle);
  assert.equal(r.status, 0, `run -d ${c.id}: ${r.output}`);
  const st = stateAfterCrash(c.id, ['running']);
  assert.ok(st !== undefined);
  const cgroupLines = readOr(`/proc/${st.pid}/cgroup`).split('\n').filter((l) => l.includes(`/${c.scope.cgroup}`));
  assert.ok(cgroupLines.length > 0, `the init is in ${c.scope.cgroup}`);
  return { pid: st.pid, pidns: linkOr(`/proc/${st.pid}/ns/pid`), mntns: linkOr(`/proc/${st.pid}/ns/mnt`), cgroupLines };
}

/**
 * Live processes (zombies left out) in the init's pid or mount namespace: the container's own,
 * and runtime processes that joined it (a foreground exec's shim parent lives in the mount ns).
 */
function nsMembers(init: Init): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const st = readStat(pid);
    if (st === undefined || st.state === 'Z' || st.state === 'X') continue;
    const pidns = linkOr(`/proc/${pid}/ns/pid`);
    const mntns = linkOr(`/proc/${pid}/ns/mnt`);
    if (pidns !== init.pidns && mntns !== init.mntns) continue;
    out.push({ pid, start: st.startTime, pidns, mntns, cmdline: readOr(`/proc/${pid}/cmdline`).replace(/\0/g, ' ').trim(), cgroup: readOr(`/proc/${pid}/cgroup`) });
  }
  return out;
}

const describeProc = (p: Proc): string => `${p.pid} (${p.cmdline})`;

/** Processes in the container's pid namespace that are not in all of its cgroups. */
function outsideCgroups(init: Init): string[] {
  return nsMembers(init)
    .filter((p) => p.pidns === init.pidns && !init.cgroupLines.every((l) => p.cgroup.split('\n').includes(l)))
    .map(describeProc);
}

function stillAlive(p: Proc): boolean {
  const st = readStat(p.pid);
  return st !== undefined && st.startTime === p.start && st.state !== 'Z' && st.state !== 'X';
}

/**
 * delete --force, the usual leak check, and then: every process that held the container's
 * namespaces just before the delete is gone (exec'd processes, a foreground exec's shim).
 */
function deleteAndCheckNamespaces(c: Case, init: Init, force = true): void {
  const holders = nsMembers(init);
  deleteAndCheck(c, force);
  let left: Proc[] = [];
  assert.ok(waitFor(() => (left = holders.filter(stillAlive)).length === 0, 3000), `nothing holds the container's namespaces: ${left.map(describeProc).join('; ')}`);
}

const lockFile = (c: Case): string => path.join(sb.root, c.id, '.lock');

/** The next call finds the lock of the dead process, breaks it as stale at once and works. */
function worksAgain(c: Case, args: string[], what: string): CliResult {
  const t0 = Date.now();
  const r = cli(args, undefined, c.bundle);
  assert.equal(r.status, 0, `${what} after the crash: ${r.output}`);
  assert.ok(Date.now() - t0 < 5000, `${what}: the dead holder's lock is broken, not waited out (${Date.now() - t0} ms)`);
  assert.ok(!fs.existsSync(lockFile(c)), `${what} leaves no lock`);
  return r;
}

function waitStatus(c: Case, status: string): void {
  let last = '';
  const ok = waitFor(() => {
    const r = cli(['state', c.id]);
    last = r.output;
    return r.status === 0 && (JSON.parse(r.output) as { status: string }).status === status;
  });
  assert.ok(ok, `${c.id} becomes ${status}: ${last}`);
}

/** Files a killed atomic write could leave beside `file` (`.<name>.<pid>.tmp`). */
function tmpLeftovers(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith(`.${path.basename(file)}.`));
}

interface ExecPoint {
  point: FaultPoint;
  detach: boolean;
  /** The lock is still held at the point (it is released once PID says the child is in the cgroups). */
  lockLeft: boolean;
  /** The exec'd program runs after the crash. */
  started: boolean;
}

const EXEC_POINTS: readonly ExecPoint[] = [
  { point: 'exec-after-lock', detach: true, lockLeft: true, started: false },
  { point: 'exec-after-validate', detach: true, lockLeft: true, started: false },
  // Detached, the shim has run to its end in one blocking call: the process runs, in the cgroups.
  { point: 'exec-after-spawn', detach: true, lockLeft: true, started: true },
  { point: 'exec-after-pid', detach: true, lockLeft: false, started: true },
  // Foreground: the shim parent stays and waits for the child, which was let go before PID.
  { point: 'exec-after-pid', detach: false, lockLeft: false, started: true },
  { point: 'exec-after-running', detach: true, lockLeft: false, started: true },
  { point: 'exec-after-running', detach: false, lockLeft: false, started: true },
  { point: 'exec-after-pidfile', detach: true, lockLeft: false, started: true },
];

const KILL_POINTS = ['kill-before-signal', 'kill-before-thaw', 'kill-all-mid-freeze'] as const;
const PAUSE_POINTS = ['pause-after-lock', 'pause-mid-freeze', 'resume-before-thaw'] as const;
const UPDATE_POINTS = ['update-after-lock', 'update-mid-apply', 'update-before-record'] as const;

/** The update the update tests make: values no bundle default has. */
const UPDATE_MEMORY = 209715200;
const UPDATE_PIDS = 77;

/** memory.limit_in_bytes (v1) or memory.max (v2) and pids.max of the case's cgroup. */
function limitsInForce(c: Case): { memory: number; pids: number } {
  const read = (files: string[]): number => {
    for (const m of cgroupMounts()) {
      for (const f of files) {
        const text = readOr(path.join(m, c.scope.cgroup, f), '').trim();
        if (text !== '') return text === 'max' ? -1 : Number(text);
      }
    }
    assert.fail(`no ${files.join(' or ')} for ${c.scope.cgroup}`);
  };
  return { memory: read(['memory.limit_in_bytes', 'memory.max']), pids: read(['pids.max']) };
}

function recordedLimits(c: Case): { memory?: number; pids?: number } {
  // Whole or absent, never half-written: JSON.parse throws otherwise.
  const rec = JSON.parse(fs.readFileSync(path.join(sb.root, c.id, 'state.json'), 'utf8')) as { resources?: { memory?: { limit?: number }; pids?: { limit?: number } } };
  return { memory: rec.resources?.memory?.limit, pids: rec.resources?.pids?.limit };
}

const CREATE_POINTS: ReadonlyArray<[FaultPoint, readonly string[]]> = [
  ['after-dir', ['stopped', 'missing']],
  ['after-cgroup', ['stopped', 'missing']],
  ['after-record', ['stopped']],
  // Without pre-start hooks the shim has run to READY by then (one blocking call): the init is
  // alive in the cgroup with no pid recorded yet, and delete --force kills it through the cgroup.
  ['after-spawn', ['stopped']],
  // The pid is saved: the init waits on exec.fifo (or, talking to a dead runtime, exits).
  ['after-pid', ['creating', 'stopped']],
  // The init is set up and blocked on exec.fifo: it lives on and delete --force must kill it.
  ['before-ready', ['creating']],
  ['after-state', ['created']],
  ['after-pidfile', ['created']],
];

describe('crash consistency (OCI_TS_FAULT)', { skip: skipReason }, () => {
  before(() => { sb = sandbox('faults'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('every fault point of lib/fault.ts is exercised here', () => {
    const covered = new Set<string>([
      ...CREATE_POINTS.map(([p]) => p), 'before-fifo-read', 'after-fifo-read', 'before-poststart', 'after-kill', 'after-cgroup-destroy', 'before-rmdir',
      ...EXEC_POINTS.map((e) => e.point), ...KILL_POINTS, ...PAUSE_POINTS, ...UPDATE_POINTS,
    ]);
    assert.deepEqual([...FAULT_POINTS].filter((p) => !covered.has(p)), []);
  });

  test('an unknown fault name changes nothing', () => {
    const c = newCase('inert');
    try {
      const r = runCli(sb.root, ['run', '-d', '--bundle', c.bundle, c.id], { env: { OCI_TS_FAULT: 'no-such-point,' } });
      assert.equal(r.status, 0, r.output);
      assert.equal(stateAfterCrash(c.id, ['running'])?.status, 'running');
      deleteAndCheck(c);
    } finally {
      forceClean(c.scope);
    }
  });

  for (const [point, allowed] of CREATE_POINTS) {
    test(`create killed ${point}`, () => {
      const c = newCase(point);
      try {
        crashAt(point, ['create', '--bundle', c.bundle, '--pid-file', c.pidFile, c.id]);
        const st = stateAfterCrash(c.id, allowed);
        if (point === 'after-pidfile') assert.equal(fs.readFileSync(c.pidFile, 'utf8'), String(st?.pid));
        if (point === 'before-ready') {
          // Not startable: create never finished. delete --force is the way out.
          assert.notEqual(cli(['start', c.id]).status, 0);
        }
        deleteAndCheck(c);
        if (st !== undefined && st.pid > 0) assert.ok(waitFor(() => !fs.existsSync(`/proc/${st.pid}`) || fs.readFileSync(`/proc/${st.pid}/stat`, 'latin1').includes(') Z ')), 'the init is dead');
        reuse(c);
      } finally {
        forceClean(c.scope);
      }
    });
  }

  test('start killed before-fifo-read: still created, a second start works', () => {
    const c = newCase('bfr');
    try {
      assert.equal(cli(['create', '--bundle', c.bundle, c.id]).status, 0);
      crashAt('before-fifo-read', ['start', c.id]);
      stateAfterCrash(c.id, ['created']);
      const again = cli(['start', c.id]);
      assert.equal(again.status, 0, again.output);
      stateAfterCrash(c.id, ['running']);
      deleteAndCheck(c);
    } finally {
      forceClean(c.scope);
    }
  });

  test('start killed after-fifo-read (before the fifo is unlinked): a second start finishes the job quickly', () => {
    const c = newCase('afr');
    try {
      assert.equal(cli(['create', '--bundle', c.bundle, c.id]).status, 0);
      crashAt('after-fifo-read', ['start', c.id]);
      // The init was released: it runs the container's program now.
      stateAfterCrash(c.id, ['created', 'running']);
      const t0 = Date.now();
      const again = cli(['start', c.id]);
      assert.ok(Date.now() - t0 < 5000, 'no 10 s wait for a writer that is gone');
      assert.ok(again.status === 0 || /already running/.test(again.output), again.output);
      stateAfterCrash(c.id, ['running']);
      deleteAndCheck(c);
    } finally {
      forceClean(c.scope);
    }
  });

  test('start killed before-poststart: running', () => {
    const c = newCase('bps');
    try {
      assert.equal(cli(['create', '--bundle', c.bundle, c.id]).status, 0);
      crashAt('before-poststart', ['start', c.id]);
      stateAfterCrash(c.id, ['running']);
      assert.match(cli(['start', c.id]).output, /cannot start an already running container/);
      deleteAndCheck(c);
    } finally {
      forceClean(c.scope);
    }
  });

  test('create SIGKILLed from outside at random moments: state parses, delete --force cleans up', async () => {
    // Between the named points too: inside writeFileAtomic, the lock write, the shim talk.
    for (let i = 0; i < 10; i++) {
      const c = newCase(`chaos${i}`);
      try {
        const delay = 20 + Math.floor(Math.random() * 140);
        const child = spawn(ociTsBinary, ['--root', sb.root, 'create', '--bundle', c.bundle, c.id], { env: cleanEnv(), stdio: 'ignore' });
        const exited = new Promise((r) => child.once('exit', r));
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await exited;
        // Whatever the moment, the state file (if any) is whole: state answers.
        stateAfterCrash(c.id, ['missing', 'stopped', 'creating', 'created']);
        const file = path.join(sb.root, c.id, 'state.json');
        if (fs.existsSync(file)) JSON.parse(fs.readFileSync(file, 'utf8'));
        deleteAndCheck(c);
      } finally {
        forceClean(c.scope);
      }
    }
  });

  test('a lock left empty by a process killed between creating and filling it is broken', () => {
    const c = newCase('empty-lock');
    try {
      assert.equal(cli(['create', '--bundle', c.bundle, c.id]).status, 0);
      const lock = path.join(sb.root, c.id, '.lock');
      fs.writeFileSync(lock, '');
      const old = new Date(Date.now() - 5000);
      fs.utimesSync(lock, old, old);
      const t0 = Date.now();
      deleteAndCheck(c);
      assert.ok(Date.now() - t0 < 5000, 'no wait for the lock timeout');
    } finally {
      forceClean(c.scope);
    }
  });

  for (const point of ['after-kill', 'after-cgroup-destroy', 'before-rmdir'] as const) {
    test(`delete --force killed ${point}: stopped, a plain delete finishes`, () => {
      const c = newCase(point);
      try {
        assert.equal(cli(['run', '-d', '--bundle', c.bundle, c.id]).status, 0);
        crashAt(point, ['delete', '--force', c.id]);
        stateAfterCrash(c.id, ['stopped']);
        deleteAndCheck(c, false);
        reuse(c);
      } finally {
        forceClean(c.scope);
      }
    });
  }
  for (const e of EXEC_POINTS) {
    test(`exec${e.detach ? ' -d' : ''} killed ${e.point}: the container is untouched, no process outside its cgroups, exec works again`, () => {
      const c = newCase(`x-${e.point.slice(5)}${e.detach ? '' : '-fg'}`);
      try {
        const init = runDetached(c);
        const pidFile = path.join(sb.dir, `${c.id}.exec.pid`);
        // The scope's token in the exec'd process's environment: the leak check finds it too.
        crashAt(e.point, ['exec', ...(e.detach ? ['-d'] : []), '--pid-file', pidFile, '--env', c.scope.token!, c.id, '/bin/sleep', '999'], c.bundle);
        assert.equal(stateAfterCrash(c.id, ['running'])?.pid, init.pid, 'the container runs on with the same init');
        // The shim joins the child to the cgroups before it lets it go: never a process outside them.
        let outside: string[] = [];
        assert.ok(waitFor(() => (outside = outsideCgroups(init)).length === 0, 3000), `no process of the container outside its cgroups: ${outside.join('; ')}`);
        const execd = (): Proc[] => nsMembers(init).filter((p) => p.pidns === init.pidns && p.cmdline === '/bin/sleep 999');
        if (e.started) {
          const procs = execd();
          assert.equal(procs.length, 1, `the exec'd process runs: ${nsMembers(init).map(describeProc).join('; ')}`);
          if (e.point === 'exec-after-pidfile') assert.equal(fs.readFileSync(pidFile, 'utf8'), String(procs[0]!.pid), 'the pid file is whole and names it');
          else assert.ok(!fs.existsSync(pidFile), 'no pid file before it is written');
        } else {
          assert.ok(waitFor(() => execd().length === 0, 3000), 'the program never ran');
          assert.ok(!fs.existsSync(pidFile), 'no pid file');
        }
        assert.deepEqual(tmpLeftovers(pidFile), [], 'no half-written pid file');
        assert.equal(fs.existsSync(lockFile(c)), e.lockLeft, e.lockLeft ? 'the dead exec still holds the lock' : 'the lock was released before the point');
        worksAgain(c, ['exec', c.id, '/bin/true'], 'exec');
        stateAfterCrash(c.id, ['running']);
        deleteAndCheckNamespaces(c, init);
        reuse(c);
      } finally {
        forceClean(c.scope);
      }
    });
  }

  test('exec -d SIGKILLed from outside at random moments: nothing outside the cgroups, exec works again', async () => {
    // Between the named points too: inside the cgroup join (some hierarchies written, not all),
    // the plan write, the pid-file write.
    const c = newCase('x-chaos');
    try {
      const init = runDetached(c);
      for (let i = 0; i < 10; i++) {
        const pidFile = path.join(sb.dir, `${c.id}.chaos${i}.pid`);
        const child = spawn(ociTsBinary, ['--root', sb.root, 'exec', '-d', '--pid-file', pidFile, '--env', c.scope.token!, c.id, '/bin/sleep', '999'], {
          cwd: c.bundle, env: cleanEnv(), stdio: 'ignore',
        });
        const exited = new Promise((r) => child.once('exit', r));
        await new Promise((r) => setTimeout(r, 10 + Math.floor(Math.random() * 150)));
        child.kill('SIGKILL');
        await exited;
        assert.equal(stateAfterCrash(c.id, ['running'])?.pid, init.pid);
        let outside: string[] = [];
        assert.ok(waitFor(() => (outside = outsideCgroups(init)).length === 0, 3000), `round ${i}: no process of the container outside its cgroups: ${outside.join('; ')}`);
        // Whole or absent (a kill inside the atomic write may leave its tmp file, as with runc).
        if (fs.existsSync(pidFile)) assert.match(fs.readFileSync(pidFile, 'utf8'), /^[1-9]\d*$/, 'a pid file is whole');
      }
      worksAgain(c, ['exec', c.id, '/bin/true'], 'exec');
      deleteAndCheckNamespaces(c, init);
    } finally {
      forceClean(c.scope);
    }
  });

  for (const all of [false, true]) {
    test(`kill${all ? ' --all' : ''} killed kill-before-signal: still running, a second kill works`, () => {
      const c = newCase(`k-before-signal${all ? '-all' : ''}`);
      try {
        const init = runDetached(c);
        const args = ['kill', ...(all ? ['--all'] : []), c.id, 'KILL'];
        crashAt('kill-before-signal', args, c.bundle);
        assert.equal(stateAfterCrash(c.id, ['running'])?.pid, init.pid, 'no signal was sent');
        worksAgain(c, args, 'kill');
        waitStatus(c, 'stopped');
        deleteAndCheckNamespaces(c, init, false);
      } finally {
        forceClean(c.scope);
      }
    });
  }

  test('kill KILL of a paused container killed kill-before-thaw: paused with the signal pending, a second kill stops it', () => {
    const c = newCase('k-before-thaw');
    try {
      const init = runDetached(c);
      assert.equal(cli(['pause', c.id]).status, 0);
      crashAt('kill-before-thaw', ['kill', c.id, 'KILL'], c.bundle);
      // A frozen task dies of its SIGKILL only once thawed.
      stateAfterCrash(c.id, ['paused']);
      worksAgain(c, ['kill', c.id, 'KILL'], 'kill');
      waitStatus(c, 'stopped');
      deleteAndCheckNamespaces(c, init, false);
    } finally {
      forceClean(c.scope);
    }
  });

  test('kill --all killed kill-all-mid-freeze: the freeze it left is undone, the container is running, not paused', () => {
    const c = newCase('k-all-mid-freeze');
    try {
      const init = runDetached(c);
      crashAt('kill-all-mid-freeze', ['kill', '--all', c.id, 'KILL'], c.bundle);
      // The manager froze the cgroup to signal it and the process died before signalling and
      // thawing; its marker tells this freeze from a user's pause, so state thaws it.
      assert.ok(fs.existsSync(path.join(sb.root, c.id, 'kill-freeze')), 'the dead kill left its marker');
      assert.equal(readStat(init.pid)?.state, 'D', 'frozen by the dead kill');
      stateAfterCrash(c.id, ['running']);
      assert.ok(!fs.existsSync(path.join(sb.root, c.id, 'kill-freeze')), 'the marker is gone once thawed');
      assert.ok(waitFor(() => readStat(init.pid)?.state !== 'D'), 'the init is not frozen');
      worksAgain(c, ['kill', '--all', c.id, 'KILL'], 'kill --all');
      waitStatus(c, 'stopped');
      deleteAndCheckNamespaces(c, init, false);
    } finally {
      forceClean(c.scope);
    }
  });

  test('pause killed pause-after-lock: still running, a second pause works', () => {
    const c = newCase('p-after-lock');
    try {
      const init = runDetached(c);
      crashAt('pause-after-lock', ['pause', c.id], c.bundle);
      stateAfterCrash(c.id, ['running']);
      assert.ok(fs.existsSync(lockFile(c)), 'the dead pause holds the lock');
      worksAgain(c, ['pause', c.id], 'pause');
      stateAfterCrash(c.id, ['paused']);
      worksAgain(c, ['resume', c.id], 'resume');
      stateAfterCrash(c.id, ['running']);
      deleteAndCheckNamespaces(c, init);
    } finally {
      forceClean(c.scope);
    }
  });

  test('pause killed pause-mid-freeze: the kernel finishes the freeze (paused); resume and pause work', () => {
    const c = newCase('p-mid-freeze');
    try {
      const init = runDetached(c);
      crashAt('pause-mid-freeze', ['pause', c.id], c.bundle);
      stateAfterCrash(c.id, ['paused']);
      assert.ok(fs.existsSync(lockFile(c)), 'the dead pause holds the lock');
      worksAgain(c, ['resume', c.id], 'resume');
      stateAfterCrash(c.id, ['running']);
      worksAgain(c, ['pause', c.id], 'pause');
      stateAfterCrash(c.id, ['paused']);
      // delete --force of a paused container thaws it to kill it.
      deleteAndCheckNamespaces(c, init);
    } finally {
      forceClean(c.scope);
    }
  });

  test('resume killed resume-before-thaw: still paused, a second resume works', () => {
    const c = newCase('r-before-thaw');
    try {
      const init = runDetached(c);
      assert.equal(cli(['pause', c.id]).status, 0);
      crashAt('resume-before-thaw', ['resume', c.id], c.bundle);
      stateAfterCrash(c.id, ['paused']);
      assert.ok(fs.existsSync(lockFile(c)), 'the dead resume holds the lock');
      worksAgain(c, ['resume', c.id], 'resume');
      stateAfterCrash(c.id, ['running']);
      deleteAndCheckNamespaces(c, init);
    } finally {
      forceClean(c.scope);
    }
  });

  for (const point of UPDATE_POINTS) {
    test(`update killed ${point}: the record stays whole and old, the same update again puts both in force`, () => {
      const c = newCase(`u-${point.slice(7)}`);
      try {
        const init = runDetached(c);
        const before = limitsInForce(c);
        assert.notEqual(before.pids, UPDATE_PIDS);
        assert.notEqual(before.memory, UPDATE_MEMORY);
        const args = ['update', '--memory', String(UPDATE_MEMORY), '--pids-limit', String(UPDATE_PIDS), c.id];
        crashAt(point, args, c.bundle);
        stateAfterCrash(c.id, ['running']);
        assert.ok(fs.existsSync(lockFile(c)), 'the dead update holds the lock');
        const rec = recordedLimits(c);
        assert.notEqual(rec.pids, UPDATE_PIDS, 'the record was not written');
        assert.notEqual(rec.memory, UPDATE_MEMORY, 'the record was not written');
        const mid = limitsInForce(c);
        const written = [mid.memory === UPDATE_MEMORY, mid.pids === UPDATE_PIDS].filter(Boolean).length;
        // after-lock: nothing written; mid-apply: one file written (one of ours, or another the
        // manager writes first), never both; before-record: both.
        if (point === 'update-mid-apply') assert.ok(written <= 1, `limits in force after the crash: ${JSON.stringify(mid)}`);
        else assert.equal(written, point === 'update-after-lock' ? 0 : 2, `limits in force after the crash: ${JSON.stringify(mid)}`);
        worksAgain(c, args, 'update');
        assert.deepEqual(limitsInForce(c), { memory: UPDATE_MEMORY, pids: UPDATE_PIDS });
        assert.deepEqual(recordedLimits(c), { memory: UPDATE_MEMORY, pids: UPDATE_PIDS });
        deleteAndCheckNamespaces(c, init);
      } finally {
        forceClean(c.scope);
      }
    });
  }
});
