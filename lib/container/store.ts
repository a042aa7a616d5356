/**
 * The state store: one directory per container under the root (default /run/oci-ts), holding
 * `state.json` (written atomically: tmp + rename), `exec.fifo` while the container is created but
 * not started, and the lock. The status is never stored; it is derived from the live process.
 */
import * as fs from 'node:fs';
import { isValidContainerId } from '../spec/ids';
import * as path from 'node:path';
import { OciError } from '../errors';
import type { Hooks, Spec, State } from '../spec/types';
import { isAlive } from './proc';
import { checkRecord, parseRecordText, type CheckOptions } from './record-check';

export const OCI_VERSION = '1.3.0';

/** Everything later calls need, so that no call depends on flags given to an earlier one. */
export interface ContainerRecord {
  /** Marks our files: Docker shares one --root between runtimes, so runc's dirs sit beside ours. */
  runtime: 'oci-ts';
  ociVersion: string;
  id: string;
  pid: number;
  /** /proc/<pid>/stat start time of the init: pid + start time identify the process. */
  initStartTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  hooks?: Hooks;
  /** Persisted cgroup manager (lib/cgroups), reloaded by delete/kill/pause/update. */
  cgroup?: unknown;
  /** The container's own pid namespace: killing its init kills everything in it. */
  newPidNamespace: boolean;
  /** Namespace paths of the init, for exec (captured while the init is alive). */
  namespaces?: Record<string, string>;
  /** True while create has not finished; such a record is cleaned by delete --force. */
  creating?: boolean;
  /**
   * The validated config.json as create applied it. exec and update start from this copy, as
   * runc does, so an edited or removed bundle never changes a running container's process,
   * seccomp profile or resources.
   */
  config?: Spec;
}

export function containerDir(root: string, id: string): string {
  return path.join(root, id);
}

export function fifoPath(root: string, id: string): string {
  return path.join(root, id, 'exec.fifo');
}

/**
 * Make the container's directory; EEXIST means the id is taken. The root and the container dirs
 * are 0700 (runc makes its root 0700 too): only root reads the state, the config copy in it or
 * the cache. Nothing in a container needs to traverse them: the init (even as a mapped uid in a
 * user namespace) reopens exec.fifo through /proc/self/fd of an fd the shim opened as root,
 * and a magic link is not subject to the permissions of the directories on the way.
 */
export function makeContainerDir(root: string, id: string): string {
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = containerDir(root, id);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new OciError('exists', 'container with given ID already exists');
    }
    throw err;
  }
  return dir;
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
const memoryFs = new Map<string, boolean>();

/**
 * Whether `dir` is on tmpfs or ramfs, where fsync has nothing to make durable (the files die with
 * the machine anyway) but still costs ~0.3 ms per call on the test VM: create saves its record
 * four times under the default root /run/oci-ts, a tmpfs. Asked once per directory per process.
 */
function onMemoryFs(dir: string): boolean {
  let v = memoryFs.get(dir);
  if (v === undefined) {
    try {
      const t = Number(fs.statfsSync(dir).type);
      v = t === TMPFS_MAGIC || t === RAMFS_MAGIC;
    } catch {
      v = false; // unknown: keep the fsync
    }
    memoryFs.set(dir, v);
  }
  return v;
}

/**
 * Atomic replace: readers see the old or the new file, never a half-written one; on a disk the
 * data is synced before the rename, so a crash leaves the old or the new file, never an empty one.
 */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, data);
    if (!onMemoryFs(dir)) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function saveRecord(root: string, rec: ContainerRecord): void {
  writeFileAtomic(path.join(containerDir(root, rec.id), 'state.json'), JSON.stringify(rec));
}

/** undefined when there is no container dir; a record with creating=true when create has not finished. */
export function loadRecord(root: string, id: string, opts: CheckOptions = {}): ContainerRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(containerDir(root, id), 'state.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (fs.existsSync(containerDir(root, id))) {
      // The directory exists but create never wrote a record (it crashed very early).
      return { runtime: 'oci-ts', ociVersion: OCI_VERSION, id, pid: 0, initStartTime: '', bundle: '', rootfs: '', created: '', owner: '', newPidNamespace: false, creating: true };
    }
    return undefined;
  }
  const rec = checkRecord(parseRecordText(text, id), id, opts); // a damaged or foreign file: a clear error, never a half-done delete
  if (typeof rec !== 'object' || rec === null || rec.id !== id || rec.runtime !== 'oci-ts') {
    throw new OciError('system', `invalid state file for container ${id}`);
  }
  return rec;
}

export function requireRecord(root: string, id: string, opts: CheckOptions = {}): ContainerRecord {
  const rec = loadRecord(root, id, opts);
  if (rec === undefined) throw new OciError('notFound', 'container does not exist');
  return rec;
}

export type Status = State['status'];

/** Derive the status from the kernel: the init's identity, the exec fifo, and the freezer. */
export function deriveStatus(root: string, rec: ContainerRecord, isFrozen: () => boolean = () => false): Status {
  const alive = isAlive(rec.pid, rec.initStartTime);
  if (rec.creating) return alive ? 'creating' : 'stopped';
  if (!alive) return 'stopped';
  if (fs.existsSync(fifoPath(root, rec.id))) return 'created';
  return isFrozen() ? 'paused' : 'running';
}

/** The OCI state document (runtime.md §State) with runc's extra fields. */
export function toState(rec: ContainerRecord, status: Status): State {
  const state: State = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === 'stopped' ? 0 : rec.pid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: rec.owner,
  };
  if (rec.annotations !== undefined) state.annotations = rec.annotations;
  return state;
}

/** Ids of the containers under root; entries that are not container dirs are skipped. */
export function listIds(root: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  // Only names that can be container ids: the cache dir (':cache') and tmp files are not.
  return entries.filter((e) => e.isDirectory() && isValidContainerId(e.name)).map((e) => e.name).sort();
}

/**
 * Remove a container's directory. It is first renamed to a name no id can take, atomically: a
 * racing call (a create waiting for the lock, say) then finds the id gone instead of writing a
 * file into a directory that is half removed (rmdir would fail with ENOTEMPTY).
 */
export function removeContainerDir(root: string, id: string): void {
  const tomb = path.join(root, `:deleted-${id}-${process.pid}`);
  try {
    fs.renameSync(containerDir(root, id), tomb);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // A container dir holds a few plain files (state.json, the lock, exec.fifo): unlink them and
  // rmdir. fs.rmSync({ recursive }) would do the same through ~0.8 ms of JavaScript that Node
  // compiles on every run (docs/performance.md); it stays the fallback for anything else.
  try {
    for (const name of fs.readdirSync(tomb)) fs.unlinkSync(path.join(tomb, name));
    fs.rmdirSync(tomb);
  } catch {
    fs.rmSync(tomb, { recursive: true, force: true });
  }
}
