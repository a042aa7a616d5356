/**
 * Shared by the reliability and security tests (faults, concurrency, cve, CLI fuzzing): run
 * dist/oci-ts with an extra environment and its output in a file (so that a container left
 * running never holds a pipe we wait on), and find everything a container may leave behind on
 * the host: processes, mounts, cgroup directories, state directories and files.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cgroupMounts, cleanEnv, ociTsBinary, sleepMs } from '../helpers/runtime';

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Run `oci-ts --root <root> ...args` synchronously; stdout and stderr go to one file (read back
 * as `output`). `env` is added to a clean environment.
 */
export function runCli(root: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const file = path.join(path.dirname(root), `.out-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const fd = fs.openSync(file, 'w+');
  try {
    const r = spawnSync(ociTsBinary, ['--root', root, ...args], {
      cwd: opts.cwd ?? path.dirname(root), env: cleanEnv(opts.env ?? {}), stdio: ['ignore', fd, fd], timeout: opts.timeoutMs ?? 30_000,
    });
    return { status: r.status, signal: r.signal, output: fs.readFileSync(file, 'utf8') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

/** The same, asynchronously: many calls may run in parallel. */
export function runCliAsync(root: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const file = path.join(path.dirname(root), `.out-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const fd = fs.openSync(file, 'w+');
  return new Promise((resolve) => {
    const child = spawn(ociTsBinary, ['--root', root, ...args], {
      cwd: opts.cwd ?? path.dirname(root), env: cleanEnv(opts.env ?? {}), stdio: ['ignore', fd, fd],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const done = (status: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      let output = '';
      try {
        output = fs.readFileSync(file, 'utf8');
      } finally {
        fs.closeSync(fd);
        fs.rmSync(file, { force: true });
      }
      resolve({ status, signal, output });
    };
    child.on('error', (err) => {
      clearTimeout(timer);
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      resolve({ status: null, signal: null, output: `spawn failed: ${err.message}` });
    });
    child.on('exit', done);
  });
}

/**
 * Output that betrays an unhandled JavaScript error instead of a clear message: the CLI's last
 * resort text, a JS error class name, or a stack frame.
 */
export const CRASH_TEXT = /internal error|TypeError|ReferenceError|RangeError|SyntaxError(?!.*config\.json)|Maximum call stack|Cannot read propert|is not a function|is not iterable|undefined is not|\n\s+at .*[(/].*:\d+:\d+/;

/** Assert-free check: the crash signature in `text`, or undefined when it reads like a clear error. */
export function crashSignature(text: string): string | undefined {
  const m = CRASH_TEXT.exec(text);
  return m === null ? undefined : m[0];
}

/** What a container may leave on the host. */
export interface LeakScope {
  /** The runtime's --root. */
  root: string;
  id: string;
  /** Host paths a container process would hold (the bundle, the state dir): fds, cwd, root. */
  paths: string[];
  /** cgroup path relative to every hierarchy's mount point ("" when unknown). */
  cgroup: string;
  /** A string put into the container process's environment (its /proc/<pid>/environ). */
  token?: string;
}

function readlinkOr(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '';
  }
}

function underAny(p: string, dirs: readonly string[]): boolean {
  return p !== '' && dirs.some((d) => p === d || p.startsWith(d + '/'));
}

/** Processes (not zombies, not us) that belong to the scope: by fds, cwd, root or environment. */
export function leftoverProcesses(scope: LeakScope): string[] {
  const out: string[] = [];
  const dirs = [...scope.paths, path.join(scope.root, scope.id)];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const base = `/proc/${name}`;
    let stat = '';
    try {
      stat = fs.readFileSync(`${base}/stat`, 'latin1');
    } catch {
      continue;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    let why = '';
    if (underAny(readlinkOr(`${base}/cwd`), dirs)) why = 'cwd';
    if (why === '' && scope.token !== undefined) {
      try {
        if (fs.readFileSync(`${base}/environ`, 'latin1').includes(scope.token)) why = 'environ';
      } catch {
        // gone
      }
    }
    if (why === '') {
      let fds: string[] = [];
      try {
        fds = fs.readdirSync(`${base}/fd`);
      } catch {
        fds = [];
      }
      for (const fd of fds) {
        const target = readlinkOr(`${base}/fd/${fd}`);
        if (underAny(target, dirs)) {
          why = `fd ${fd} -> ${target}`;
          break;
        }
      }
    }
    if (why !== '') out.push(`process ${name} (${comm}): ${why}`);
  }
  return out;
}

/** Mounts in our (the host's) mount namespace under the scope's paths or state dir. */
export function leftoverMounts(scope: LeakScope): string[] {
  const dirs = [...scope.paths, scope.root];
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[4]!.replace(/\\040/g, ' '))
    .filter((p) => underAny(p, dirs))
    .map((p) => `mount ${p}`);
}

/** cgroup directories of the scope in any hierarchy (v1 controllers, named, cgroup2). */
export function leftoverCgroups(scope: LeakScope): string[] {
  if (scope.cgroup === '') return [];
  return cgroupMounts().map((m) => path.join(m, scope.cgroup)).filter((d) => fs.existsSync(d)).map((d) => `cgroup ${d}`);
}

/** The state dir and anything in the root that names the container (tmp files, stale locks). */
export function leftoverState(scope: LeakScope): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(scope.root);
  } catch {
    return [];
  }
  return names.filter((n) => n === scope.id || (n.startsWith('.') && n.includes(scope.id))).map((n) => `state ${path.join(scope.root, n)}`);
}

export function leftovers(scope: LeakScope): string[] {
  return [...leftoverProcesses(scope), ...leftoverMounts(scope), ...leftoverCgroups(scope), ...leftoverState(scope)];
}

/** Poll until nothing is left (a killed init may take a few ms to go); returns what remains. */
export function waitNoLeftovers(scope: LeakScope, timeoutMs = 3000): string[] {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = leftovers(scope);
    if (left.length === 0 || Date.now() > deadline) return left;
    sleepMs(20);
  }
}

/** Best-effort removal of whatever a failed test left: SIGKILL the processes, rmdir cgroups. */
export function forceClean(scope: LeakScope): void {
  for (const line of leftoverProcesses(scope)) {
    const pid = Number(/^process (\d+)/.exec(line)?.[1]);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const m of cgroupMounts()) {
    if (scope.cgroup === '') break;
    const dir = path.join(m, scope.cgroup);
    for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
      try {
        fs.rmdirSync(dir);
      } catch {
        sleepMs(10);
      }
    }
  }
}
