/**
 * The one error type of oci-ts. `message` is the runc-style text that engines pattern-match
 * (see docs/engine-contract in the shared docs, section 7.3); `pointer` names the offending
 * config.json field when there is one; `exitCode` is what the CLI exits with.
 */
import type * as Os from 'node:os';

export type ErrorKind =
  | 'usage'        // bad argv: exit 2 (documented in the README)
  | 'config'       // config.json / process.json invalid or unsupported
  | 'notFound'     // container does not exist
  | 'state'        // operation not valid in the container's current state
  | 'exists'       // id already in use
  | 'system'       // a syscall or file operation failed
  | 'exec';        // the container's program could not be started (exec verb: exit 255)

export class OciError extends Error {
  readonly kind: ErrorKind;
  readonly pointer: string | undefined;
  readonly exitCode: number;

  constructor(kind: ErrorKind, message: string, opts: { pointer?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OciError';
    this.kind = kind;
    this.pointer = opts.pointer;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A config error names the file, the JSON pointer and the reason: `config.json /process/args: must be ...`. */
export function configError(file: string, pointer: string, reason: string): OciError {
  return new OciError('config', `${file} ${pointer === '' ? '/' : pointer}: ${reason}`, { pointer });
}

export function usageError(message: string): OciError {
  return new OciError('usage', message, { exitCode: 2 });
}

export function notFound(id: string): OciError {
  return new OciError('notFound', `container does not exist`, { pointer: id });
}

/** Turn anything thrown into an OciError, keeping Node's errno text short and runc-like. */
export function toOciError(err: unknown, context?: string): OciError {
  if (err instanceof OciError) return err;
  const e = err as NodeJS.ErrnoException;
  let text: string;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string') {
    text = `${e.syscall} ${e.path ?? ''}: ${errnoText(e.code)}`.replace(/ :/, ':');
  } else {
    text = e instanceof Error ? e.message : String(err);
  }
  return new OciError('system', context ? `${context}: ${text}` : text, { cause: err });
}

const ERRNO_TEXT: Record<string, string> = {
  ENOTSUP: 'operation not supported',
  EOPNOTSUPP: 'operation not supported',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EBUSY: 'device or resource busy',
  EINVAL: 'invalid argument',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ESRCH: 'no such process',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many levels of symbolic links',
};

/** Go/runc style lower-case errno text, e.g. ENOENT -> "no such file or directory". */
export function errnoText(code: string): string {
  return ERRNO_TEXT[code] ?? code.toLowerCase();
}

let errnoCodes: Map<number, string> | undefined;

/** The code of an errno number: 2 -> "ENOENT" ("E<n>" when Node does not know it). */
export function errnoCode(errno: number): string {
  if (errnoCodes === undefined) {
    // Required here: node:os is not in Node's startup snapshot and this module is in every call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { constants } = require('node:os') as typeof Os;
    errnoCodes = new Map(Object.entries(constants.errno).map(([name, num]) => [num, name]));
  }
  return errnoCodes.get(errno) ?? `E${errno}`;
}
