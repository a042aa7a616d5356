/**
 * What reaches the container besides its config: the console (pty master over
 * --console-socket), preserved and socket-activation fds, and signals sent to `run`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { cleanEnv, ociTsBinary, removeCgroupTree, sandbox, skipReason, waitFor, type Sandbox } from '../helpers/runtime';
import { startConsoleServer } from '../helpers/shim-harness';

const CG_PARENT = `oci-ts-stdio-${process.pid}`;
let sb: Sandbox;
let n = 0;

function bundle(patch: (s: TestSpec) => void): { dir: string; id: string } {
  const id = `io${++n}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
    patch(s);
  });
  return { dir, id };
}

describe('stdio, console and signals', { skip: skipReason }, () => {
  before(() => { sb = sandbox('stdio'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('terminal: the pty master is sent over --console-socket before create returns', async () => {
    const { dir, id } = bundle((s) => {
      s.process.terminal = true;
      s.process.args = ['/bin/sh', '-c', 'echo tty=$(tty); stty size'];
      s.process.consoleSize = { height: 40, width: 120 };
    });
    const sock = path.join(sb.dir, 'console.sock');
    const server = await startConsoleServer(sock);
    try {
      const c = sb.detached(['create', '--bundle', dir, '--console-socket', sock, id]);
      assert.equal(c.status, 0, c.output);
      assert.equal(sb.run(['start', id]).status, 0);
      const got = await server.result;
      assert.equal(got.nfds, 1);
      assert.equal(got.name, '/dev/ptmx');
      assert.match(got.out, /tty=\/dev\/pts\/0\r\n40 120\r\n/);
    } finally {
      server.kill();
      sb.run(['delete', '--force', id]);
    }
  });

  test('terminal in a foreground run without a console socket: the shim relays the pty to our stdio', () => {
    const { dir, id } = bundle((s) => {
      s.process.terminal = true;
      s.process.args = ['/bin/sh', '-c', 'echo tty=$(tty); exit 3'];
    });
    const r = sb.run(['run', '--bundle', dir, id], { input: '' });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /tty=\/dev\/pts\/0\r\n/);
  });

  test('terminal without a console socket is refused for create, naming the flag', () => {
    const { dir, id } = bundle((s) => { s.process.terminal = true; });
    const r = sb.run(['create', '--bundle', dir, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot allocate tty if oci-ts will detach without setting console socket/);
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
  });

  test('--preserve-fds passes fd 3.. through; LISTEN_FDS fds come first and are announced', () => {
    const { dir, id } = bundle((s) => {
      s.process.args = ['/bin/sh', '-c', 'cat <&3; cat <&4; echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; ls /proc/self/fd | tr "\\n" " "'];
    });
    const a = path.join(sb.dir, 'fd3');
    const b = path.join(sb.dir, 'fd4');
    fs.writeFileSync(a, 'three\n');
    fs.writeFileSync(b, 'four\n');
    const fa = fs.openSync(a, 'r');
    const fb = fs.openSync(b, 'r');
    try {
      const r = spawnSync(ociTsBinary, ['--root', sb.root, 'run', '--preserve-fds', '1', '--bundle', dir, id], {
        encoding: 'utf8', env: cleanEnv({ LISTEN_FDS: '1' }), stdio: ['ignore', 'pipe', 'pipe', fa, fb], timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'three\nfour\nfds=1 pid=1\n0 1 2 3 4 5 ');
    } finally {
      fs.closeSync(fa);
      fs.closeSync(fb);
    }
  });

  test('signals sent to a foreground run reach the container; its status becomes ours', async () => {
    const { dir, id } = bundle((s) => {
      s.process.args = ['/bin/sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.05; done'];
    });
    const child = spawn(ociTsBinary, ['--root', sb.root, 'run', '--bundle', dir, id], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    assert.ok(await new Promise<boolean>((resolve) => {
      const t = setInterval(() => { if (out.includes('ready')) { clearInterval(t); resolve(true); } }, 10);
      setTimeout(() => { clearInterval(t); resolve(false); }, 10_000);
    }), 'container started');
    child.kill('SIGTERM');
    assert.equal(await exited, 7);
    assert.match(out, /got-term/);
    assert.ok(waitFor(() => !fs.existsSync(path.join(sb.root, id))), 'deleted after run');
  });

  test('a container killed by a signal makes run exit with 128+signal', () => {
    const { dir, id } = bundle((s) => { s.process.args = ['/bin/sh', '-c', 'kill -9 $$']; s.linux.namespaces = s.linux.namespaces.filter((ns: { type: string }) => ns.type !== 'pid'); });
    const r = sb.run(['run', '--bundle', dir, id]);
    assert.equal(r.status, 137, r.stderr);
  });
});
