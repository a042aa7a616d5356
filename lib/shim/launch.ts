/**
 * Start the C shim as a child with a plan, and talk to it over the control socket
 * (docs/shim-protocol.md). The shim runs from an unnamed read-only copy of the embedded binary,
 * so nothing inside a container can ever reach a writable runtime binary (CVE-2019-5736).
 */
import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { OciError, errnoCode, errnoText } from '../errors';
import { materializeExecutable, readAsset } from '../sys/assets';
import { encodePlan } from './codec';
import type { PlanOp } from './ops';

export type ShimMessage =
  | { kind: 'PID'; pid: number }
  | { kind: 'SYNC'; tag: string }
  | { kind: 'READY' }
  | { kind: 'ERROR'; text: string }
  | { kind: 'EOF' };

/** What create's conversation with the init needs, whether the shim runs alongside or has run. */
export interface ShimChannel {
  next(): Promise<ShimMessage>;
  proceed(): void;
  abort(): void;
  close(): void;
}

export class ShimSession implements ShimChannel {
  readonly child: ChildProcess;
  private readonly ctl: Socket;
  private buffered = '';
  private readonly queue: ShimMessage[] = [];
  private waiter: ((m: ShimMessage) => void) | undefined;
  private ended = false;
  private readonly exited: Promise<number>;

  constructor(ops: readonly PlanOp[], preserveFds: number) {
    const plan = encodePlan(ops); // before the spawn: a plan that cannot be encoded starts nothing
    const exe = materializeExecutable(readAsset('shim'));
    const ctlIndex = 3 + preserveFds;
    const stdio: Array<'inherit' | 'pipe' | number> = ['inherit', 'inherit', 'inherit'];
    for (let fd = 3; fd < ctlIndex; fd++) stdio.push(fd);
    stdio.push('pipe');
    // Required here, not imported: child_process (with net and the stream modules) costs ~2.3 ms
    // to load, and state/start/kill/delete import this module (netdev.ts) without spawning.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof ChildProcessModule;
    // detached: the shim gets its own session, so a terminal's SIGINT reaches only us, and we
    // forward it once (the shim forwards to the container in run mode).
    this.child = spawn(exe.path, [String(ctlIndex)], { stdio, env: {}, detached: true, argv0: 'oci-ts-shim' });
    exe.close();
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
      this.child.on('error', (err) => {
        this.push({ kind: 'ERROR', text: `starting the shim: ${err.message}` });
        resolve(255);
      });
    });
    const ctl = this.child.stdio[ctlIndex] as Socket | null;
    if (ctl === null) throw new OciError('system', 'no control socket for the shim');
    this.ctl = ctl;
    ctl.setEncoding('utf8');
    ctl.on('data', (chunk: string) => this.onData(chunk));
    ctl.on('end', () => this.onEnd());
    ctl.on('close', () => this.onEnd());
    ctl.on('error', () => this.onEnd());
    ctl.write(plan);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.push(parseLine(line));
    }
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    this.push({ kind: 'EOF' });
  }

  private push(m: ShimMessage): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w(m);
    } else {
      this.queue.push(m);
    }
  }

  /** The next message from the shim (messages arrive in order; EOF repeats once reached). */
  next(): Promise<ShimMessage> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.ended) return Promise.resolve({ kind: 'EOF' });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Let the waiting init go on after a SYNC. */
  proceed(): void {
    this.ctl.write('G');
  }

  /** Abort: the init exits when it reads anything but 'G' or sees EOF. */
  abort(): void {
    this.ctl.destroy();
  }

  /** The shim parent's exit status (the container's status in run/exec mode). */
  exitCode(): Promise<number> {
    return this.exited;
  }

  /** Done talking. In create mode the shim parent has exited already; in run mode it waits. */
  close(): void {
    this.ctl.destroy();
  }
}

/**
 * Node's spawn_sync binding, which child_process.spawnSync wraps. Used directly because it can
 * feed input to, and collect output from, a descriptor other than 0-2 (the control socket), and
 * because child_process itself (with net and the stream modules) costs ~2 ms to load. It is
 * listed for process.binding (DEP0111 is a documentation-only deprecation) and the single
 * executable carries its own Node, so the API cannot change under a built binary; when it is
 * missing, or would print the pending-deprecation warning, callers take the ShimSession path.
 */
interface SpawnSyncResult {
  pid?: number;
  status: number | null;
  signal: string | null;
  output: Array<Uint8Array | null> | null;
  error?: number;
}
interface SpawnSyncBinding {
  spawn(options: object): SpawnSyncResult;
}

function spawnSyncBinding(): SpawnSyncBinding | undefined {
  const pending = process.execArgv.includes('--pending-deprecation') ||
    (process.env.NODE_OPTIONS ?? '').includes('--pending-deprecation') || process.env.NODE_PENDING_DEPRECATION === '1';
  if (pending) return undefined;
  try {
    const b = (process as unknown as { binding(name: string): Partial<SpawnSyncBinding> }).binding('spawn_sync');
    return typeof b.spawn === 'function' ? (b as SpawnSyncBinding) : undefined;
  } catch {
    return undefined;
  }
}

/** The messages of a shim run that has ended: a create without pre-start hooks, or exec --detach. */
class ShimTranscript implements ShimChannel {
  private readonly queue: ShimMessage[];

  constructor(output: string) {
    this.queue = output.split('\n').filter((l) => l !== '').map(parseLine);
  }

  next(): Promise<ShimMessage> {
    return Promise.resolve(this.queue.shift() ?? { kind: 'EOF' });
  }

  proceed(): void {
    throw new OciError('system', 'the shim was run without a conversation but asked for an answer');
  }

  abort(): void { /* the shim has exited */ }

  close(): void { /* nothing open */ }
}

/**
 * Run a plan that needs no answer from us (no SYNC op) to the end of the shim's part, blocking:
 * the plan goes in on the control socket and every line the shim and the init write on it comes
 * back once every holder has closed it (the shim parent after the clone in create and
 * exec-detach mode, the init at READY, an exec'd child at execve: the socket is close-on-exec).
 * undefined when the spawn_sync binding is not available: use ShimSession then.
 */
function runShimBlocking(ops: readonly PlanOp[], preserveFds: number): ShimTranscript | undefined {
  const binding = spawnSyncBinding();
  if (binding === undefined) return undefined;
  const plan = encodePlan(ops);
  const exe = materializeExecutable(readAsset('shim'));
  const ctlIndex = 3 + preserveFds;
  const stdio: object[] = [];
  for (let fd = 0; fd < ctlIndex; fd++) stdio.push({ type: 'fd', fd });
  stdio.push({ type: 'pipe', readable: true, writable: true, input: plan });
  let r: SpawnSyncResult;
  try {
    // detached: a session of its own, as ShimSession does.
    r = binding.spawn({ file: exe.path, args: ['oci-ts-shim', String(ctlIndex)], envPairs: [], stdio, detached: true });
  } finally {
    exe.close();
  }
  if (r.error !== undefined && r.error !== 0) {
    return new ShimTranscript(`ERROR starting the shim: ${errnoText(errnoCode(-r.error))}\n`); // libuv: -errno
  }
  const out = r.output?.[ctlIndex];
  return new ShimTranscript(out ? Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('utf8') : '');
}

/**
 * Start the shim for a plan: run to its end in one blocking call when the caller needs no
 * conversation (`blocking`) and Node's binding allows it, otherwise as a ShimSession.
 */
export function launchShim(ops: readonly PlanOp[], preserveFds: number, blocking: boolean): { channel: ShimChannel; session?: ShimSession } {
  const transcript = blocking ? runShimBlocking(ops, preserveFds) : undefined;
  if (transcript !== undefined) return { channel: transcript };
  const session = new ShimSession(ops, preserveFds);
  return { channel: session, session };
}

function parseLine(line: string): ShimMessage {
  const sp = line.indexOf(' ');
  const word = sp < 0 ? line : line.slice(0, sp);
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  switch (word) {
    case 'PID': return { kind: 'PID', pid: Number(rest) };
    case 'SYNC': return { kind: 'SYNC', tag: rest };
    case 'READY': return { kind: 'READY' };
    case 'ERROR': return { kind: 'ERROR', text: rest };
    default: return { kind: 'ERROR', text: `unexpected message from the shim: ${JSON.stringify(line)}` };
  }
}

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15, SIGABRT: 6 };
function signalNumber(sig: NodeJS.Signals | null): number {
  return sig === null ? 0 : SIGNALS[sig] ?? 0;
}

/**
 * Run a plan that has no CLONE (parent-phase ops only) to its end; throws the shim's ERROR.
 * For the few host-side jobs outside create/exec (moving network devices back at delete).
 */
export async function runShimPlan(ops: readonly PlanOp[]): Promise<void> {
  const session = new ShimSession(ops, 0);
  let error: string | undefined;
  for (let m = await session.next(); m.kind !== 'EOF'; m = await session.next()) {
    if (m.kind === 'ERROR') error ??= m.text;
  }
  const code = await session.exitCode();
  session.close();
  if (error !== undefined || code !== 0) throw new OciError('system', error ?? `the shim exited with status ${code}`);
}
