/**
 * Test harness for the C shim (tests/integration/shim.test.ts): builds it, makes throwaway
 * busybox rootfs dirs, encodes plans and drives the control-socket protocol like lib/ will.
 * Needs root, musl-gcc and /bin/busybox (a static build).
 */
import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { encodePlan } from '../../lib/shim/codec';
import { CLONE, MS, type PlanOp } from '../../lib/shim/ops';

export const repoRoot = path.resolve(__dirname, '../..');
export const shimPath = path.join(repoRoot, 'build/oci-ts-shim');

export const S_IFCHR = 0o020000;
export const NS_FLAGS = CLONE.NEWNS | CLONE.NEWPID | CLONE.NEWUTS | CLONE.NEWIPC;

/** Why the shim tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'linux only';
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['/bin/busybox', '/usr/bin/musl-gcc']) if (!fs.existsSync(bin)) return `needs ${bin}`;
  return undefined;
}

export function buildShim(): void {
  execFileSync('make', ['-s', '-C', path.join(repoRoot, 'c-shim')], { stdio: ['ignore', 'pipe', 'inherit'] });
}

const APPLETS = ['sh', 'echo', 'cat', 'ls', 'true', 'sleep', 'hostname', 'id', 'grep', 'stty', 'tty', 'wc',
  'touch', 'mkdir', 'pwd', 'readlink', 'dnsdomainname'];

export interface Sandbox {
  /** Unique temp dir under /tmp holding rootfs/ and whatever a test adds. */
  base: string;
  rootfs: string;
  cleanup(): void;
}

/** A fresh busybox rootfs in a unique /tmp dir. */
export function makeSandbox(): Sandbox {
  const base = fs.mkdtempSync('/tmp/oci-ts-shim-test-');
  fs.chmodSync(base, 0o755);
  const rootfs = path.join(base, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) fs.mkdirSync(path.join(rootfs, d), { recursive: true, mode: 0o755 });
  fs.chmodSync(rootfs, 0o755);
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  return {
    base,
    rootfs,
    cleanup() {
      // Never recurse into a mount: a leaked bind of a host dir would be emptied.
      const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '');
      const leaked = mounts.filter((m) => m === base || m.startsWith(base + '/'));
      if (leaked.length > 0) throw new Error(`mounts leaked onto the host: ${leaked.join(', ')}`);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface ContainerOpts {
  mode?: 'run' | 'create';
  cloneFlags?: number;
  fifo?: string;
  consoleSocket?: string;
  /** parent-phase ops right before CLONE (ID_MAP, CGROUP_JOIN ...) */
  beforeClone?: PlanOp[];
  /** the child's first ops (e.g. SETUSER 0 0 to become root of a new user namespace) */
  afterClone?: PlanOp[];
  /** ops after the standard /proc, /dev, devpts and device setup, before PIVOT_ROOT */
  beforePivot?: PlanOp[];
  /** ops after PIVOT_ROOT (and CONSOLE), before LOOKUP */
  afterPivot?: PlanOp[];
  /** ops after LOOKUP, before CLOSE_FDS (READY, WAIT_START, SECCOMP ...) */
  beforeExec?: PlanOp[];
  args: string[];
  env?: string[];
  pathEnv?: string;
  closeFrom?: number;
  console?: { rows: number; cols: number };
  /** CHROOT (--no-pivot) instead of PIVOT_ROOT */
  noPivot?: boolean;
}

/** The shape of a typical `run`/`create` plan (docs/shim-protocol.md) for a busybox rootfs. */
export function containerPlan(rootfs: string, o: ContainerOpts): PlanOp[] {
  const plan: PlanOp[] = [];
  if (o.fifo) plan.push({ op: 'FIFO', args: [o.fifo] });
  if (o.consoleSocket) plan.push({ op: 'CONSOLE_SOCKET', args: [o.consoleSocket] });
  plan.push(
    { op: 'HOSTPROC', args: [] },
    { op: 'MODE', args: [o.mode ?? 'run'] },
    ...(o.beforeClone ?? []),
    { op: 'CLONE', args: [o.cloneFlags ?? NS_FLAGS] },
    ...(o.afterClone ?? []),
  );
  if (!o.console) plan.push({ op: 'SETSID', args: [] });
  plan.push(
    { op: 'MOUNT_HOST', args: ['', '/', '', MS.REC | MS.SLAVE, ''] },
    { op: 'MOUNT_HOST', args: [rootfs, rootfs, '', MS.BIND | MS.REC, ''] },
    { op: 'ROOTFS', args: [rootfs] },
    { op: 'MOUNT', args: ['proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, '', 0, 0, 'd'] },
    { op: 'MOUNT', args: ['tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k', 0, 0, 'd'] },
    { op: 'MOUNT', args: ['devpts', '/dev/pts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620', 0, 0, 'd'] },
    { op: 'MKNOD', args: ['/dev/null', S_IFCHR | 0o666, 1, 3, 0, 0, '/dev/null'] },
    { op: 'MKNOD', args: ['/dev/zero', S_IFCHR | 0o666, 1, 5, 0, 0, '/dev/zero'] },
    { op: 'SYMLINK', args: ['pts/ptmx', '/dev/ptmx'] },
    { op: 'SYMLINK', args: ['/proc/self/fd', '/dev/fd'] },
    ...(o.beforePivot ?? []),
    { op: 'SYNC', args: ['hooks'] },
    { op: o.noPivot ? 'CHROOT' : 'PIVOT_ROOT', args: [] },
  );
  if (o.console) plan.push({ op: 'CONSOLE', args: [o.console.rows, o.console.cols] });
  plan.push(
    ...(o.afterPivot ?? []),
    { op: 'LOOKUP', args: [o.args[0], o.pathEnv ?? '/bin'] },
    ...(o.beforeExec ?? []),
    { op: 'CLOSE_FDS', args: [o.closeFrom ?? 3] },
    { op: 'EXEC', args: [o.args.length, ...o.args, ...(o.env ?? ['PATH=/bin'])] },
  );
  return plan;
}

export interface ShimOpts {
  /** fds passed as 3..N-1 (the --preserve-fds range); the control socket comes after them */
  preserveFds?: number[];
  /** answer to `SYNC <tag>`; default 'G' */
  onSync?: (tag: string, run: ShimRun) => string | Promise<string>;
  /** raw bytes instead of an encoded plan */
  raw?: Buffer;
}

export interface ShimResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stdout: string;
  stderr: string;
}

/** One spawned shim with its control-socket conversation. */
export class ShimRun {
  readonly child: ChildProcess;
  readonly ctl: Socket;
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  /** the shim parent's exit */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** shim exited and every stdio end (container's too) and the control socket closed */
  readonly closed: Promise<ShimResult>;
  private waiters: Array<() => void> = [];
  private ctlEnded = false;
  private containerPid: number | undefined;

  constructor(input: Buffer, opts: ShimOpts = {}) {
    const pre = opts.preserveFds ?? [];
    const ctlIndex = 3 + pre.length;
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...pre, 'pipe'];
    this.child = spawn(shimPath, [String(ctlIndex)], { stdio });
    this.ctl = this.child.stdio[ctlIndex] as Socket;
    this.ctl.on('error', () => {});
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; this.wake(); });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; this.wake(); });

    let buf = '';
    this.ctl.setEncoding('utf8');
    this.ctl.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.lines.push(line);
        if (line.startsWith('PID ')) this.containerPid = Number(line.slice(4));
        if (line.startsWith('SYNC ')) void this.answer(line.slice(5), opts);
      }
      this.wake();
    });
    this.ctl.on('close', () => { this.ctlEnded = true; this.wake(); });

    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => { resolve({ code, signal }); this.wake(); }));
    this.closed = new Promise((resolve) =>
      this.child.on('close', (code, signal) =>
        resolve({ code, signal, lines: this.lines, stdout: this.stdout, stderr: this.stderr })));
    this.ctl.write(input);
  }

  private async answer(tag: string, opts: ShimOpts): Promise<void> {
    const reply = opts.onSync ? await opts.onSync(tag, this) : 'G';
    if (!this.ctl.destroyed) this.ctl.write(reply);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when pred holds, re-checked on every event; rejects after timeoutMs or once giveUp holds. */
  until<T>(what: string, pred: () => T | undefined | false, timeoutMs = 10_000, giveUp: () => boolean = () => false): Promise<T> {
    return new Promise((resolve, reject) => {
      const fail = (why: string): void =>
        reject(new Error(`${why} waiting for ${what}; lines=${JSON.stringify(this.lines)} stdout=${JSON.stringify(this.stdout)} stderr=${JSON.stringify(this.stderr)}`));
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      const check = (): void => {
        const v = pred();
        if (v !== undefined && v !== false) {
          clearTimeout(timer);
          resolve(v);
        } else if (giveUp()) {
          clearTimeout(timer);
          fail('gave up');
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** The first control line starting with prefix. */
  line(prefix: string, timeoutMs?: number): Promise<string> {
    return this.until(`line ${prefix}`, () => this.lines.find((l) => l.startsWith(prefix)), timeoutMs, () => this.ctlEnded);
  }

  async pid(): Promise<number> {
    const l = await this.line('PID ');
    return Number(l.slice(4));
  }

  /** Kill whatever is left at once: the container process and the shim. */
  kill(): void {
    for (const p of [this.containerPid, this.child.pid]) {
      if (p === undefined) continue;
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /** Kill the container first so that a run-mode shim reaps it, then the shim if still there. */
  async stop(): Promise<void> {
    if (this.containerPid !== undefined) {
      try { process.kill(this.containerPid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await Promise.race([this.exited, sleep(2000)]);
    }
    this.kill();
  }
}

export function startShim(plan: PlanOp[] | Buffer, opts: ShimOpts = {}): ShimRun {
  return new ShimRun(Buffer.isBuffer(plan) ? plan : encodePlan(plan), opts);
}

/** Run a plan to the end (container included) and return everything it said. */
export async function runShim(plan: PlanOp[], opts: ShimOpts = {}, timeoutMs = 20_000): Promise<ShimResult> {
  const run = startShim(plan, opts);
  const timer = setTimeout(() => run.kill(), timeoutMs);
  try {
    return await run.closed;
  } finally {
    clearTimeout(timer);
    await run.stop();
  }
}

/** The ERROR line of a result, without the prefix. */
export function errorOf(r: ShimResult): string | undefined {
  return r.lines.find((l) => l.startsWith('ERROR '))?.slice(6);
}

/** The value of a `Name:` line of /proc/<pid>/status text. */
export function statusField(status: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status);
  return m?.[1]?.trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A console-socket listener (runc's --console-socket peer). Node cannot receive SCM_RIGHTS, so
 * python3 accepts one connection, takes the pty master with socket.recv_fds and reads it until
 * the slave side is gone; it prints one JSON line {name, nfds, out}.
 */
const CONSOLE_SERVER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
print("LISTENING", flush=True)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 4096, 4)
out = b""
while fds:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
print(json.dumps({"name": msg.decode(), "nfds": len(fds), "out": out.decode(errors="replace")}), flush=True)
`;

export interface ConsoleResult { name: string; nfds: number; out: string }

export async function startConsoleServer(sockPath: string): Promise<{ result: Promise<ConsoleResult>; kill(): void }> {
  const py = spawn('python3', ['-c', CONSOLE_SERVER, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  py.stdout!.setEncoding('utf8');
  const listening = new Promise<void>((resolve, reject) => {
    py.stdout!.on('data', (d: string) => { out += d; if (out.includes('LISTENING\n')) resolve(); });
    py.on('exit', () => reject(new Error('console server exited early')));
  });
  const result = new Promise<ConsoleResult>((resolve, reject) =>
    py.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as ConsoleResult);
      else reject(new Error(`console server gave no result: ${out}`));
    }));
  result.catch(() => {});
  await listening;
  return { result, kill: () => { try { py.kill('SIGKILL'); } catch { /* gone */ } } };
}

/** Poll pred every 20 ms until it returns a value (not undefined/false); reject after timeoutMs. */
export async function poll<T>(what: string, pred: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
