/**
 * The library face of oci-ts: a Runtime bound to a state root of the caller's choice, with the
 * lifecycle operations of the CLI. Every method runs the same code as the matching verb
 * (lib/container/*) and rejects with an OciError (runc-style `message`, `kind`, `pointer` for
 * config errors, `exitCode` as the CLI would exit).
 *
 * Like runc, a created container's stdio is the calling process's fds 0-2, and its init is not
 * our child once create returns: use wait() (which polls the state) to learn that it stopped,
 * or run() in the foreground to get its exit status.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_ROOT } from '../cli/flags';
import { parseSignal } from '../cli/signals';
import { createContainer } from '../container/create';
import { execInContainer } from '../container/exec';
import { containerState, deleteContainer, killContainer, listStates, startContainer } from '../container/lifecycle';
import { runContainer } from '../container/run';
import { OciError, toOciError, usageError } from '../errors';
import type { PlanDescription } from '../plan/describe';
import { validateContainerId } from '../spec/ids';
import type { Process, State } from '../spec/types';
import { validateProcess } from '../spec/validate';
import { planBundle } from './plan';

export interface RuntimeOptions {
  /** State directory (runc's --root). Default /run/oci-ts, shared with the CLI. */
  root?: string;
  /** --systemd-cgroup (validated, not implemented yet: create then fails with a config error). */
  systemdCgroup?: boolean;
}

export interface CreateOptions {
  /** The bundle directory (config.json and the rootfs). */
  bundle: string;
  /** Write the init's pid here (digits, atomically). */
  pidFile?: string;
  /** AF_UNIX socket that receives the pty master when process.terminal is true. */
  consoleSocket?: string;
  /** Use chroot (after MS_MOVE) instead of pivot_root. */
  noPivot?: boolean;
  /** Pass fds 3 .. 3+N-1 of this process to the container. */
  preserveFds?: number;
}

export interface RunOptions extends CreateOptions {
  /** Return once started (exit status 0) instead of waiting for the container to exit. */
  detach?: boolean;
  /** Keep the container (stopped) after it exits in the foreground. */
  keep?: boolean;
}

export interface KillOptions {
  /** Signal every process of the container (through its cgroup), not only the init. */
  all?: boolean;
}

export interface DeleteOptions {
  /** Kill a running container first; no error when it does not exist. */
  force?: boolean;
}

export interface ExecOptions {
  /** The command (required unless `process` is given); config.json's process supplies the rest. */
  args?: string[];
  /**
   * A whole OCI Process (an object, or the path of a process.json, as `exec --process`): the
   * fields below that change the process are then ignored.
   */
  process?: Process | string;
  cwd?: string;
  /** NAME=value entries that override (or add to) config.json's env. */
  env?: string[];
  /** Allocate a terminal (overrides config.json's process.terminal); needs consoleSocket to detach. */
  tty?: boolean;
  user?: { uid: number; gid?: number };
  additionalGids?: number[];
  noNewPrivileges?: boolean;
  /** Capabilities added to every set (CAP_*). */
  capabilities?: string[];
  consoleSocket?: string;
  preserveFds?: number;
  /** `[<controller>:]<path>` sub-cgroups of the container's cgroup to put the process in. */
  cgroup?: string[];
  /** Exec even when the container is paused. */
  ignorePaused?: boolean;
  /** Return once the process runs (0) instead of waiting for its exit status. */
  detach?: boolean;
  /** Write the process's host pid here. */
  pidFile?: string;
}

export interface WaitOptions {
  /** Give up after this long with an OciError of kind 'state' (default: wait forever). */
  timeoutMs?: number;
  /** Poll interval (default 10 ms). */
  intervalMs?: number;
}

/** A signal as a number (9), a name ('SIGKILL', 'KILL') or a numeric string ('9'). */
export type Signal = number | string;

function toSignal(sig: Signal): number {
  if (typeof sig === 'number') {
    if (!Number.isInteger(sig) || sig < 0 || sig > 64) throw new OciError('usage', `unknown signal ${JSON.stringify(String(sig))}`, { exitCode: 2 });
    return sig;
  }
  return parseSignal(sig);
}

async function wrap<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toOciError(err);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Runtime {
  /** The absolute state root. */
  readonly root: string;
  readonly systemdCgroup: boolean;

  constructor(opts: RuntimeOptions = {}) {
    this.root = path.resolve(opts.root ?? DEFAULT_ROOT);
    this.systemdCgroup = opts.systemdCgroup === true;
  }

  /** `oci-ts create`: set up the container; its init waits for start(). Resolves to its state ('created'). */
  create(id: string, opts: CreateOptions): Promise<State> {
    return wrap(async () => {
      validateContainerId(id);
      await createContainer({
        root: this.root, id, bundle: path.resolve(opts.bundle), pidFile: opts.pidFile, consoleSocket: opts.consoleSocket,
        noPivot: opts.noPivot === true, preserveFds: opts.preserveFds ?? 0, systemdCgroup: this.systemdCgroup, mode: 'create',
      });
      return containerState(this.root, id);
    });
  }

  /** `oci-ts start`: let the init exec the process; poststart hooks run before this resolves. */
  start(id: string): Promise<State> {
    return wrap(async () => {
      await startContainer(this.root, id);
      return containerState(this.root, id);
    });
  }

  /**
   * `oci-ts run`: create and start. In the foreground (the default) resolves to the container's
   * exit status (128+n when killed by signal n) and deletes it unless `keep`; detached resolves
   * to 0 once it runs. While it waits, SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2/SIGWINCH
   * sent to this process are forwarded to the container.
   */
  run(id: string, opts: RunOptions): Promise<number> {
    return wrap(() => {
      validateContainerId(id);
      return runContainer({
        root: this.root, id, bundle: path.resolve(opts.bundle), pidFile: opts.pidFile, consoleSocket: opts.consoleSocket,
        noPivot: opts.noPivot === true, preserveFds: opts.preserveFds ?? 0, systemdCgroup: this.systemdCgroup,
        detach: opts.detach === true, keep: opts.keep === true,
      });
    });
  }

  /**
   * `oci-ts exec`: start another process in a created or running container (its stdio is this
   * process's fds 0-2). Resolves to its exit status (128+n when killed by signal n), or 0 once it
   * runs when `detach`.
   */
  exec(id: string, opts: ExecOptions): Promise<number> {
    return wrap(async () => {
      const args = opts.args ?? [];
      if (opts.process === undefined && args.length === 0) throw usageError('args must not be empty');
      let processFile: string | undefined;
      let tmpDir: string | undefined;
      if (typeof opts.process === 'string') {
        processFile = path.resolve(opts.process);
      } else if (opts.process !== undefined) {
        // Checked here, so errors name "process" and the field, then handed over as exec --process.
        validateProcess(structuredClone(opts.process), 'process');
        tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-exec-'));
        processFile = path.join(tmpDir, 'process.json');
        fs.writeFileSync(processFile, JSON.stringify(opts.process), { mode: 0o600 });
      }
      try {
        return await execInContainer({
          root: this.root, id, args, process: processFile, cwd: opts.cwd, env: opts.env ?? [], tty: opts.tty, user: opts.user,
          additionalGids: opts.additionalGids ?? [], noNewPrivs: opts.noNewPrivileges, caps: opts.capabilities ?? [],
          consoleSocket: opts.consoleSocket, preserveFds: opts.preserveFds ?? 0, cgroup: opts.cgroup ?? [],
          ignorePaused: opts.ignorePaused === true, detach: opts.detach === true, pidFile: opts.pidFile,
        });
      } finally {
        if (tmpDir !== undefined) fs.rmSync(tmpDir, { recursive: true, force: true });
      }
    });
  }

  /** `oci-ts state`: the OCI state, with the status derived from the live process. */
  state(id: string): Promise<State> {
    return wrap(() => containerState(this.root, id));
  }

  /** `oci-ts kill` (default SIGTERM). */
  kill(id: string, signal: Signal = 'SIGTERM', opts: KillOptions = {}): Promise<void> {
    return wrap(() => killContainer(this.root, id, toSignal(signal), opts.all === true));
  }

  /** `oci-ts delete`: remove a stopped (or created) container; `force` kills a running one. */
  delete(id: string, opts: DeleteOptions = {}): Promise<void> {
    return wrap(() => deleteContainer(this.root, id, opts.force === true));
  }

  /** `oci-ts list`: the states of every container under the root, sorted by id. */
  list(): Promise<State[]> {
    return wrap(() => listStates(this.root));
  }

  /** Resolve with the final state once the container's init has exited. */
  wait(id: string, opts: WaitOptions = {}): Promise<State> {
    return wrap(async () => {
      const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
      for (;;) {
        const s = containerState(this.root, id);
        if (s.status === 'stopped') return s;
        if (Date.now() >= deadline) throw new OciError('state', `timed out waiting for container ${id} to stop (status ${s.status})`);
        await sleep(opts.intervalMs ?? 10);
      }
    });
  }

  /** `oci-ts plan`: what create would do for this bundle, without doing it (no root needed). */
  plan(id: string, opts: Pick<CreateOptions, 'bundle' | 'pidFile' | 'consoleSocket' | 'noPivot' | 'preserveFds'>): Promise<PlanDescription> {
    return wrap(() => planBundle(opts.bundle, {
      id, root: this.root, systemdCgroup: this.systemdCgroup, noPivot: opts.noPivot === true, preserveFds: opts.preserveFds ?? 0,
      ...(opts.pidFile !== undefined ? { pidFile: opts.pidFile } : {}),
      ...(opts.consoleSocket !== undefined ? { consoleSocket: opts.consoleSocket } : {}),
    }));
  }
}
