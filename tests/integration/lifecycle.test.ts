/**
 * The OCI lifecycle on real busybox bundles, driven through dist/oci-ts from separate processes,
 * with the kernel's view read back from /proc and cgroupfs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { spawnSync } from 'node:child_process';
import {
  cgroupDirsLeft, cleanEnv, ociTsBinary, readProc, removeCgroupTree, sandbox, skipReason, statusField, waitFor, type Sandbox,
} from '../helpers/runtime';

const CG_PARENT = `oci-ts-it-${process.pid}`;
let sb: Sandbox;
let n = 0;

function bundle(patch?: (s: TestSpec) => void): { dir: string; id: string; cg: string } {
  const id = `lc${++n}`;
  const cg = `${CG_PARENT}/${id}`;
  const dir = makeBundle(path.join(sb.dir, id), (s) => {
    s.linux.cgroupsPath = `/${cg}`;
    patch?.(s);
  });
  return { dir, id, cg };
}

function stateOf(id: string): { status: string; pid: number; id: string; bundle: string } {
  const r = sb.run(['state', id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as { status: string; pid: number; id: string; bundle: string };
}

describe('lifecycle', { skip: skipReason }, () => {
  before(() => { sb = sandbox('lifecycle'); });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  test('run in the foreground prints the output, returns the exit code and deletes the container', () => {
    const { dir, id, cg } = bundle((s) => { s.process.args = ['/bin/sh', '-c', 'echo out-$(hostname); echo err >&2; exit 42']; s.hostname = 'box1'; });
    const r = sb.run(['run', '--bundle', dir, id]);
    assert.equal(r.status, 42, r.stderr);
    assert.equal(r.stdout, 'out-box1\n');
    assert.equal(r.stderr, 'err\n');
    const st = sb.run(['state', id]);
    assert.equal(st.status, 1);
    assert.match(st.stderr, /container does not exist/);
    assert.deepEqual(cgroupDirsLeft(cg), []);
  });

  test('create without pre-start hooks runs the shim in one blocking call; with --pending-deprecation it talks to it instead', () => {
    // The blocking call uses Node's spawn_sync binding (lib/shim/launch.ts), which may warn
    // (DEP0111) under --pending-deprecation: then create takes the ShimSession path. Both must
    // give the same container: in its cgroup, created, startable, its output intact. The trace
    // (in --log) tells which path ran.
    const cases: Array<[Record<string, string>, string]> = [[{}, 'shim-blocking'], [{ NODE_OPTIONS: '--pending-deprecation' }, 'spawn']];
    for (const [extra, phase] of cases) {
      const env = { ...extra, OCI_TS_TRACE: '1' };
      const { dir, id, cg } = bundle((s) => { s.process.args = ['/bin/sh', '-c', 'echo hello-$(cat /proc/self/cgroup | grep -c pids:/)']; });
      // Files, not pipes: the container keeps its stdio open until it exits.
      const out = path.join(sb.dir, `${id}.out`);
      const err = path.join(sb.dir, `${id}.err`);
      const outFd = fs.openSync(out, 'w');
      const errFd = fs.openSync(err, 'w');
      try {
        const r = spawnSync(ociTsBinary, ['--root', sb.root, '--log', `${out}.log`, 'create', '--bundle', dir, id], {
          cwd: sb.dir, env: cleanEnv(env), stdio: ['ignore', outFd, errFd], timeout: 30_000,
        });
        assert.equal(r.status, 0, fs.readFileSync(err, 'utf8'));
        assert.equal(fs.readFileSync(err, 'utf8'), '', `nothing on stderr (${JSON.stringify(env)})`);
        assert.match(fs.readFileSync(`${out}.log`, 'utf8'), new RegExp(`msg="phase ${phase} `));
      } finally {
        fs.closeSync(outFd);
        fs.closeSync(errFd);
      }
      const st = stateOf(id);
      assert.equal(st.status, 'created');
      assert.match(readProc(st.pid, 'cgroup'), new RegExp(`:pids:/${cg}\n`));
      assert.equal(sb.run(['start', id]).status, 0);
      assert.ok(waitFor(() => fs.readFileSync(out, 'utf8') === 'hello-1\n'), fs.readFileSync(out, 'utf8'));
      assert.ok(waitFor(() => stateOf(id).status === 'stopped'));
      assert.equal(sb.run(['delete', id]).status, 0);
      assert.deepEqual(cgroupDirsLeft(cg), []);
    }
  });

  test('create, state, start, kill and delete from separate processes', () => {
    const { dir, id, cg } = bundle((s) => {
      s.process.args = ['/bin/sh', '-c', 'trap "exit 3" TERM; echo started > /tmp/started; while true; do sleep 0.05; done'];
      s.root.readonly = false;
      s.linux.resources = { ...(s.linux.resources ?? {}), memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 30 }, cpu: { shares: 512, quota: 50000, period: 100000 } };
    });
    const pidFile = path.join(sb.dir, `${id}.pid`);
    const c = sb.detached(['create', '--bundle', dir, '--pid-file', pidFile, id]);
    assert.equal(c.status, 0, c.output);
    assert.equal(c.output, '', 'create prints nothing on success');
    const pidText = fs.readFileSync(pidFile, 'utf8');
    assert.match(pidText, /^\d+$/, 'pid-file is digits only, no newline');
    const pid = Number(pidText);
    let st = stateOf(id);
    assert.equal(st.status, 'created');
    assert.equal(st.pid, pid);
    assert.equal(st.bundle, dir);
    assert.ok(fs.existsSync(path.join(sb.root, id, 'exec.fifo')));

    // Namespaces: new pid, mount, uts, ipc, net; the init is in its cgroup before any user code.
    for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net']) {
      assert.notEqual(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace`);
    }
    const cgroups = readProc(pid, 'cgroup');
    for (const ctrl of ['memory', 'pids', 'cpu']) {
      assert.match(cgroups, new RegExp(`:[^:]*\\b${ctrl}\\b[^:]*:/${cg}\\n`), `${ctrl} cgroup`);
    }
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/memory/${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/${cg}/pids.max`, 'utf8').trim(), '30');
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/${cg}/cpu.shares`, 'utf8').trim(), '512');
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
    // The user program has not run yet.
    assert.ok(!fs.existsSync(path.join(dir, 'rootfs/tmp/started')));

    assert.equal(sb.detached(['start', id]).status, 0);
    st = stateOf(id);
    assert.equal(st.status, 'running');
    assert.ok(waitFor(() => fs.existsSync(path.join(dir, 'rootfs/tmp/started'))), 'the program ran after start');
    assert.match(sb.run(['start', id]).stderr, /cannot start an already running container/);

    const del = sb.run(['delete', id]);
    assert.equal(del.status, 1);
    assert.match(del.stderr, new RegExp(`cannot delete container ${id} that is not stopped: running`));

    assert.equal(sb.run(['kill', id, 'TERM']).status, 0);
    assert.ok(waitFor(() => stateOf(id).status === 'stopped'));
    assert.equal(stateOf(id).pid, 0);
    const k = sb.run(['kill', id, '9']);
    assert.equal(k.status, 1);
    assert.match(k.stderr, /container not running/);
    assert.match(sb.run(['start', id]).stderr, /cannot start a container that has stopped/);

    assert.equal(sb.run(['delete', id]).status, 0);
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
    assert.deepEqual(cgroupDirsLeft(cg), []);
    // The id can be used again after delete.
    assert.equal(sb.detached(['create', '--bundle', dir, id]).status, 0);
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('delete --force kills a running container; of an unknown id it is silent', () => {
    const { dir, id, cg } = bundle((s) => { s.process.args = ['/bin/sleep', '100']; });
    assert.equal(sb.detached(['run', '-d', '--bundle', dir, id]).status, 0);
    const { pid, status } = stateOf(id);
    assert.equal(status, 'running');
    const d = sb.run(['delete', '--force', id]);
    assert.equal(d.status, 0, d.stderr);
    assert.ok(waitFor(() => !fs.existsSync(`/proc/${pid}`) || readProc(pid, 'stat').includes(') Z ')));
    assert.deepEqual(cgroupDirsLeft(cg), []);
    const again = sb.run(['delete', '--force', id]);
    assert.deepEqual([again.status, again.stdout, again.stderr], [0, '', '']);
  });

  test('a second create with the same id is refused and leaves the first alone', () => {
    const { dir, id } = bundle((s) => { s.process.args = ['/bin/sleep', '100']; });
    assert.equal(sb.detached(['create', '--bundle', dir, id]).status, 0);
    const r = sb.run(['create', '--bundle', dir, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container with given ID already exists/);
    assert.equal(stateOf(id).status, 'created');
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('kernel view of the init: mounts, masked paths, read-only root, caps, rlimits, user', () => {
    const { dir, id } = bundle((s) => {
      s.process.args = ['/bin/sleep', '100'];
      s.process.user = { uid: 65534, gid: 65534, additionalGids: [5, 7] };
      s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }];
      // A non-root user keeps capabilities across execve only through the ambient set.
      s.process.capabilities = { bounding: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'] };
      s.process.noNewPrivileges = true;
      s.process.oomScoreAdj = 123;
      s.root.readonly = true;
    });
    assert.equal(sb.detached(['run', '-d', '--bundle', dir, id]).status, 0);
    const { pid } = stateOf(id);
    const mountinfo = readProc(pid, 'mountinfo').split('\n');
    const mountAt = (p: string): string[] | undefined => mountinfo.map((l) => l.split(' ')).find((f) => f[4] === p);
    assert.ok(mountAt('/')?.[5]?.split(',').includes('ro'), 'root is read-only');
    assert.ok(mountAt('/proc'), '/proc is mounted');
    assert.ok(mountAt('/dev/pts'), '/dev/pts is mounted');
    assert.ok(mountAt('/proc/keys'), 'masked /proc/keys');
    assert.ok(mountAt('/sys/firmware')?.[5]?.split(',').includes('ro'), 'masked directory /sys/firmware is a read-only tmpfs');
    assert.ok(mountAt('/proc/sys')?.[5]?.split(',').includes('ro'), 'read-only /proc/sys');
    assert.ok(mountAt('/sys/fs/cgroup/memory'), 'cgroup hierarchies under /sys/fs/cgroup');
    assert.equal(statusField(pid, 'Uid').split(/\s+/)[0], '65534');
    assert.equal(statusField(pid, 'Gid').split(/\s+/)[0], '65534');
    assert.equal(statusField(pid, 'Groups'), '5 7');
    assert.equal(statusField(pid, 'CapBnd'), '0000000000000021');
    assert.equal(statusField(pid, 'CapEff'), '0000000000000020');
    assert.equal(statusField(pid, 'CapAmb'), '0000000000000020');
    assert.equal(statusField(pid, 'NoNewPrivs'), '1');
    assert.match(readProc(pid, 'limits'), /Max open files\s+512\s+1024/);
    assert.equal(readProc(pid, 'oom_score_adj').trim(), '123');
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('only fds 0-2 reach the container; stdio passes through untouched', () => {
    const { dir, id } = bundle((s) => { s.process.args = ['/bin/sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; read line; echo "got $line"']; });
    const r = sb.run(['run', '--bundle', dir, id], { input: 'piped\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0 1 2 3 got piped\n'); // 3 is ls's own directory fd
  });

  test('a missing executable fails create with runc\'s wording, a json log line, and nothing left', () => {
    const { dir, id, cg } = bundle((s) => { s.process.args = ['/nonexistent']; });
    const log = path.join(sb.dir, 'log.json');
    const r = sb.run(['--log', log, '--log-format', 'json', 'create', '--bundle', dir, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exec: "\/nonexistent": stat \/nonexistent: no such file or directory/);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(lines.at(-1)!.level, 'error');
    assert.match(lines.at(-1)!.msg!, /no such file or directory/);
    assert.ok(!Number.isNaN(Date.parse(lines.at(-1)!.time!)));
    assert.ok(!fs.existsSync(path.join(sb.root, id)), 'no state dir');
    assert.deepEqual(cgroupDirsLeft(cg), [], 'no cgroup');
    const r2 = sb.run(['create', '--bundle', dir, `${id}b`]);
    assert.match(r2.stderr, /level=error msg=".*executable|level=error msg=".*no such file/);
  });

  test('an invalid config names the field and leaves nothing behind', () => {
    const { dir, id, cg } = bundle((s) => { s.process.args = []; });
    const r = sb.run(['create', '--bundle', dir, id]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config\.json \/process\/args: /);
    assert.ok(!fs.existsSync(path.join(sb.root, id)));
    assert.deepEqual(cgroupDirsLeft(cg), []);
  });

  test('prestart and poststop hooks get the state on stdin', () => {
    const out = path.join(sb.dir, 'hook-out');
    const { dir, id } = bundle((s) => {
      s.process.args = ['/bin/true'];
      s.hooks = {
        prestart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}.prestart`] }],
        poststop: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}.poststop`] }],
      };
    });
    const r = sb.run(['run', '--bundle', dir, id]);
    assert.equal(r.status, 0, r.stderr);
    const pre = JSON.parse(fs.readFileSync(`${out}.prestart`, 'utf8')) as { id: string; pid: number; status: string; bundle: string };
    assert.equal(pre.id, id);
    assert.equal(pre.status, 'creating');
    assert.ok(pre.pid > 0);
    assert.equal(pre.bundle, dir);
    const post = JSON.parse(fs.readFileSync(`${out}.poststop`, 'utf8')) as { status: string };
    assert.equal(post.status, 'stopped');
  });

  test('list shows containers as a table, as json and as ids', () => {
    const { dir, id } = bundle((s) => { s.process.args = ['/bin/sleep', '100']; });
    assert.equal(sb.detached(['create', '--bundle', dir, id]).status, 0);
    const table = sb.run(['list']).stdout.split('\n');
    assert.match(table[0]!, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    assert.ok(table.some((l) => l.startsWith(id) && l.includes('created')));
    const json = JSON.parse(sb.run(['list', '--format', 'json']).stdout) as Array<{ id: string; status: string }>;
    assert.ok(json.some((c) => c.id === id && c.status === 'created'));
    assert.ok(sb.run(['list', '-q']).stdout.split('\n').includes(id));
    assert.equal(sb.run(['delete', '--force', id]).status, 0);
  });

  test('the cache dir never collides with a container id (a container may be called "lib")', () => {
    const { dir } = bundle((s) => { s.process.args = ['/bin/true']; s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; });
    const r = sb.run(['run', '--bundle', dir, 'lib']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(sb.root, ':cache')), 'the seccomp/ffi cache lives in <root>/:cache');
    assert.deepEqual(JSON.parse(sb.run(['list', '--format', 'json']).stdout), []);
  });

  test('--version prints exactly three lines; features is JSON', () => {
    const v = sb.run(['--version']).stdout.trimEnd().split('\n');
    assert.equal(v.length, 3);
    assert.match(v[0]!, /^oci-ts version \S+$/);
    assert.match(v[1]!, /^commit: \S+$/);
    assert.equal(v[2], 'spec: 1.3.0');
    const f = JSON.parse(sb.run(['features']).stdout) as { ociVersionMax: string };
    assert.equal(f.ociVersionMax, '1.3.0');
  });
});
