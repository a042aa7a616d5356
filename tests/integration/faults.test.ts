/**
 * Crash consistency: the runtime SIGKILLs itself at each named fault point of create, start and
 * delete (OCI_TS_FAULT=<point>, lib/fault.ts). After each crash `state` must still answer (or
 * say the container does not exist), `delete --force` must succeed, and nothing may be left on
 * the host: no process, no mount, no cgroup directory in any hierarchy, no state dir, fifo or
 * lock. The id must be usable again afterwards.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAULT_POINTS, type FaultPoint } from '../../lib/fault';
import { makeBundle } from '../helpers/bundle';
import { spawn } from 'node:child_process';
import { cleanEnv, ociTsBinary, removeCgroupTree, sandbox, skipReason, waitFor, type Sandbox } from '../helpers/runtime';
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

function cli(args: string[], fault?: FaultPoint): CliResult {
  const r = runCli(sb.root, args, fault === undefined ? {} : { env: { OCI_TS_FAULT: fault } });
  assert.equal(crashSignature(r.output), undefined, `no JS error text from ${args.join(' ')}: ${r.output}`);
  return r;
}

function crashAt(point: FaultPoint, args: string[]): void {
  const r = cli(args, point);
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

const CREATE_POINTS: ReadonlyArray<[FaultPoint, readonly string[]]> = [
  ['after-dir', ['stopped', 'missing']],
  ['after-cgroup', ['stopped', 'missing']],
  ['after-record', ['stopped']],
  ['after-spawn', ['stopped']],
  ['after-pid', ['stopped']],
  // The init waits at SYNC ns; it sees EOF and exits by itself, maybe not yet when we look.
  ['after-sync-ns', ['creating', 'stopped']],
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
});
