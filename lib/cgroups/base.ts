/**
 * What the v1 and v2 managers share: directory creation/removal bookkeeping, joining, listing and
 * signalling processes, and the two freezer protocols.
 */
import * as path from 'node:path';
import { OciError, errnoText } from '../errors';
import { debug, warn } from '../log';
import { errCode, readControl, readProcsRecursive, sleepMs, writeControl } from './io';
import { hierarchyKey } from './probe';
import type { OomTarget } from './oom';
import type { CgroupStats } from './stats';
import type { CgroupIo, CgroupManager, Hierarchy, PersistedCgroup, Resources } from './types';

export const SIGKILL = 9;

export interface ManagerInit {
  path: string;
  hierarchies: Hierarchy[];
  created?: string[];
  io: CgroupIo;
}

export abstract class BaseManager implements CgroupManager {
  abstract readonly version: 'v1' | 'v2';
  readonly path: string;
  protected readonly hierarchies: Hierarchy[];
  protected readonly io: CgroupIo;
  protected created: string[];

  constructor(init: ManagerInit) {
    this.path = init.path;
    this.hierarchies = init.hierarchies;
    this.io = init.io;
    this.created = [...(init.created ?? [])];
  }

  get paths(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const h of this.hierarchies) out[hierarchyKey(h)] = this.dirOf(h);
    return out;
  }

  /** Absolute directory of this cgroup in hierarchy h. */
  protected dirOf(h: Hierarchy): string {
    return path.join(h.mountpoint, this.path);
  }

  /** Called for each directory on the way down (created or not), parent first. */
  protected prepareDir(_h: Hierarchy, _dir: string, _parent: string, _createdNow: boolean): void {}

  create(): void {
    for (const h of this.hierarchies) {
      let cur = h.mountpoint;
      for (const comp of this.path.split('/').filter((c) => c !== '')) {
        const parent = cur;
        cur = path.join(cur, comp);
        let createdNow = false;
        if (!this.io.exists(cur)) {
          try {
            this.mkdirRetry(cur);
            createdNow = true;
            this.created.push(cur);
          } catch (err) {
            if (errCode(err) !== 'EEXIST') {
              throw new OciError('system', `failed to create cgroup ${cur}: ${errnoText(errCode(err) ?? 'EIO')}`, { cause: err });
            }
          }
        }
        this.prepareDir(h, cur, parent, createdNow);
      }
    }
  }

  private mkdirRetry(dir: string): void {
    try {
      this.io.mkdir(dir);
    } catch (err) {
      // A concurrent destroy() of a sibling may have removed the shared parent we just saw.
      const parent = path.dirname(dir);
      if (errCode(err) === 'ENOENT' && this.io.exists(path.dirname(parent))) {
        try {
          this.io.mkdir(parent);
          this.created.push(parent);
        } catch (e2) {
          if (errCode(e2) !== 'EEXIST') throw e2;
        }
        this.io.mkdir(dir);
        return;
      }
      throw err;
    }
  }

  abstract apply(resources: Resources | undefined): void;
  abstract stats(): CgroupStats;
  abstract oomTarget(): OomTarget | undefined;

  addProcess(pid: number): void {
    for (const h of this.hierarchies) writeControl(this.io, this.dirOf(h), 'cgroup.procs', String(pid));
  }

  procsFiles(): string[] {
    return this.hierarchies.map((h) => path.join(this.dirOf(h), 'cgroup.procs'));
  }

  /** The hierarchy whose cgroup.procs procs() reads. */
  protected procsHierarchy(): Hierarchy | undefined {
    return this.hierarchies[0];
  }

  procs(): number[] {
    const h = this.procsHierarchy();
    if (h === undefined) return [];
    return readProcsRecursive(this.io, this.dirOf(h));
  }

  abstract freeze(): void;
  abstract thaw(): void;
  abstract frozen(): boolean;
  /** Whether freeze() can work on this host. */
  protected abstract canFreeze(): boolean;

  kill(signal: number): void {
    // Freeze first (like runc's signalAllProcesses) so that no process forks between listing
    // and signalling; thaw afterwards unless the cgroup was paused before and this is not a
    // SIGKILL (a SIGKILLed frozen task only dies once thawed).
    let wasFrozen = false;
    let froze = false;
    if (this.canFreeze()) {
      try {
        wasFrozen = this.frozen();
        if (!wasFrozen) {
          this.freeze();
          froze = true;
        }
      } catch (err) {
        warn(`cgroup: could not freeze before signalling: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    try {
      this.signalAll(signal);
    } finally {
      if (froze || (wasFrozen && signal === SIGKILL)) {
        try {
          this.thaw();
        } catch (err) {
          warn(`cgroup: could not thaw after signalling: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }

  protected signalAll(signal: number): void {
    for (const pid of this.procs()) {
      try {
        this.io.kill(pid, signal);
      } catch (err) {
        if (errCode(err) !== 'ESRCH') throw new OciError('system', `kill ${pid}: ${errnoText(errCode(err) ?? 'EIO')}`, { cause: err });
      }
    }
  }

  destroy(): void {
    const created = new Set(this.created);
    const failures: string[] = [];
    const leaves = new Set(this.hierarchies.map((h) => this.dirOf(h)));
    for (const leaf of leaves) {
      if (!created.has(leaf)) continue;
      const err = this.removeLeaf(leaf);
      if (err === undefined) created.delete(leaf);
      else failures.push(`${leaf}: ${err}`);
    }
    // Ancestors we created, deepest first. Busy means another container uses it: keep it.
    for (const dir of [...this.created].reverse()) {
      if (leaves.has(dir) || !created.has(dir)) continue;
      try {
        this.io.rmdir(dir);
        created.delete(dir);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT') created.delete(dir);
        else if (code === 'EBUSY' || code === 'ENOTEMPTY' || code === 'EEXIST') debug(`cgroup: keeping ${dir}: in use`);
        else failures.push(`${dir}: ${errnoText(code ?? 'EIO')}`);
      }
    }
    this.created = this.created.filter((d) => created.has(d));
    if (failures.length > 0) throw new OciError('system', `failed to remove cgroup ${failures.join('; ')}`);
  }

  /** rmdir leaf and every sub-cgroup below it, killing leftovers and retrying EBUSY for ~1s. */
  private removeLeaf(leaf: string): string | undefined {
    const deadline = Date.now() + 1000;
    let delay = 5;
    for (;;) {
      try {
        this.rmTree(leaf);
        return undefined;
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT') return undefined;
        if (code !== 'EBUSY' || Date.now() >= deadline) return errnoText(code ?? 'EIO');
      }
      for (const pid of readProcsRecursive(this.io, leaf)) {
        try {
          this.io.kill(pid, SIGKILL);
        } catch {
          // gone already
        }
      }
      sleepMs(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  private rmTree(dir: string): void {
    let subs: string[] = [];
    try {
      subs = this.io.subdirs(dir);
    } catch (err) {
      if (errCode(err) === 'ENOENT') return;
      throw err;
    }
    for (const s of subs) this.rmTree(path.join(dir, s));
    try {
      this.io.rmdir(dir);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  }

  toJSON(): PersistedCgroup {
    return {
      version: this.version,
      path: this.path,
      hierarchies: this.hierarchies.map((h) => {
        const o: PersistedCgroup['hierarchies'][number] = { kind: h.kind, mountpoint: h.mountpoint, controllers: [...h.controllers] };
        if (h.name !== undefined) o.name = h.name;
        if (h.root !== undefined) o.root = h.root;
        return o;
      }),
      created: [...this.created],
      paths: this.paths,
    };
  }
}

// ---- freezer protocols -------------------------------------------------------------------------

/** cgroup v1 freezer.state, with runc's retry scheme for cgroups that keep gaining tasks. */
export function freezeV1(io: CgroupIo, dir: string): void {
  for (let i = 0; i < 1000; i++) {
    if (i % 50 === 49) {
      try {
        writeControl(io, dir, 'freezer.state', 'THAWED');
      } catch {
        // retried below
      }
      sleepMs(10);
    }
    writeControl(io, dir, 'freezer.state', 'FROZEN');
    if (i % 25 === 24) sleepMs(1);
    const state = readControl(io, dir, 'freezer.state').trim();
    if (state === 'FREEZING') continue;
    if (state === 'FROZEN') {
      if (i > 1) debug(`cgroup: frozen after ${i} retries`);
      return;
    }
    throw new OciError('system', `unexpected state ${state} while freezing`);
  }
  try {
    writeControl(io, dir, 'freezer.state', 'THAWED');
  } catch {
    // best effort
  }
  throw new OciError('system', 'unable to freeze');
}

export function thawV1(io: CgroupIo, dir: string): void {
  writeControl(io, dir, 'freezer.state', 'THAWED');
}

export function frozenV1(io: CgroupIo, dir: string): boolean {
  for (let i = 0; i < 1000; i++) {
    let state: string;
    try {
      state = io.read(path.join(dir, 'freezer.state')).trim();
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw err;
    }
    if (state === 'FREEZING') {
      sleepMs(1);
      continue;
    }
    if (state !== 'FROZEN') return false;
    // Frozen directly, or only because an ancestor is?
    try {
      return io.read(path.join(dir, 'freezer.self_freezing')).trim() !== '0';
    } catch {
      return true;
    }
  }
  return false;
}

/** cgroup v2 cgroup.freeze, waiting until cgroup.events reports `frozen 1`. */
export function freezeV2(io: CgroupIo, dir: string): void {
  if (!io.exists(path.join(dir, 'cgroup.freeze'))) {
    throw new OciError('system', 'cgroup.freeze not available: freezing needs cgroup v2 freezer support (kernel >= 5.2)');
  }
  writeControl(io, dir, 'cgroup.freeze', '1');
  if (waitEvents(io, dir, 'frozen', '1', 5000)) return;
  try {
    writeControl(io, dir, 'cgroup.freeze', '0');
  } catch {
    // best effort
  }
  throw new OciError('system', 'unable to freeze: timed out waiting for cgroup.events "frozen 1"');
}

export function thawV2(io: CgroupIo, dir: string): void {
  if (!io.exists(path.join(dir, 'cgroup.freeze'))) {
    throw new OciError('system', 'cgroup.freeze not available: freezing needs cgroup v2 freezer support (kernel >= 5.2)');
  }
  writeControl(io, dir, 'cgroup.freeze', '0');
  waitEvents(io, dir, 'frozen', '0', 1000);
}

export function frozenV2(io: CgroupIo, dir: string): boolean {
  try {
    return io.read(path.join(dir, 'cgroup.freeze')).trim() === '1';
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Poll cgroup.events until `key value`; true when seen (or when the file does not exist). */
function waitEvents(io: CgroupIo, dir: string, key: string, value: string, timeoutMs: number): boolean {
  const file = path.join(dir, 'cgroup.events');
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    let text: string;
    try {
      text = io.read(file);
    } catch {
      return true;
    }
    if (text.split('\n').some((l) => l.trim() === `${key} ${value}`)) return true;
    if (Date.now() >= deadline) return false;
    sleepMs(delay);
    delay = Math.min(delay * 2, 20);
  }
}
