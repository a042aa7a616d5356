/**
 * Leak soak: N full lifecycles (create with a bind mount, a cgroup, a prestart hook and a
 * terminal sent over --console-socket; start; exec; kill; delete), N = OCI_TS_SOAK_CYCLES
 * (20 by default, `make soak` runs 500). Before and after, it counts what a leak would grow:
 * processes, host mounts, cgroup dirs under the test's parent in every hierarchy, this
 * process's fds, files under the root, and memfd / unlinked /dev/shm files held open by any
 * process. Every count must come back to its value before the cycles.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeBundle } from '../helpers/bundle';
import { startConsoleServer } from '../helpers/shim-harness';
import { cgroupMounts, removeCgroupTree, sandbox, skipReason, sleepMs, waitFor, type Sandbox } from '../helpers/runtime';

const CYCLES = Math.max(1, Number(process.env.OCI_TS_SOAK_CYCLES ?? 20) || 20);
const CG_PARENT = `oci-ts-soak-${process.pid}`;
let sb: Sandbox;

/** Process ids on the host, kernel threads (children of kthreadd, pid 2) left out. */
function processes(): Set<number> {
  const out = new Set<number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (e !== '2' && ppid !== 2) out.add(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * The processes a leak of these cycles would be: our children, anything running oci-ts or its
 * shim (dist/oci-ts, an unnamed /dev/shm or memfd copy), in the test's cgroups (a container's
 * init and everything it started), or naming the sandbox (hooks, console servers). The total in
 * /proc is reported too, but other work on the host makes it move, so it is not compared.
 */
function relatedProcesses(): number[] {
  const out: number[] = [];
  for (const pid of processes()) {
    if (pid === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      let exe = '';
      try { exe = fs.readlinkSync(`/proc/${pid}/exe`); } catch { /* a zombie */ }
      if (
        ppid === process.pid
        || exe.includes('oci-ts') || exe.startsWith('/dev/shm/') || exe.startsWith('/memfd:')
        || fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(CG_PARENT)
        || fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(sb.dir)
      ) out.push(pid);
    } catch {
      /* gone */
    }
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

/** fds (any process) pointing at a memfd or an unlinked /dev/shm file (the shim's O_TMPFILE copies). */
function memfds(): string[] {
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const l = fs.readlinkSync(`/proc/${p}/fd/${fd}`);
        if (l.startsWith('/memfd:') || (l.startsWith('/dev/shm/') && l.endsWith(' (deleted)'))) out.push(`${p}:${fd} ${l}`);
      } catch {
        /* gone */
      }
    }
  }
  return out;
}

interface Counts {
  /** processes of ours (relatedProcesses) that were not there before the cycles */
  newProcesses: number;
  mounts: number;
  cgroupDirs: number;
  fds: number;
  rootFiles: number;
  memfds: number;
}

function counts(before: Set<number>): Counts {
  return {
    newProcesses: relatedProcesses().filter((p) => !before.has(p)).length,
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length,
    cgroupDirs: cgroupMounts().reduce((n, m) => n + countTree(path.join(m, CG_PARENT), true), 0),
    fds: fs.readdirSync('/proc/self/fd').length,
    rootFiles: countTree(sb.root, false),
    memfds: memfds().length,
  };
}

function describeProcs(pids: Iterable<number>): string {
  return [...pids].map((p) => {
    try {
      return `${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()}`;
    } catch {
      return `${p}: (gone)`;
    }
  }).join('\n');
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
  let hookLog: string;
  before(() => {
    sb = sandbox('soak');
    const shared = path.join(sb.dir, 'shared');
    fs.mkdirSync(shared);
    fs.writeFileSync(path.join(shared, 'marker'), 'from-the-host\n');
    hookLog = path.join(sb.dir, 'hooks.log');
    bundleDir = makeBundle(path.join(sb.dir, 'bundle'), (s) => {
      s.process.terminal = true;
      s.process.args = ['/bin/sh', '-c', 'echo ready; exec sleep 1000'];
      s.linux.cgroupsPath = `/${CG_PARENT}/c`;
      s.linux.resources = { ...(s.linux.resources ?? {}), pids: { limit: 50 }, memory: { limit: 64 * 1024 * 1024 } };
      s.mounts.push({ destination: '/mnt', type: 'bind', source: shared, options: ['rbind', 'ro'] });
      s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_ERRNO' }] };
      s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > /dev/null; echo x >> ${hookLog}`] }] };
    });
  });
  after(() => {
    sb?.cleanup();
    removeCgroupTree(CG_PARENT);
  });

  let cycle = 0;
  async function lifecycle(): Promise<void> {
    const id = `soak${++cycle}`;
    const sock = path.join(sb.dir, `console-${cycle}.sock`);
    const server = await startConsoleServer(sock);
    try {
      const c = sb.detached(['create', '--bundle', bundleDir, '--console-socket', sock, id]);
      assert.equal(c.status, 0, `${id} create: ${c.output}`);
      const st = sb.run(['start', id]);
      assert.equal(st.status, 0, `${id} start: ${st.stderr}`);
      const ex = sb.run(['exec', id, '/bin/cat', '/mnt/marker']);
      assert.equal(ex.status, 0, `${id} exec: ${ex.stderr}`);
      assert.match(ex.stdout, /^from-the-host\r?\n$/); // the config's terminal: exec gets a tty too, as with runc
      const k = sb.run(['kill', id, 'KILL']);
      assert.equal(k.status, 0, `${id} kill: ${k.stderr}`);
      assert.ok(waitFor(() => JSON.parse(sb.run(['state', id]).stdout || '{}').status === 'stopped'), `${id} stops`);
      const d = sb.run(['delete', id]);
      assert.equal(d.status, 0, `${id} delete: ${d.stderr}`);
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
    const beforeProcs = processes();
    const base = counts(beforeProcs);
    const t0 = Date.now();
    for (let i = 0; i < CYCLES; i++) await lifecycle();
    const elapsed = Date.now() - t0;

    let now = counts(beforeProcs);
    waitFor(() => {
      now = counts(beforeProcs);
      return JSON.stringify(now) === JSON.stringify(base);
    }, 10_000);
    const extra = [...processes()].filter((p) => !beforeProcs.has(p));
    assert.deepEqual(now, base, `counts after ${CYCLES} cycles (${elapsed} ms); new processes of ours:\n${describeProcs(relatedProcesses().filter((p) => !beforeProcs.has(p)))}\nmemfds:\n${memfds().join('\n')}`);
    assert.equal(fs.readFileSync(hookLog, 'utf8'), 'x\n'.repeat(CYCLES + 1), 'the prestart hook ran once per cycle');
    assert.deepEqual(fs.readdirSync(sb.root).filter((e) => e !== ':cache'), [], 'no container dir, tomb or tmp file left in the root');
    const total = processes().size;
    process.stderr.write(`soak: ${CYCLES} cycles in ${elapsed} ms (${(elapsed / CYCLES).toFixed(0)} ms/cycle); host processes ${beforeProcs.size} -> ${total} (${extra.length} new, none ours)\n`);
  });
});
