/**
 * Embedded binaries: the C shim and the ffi-rs N-API addon.
 *
 * In the single executable (dist/oci-ts, a Node 20 SEA) they are SEA assets
 * (`require('node:sea').getRawAsset(name)`). Everywhere else (the plain bundle
 * dist/oci-ts.cjs run by node, or the TypeScript sources run by tsx in tests) they are read
 * from the build tree: build/oci-ts-shim and the ffi-rs platform package in node_modules.
 *
 * `materializeExecutable()` turns the shim's bytes into something `child_process.spawn` can
 * run without the bytes ever having a name on disk that a container could open for writing
 * (CVE-2019-5736): an unnamed O_TMPFILE in /dev/shm, reopened read-only through
 * /proc/self/fd, the writable fd closed (an exec while a writable fd is open fails with ETXTBSY).
 */
import fs from 'node:fs';
import type * as Os from 'node:os';
import path from 'node:path';

export type AssetName = 'shim' | 'ffi-rs.node';

/** Where each asset lives in the build tree (relative to the repository root). */
export const ASSET_BUILD_PATHS: Readonly<Record<AssetName, string>> = {
  shim: 'build/oci-ts-shim',
  'ffi-rs.node': 'node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node',
};

const FFI_PACKAGE_FILE = '@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node';

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

let seaModule: SeaModule | null | undefined;

function sea(): SeaModule | null {
  if (seaModule === undefined) {
    try {
      // node:sea exists from Node 20 on; require keeps it out of the bundle's module graph.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const m = require('node:sea') as SeaModule;
      seaModule = m.isSea() ? m : null;
    } catch {
      seaModule = null;
    }
  }
  return seaModule;
}

/** True when running as the single executable (dist/oci-ts). */
export function isSea(): boolean {
  return sea() !== null;
}

/** Directories to start the search for the repository root from. */
function startDirs(): string[] {
  const dirs: string[] = [];
  if (typeof __dirname === 'string') dirs.push(__dirname); // bundle: dist/; tsx: lib/sys/
  if (typeof __filename === 'string') dirs.push(path.dirname(__filename));
  const main = require.main?.filename;
  if (main) dirs.push(path.dirname(main));
  if (process.argv[1]) dirs.push(path.dirname(path.resolve(process.argv[1])));
  return dirs;
}

function isRepoRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === 'oci-ts';
  } catch {
    return false;
  }
}

let repoRootCache: string | null | undefined;

/**
 * The oci-ts source/build tree this code runs from, or null when there is none (a SEA copied
 * somewhere else). OCI_TS_REPO_ROOT overrides the search.
 */
export function repoRoot(): string | null {
  if (repoRootCache !== undefined) return repoRootCache;
  repoRootCache = null;
  const forced = process.env.OCI_TS_REPO_ROOT;
  if (forced && isRepoRoot(forced)) return (repoRootCache = path.resolve(forced));
  for (const start of startDirs()) {
    let dir = path.resolve(start);
    for (;;) {
      if (isRepoRoot(dir)) return (repoRootCache = dir);
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return repoRootCache;
}

/** Path of an asset on disk outside a SEA, or null when it cannot be found. */
export function assetBuildPath(name: AssetName): string | null {
  const root = repoRoot();
  if (root) {
    const p = path.join(root, ASSET_BUILD_PATHS[name]);
    if (fs.existsSync(p)) return p;
  }
  // An installed package (npm install oci-ts, whatever its name or scope): the bundles are
  // <pkg>/dist/oci-ts.cjs and <pkg>/dist/lib.cjs, and package.json "files" ships
  // build/oci-ts-shim beside dist/.
  if (typeof __dirname === 'string' && path.basename(__dirname) === 'dist') {
    const p = path.join(__dirname, '..', ASSET_BUILD_PATHS[name]);
    if (fs.existsSync(p)) return p;
  }
  if (name === 'ffi-rs.node') {
    // An npm install of oci-ts: the addon package sits in some node_modules above the bundle.
    try {
      return require.resolve(FFI_PACKAGE_FILE);
    } catch {
      /* not installed */
    }
  }
  return null;
}

/** The bytes of an embedded asset. Throws with a clear message if it is not available. */
export function readAsset(name: AssetName): Buffer {
  const s = sea();
  if (s) {
    const ab = s.getRawAsset(name);
    return Buffer.from(ab, 0, ab.byteLength);
  }
  const p = assetBuildPath(name);
  if (!p) {
    const where = ASSET_BUILD_PATHS[name];
    throw new Error(`oci-ts asset ${name} not found: not running as the single executable and no ${where} in the build tree (run make build)`);
  }
  return fs.readFileSync(p);
}

// Linux x86-64 open(2) flags (fs.constants has no O_TMPFILE).
const O_RDWR = 0o2;
const O_TMPFILE = 0o20200000; // __O_TMPFILE | O_DIRECTORY

export interface Materialized {
  /** `/proc/self/fd/<fd>`: pass to spawn/execve (fd is close-on-exec, which exec resolves first). */
  path: string;
  /** Read-only fd of the copy; keep it open until the spawn/exec happened, then close it. */
  fd: number;
  /** Closes `fd` (idempotent). spawn() has exec'd the child when it returns, so call it right after. */
  close(): void;
}

function materialized(fd: number): Materialized {
  let open = true;
  return {
    path: `/proc/self/fd/${fd}`,
    fd,
    close() {
      if (open) {
        open = false;
        fs.closeSync(fd);
      }
    },
  };
}

function reopenReadOnly(rwFd: number): number {
  try {
    return fs.openSync(`/proc/self/fd/${rwFd}`, fs.constants.O_RDONLY);
  } finally {
    fs.closeSync(rwFd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/** Mount points mounted noexec, from /proc/self/mountinfo (read once per process). */
let noexecMounts: { point: string; noexec: boolean }[] | undefined;

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * True when `dir` (or its nearest existing ancestor) is on a noexec mount, where neither exec
 * nor dlopen works. Hardened hosts mount /dev/shm noexec (CIS benchmarks), Debian's initramfs
 * mounts /run noexec. False when unknown.
 */
export function isNoexecDir(dir: string): boolean {
  if (!noexecMounts) {
    noexecMounts = [];
    try {
      for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
        const f = line.split(' ');
        if (f.length < 6) continue;
        noexecMounts.push({ point: unescapeMountPath(f[4]!), noexec: f[5]!.split(',').includes('noexec') });
      }
    } catch {
      return false;
    }
  }
  let real = path.resolve(dir);
  for (;;) {
    try {
      // .native: one realpath(3) call; the JavaScript version walks every component with lstat.
      real = fs.realpathSync.native(real);
      break;
    } catch {
      const up = path.dirname(real);
      if (up === real) break;
      real = up;
    }
  }
  // the mount that covers `real`: longest mount point prefix, the later entry on ties (over-mounts)
  let best: { point: string; noexec: boolean } | undefined;
  for (const m of noexecMounts) {
    const covers = m.point === '/' || real === m.point || real.startsWith(m.point + '/');
    if (covers && (!best || m.point.length >= best.point.length)) best = m;
  }
  return best?.noexec ?? false;
}

function tmpfileIn(dir: string, bytes: Uint8Array): Materialized {
  const rw = fs.openSync(dir, O_TMPFILE | O_RDWR, 0o500);
  try {
    writeAll(rw, bytes);
  } catch (e) {
    fs.closeSync(rw);
    throw e;
  }
  return materialized(reopenReadOnly(rw));
}

function unlinkedFileIn(dir: string, bytes: Uint8Array): Materialized {
  const name = path.join(dir, `.exe-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
  const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW, O_RDONLY } = fs.constants;
  const w = fs.openSync(name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o500);
  try {
    try {
      writeAll(w, bytes);
    } finally {
      fs.closeSync(w);
    }
    return materialized(fs.openSync(name, O_RDONLY | O_NOFOLLOW));
  } finally {
    fs.rmSync(name, { force: true });
  }
}

/**
 * Copies `bytes` (an executable or a shared object) to a file no other process can open for
 * writing, and returns a `/proc/self/fd/N` path to exec (or dlopen) it.
 *
 * Directories tried, skipping those on noexec mounts: `tmpDir` (/dev/shm), `fallbackDir` (the
 * runtime root, created if missing), then os.tmpdir(). In each, first an unnamed O_TMPFILE
 * (write, reopen read-only through /proc/self/fd, close the writable fd: exec fails with ETXTBSY
 * while a writer is open); then, where O_TMPFILE is not supported, a unique file that is
 * unlinked as soon as the read-only fd is open.
 */
export function materializeExecutable(
  bytes: Uint8Array,
  opts: { tmpDir?: string; fallbackDir?: string } = {},
): Materialized {
  // The usual case first (every create and exec spawns the shim this way): an O_TMPFILE in the
  // first directory, which then needs neither os.tmpdir() nor the others' mount checks (~0.5 ms).
  const first = opts.tmpDir ?? '/dev/shm';
  if (!isNoexecDir(first)) {
    try {
      return tmpfileIn(first, bytes);
    } catch {
      // the full search below
    }
  }
  const fallbackDir = opts.fallbackDir ?? '/run/oci-ts';
  // node:os is required here, not imported: it is not in Node's startup snapshot, and every verb
  // that imports this module would pay for loading it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tmpdir } = require('node:os') as typeof Os;
  const dirs = [...new Set([first, fallbackDir, tmpdir()])];
  const execOk = dirs.filter((d) => !isNoexecDir(d));
  const candidates = execOk.length > 0 ? execOk : dirs;
  if (candidates.includes(fallbackDir)) {
    try {
      fs.mkdirSync(fallbackDir, { recursive: true, mode: 0o700 });
    } catch {
      /* tried below anyway */
    }
  }
  let lastError: unknown;
  for (const make of [tmpfileIn, unlinkedFileIn]) {
    for (const dir of candidates) {
      try {
        return make(dir, bytes);
      } catch (e) {
        lastError = e;
      }
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`cannot write an executable copy in ${candidates.join(', ')}`);
}
