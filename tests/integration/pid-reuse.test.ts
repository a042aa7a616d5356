/**
 * PID reuse: a container's init is identified by pid + start time. When the init died and its
 * pid now belongs to an unrelated process (simulated by pointing state.json's pid at a live
 * `sleep` of ours, keeping the init's start time), `state` must say stopped with pid 0, `kill`
 * must not signal the stranger, and `delete` must clean up without touching it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { cgroupDirsLeft, removeCgroupTree, sandbox, skipReason, waitFor, type Sandbox } from '../helpers/runtime';

const CG_PARENT = `oci-ts-pidreuse-${process.pid}`;
let sb: Sandbox;
let n = 0;

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A created container whose init was killed and whose pid now names `stranger`. */
function containerWithReusedPid(stranger: ChildProcess): { id: string; cg: string; oldPid: number } {
  const id = `pr${++n}`;
  const cg = `${CG_PARENT}/${id}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = ['/bin/sleep', '1000'];
    s.linux.cgroupsPath = `/${cg}`;
  });
  const c = sb.detached(['create', '--bundle', dir, id]);
  assert.equal(c.status, 0, c.output);
  const file = path.join(sb.root, id, 'state.json');
  const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; initStartTime: string };
  const oldPid = rec.pid;
  assert.ok(oldPid > 0 && rec.initStartTime !== '');
  process.kill(oldPid, 'SIGKILL');
  assert.ok(waitFor(() => !alive(oldPid)), 'the init is gone');
  assert.ok(stranger.pid !== undefined && alive(stranger.pid));
  rec.pid = stranger.pid; // the kernel gave the init's pid to an unrelated process
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(rec), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return { id, cg, oldPid };
}

describe('pid reuse', { skip: skipReason }, () => {
  const strangers: ChildProcess[] = [];
  const newStranger = (): ChildProcess => {
    const p = spawn('sleep', ['1000'], { stdio: 'ignore' });
    strangers.push(p);
    return p;
  };
  before(() => { sb = sandbox('pidreuse'); });
  after(() => {
    for (const p of strangers) p.kill('SIGKILL');
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('state says stopped with pid 0; kill and kill --all never signal the stranger; delete works', () => {
    const stranger = newStranger();
    const { id, cg } = containerWithReusedPid(stranger);
    const pid = stranger.pid!;

    const st = sb.run(['state', id]);
    assert.equal(st.status, 0, st.stderr);
    const state = JSON.parse(st.stdout) as { status: string; pid: number };
    assert.equal(state.status, 'stopped');
    assert.equal(state.pid, 0);

    const list = JSON.parse(sb.run(['list', '--format', 'json']).stdout) as Array<{ id: string; status: string; pid: number }>;
    assert.deepEqual(list.filter((c) => c.id === id).map((c) => [c.status, c.pid]), [['stopped', 0]]);

    for (const args of [['kill', id, 'KILL'], ['kill', id, 'TERM']]) {
      const k = sb.run(args);
      assert.notEqual(k.status, 0, `${args.join(' ')} of a stopped container fails`);
      assert.match(k.stderr, /not running|stopped/, args.join(' '));
    }
    // --all signals what is in the container's cgroup (allowed on a stopped container, as in
    // runc): the stranger is not in it.
    assert.equal(sb.run(['kill', '--all', id, 'KILL']).status, 0);
    assert.ok(!waitFor(() => !alive(pid), 200), 'the stranger was not signalled');
    assert.equal(stranger.exitCode, null);
    assert.equal(stranger.signalCode, null);

    const d = sb.run(['delete', id]);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
    assert.deepEqual(cgroupDirsLeft(cg), []);
    assert.ok(alive(pid), 'delete left the stranger alone');
    assert.equal(stranger.signalCode, null);
  });

  test('delete --force of such a container does not kill the stranger either', () => {
    const stranger = newStranger();
    const { id, cg } = containerWithReusedPid(stranger);
    const d = sb.run(['delete', '--force', id]);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
    assert.deepEqual(cgroupDirsLeft(cg), []);
    assert.ok(!waitFor(() => !alive(stranger.pid!), 200), 'the stranger is still alive');
    assert.equal(stranger.signalCode, null);
  });
});
