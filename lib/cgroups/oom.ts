/**
 * OOM notifications for `events`, polled (the caller runs poll() on a short timer):
 *
 *  - cgroup v1: an eventfd registered with cgroup.event_control for memory.oom_control, as runc
 *    and containerd do. Node cannot make an eventfd, so eventfd(2) comes from libc through
 *    ffi-rs (lib/sys/ffi.ts). The eventfd is non-blocking and read with fs.readSync: EAGAIN
 *    means "nothing new", a count means the kernel signalled. The kernel also signals it when
 *    the cgroup is removed; as in runc, a signal after which cgroup.event_control is gone is
 *    the removal, not an OOM.
 *  - cgroup v2 (and v1 when the eventfd cannot be made): the `oom_kill` counter of
 *    memory.events (v2) or memory.oom_control (v1, kernel >= 4.13) is compared with its value
 *    at start; every increase is one notification.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { debug } from '../log';
import { errCode, writeControl } from './io';
import { parseKeyValues } from './stats';
import type { CgroupIo } from './types';

/** Where a manager's OOM events come from: the memory cgroup directory and its version. */
export interface OomTarget {
  version: 'v1' | 'v2';
  dir: string;
}

export interface OomWatcher {
  /** How the watcher works: 'eventfd' or 'counter' (for logs and tests). */
  readonly kind: 'eventfd' | 'counter';
  /** Number of OOM notifications since the previous call (usually 0 or 1). */
  poll(): number;
  /** True once the watched cgroup has been removed. */
  readonly removed: boolean;
  close(): void;
}

/**
 * Watch the `key` counter in a `key value` file. The value when the watcher is made is the
 * baseline; a missing file reads as "removed".
 */
export class CounterOomWatcher implements OomWatcher {
  readonly kind = 'counter' as const;
  private last: bigint;
  private gone = false;

  constructor(
    private readonly io: CgroupIo,
    private readonly file: string,
    private readonly key: string,
  ) {
    this.last = this.read() ?? 0n;
  }

  get removed(): boolean {
    return this.gone;
  }

  private read(): bigint | undefined {
    let text: string;
    try {
      text = this.io.read(this.file);
    } catch (err) {
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENODEV') {
        this.gone = true;
        return undefined;
      }
      throw err;
    }
    return parseKeyValues(text).get(this.key);
  }

  poll(): number {
    if (this.gone) return 0;
    const v = this.read();
    if (v === undefined || v <= this.last) return 0;
    this.last = v;
    return 1;
  }

  close(): void {}
}

/** What the eventfd watcher needs from the system (real: libc eventfd + fs; tests: fakes). */
export interface EventfdOps {
  eventfd(initval: number, flags: number): number;
  /** Read the 8-byte counter; 0n when nothing is pending (EAGAIN). */
  readCounter(fd: number): bigint;
  openReadOnly(file: string): number;
  close(fd: number): void;
}

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

export class EventfdOomWatcher implements OomWatcher {
  readonly kind = 'eventfd' as const;
  private efd = -1;
  private ofd = -1;
  private gone = false;

  constructor(
    private readonly io: CgroupIo,
    private readonly dir: string,
    private readonly ops: EventfdOps,
  ) {
    this.efd = ops.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    try {
      this.ofd = ops.openReadOnly(path.join(dir, 'memory.oom_control'));
      writeControl(io, dir, 'cgroup.event_control', `${this.efd} ${this.ofd}`);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  get removed(): boolean {
    return this.gone;
  }

  poll(): number {
    if (this.gone || this.efd < 0) return 0;
    const n = this.ops.readCounter(this.efd);
    if (n === 0n) return 0;
    if (!this.io.exists(path.join(this.dir, 'cgroup.event_control'))) {
      // The cgroup went away; the kernel signals every registered eventfd on removal. A count
      // above one means an OOM came first in the same poll interval.
      this.gone = true;
      return n > 1n ? 1 : 0;
    }
    return 1;
  }

  close(): void {
    for (const fd of [this.efd, this.ofd]) {
      if (fd >= 0) {
        try {
          this.ops.close(fd);
        } catch {
          // already closed
        }
      }
    }
    this.efd = -1;
    this.ofd = -1;
  }
}

/** Real EventfdOps: eventfd(2) from libc through ffi-rs, the counter read with fs.readSync. */
export async function realEventfdOps(root: string): Promise<EventfdOps> {
  const { libc } = await import('../sys/ffi');
  const eventfd = libc({ root }).checked('eventfd', 'i32', ['u32', 'i32']);
  const buf = Buffer.alloc(8);
  return {
    eventfd: (initval, flags) => eventfd(initval, flags),
    readCounter(fd: number): bigint {
      try {
        const n = fs.readSync(fd, buf, 0, 8, null);
        return n === 8 ? buf.readBigUInt64LE(0) : 0n;
      } catch (err) {
        if (errCode(err) === 'EAGAIN' || errCode(err) === 'EWOULDBLOCK') return 0n;
        throw err;
      }
    },
    openReadOnly: (file) => fs.openSync(file, fs.constants.O_RDONLY), // libuv adds O_CLOEXEC
    close: (fd) => fs.closeSync(fd),
  };
}

/**
 * The best watcher for target: v1 tries the eventfd first and falls back to the oom_kill
 * counter of memory.oom_control; v2 watches memory.events.
 */
export async function openOomWatcher(io: CgroupIo, target: OomTarget, opts: { root: string; ops?: EventfdOps }): Promise<OomWatcher> {
  if (target.version === 'v2') return new CounterOomWatcher(io, path.join(target.dir, 'memory.events'), 'oom_kill');
  try {
    const ops = opts.ops ?? (await realEventfdOps(opts.root));
    return new EventfdOomWatcher(io, target.dir, ops);
  } catch (err) {
    debug(`events: no eventfd OOM notification (${err instanceof Error ? err.message : String(err)}); polling memory.oom_control`);
    return new CounterOomWatcher(io, path.join(target.dir, 'memory.oom_control'), 'oom_kill');
  }
}
