import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { lockContainer } from '../../lib/container/lock';
import { parseStat, readStat } from '../../lib/container/proc';
import {
  deriveStatus, fifoPath, listIds, loadRecord, makeContainerDir, saveRecord, toState, type ContainerRecord,
} from '../../lib/container/store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-store-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function record(id: string, pid: number, startTime: string): ContainerRecord {
  return { runtime: 'oci-ts', ociVersion: '1.3.0', id, pid, initStartTime: startTime, bundle: '/b', rootfs: '/b/rootfs', created: 'now', owner: '', newPidNamespace: true };
}

test('parseStat copes with spaces and parentheses in the command name', () => {
  const st = parseStat('42 (a b) c)) S 1 42 42 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 98765 1000 10');
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 1);
  assert.equal(st.startTime, '98765');
});

test('an id can be taken once; the second create gets runc\'s wording', () => {
  makeContainerDir(root, 'dup');
  assert.throws(() => makeContainerDir(root, 'dup'), /container with given ID already exists/);
});

test('status comes from the live process: created while the fifo exists, then running, then stopped', async () => {
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  makeContainerDir(root, 'live');
  const rec = record('live', pid, readStat(pid)!.startTime);
  saveRecord(root, rec);
  fs.writeFileSync(fifoPath(root, 'live'), '');
  assert.equal(deriveStatus(root, loadRecord(root, 'live')!), 'created');
  fs.unlinkSync(fifoPath(root, 'live'));
  assert.equal(deriveStatus(root, rec), 'running');
  assert.equal(deriveStatus(root, rec, () => true), 'paused');
  // The same pid with another start time is not our container.
  assert.equal(deriveStatus(root, { ...rec, initStartTime: '1' }), 'stopped');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(deriveStatus(root, rec), 'stopped');
  assert.equal(toState(rec, 'stopped').pid, 0);
});

test('list skips directories that are not ours (runc shares Docker\'s root)', () => {
  fs.mkdirSync(path.join(root, 'runc-thing'));
  fs.writeFileSync(path.join(root, 'runc-thing', 'state.json'), JSON.stringify({ id: 'runc-thing', init_process_pid: 1 }));
  assert.ok(listIds(root).includes('runc-thing'));
  assert.throws(() => loadRecord(root, 'runc-thing'), /invalid state file/);
});

test('a lock held by a live process blocks; a dead holder\'s lock is broken', () => {
  const dir = makeContainerDir(root, 'locked');
  const l = lockContainer(dir, 'locked');
  assert.throws(() => lockContainer(dir, 'locked', 50), /is locked by another oci-ts process/);
  l.release();
  fs.writeFileSync(path.join(dir, '.lock'), '999999999 1');
  const l2 = lockContainer(dir, 'locked', 50);
  l2.release();
  assert.ok(!fs.existsSync(path.join(dir, '.lock')));
});
