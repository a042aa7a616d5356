/**
 * Leak soak: N full lifecycles, N = OCI_TS_SOAK_CYCLES (20 by default, `make soak` runs 500).
 * Each cycle: create with a read-only bind mount, its own cgroup (limits, in every hierarchy), a
 * seccomp profile, prestart/poststart/poststop hooks and a terminal sent over --console-socket;
 * start; a foreground exec (a tty relayed by the shim); every tenth cycle also a detached exec
 * with --process and --pid-file; kill; delete.
 *
 * Before and after the cycles it counts what a leak would grow, and every count must come back
 * to its value before:
 *   - processes of ours that were not there before (children of this process, anything in the
 *     test's cgroups, naming the sandbox, carrying the soak token in its environment, working in
 *     the sandbox, or an orphaned shim copy in this process's own cgroups);
 *   - host mounts that appeared whose mount point or source path is in this test's sandbox (the
 *     bundles, the rootfs, the runtime root: where a mount of a container leaked into the host's
 *     namespace would be); others (other test files, `ip netns add` making /run/netns a mount)
 *     are listed in the report but not compared;
 *   - cgroup directories under the test's parent in every hierarchy (each cycle has its own);
 *   - this process's fds;
 *   - files under the runtime root (`:cache` included) and left in the pid-file directory;
 *   - memfd / unlinked /dev/shm files (the shim's copies) held by this process or those above.
 * The host-wide totals of processes, mounts and memfds move with whatever else runs on the
 * machine, so they are reported, not compared.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle, type TestSpec } from '../helpers/bundle';
import { startConsoleServer } from '../helpers/shim-harness';
import { cgroupMounts, removeCgroupTree, sandbox, skipReason, sleepMs, waitFor, type Sandbox } from '../helpers/runtime';
import { runCli, type CliResult } from '../fuzz/host-check';

const CYCLES = Math.max(1, Number(process.env.OCI_TS_SOAK_CYCLES ?? 20) || 20);
const CG_PARENT = `oci-ts-soak-${process.pid}`;
/**
 * A detached exec's process is reparented to the caller's subreaper, here the host's pid 1, and
 * the container's init cannot finish dying until that process is reaped: on this kind of VM pid 1
 * reaps orphans about once a second, so a cycle with one takes ~1 s longer. Every tenth cycle
 * (the warm-up included) keeps a leak on that path visible without tripling the soak's time.
 */
const DETACHED_EXEC_EVERY = 10;
/** In the environment of every oci-ts call, hook and container process of this file. */
const TOKEN = `OCI_TS_SOAK_TOKEN=${process.pid}-${Date.now().toString(36)}`;
let sb: Sandbox;

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

function linkOr(file: string): string {
  try {
    return fs.readlinkSync(file);
  } catch {
    return '';
  }
}

/** Process ids on the host, kernel threads (children of kthreadd, pid 2) left out. */
function processes(): Set<number> {
  const out = new Set<number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = readOr(`/proc/${e}/stat`);
    if (stat === '') continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (e !== '2' && ppid !== 2) out.add(Number(e));
  }
  return out;
}

/**
 * The processes a leak of these cycles would be (see the header). Scoped, so that oci-ts calls
 * and containers of other test files running meanwhile are not counted as ours.
 */
function relatedProcesses(): number[] {
  const out: number[] = [];
  const ownCgroup = readOr('/proc/self/cgroup');
  for (const pid of processes()) {
    if (pid === process.pid) continue;
    const base = `/proc/${pid}`;
    const stat = readOr(`${base}/stat`);
    if (stat === '') continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cgroup = readOr(`${base}/cgroup`);
    const exe = linkOr(`${base}/exe`);
    const cwd = linkOr(`${base}/cwd`);
    if (
      ppid === process.pid
      || cgroup.includes(`/${CG_PARENT}/`)
      || readOr(`${base}/cmdline`).includes(sb.dir)
      || readOr(`${base}/environ`).includes(TOKEN)
      || cwd === sb.dir || cwd.startsWith(`${sb.dir}/`)
      // A shim (an unnamed copy) that joined a container's mount namespace for an exec has no
      // other trace of us; left behind, it is an orphan (its oci-ts is gone) still in the cgroups
      // of the oci-ts call, i.e. ours. (The shims of calls in progress elsewhere have a parent.)
      || ((exe.startsWith('/dev/shm/') || exe.startsWith('/memfd:')) && ppid === 1 && cgroup === ownCgroup)
    ) out.push(pid);
  }
  return out;
}

function countTree(dir: string, dirsOnly: boolean): number {
  let n = 0;
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.isDirectory()) n += 1 + countTree(path.join(dir, e.name), dirsOnly);
    else if (!dirsOnly) n += 1;
  }
  return n;
}

/** fds of `pids` pointing at a memfd or an unlinked /dev/shm file (the shim's O_TMPFILE copies). */
function memfds(pids: Iterable<number | string>): string[] {
  const out: string[] = [];
  for (const p of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const l = linkOr(`/proc/${p}/fd/${fd}`);
      if (l.startsWith('/memfd:') || (l.startsWith('/dev/shm/') && l.endsWith(' (deleted)'))) out.push(`${p}:${fd} ${l}`);
    }
  }
  return out;
}

function allMemfds(): string[] {
  return memfds(fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)));
}

/**
 * Host mounts as `<mount id> <mount point> <root>` (root: the path inside its file system, the
 * source of a bind mount). A mount made and removed again gets a new id.
 */
function mounts(): Set<string> {
  return new Set(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return `${f[0]} ${f[4]!.replace(/\\040/g, ' ')} ${f[3]!.replace(/\\040/g, ' ')}`;
  }));
}

/** A mount whose point or source is in this test's sandbox (its random name is unique). */
function ourMount(entry: string): boolean {
  return entry.includes(path.basename(sb.dir));
}

interface Counts {
  /** processes of ours (relatedProcesses) that were not there before the cycles */
  newProcesses: number;
  /** host mounts of this test's sandbox that were not there before */
  newMounts: number;
  cgroupDirs: number;
  fds: number;
  rootFiles: number;
  pidDirFiles: number;
  memfds: number;
}

interface Baseline {
  procs: Set<number>;
  mounts: Set<string>;
}

function newMountsSince(b: Baseline): string[] {
  return [...mounts()].filter((m) => !b.mounts.has(m));
}

function counts(b: Baseline, pidDir: string): Counts {
  const related = relatedProcesses();
  return {
    newProcesses: related.filter((p) => !b.procs.has(p)).length,
    newMounts: newMountsSince(b).filter(ourMount).length,
    cgroupDirs: cgroupMounts().reduce((n, m) => n + countTree(path.join(m, CG_PARENT), true), 0),
    fds: fs.readdirSync('/proc/self/fd').length,
    rootFiles: countTree(sb.root, false),
    pidDirFiles: countTree(pidDir, false),
    memfds: memfds([process.pid, ...related]).length,
  };
}

function describeProcs(pids: Iterable<number>): string {
  return [...pids].map((p) => `${p}: ${readOr(`/proc/${p}/cmdline`).replace(/\0/g, ' ').trim() || '(gone)'}`).join('\n');
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

describe('soak: no leaks over many lifecycles', { skip: skipReason }, () => {
  let bundleDir: string;
  let spec: TestSpec;
  let hookLog: string;
  let pidDir: string;
  let processFile: string;

  /** oci-ts with the soak token in its environment, output (stdout + stderr) in `output`. */
  const oci = (args: string[]): CliResult => runCli(sb.root, args, { env: { OCI_TS_SOAK_TOKEN: TOKEN.slice(TOKEN.indexOf('=') + 1) } });

  before(() => {
    sb = sandbox('soak');
    const shared = path.join(sb.dir, 'shared');
    fs.mkdirSync(shared);
    fs.writeFileSync(path.join(shared, 'marker'), 'from-the-host\n');
    hookLog = path.join(sb.dir, 'hooks.log');
    pidDir = path.join(sb.dir, 'pids');
    fs.mkdirSync(pidDir);
    const hook = (tag: string): { path: string; args: string[]; env: string[] } =>
      ({ path: '/bin/sh', args: ['sh', '-c', `cat > /dev/null; echo ${tag} >> ${hookLog}`], env: ['PATH=/usr/bin:/bin', TOKEN] });
    bundleDir = makeBundle(path.join(sb.dir, 'bundle'), (s) => {
      s.process.terminal = true;
      s.process.args = ['/bin/sh', '-c', 'echo ready; exec sleep 1000'];
      s.process.env = [...(s.process.env ?? []), TOKEN];
      s.linux.resources = { ...(s.linux.resources ?? {}), pids: { limit: 50 }, memory: { limit: 64 * 1024 * 1024 } };
      s.mounts.push({ destination: '/mnt', type: 'bind', source: shared, options: ['rbind', 'ro'] });
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_ERRNO' }] };
      s.hooks = { prestart: [hook('prestart')], poststart: [hook('poststart')], poststop: [hook('poststop')] };
    });
    spec = JSON.parse(fs.readFileSync(path.join(bundleDir, 'config.json'), 'utf8')) as TestSpec;
    // The detached exec: no terminal (a detached tty would need its own console socket).
    processFile = path.join(sb.dir, 'process.json');
    fs.writeFileSync(processFile, JSON.stringify({
      terminal: false, user: { uid: 0, gid: 0 }, cwd: '/', args: ['/bin/sleep', '1000'], env: ['PATH=/bin', TOKEN],
    }));
  });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  let cycle = 0;
  async function lifecycle(): Promise<void> {
    const id = `soak${++cycle}`;
    const cgroup = `${CG_PARENT}/c${cycle}`;
    // Each cycle its own cgroup: a leaked directory adds up instead of being reused by the next.
    spec.linux.cgroupsPath = `/${cgroup}`;
    fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(spec));
    const sock = path.join(sb.dir, `console-${cycle}.sock`);
    const pidFile = path.join(pidDir, `${id}.pid`);
    const server = await startConsoleServer(sock);
    try {
      const c = oci(['create', '--bundle', bundleDir, '--console-socket', sock, id]);
      assert.equal(c.status, 0, `${id} create: ${c.output}`);
      const st = oci(['start', id]);
      assert.equal(st.status, 0, `${id} start: ${st.output}`);
      const ex = oci(['exec', id, '/bin/cat', '/mnt/marker']);
      assert.equal(ex.status, 0, `${id} exec: ${ex.output}`);
      assert.match(ex.output, /^from-the-host\r?\n$/); // the config's terminal: exec gets a tty too, as with runc
      if (cycle % DETACHED_EXEC_EVERY === 1) {
        const exd = oci(['exec', '--detach', '--process', processFile, '--pid-file', pidFile, id]);
        assert.equal(exd.status, 0, `${id} exec --detach: ${exd.output}`);
        const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
        assert.ok(readOr(`/proc/${execPid}/cgroup`).includes(`/${cgroup}\n`), `${id}: the detached exec runs in the container's cgroup`);
        fs.rmSync(pidFile);
      }
      const k = oci(['kill', id, 'KILL']);
      assert.equal(k.status, 0, `${id} kill: ${k.output}`);
      assert.ok(waitFor(() => JSON.parse(oci(['state', id]).output || '{}').status === 'stopped'), `${id} stops`);
      const d = oci(['delete', id]);
      assert.equal(d.status, 0, `${id} delete: ${d.output}`);
      const got = await withTimeout(server.result, 10_000, `${id} console`);
      assert.equal(got.nfds, 1);
      assert.match(got.out, /ready/);
    } finally {
      server.kill();
      await server.result.catch(() => undefined);
      fs.rmSync(sock, { force: true });
    }
  }

  test(`${CYCLES} lifecycles leave no process, mount, cgroup, fd, file or memfd behind`, { timeout: 120_000 + CYCLES * 5_000 }, async () => {
    await lifecycle(); // warm-up: the addon and seccomp caches, the cgroup parent, lazy fds of this process
    sleepMs(100);
    const base: Baseline = { procs: processes(), mounts: mounts() };
    const hostBefore = { processes: base.procs.size, mounts: base.mounts.size, memfds: allMemfds().length };
    const first = counts(base, pidDir);
    const t0 = Date.now();
    for (let i = 0; i < CYCLES; i++) await lifecycle();
    const elapsed = Date.now() - t0;

    let now = counts(base, pidDir);
    waitFor(() => {
      now = counts(base, pidDir);
      return JSON.stringify(now) === JSON.stringify(first);
    }, 10_000);
    const hostAfter = { processes: processes().size, mounts: mounts().size, memfds: allMemfds().length };
    const otherMounts = newMountsSince(base).filter((m) => !ourMount(m));
    process.stderr.write(
      `soak: ${CYCLES} cycles in ${elapsed} ms (${(elapsed / CYCLES).toFixed(0)} ms/cycle)\n`
      + `soak: before ${JSON.stringify(first)}\nsoak: after  ${JSON.stringify(now)}\n`
      + `soak: host-wide (not compared) before ${JSON.stringify(hostBefore)} after ${JSON.stringify(hostAfter)}`
      + `${otherMounts.length > 0 ? `; new mounts not of this test: ${otherMounts.join(', ')}` : ''}\n`,
    );
    const related = relatedProcesses();
    assert.deepEqual(now, first, `counts after ${CYCLES} cycles (${elapsed} ms); new processes of ours:\n${describeProcs(related.filter((p) => !base.procs.has(p)))}\n`
      + `new mounts:\n${newMountsSince(base).filter(ourMount).join('\n')}\nmemfds of ours:\n${memfds([process.pid, ...related]).join('\n')}`);
    const hooks = fs.readFileSync(hookLog, 'utf8').split('\n').filter(Boolean);
    for (const tag of ['prestart', 'poststart', 'poststop']) {
      assert.equal(hooks.filter((h) => h === tag).length, CYCLES + 1, `the ${tag} hook ran once per cycle`);
    }
    assert.deepEqual(fs.readdirSync(sb.root).filter((e) => e !== ':cache'), [], 'no container dir, tomb or tmp file left in the root');
  });
});
