import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { releaseInit } from '../../lib/container/lifecycle';
import type { ContainerRecord } from '../../lib/container/store';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-start-race-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function record(id: string): ContainerRecord {
  // pid 999999999 never exists: the init is already gone when start looks at it.
  return { runtime: 'oci-ts', ociVersion: '1.3.0', id, pid: 999999999, initStartTime: '1', bundle: '/b', rootfs: '/b/rootfs', created: '', owner: '', newPidNamespace: true };
}

test('start succeeds when a short-lived init wrote its byte and exited before start looked', () => {
  const id = 'quick';
  fs.mkdirSync(path.join(root, id));
  const fifo = path.join(root, id, 'exec.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // The init's side: it wrote "0" and is gone; O_RDWR keeps the byte in the pipe until start reads it.
  const w = fs.openSync(fifo, fs.constants.O_RDWR);
  fs.writeSync(w, '0');
  try {
    releaseInit(root, record(id));
  } finally {
    fs.closeSync(w);
  }
  assert.ok(!fs.existsSync(fifo), 'the fifo is removed once the init is released');
});

test('start of a dead init that never wrote its byte says the container has stopped', () => {
  const id = 'dead';
  fs.mkdirSync(path.join(root, id));
  const fifo = path.join(root, id, 'exec.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const w = fs.openSync(fifo, fs.constants.O_RDWR);
  try {
    assert.throws(() => releaseInit(root, record(id)), /cannot start a container that has stopped/);
  } finally {
    fs.closeSync(w);
  }
});
