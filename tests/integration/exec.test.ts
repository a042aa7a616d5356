/**
 * `exec` on real busybox containers through dist/oci-ts: output and exit status, --detach with a
 * pid-file, namespaces, cgroups and identity of the new process read back from /proc, errors with
 * runc's wording, pause handling, terminals (console socket and the shim's own relay) and fds.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import {
  cgroupDirsLeft, cleanEnv, ociTsBinary, readProc, removeCgroupTree, sandbox, skipReason, statusField, waitFor,
  type Sandbox,
} from '../helpers/runtime';
import { startConsoleServer } from '../helpers/shim-harness';

const CG_PARENT = `oci-ts-exec-it-${process.pid}`;
let sb: Sandbox;
let n = 0;

interface Box { id: string; pid: number; cg: string; dir: string }

/** A running container whose init sleeps, with its cgroup under CG_PARENT. */
function runBox(patch?: (s: TestSpec) => void): Box {
  const id = `ex${++n}`;
  const cg = `${CG_PARENT}/${id}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.process.args = ['/bin/sleep', '1000'];
    s.hostname = 'exbox';
    s.linux.cgroupsPath = `/${cg}`;
    patch?.(s);
  });
  const r = sb.detached(['run', '-d', '--bundle', dir, id]);
  assert.equal(r.status, 0, r.output);
  return { id, pid: stateOf(id).pid, cg, dir };
}

function stateOf(id: string): { status: string; pid: number } {
  const r = sb.run(['state', id]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

function remove(box: Box): void {
  assert.equal(sb.run(['delete', '--force', box.id]).status, 0);
  assert.deepEqual(cgroupDirsLeft(box.cg), []);
}

/** Pids in the container's cgroup (memory hierarchy; the test host is v1 or hybrid, or v2). */
function cgroupPids(box: Box): number[] {
  const candidates = [`/sys/fs/cgroup/memory/${box.cg}`, `/sys/fs/cgroup/${box.cg}`];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
  assert.ok(dir, 'container cgroup found');
  return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((l) => l !== '').map(Number);
}

function ppidOf(pid: number): number {
  const stat = readProc(pid, 'stat');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function cmdlineOf(pid: number): string {
  try {
    return readProc(pid, 'cmdline').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function readPidFile(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^\d+$/, 'pid-file is digits only, no newline');
  return Number(text);
}

function kill(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

describe('exec', { skip: skipReason }, () => {
  before(() => { sb = sandbox('exec'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('foreground exec passes stdio through and returns the exit status', () => {
    const box = runBox();
    const r = sb.run(['exec', box.id, 'sh', '-c', 'echo out-$(hostname); read l; echo "in $l"; echo err >&2; exit 7'], { input: 'piped\n' });
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, 'out-exbox\nin piped\n');
    assert.equal(r.stderr, 'err\n');
    // Killed by a signal: 128+N, as a shell reports it.
    const k = sb.run(['exec', box.id, 'sh', '-c', 'kill -9 $$']);
    assert.equal(k.status, 137);
    // Nothing of the exec is left in the container.
    assert.ok(waitFor(() => cgroupPids(box).length === 1), `only the init remains: ${cgroupPids(box).join(' ')}`);
    remove(box);
  });

  test('signals sent to oci-ts reach the process; exec into a created container works', { timeout: 30_000 }, async () => {
    const box = runBox();
    const child = spawn(ociTsBinary, ['--root', sb.root, 'exec', box.id, 'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.05; done'],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 10_000;
    while (!out.includes('ready') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    assert.equal(await done, 9);
    assert.equal(out, 'ready\ngot-term\n');
    remove(box);

    const id = `ex${++n}`;
    const dir = makeBundle(path.join(sb.dir, id), (s) => { s.process.args = ['/bin/sleep', '1000']; s.linux.cgroupsPath = `/${CG_PARENT}/${id}`; });
    assert.equal(sb.detached(['create', '--bundle', dir, id]).status, 0);
    const r = sb.run(['exec', id, 'sh', '-c', 'echo in-created']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'in-created\n');
    assert.equal(stateOf(id).status, 'created');
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('exec -d: pid-file, the container\'s namespaces and cgroups, and no runtime process left as parent', () => {
    const box = runBox();
    const pidFile = path.join(sb.dir, `${box.id}-exec.pid`);
    const r = sb.detached(['exec', '-d', '--pid-file', pidFile, box.id, 'sleep', '300']);
    assert.equal(r.status, 0, r.output);
    assert.equal(r.output, '');
    const pid = readPidFile(pidFile);
    try {
      assert.equal(readProc(pid, 'cmdline'), 'sleep\u0000300\u0000');
      for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup', 'user']) {
        assert.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${box.pid}/ns/${ns}`), `${ns} namespace`);
      }
      // The process really is in the container's pid namespace: the container sees it.
      const nspid = statusField(pid, 'NSpid').split(/\s+/);
      assert.equal(nspid.length, 2);
      const ps = sb.run(['exec', box.id, 'ps', '-o', 'pid,args']);
      assert.match(ps.stdout, new RegExp(`^\\s*${nspid[1]}\\s+sleep 300$`, 'm'));
      // The container's seccomp filter, as the init has it (none when the config has none).
      assert.equal(statusField(pid, 'Seccomp'), statusField(box.pid, 'Seccomp'));
      // ... and in its cgroups, in every hierarchy.
      assert.equal(readProc(pid, 'cgroup'), readProc(box.pid, 'cgroup'));
      assert.ok(cgroupPids(box).includes(pid));
      // oci-ts and its shim are gone: the process was reparented to our subreaper (or init).
      const ppid = ppidOf(pid);
      assert.doesNotMatch(cmdlineOf(ppid), /oci-ts/, `parent ${ppid} is not an oci-ts process`);
    } finally {
      kill(pid);
    }
    remove(box);
  });

  test('the container\'s seccomp filter applies to the exec\'d process too', (t) => {
    const id = `ex${++n}`;
    const dir = makeBundle(path.join(sb.dir, id), (s) => {
      s.process.args = ['/bin/sleep', '1000'];
      s.root.readonly = false;
      s.linux.cgroupsPath = `/${CG_PARENT}/${id}`;
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    });
    const c = sb.detached(['run', '-d', '--bundle', dir, id]);
    if (c.status !== 0 && /seccomp/i.test(c.output)) {
      t.skip(`no seccomp support here: ${c.output.trim()}`);
      return;
    }
    assert.equal(c.status, 0, c.output);
    const r = sb.run(['exec', id, 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>/dev/null || echo refused']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Seccomp:\t2\nrefused\n');
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('--user, --additional-gids, --cap, --env, --cwd and --no-new-privs change the process', () => {
    const box = runBox((s) => { s.process.noNewPrivileges = false; });
    const pidFile = path.join(sb.dir, `${box.id}-exec.pid`);
    const d = sb.detached(['exec', '-d', '--pid-file', pidFile, '-u', '65534:65534', '-g', '5', '--cap', 'CAP_SYS_ADMIN', '--no-new-privs', box.id, 'sleep', '300']);
    assert.equal(d.status, 0, d.output);
    const pid = readPidFile(pidFile);
    try {
      assert.equal(statusField(pid, 'Uid').split(/\s+/)[0], '65534');
      assert.equal(statusField(pid, 'Gid').split(/\s+/)[0], '65534');
      assert.equal(statusField(pid, 'Groups'), '5');
      assert.equal(BigInt(`0x${statusField(pid, 'CapBnd')}`) & (1n << 21n), 1n << 21n, 'CAP_SYS_ADMIN in the bounding set');
      assert.equal(statusField(pid, 'NoNewPrivs'), '1');
    } finally {
      kill(pid);
    }
    const r = sb.run(['exec', '-e', 'FOO=bar', '--env', 'PATH=/bin', '--cwd', '/tmp', box.id, 'sh', '-c', 'echo "$FOO $(pwd) $PATH $HOME"; id -u']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'bar /tmp /bin /root\n0\n', 'HOME from the container\'s /etc/passwd, as runc');
    remove(box);
  });

  test('--process takes a full process.json; a bad one names the field', () => {
    const box = runBox();
    const file = path.join(sb.dir, 'process.json');
    fs.writeFileSync(file, JSON.stringify({
      terminal: false,
      user: { uid: 65534, gid: 65534, additionalGids: [7] },
      args: ['/bin/sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) $(cat /proc/self/status | grep ^Groups)"; ulimit -n; cat /proc/self/oom_score_adj'],
      env: ['PATH=/bin', 'GREETING=hello'],
      cwd: '/etc',
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 321 }],
      capabilities: { bounding: [], effective: [], permitted: [] },
      oomScoreAdj: 123,
    }));
    const r = sb.run(['exec', '--process', file, box.id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello from /etc as 65534:65534 Groups:\t7 \n321\n123\n');

    fs.writeFileSync(file, JSON.stringify({ user: { uid: 0, gid: 0 }, args: [], cwd: '/' }));
    const bad = sb.run(['exec', '--process', file, box.id]);
    assert.equal(bad.status, 255);
    assert.match(bad.stderr, /exec failed: .*process\.json \/args: must be a non-empty array/);
    fs.writeFileSync(file, '{"args": ["true"], ');
    assert.match(sb.run(['exec', '--process', file, box.id]).stderr, /process\.json \/: invalid JSON/);
    const missing = sb.run(['exec', '--process', path.join(sb.dir, 'nope.json'), box.id]);
    assert.equal(missing.status, 255);
    assert.match(missing.stderr, /nope\.json: no such file or directory/);
    assert.deepEqual(cgroupPids(box), [box.pid], 'nothing started');
    remove(box);
  });

  test('process.execCPUAffinity: final after the cgroup join, else initial; a bad list names the field', (t) => {
    if (os.cpus().length < 2) {
      t.skip('needs 2 CPUs');
      return;
    }
    const box = runBox();
    const file = path.join(sb.dir, 'affinity.json');
    const proc = (affinity: object): void => fs.writeFileSync(file, JSON.stringify({
      user: { uid: 0, gid: 0 }, cwd: '/', env: ['PATH=/bin'], args: ['/bin/sh', '-c', 'grep ^Cpus_allowed_list /proc/self/status'], execCPUAffinity: affinity,
    }));
    proc({ initial: '0', final: '1' });
    let r = sb.run(['exec', '--process', file, box.id]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Cpus_allowed_list:\s+1$/m);
    proc({ initial: '1' });
    r = sb.run(['exec', '--process', file, box.id]);
    assert.match(r.stdout, /^Cpus_allowed_list:\s+1$/m);
    proc({ final: '0' });
    r = sb.run(['exec', '--process', file, box.id]);
    assert.match(r.stdout, /^Cpus_allowed_list:\s+0$/m);
    proc({ final: '0-x' });
    r = sb.run(['exec', '--process', file, box.id]);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /affinity\.json \/execCPUAffinity\/final: must be a CPU list/);
    remove(box);
  });

  test('a missing executable fails with runc\'s wording, exit 255, a json log line, and nothing left', () => {
    const box = runBox();
    const log = path.join(sb.dir, 'exec-log.json');
    const r = sb.run(['--log', log, '--log-format', 'json', 'exec', box.id, '/nonexistent']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /exec failed: unable to start container process: exec: "\/nonexistent": stat \/nonexistent: no such file or directory/);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'error');
    assert.match(lines[0]!.msg!, /exec failed: unable to start container process: exec: "\/nonexistent": stat \/nonexistent: no such file or directory/);
    assert.ok(!Number.isNaN(Date.parse(lines[0]!.time!)));
    // The same with --detach: reported synchronously.
    const d = sb.run(['exec', '-d', box.id, 'nothere']);
    assert.equal(d.status, 255);
    assert.match(d.stderr, /exec: \\"nothere\\": executable file not found in \$PATH/);
    assert.ok(waitFor(() => cgroupPids(box).length === 1), 'nothing left in the container');
    remove(box);
  });

  test('exec starts from the config create applied, even after the bundle\'s config.json changed', () => {
    const box = runBox((s) => { s.process.env = ['PATH=/bin', 'ORIGIN=create']; });
    fs.writeFileSync(path.join(box.dir, 'config.json'), '{"broken": true}');
    const r = sb.run(['exec', box.id, '/bin/sh', '-c', 'echo $ORIGIN']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'create\n');
    remove(box);
  });

  test('exec into a stopped or missing container is refused', () => {
    const box = runBox((s) => { s.process.args = ['/bin/true']; });
    assert.ok(waitFor(() => stateOf(box.id).status === 'stopped'));
    const r = sb.run(['exec', box.id, 'true']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /exec failed: cannot exec in a stopped container/);
    const m = sb.run(['exec', 'no-such-container', 'true']);
    assert.equal(m.status, 255);
    assert.match(m.stderr, /container does not exist/);
    remove(box);
  });

  test('a paused container: refused without --ignore-paused; with it the process runs after resume', { timeout: 30_000 }, async () => {
    const box = runBox();
    assert.equal(sb.run(['pause', box.id]).status, 0);
    const r = sb.run(['exec', box.id, 'echo', 'x']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/);

    const child = spawn(ociTsBinary, ['--root', sb.root, 'exec', '--ignore-paused', box.id, 'echo', 'resumed'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let finished = false;
    void done.then(() => { finished = true; });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(finished, false, `the exec waits while the container is frozen: ${out}`);
    assert.equal(stateOf(box.id).status, 'paused');
    const res = sb.run(['resume', box.id]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(await done, 0, out);
    assert.equal(out, 'resumed\n');
    remove(box);
  });

  test('--tty with --console-socket sends the pty master; the process has it as its terminal', { timeout: 30_000 }, async () => {
    const box = runBox();
    const sock = path.join(sb.dir, `${box.id}-console.sock`);
    const server = await startConsoleServer(sock);
    try {
      const pidFile = path.join(sb.dir, `${box.id}-exec.pid`);
      const r = sb.detached(['exec', '-d', '-t', '--console-socket', sock, '--pid-file', pidFile, box.id, 'sh', '-c', 'tty; echo hello-console; stty size']);
      assert.equal(r.status, 0, r.output);
      assert.ok(readPidFile(pidFile) > 0);
      const got = await server.result;
      assert.equal(got.name, '/dev/ptmx');
      assert.equal(got.nfds, 1);
      assert.match(got.out, /^\/dev\/pts\/\d+\r\nhello-console\r\n/);
    } finally {
      server.kill();
    }
    // The container's /dev/console is its init's: exec does not bind over it.
    assert.doesNotMatch(readProc(box.pid, 'mountinfo'), / \/dev\/console /);
    // A tty needs a console socket when detached, and a console socket needs a tty.
    const a = sb.run(['exec', '-d', '-t', box.id, 'true']);
    assert.equal(a.status, 255);
    assert.match(a.stderr, /cannot allocate tty if oci-ts will detach without setting console socket/);
    const b = sb.run(['exec', '--console-socket', sock, box.id, 'true']);
    assert.match(b.stderr, /cannot use console socket if oci-ts will not detach or allocate tty/);
    remove(box);
  });

  test('--tty in the foreground: the shim relays the terminal (pipes, and a real pty with its size)', () => {
    const box = runBox();
    const r = sb.run(['exec', '-t', box.id, 'sh', '-c', 'tty; read x; echo "got $x"; exit 3'], { input: 'typed\n' });
    assert.equal(r.status, 3, r.stderr);
    // The pty echoes the input whenever the relay writes it, so only the pieces are checked.
    assert.match(r.stdout, /^\/dev\/pts\/\d+\r$/m);
    assert.match(r.stdout, /^got typed\r$/m);
    assert.match(r.stdout, /^typed\r$/m);

    // Under a real terminal: raw mode on the caller's side (one echo only), the window size is
    // copied at start and again on SIGWINCH, and the status comes back.
    const script = `
import os, pty, sys, struct, fcntl, termios, time, json
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 111, 0, 0))
out = b''
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        try:
            d = os.read(fd, 4096)
        except OSError:
            return False
        if not d:
            return False
        out += d
        if b'READY' in out:
            return True
    return True
os.write(fd, b'echo REA""DY; stty size\\n')
pump(10)
time.sleep(0.3)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 44, 122, 0, 0))
time.sleep(0.5)
os.write(fd, b'stty size; exit 5\\n')
while pump(10):
    pass
_, st = os.waitpid(pid, 0)
print(json.dumps({"out": out.decode(errors="replace"), "status": os.waitstatus_to_exitcode(st)}))
`;
    const py = spawnSync('python3', ['-c', script, ociTsBinary, '--root', sb.root, 'exec', '-t', box.id, 'sh'], { encoding: 'utf8', env: cleanEnv(), timeout: 30_000 });
    assert.equal(py.status, 0, py.stderr);
    const res = JSON.parse(py.stdout) as { out: string; status: number };
    assert.equal(res.status, 5, res.out);
    assert.match(res.out, /33 111\r\n/);
    assert.match(res.out, /44 122\r\n/);
    assert.equal(res.out.split('stty size; exit 5').length, 2, 'typed text is echoed once (the caller\'s terminal is raw)');
    remove(box);
  });

  test('only fds 0-2 and the --preserve-fds ones reach the exec\'d process', () => {
    const box = runBox();
    const extra = path.join(sb.dir, 'extra-fd');
    fs.writeFileSync(extra, '');
    const fdA = fs.openSync(extra, 'r');
    const fdB = fs.openSync(extra, 'r');
    const out = fs.openSync(path.join(sb.dir, 'fd-out'), 'w');
    const listOf = (pid: number): string[] => fs.readdirSync(`/proc/${pid}/fd`).sort();
    try {
      for (const preserve of [0, 1]) {
        const pidFile = path.join(sb.dir, `${box.id}-fd${preserve}.pid`);
        const r = spawnSync(ociTsBinary, ['--root', sb.root, 'exec', '-d', '--preserve-fds', String(preserve), '--pid-file', pidFile, box.id, 'sleep', '300'], {
          env: cleanEnv(), stdio: ['ignore', out, out, fdA, fdB], timeout: 30_000,
        });
        assert.equal(r.status, 0);
        const pid = readPidFile(pidFile);
        try {
          assert.deepEqual(listOf(pid), preserve === 0 ? ['0', '1', '2'] : ['0', '1', '2', '3']);
          if (preserve === 1) assert.equal(fs.readlinkSync(`/proc/${pid}/fd/3`), extra);
        } finally {
          kill(pid);
        }
      }
      // Foreground, seen from inside (3 is the directory fd of the glob itself).
      const r = spawnSync(ociTsBinary, ['--root', sb.root, 'exec', box.id, 'sh', '-c', 'cd /proc/self/fd && echo *'], {
        env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe', fdA, fdB], encoding: 'utf8', timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '0 1 2 3\n');
    } finally {
      fs.closeSync(fdA);
      fs.closeSync(fdB);
      fs.closeSync(out);
    }
    remove(box);
  });

  test('--cgroup puts the process into an existing sub-cgroup', () => {
    const box = runBox();
    if (!fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs')) {
      // cgroup v2 only: one path for the one hierarchy.
      fs.mkdirSync(`/sys/fs/cgroup/${box.cg}/sub`);
      const r = sb.run(['exec', '--cgroup', 'sub', box.id, 'cat', '/proc/self/cgroup']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^0::\/sub$/m);
      assert.match(sb.run(['exec', '--cgroup', 'memory:sub', box.id, 'true']).stderr, /no per-controller paths/);
      remove(box);
      return;
    }
    for (const ctrl of ['memory', 'pids']) fs.mkdirSync(`/sys/fs/cgroup/${ctrl}/${box.cg}/sub`);
    const r = sb.run(['exec', '--cgroup', 'memory,pids:sub', box.id, 'cat', '/proc/self/cgroup']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /:memory:\/sub\n/);
    assert.match(r.stdout, /:pids:\/sub\n/);
    assert.match(r.stdout, /:cpu[,a-z]*:\/\n/);
    const missing = sb.run(['exec', '--cgroup', 'cpu:sub', box.id, 'true']);
    assert.equal(missing.status, 255);
    assert.match(missing.stderr, /sub-cgroup .*cpu.*\/sub does not exist/);
    assert.match(sb.run(['exec', '--cgroup', 'nosuchctl:sub', box.id, 'true']).stderr, /no cgroup hierarchy with controller nosuchctl/);
    remove(box);
  });
});
