/**
 * Lazy ffi-rs loader and a small typed wrapper for calling C functions (libc) from Node.
 *
 * `require('ffi-rs')` cannot work in the single executable (a SEA's require only loads
 * built-ins, and esbuild cannot bundle a .node file), and its index.js costs ~8 ms anyway
 * (a musl probe through process.report). So the addon is embedded as the SEA asset
 * `ffi-rs.node`, written once to `<root>/:cache/ffi-rs-<hash>.node` (the hash is computed at build
 * time and injected as OCI_TS_FFI_HASH; atomic tmp + rename) and loaded with `process.dlopen`.
 * The cached file is trusted only after checks (the cache dir private to root, the file owned by
 * root and writable by nobody else, its sha256 matching the hash); otherwise it is rewritten,
 * and the verified fd itself is dlopen'ed (/proc/self/fd/N), never the path checked earlier.
 * When the root is not writable or the cache fails its checks, an unnamed O_TMPFILE copy in
 * /dev/shm is loaded instead.
 * Outside a SEA the addon is loaded straight from node_modules.
 *
 * The wrapper replaces ffi-rs's index.js: `NativeLibrary.func()` returns a typed JS function
 * for one C function; `funcErrno()` also returns errno. ffi-rs's errno is stale after a call
 * that succeeded, so only trust it when the return value says failure (usually -1); `checked()`
 * does that and throws a SyscallError. NULL pointers are passed as an 'i64' 0.
 */
import type * as Crypto from 'node:crypto';
import type * as Os from 'node:os';
import { privateCacheDir, runtimeCacheDir, trustedOwner } from './cache';
import fs from 'node:fs';
import path from 'node:path';
import { assetBuildPath, isSea, materializeExecutable, readAsset } from './assets';
import { errnoCode } from '../errors';

/** Injected by scripts/build.mjs (esbuild define): first 16 hex digits of sha256(ffi-rs.node). */
declare const OCI_TS_FFI_HASH: string | undefined;

export const DEFAULT_ROOT = '/run/oci-ts';

/** An opaque native pointer (ffi-rs JsExternal). */
export interface External {
  readonly __external: unique symbol;
}

interface RawArrayType {
  ffiTypeTag: number;
  type: number;
  length: number;
}

interface RawLoadParams {
  library: string;
  funcName: string;
  retType: number;
  paramsType: (number | RawArrayType)[];
  paramsValue: unknown[];
  errno?: boolean;
  freeResultMemory: boolean;
}

/** The N-API binding of ffi-rs as exported by the .node file (not ffi-rs's index.js). */
export interface FfiRsBinding {
  DataType: Record<string, number>;
  FFITypeTag: Record<string, number>;
  PointerType: Record<string, number>;
  open(params: { library: string; path: string }): void;
  close(library: string): void;
  load(params: RawLoadParams): unknown;
  isNullPointer(p: External): boolean;
  createExternalBuffer(p: External, length: number): Buffer;
}

let binding: FfiRsBinding | undefined;
let loadedFrom: string | undefined;

// node:crypto and node:os are not in Node's startup snapshot: a top-level import loads them (crypto
// also pulls in the stream modules, ~2.7 ms) on every call that merely imports this module, such
// as `state` through the cgroup managers. They are required where they are used.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sha256Hex = (data: Uint8Array): string => (require('node:crypto') as typeof Crypto).createHash('sha256').update(data).digest('hex');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeOs = (): typeof Os => require('node:os') as typeof Os;

function dlopen(file: string): FfiRsBinding {
  const mod = { exports: {} as FfiRsBinding };
  process.dlopen(mod, file);
  return mod.exports;
}

/** Hash naming the cached addon: the build-time constant in a bundle, computed from the bytes in dev. */
export function ffiHash(bytes?: Uint8Array): string {
  if (typeof OCI_TS_FFI_HASH === 'string' && OCI_TS_FFI_HASH) return OCI_TS_FFI_HASH;
  return sha256Hex(bytes ?? readAsset('ffi-rs.node')).slice(0, 16);
}

export function ffiCachePath(root: string = DEFAULT_ROOT, hash: string = ffiHash()): string {
  return path.join(runtimeCacheDir(root), `ffi-rs-${hash}.node`);
}

/**
 * A read-only fd of the cached addon when it can be trusted: a regular file (not a symlink) owned
 * by root or the caller, writable by nobody else, whose sha256 starts with `hash`. undefined when
 * it is missing or fails a check.
 */
function openVerified(file: string, hash: string): number | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined; // missing, a symlink (ELOOP), ...: rewritten by the caller
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && trustedOwner(st.uid) && (st.mode & 0o022) === 0 && st.size > 0 && st.size < 256 << 20) {
      const digest = sha256Hex(fs.readFileSync(fd));
      if (hash.length >= 16 && digest.startsWith(hash)) return fd;
    }
  } catch {
    /* unreadable: not trusted */
  }
  fs.closeSync(fd);
  return undefined;
}

/**
 * The addon in `<root>/:cache/ffi-rs-<hash>.node`, written (tmp + rename) when it is missing or
 * fails verification (openVerified: owner, mode, sha256). Returns the path and a read-only fd of
 * the verified file; the caller dlopens that fd, so the bytes checked are the bytes loaded.
 * Throws when the cache dir is not private (see privateCacheDir) or the copy cannot be written.
 */
function ensureCached(root: string): { file: string; fd: number } {
  let bytes: Buffer | undefined;
  const hash = typeof OCI_TS_FFI_HASH === 'string' && OCI_TS_FFI_HASH ? OCI_TS_FFI_HASH : ffiHash((bytes = readAsset('ffi-rs.node')));
  const file = ffiCachePath(root, hash);
  privateCacheDir(root);
  const fd = openVerified(file, hash);
  if (fd !== undefined) return { file, fd };
  bytes ??= readAsset('ffi-rs.node');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.rmSync(tmp, { force: true }); // a leftover of a killed process with our pid
    fs.writeFileSync(tmp, bytes, { mode: 0o500, flag: 'wx' });
    fs.renameSync(tmp, file); // atomic; replaces a bad copy, or a concurrent writer's identical bytes
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const again = openVerified(file, hash);
  if (again === undefined) throw new Error(`${file}: the copy just written does not verify`);
  return { file, fd: again };
}

export interface LoadFfiOptions {
  /** The runtime root (`--root`); the addon is cached in `<root>/:cache`. Default /run/oci-ts. */
  root?: string;
  /** Go through the `<root>/:cache` cache even outside a SEA (tests). */
  viaCache?: boolean;
}

/** The ffi-rs binding, loaded on first use (about 2 ms when the cached file exists). */
export function loadFfiRs(opts: LoadFfiOptions = {}): FfiRsBinding {
  if (binding) return binding;
  const root = opts.root ?? DEFAULT_ROOT;
  if (!isSea() && !opts.viaCache) {
    const file = assetBuildPath('ffi-rs.node');
    if (file) {
      binding = dlopen(file);
      loadedFrom = file;
      return binding;
    }
  }
  let firstError: unknown;
  try {
    const { file, fd } = ensureCached(root);
    try {
      binding = dlopen(`/proc/self/fd/${fd}`);
    } finally {
      fs.closeSync(fd);
    }
    loadedFrom = file;
    return binding;
  } catch (e) {
    // Root not writable, or on a noexec mount (Debian's initramfs mounts /run noexec, and
    // dlopen needs PROT_EXEC): load an unnamed copy instead, nothing left on disk.
    firstError = e;
  }
  const m = materializeExecutable(readAsset('ffi-rs.node'), { fallbackDir: path.join(nodeOs().tmpdir(), `oci-ts-${process.getuid?.() ?? 0}`) });
  try {
    binding = dlopen(m.path);
    loadedFrom = 'O_TMPFILE';
    return binding;
  } catch (e) {
    const why = (x: unknown) => (x instanceof Error ? x.message : String(x));
    throw new Error(`cannot load ffi-rs: ${ffiCachePath(root)}: ${why(firstError)}; unnamed copy: ${why(e)}`);
  } finally {
    m.close();
  }
}

/** Where the binding was loaded from (a path, 'O_TMPFILE'), or undefined if not loaded yet. */
export function ffiLoadedFrom(): string | undefined {
  return loadedFrom;
}

// ---------------------------------------------------------------------------------------------
// Typed wrapper

export type CType = 'i32' | 'u32' | 'i64' | 'u64' | 'bigint' | 'double' | 'string' | 'buffer' | 'pointer' | 'void';

export type JsOf<T extends CType> = T extends 'i32' | 'u32' | 'i64' | 'u64' | 'double'
  ? number
  : T extends 'bigint'
    ? bigint
    : T extends 'string'
      ? string
      : T extends 'buffer'
        ? Buffer
        : T extends 'pointer'
          ? External
          : undefined;

export type JsArgs<P extends readonly CType[]> = { -readonly [K in keyof P]: JsOf<P[K]> };

export interface ErrnoResult<T> {
  value: T;
  /** errno after the call: meaningful only when `value` signals failure. */
  errno: number;
}

const TYPE_KEY: Record<CType, string> = {
  i32: 'I32',
  u32: 'U32',
  i64: 'I64',
  u64: 'U64',
  bigint: 'BigInt',
  double: 'Double',
  string: 'String',
  buffer: 'U8Array',
  pointer: 'External',
  void: 'Void',
};

/** A failed C call: `message` is `<syscall>: <strerror in lower case>`, like runc's wording. */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number) {
    const code = errnoCode(errno);
    super(`${syscall}: ${describe(errno)}`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

function describe(errno: number): string {
  try {
    // util.getSystemErrorMessage is Node 23+; the libuv map is in util.getSystemErrorMap (Node 16+).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const util = require('node:util') as { getSystemErrorMap?: () => Map<number, [string, string]> };
    const m = util.getSystemErrorMap?.().get(-errno);
    if (m) return m[1];
  } catch {
    /* fall through */
  }
  return errnoCode(errno);
}

export class NativeLibrary {
  private readonly ffi: FfiRsBinding;

  /** Opens `file` ('' = the symbols already in the process: libc) under the key `name`. */
  constructor(
    readonly name: string,
    file: string,
    opts: LoadFfiOptions = {},
  ) {
    this.ffi = loadFfiRs(opts);
    this.ffi.open({ library: name, path: file });
  }

  private spec(ret: CType, params: readonly CType[]) {
    const dt = this.ffi.DataType;
    const code = (t: CType): number => {
      const v = dt[TYPE_KEY[t]];
      if (v === undefined) throw new Error(`ffi-rs has no DataType.${TYPE_KEY[t]}`);
      return v;
    };
    const arrayTag = this.ffi.FFITypeTag.Array ?? 997;
    const retType = code(ret);
    const codes = params.map(code);
    const bufferIdx = params.flatMap((t, i) => (t === 'buffer' ? [i] : []));
    const paramsType = (values: unknown[]): (number | RawArrayType)[] => {
      if (bufferIdx.length === 0) return codes;
      const out: (number | RawArrayType)[] = codes.slice();
      for (const i of bufferIdx) out[i] = { ffiTypeTag: arrayTag, type: codes[i]!, length: (values[i] as Buffer).length };
      return out;
    };
    return { retType, paramsType };
  }

  /** A JS function calling the C function `fn` (returns its value, no errno). */
  func<R extends CType, const P extends readonly CType[]>(fn: string, ret: R, params: P): (...args: JsArgs<P>) => JsOf<R> {
    const { retType, paramsType } = this.spec(ret, params);
    const ffi = this.ffi;
    const library = this.name;
    return (...args) => {
      const values = args as unknown[];
      return ffi.load({ library, funcName: fn, retType, paramsType: paramsType(values), paramsValue: values, freeResultMemory: false }) as JsOf<R>;
    };
  }

  /** Like func(), but returns `{ value, errno }`. */
  funcErrno<R extends CType, const P extends readonly CType[]>(fn: string, ret: R, params: P): (...args: JsArgs<P>) => ErrnoResult<JsOf<R>> {
    const { retType, paramsType } = this.spec(ret, params);
    const ffi = this.ffi;
    const library = this.name;
    return (...args) => {
      const values = args as unknown[];
      const r = ffi.load({ library, funcName: fn, retType, paramsType: paramsType(values), paramsValue: values, errno: true, freeResultMemory: false }) as {
        value: JsOf<R>;
        errnoCode: number;
      };
      return { value: r.value, errno: r.errnoCode };
    };
  }

  /** Like func() for the usual `-1 and errno` convention: throws SyscallError on -1. */
  checked<R extends 'i32' | 'i64', const P extends readonly CType[]>(fn: string, ret: R, params: P): (...args: JsArgs<P>) => number {
    const call = this.funcErrno(fn, ret, params);
    return (...args) => {
      const r = call(...args);
      if (r.value === -1) throw new SyscallError(fn, r.errno);
      return r.value as number;
    };
  }
}

let libcInstance: NativeLibrary | undefined;

/** libc (the process's own symbols), opened on first use. */
export function libc(opts: LoadFfiOptions = {}): NativeLibrary {
  libcInstance ??= new NativeLibrary('libc', '', opts);
  return libcInstance;
}
