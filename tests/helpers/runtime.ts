/**
 * Drive the real dist/oci-ts binary from tests, each test file with its own state root, and
 * clean up everything a test may leave on the host (containers, cgroup dirs, temp dirs).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');
export const ociTsBinary = process.env.OCI_TS_BINARY ?? path.join(repoRoot, 'dist/oci-ts');

export const isRoot = process.getuid?.() === 0;
export const skipReason = !isRoot
  ? 'integration tests need root'
  : !fs.existsSync(ociTsBinary)
    ? `${ociTsBinary} is missing: run make build`
    : undefined;

/** An environment without NODE_EXTRA_CA_CERTS (it slows every Node start by ~40 ms). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

export interface Sandbox {
  dir: string;
  root: string;
  /** Run oci-ts with --root <root> and the given args. */
  run(args: string[], opts?: { input?: string; cwd?: string; stdio?: Array<'pipe' | 'inherit' | 'ignore' | number>; env?: NodeJS.ProcessEnv }): SpawnSyncReturns<string>;
  /**
   * For calls that leave a container running (run -d, create): its stdio must not be a pipe we
   * wait on, or spawnSync would wait for the container to exit. Output goes to a file instead.
   */
  detached(args: string[], env?: Record<string, string>): { status: number | null; output: string };
  /** Same, asynchronously (for foreground run with signals). */
  spawn(args: string[]): ReturnType<typeof spawn>;
  cleanup(): void;
}

export function sandbox(name: string): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `oci-ts-${name}-`));
  const root = path.join(dir, 'state');
  return {
    dir,
    root,
    run(args, opts = {}) {
      return spawnSync(ociTsBinary, ['--root', root, ...args], {
        encoding: 'utf8', input: opts.input, cwd: opts.cwd ?? dir, env: opts.env ?? cleanEnv(),
        stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'], timeout: 30_000,
      });
    },
    detached(args, env) {
      const file = path.join(dir, `out-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      const fd = fs.openSync(file, 'w+');
      try {
        const r = spawnSync(ociTsBinary, ['--root', root, ...args], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', fd, fd], timeout: 30_000 });
        return { status: r.status, output: fs.readFileSync(file, 'utf8') };
      } finally {
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
      }
    },
    spawn(args) {
      return spawn(ociTsBinary, ['--root', root, ...args], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    },
    cleanup() {
      let ids: string[] = [];
      try { ids = fs.readdirSync(root); } catch { /* no root */ }
      for (const id of ids) {
        if (id.startsWith('.') || id === ':cache') continue;
        spawnSync(ociTsBinary, ['--root', root, 'delete', '--force', id], { env: cleanEnv(), timeout: 30_000 });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every cgroup hierarchy mount point on this host (v1 controllers, named, and cgroup2). */
export function cgroupMounts(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4]!);
}

/** Directories named `rel` under any hierarchy (used to assert nothing was left behind). */
export function cgroupDirsLeft(rel: string): string[] {
  return cgroupMounts().map((m) => path.join(m, rel)).filter((d) => fs.existsSync(d));
}

/** Remove an (empty) test cgroup parent in every hierarchy, children first. */
export function removeCgroupTree(rel: string): void {
  for (const m of cgroupMounts()) {
    const top = path.join(m, rel);
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string): void => {
      dirs.push(d);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(top);
    for (const d of dirs.reverse()) {
      try { fs.rmdirSync(d); } catch { /* busy: a live container of another test */ }
    }
  }
}

export function readProc(pid: number, file: string): string {
  return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

export function statusField(pid: number, field: string): string {
  const line = readProc(pid, 'status').split('\n').find((l) => l.startsWith(`${field}:`));
  return (line ?? '').slice(field.length + 1).trim();
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Poll until cond() holds or the time is up. */
export function waitFor(cond: () => boolean, timeoutMs = 5000): boolean {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return true;
    sleepMs(10);
  }
  return cond();
}
