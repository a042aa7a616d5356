/**
 * exec under load: 100 execs in a row and 20 at once into one container leave nothing behind:
 * no process in the container's cgroup or pid namespace, no fd in the init, no mount.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { cleanEnv, ociTsBinary, readProc, removeCgroupTree, sandbox, skipReason, waitFor, type Sandbox } from '../helpers/runtime';

const CG_PARENT = `oci-ts-exec-stress-${process.pid}`;
let sb: Sandbox;

interface Snapshot { cgroupProcs: number; initFds: number; initMounts: number; inPidNs: number }

function snapshot(pid: number, cg: string): Snapshot {
  const procs = fs.readFileSync(`/sys/fs/cgroup/pids/${cg}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).length;
  // Every process in the container's pid namespace, wherever its cgroup (a leaked exec'd
  // process or a stuck helper would show up here).
  const ns = fs.readlinkSync(`/proc/${pid}/ns/pid`);
  const inPidNs = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readlinkSync(`/proc/${p}/ns/pid`) === ns; } catch { return false; }
  }).length;
  return {
    cgroupProcs: procs,
    initFds: fs.readdirSync(`/proc/${pid}/fd`).length,
    initMounts: readProc(pid, 'mountinfo').split('\n').length,
    inPidNs,
  };
}

function execOnce(id: string, n: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(ociTsBinary, ['--root', sb.root, 'exec', id, '/bin/sh', '-c', `echo x${n}`], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('exec stress', { skip: skipReason }, () => {
  before(() => { sb = sandbox('exec-stress'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('100 execs in a row and 20 in parallel leak no process, fd or mount', { timeout: 180_000 }, async () => {
    const id = 'stress';
    const cg = `${CG_PARENT}/${id}`;
    const dir = makeBundle(path.join(sb.dir, id), (s) => {
      s.process.args = ['/bin/sleep', '1000'];
      s.linux.cgroupsPath = `/${cg}`;
    });
    const r = sb.detached(['run', '-d', '--bundle', dir, id]);
    assert.equal(r.status, 0, r.output);
    const pid = (JSON.parse(sb.run(['state', id]).stdout) as { pid: number }).pid;
    const beforeSnap = snapshot(pid, cg);

    for (let i = 0; i < 100; i++) {
      const res = await execOnce(id, i);
      assert.deepEqual(res, { code: 0, out: `x${i}\n` }, `exec #${i}`);
    }
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => execOnce(id, 100 + i)));
    results.forEach((res, i) => assert.deepEqual(res, { code: 0, out: `x${100 + i}\n` }, `parallel exec #${i}`));

    // The exec'd processes have exited; give the reaper a moment, then compare.
    assert.ok(waitFor(() => snapshot(pid, cg).cgroupProcs === beforeSnap.cgroupProcs, 10_000), 'no process left in the cgroup');
    assert.deepEqual(snapshot(pid, cg), beforeSnap);
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });
});
