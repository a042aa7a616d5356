/**
 * cgroupfs I/O: the real CgroupIo, error mapping for control-file writes, and a synchronous sleep
 * (the manager API is synchronous, like the rest of the runtime's short-lived verbs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError, errnoText } from '../errors';
import { debug } from '../log';
import type { CgroupIo } from './types';

export const realIo: CgroupIo = {
  write(p: string, value: string): void {
    // No O_CREAT: writing a control file that the kernel does not provide must fail (ENOENT).
    const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    try {
      const buf = Buffer.from(value);
      // cgroupfs parses one write(2) as one value: never split it.
      const n = fs.writeSync(fd, buf, 0, buf.length);
      if (n !== buf.length) {
        const e = new Error(`short write to ${p}`) as NodeJS.ErrnoException;
        e.code = 'EIO';
        throw e;
      }
    } finally {
      fs.closeSync(fd);
    }
  },
  read(p: string): string {
    return fs.readFileSync(p, 'utf8');
  },
  exists(p: string): boolean {
    return fs.existsSync(p);
  },
  mkdir(p: string): void {
    fs.mkdirSync(p, { mode: 0o755 });
  },
  rmdir(p: string): void {
    fs.rmdirSync(p);
  },
  subdirs(p: string): string[] {
    return fs.readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  },
  list(p: string): string[] {
    return fs.readdirSync(p);
  },
  kill(pid: number, signal: number): void {
    process.kill(pid, signal);
  },
};

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread for ms milliseconds. */
export function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

export function errCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** `/linux/resources/hugepageLimits/0/pageSize` -> `linux.resources.hugepageLimits[0].pageSize`. */
export function pointerToDotted(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += (out === '' ? '' : '.') + part;
  }
  return out;
}

/** A value is set but the host cannot honour it (controller not mounted, file absent, unsupported). */
export function unavailable(pointer: string, reason: string): OciError {
  return new OciError('config', `${pointerToDotted(pointer)}: ${reason}`, { pointer });
}

/** Write one value to dir/file; kernel errors become `failed to write V to F: errno text`. */
export function writeControl(io: CgroupIo, dir: string, file: string, value: string, pointer?: string): void {
  const p = path.join(dir, file);
  debug(`cgroup: write ${JSON.stringify(value)} to ${p}`);
  try {
    io.write(p, value);
  } catch (err) {
    throw writeError(err, file, value, pointer);
  }
}

export function writeError(err: unknown, file: string, value: string, pointer?: string): OciError {
  if (err instanceof OciError) return err;
  const code = errCode(err);
  const text = code !== undefined ? errnoText(code) : err instanceof Error ? err.message : String(err);
  return new OciError('system', `failed to write ${value.trim()} to ${file}: ${text}`, {
    cause: err,
    ...(pointer !== undefined ? { pointer } : {}),
  });
}

export function readControl(io: CgroupIo, dir: string, file: string): string {
  const p = path.join(dir, file);
  try {
    return io.read(p);
  } catch (err) {
    const code = errCode(err);
    throw new OciError('system', `failed to read ${file}: ${code !== undefined ? errnoText(code) : String(err)}`, { cause: err });
  }
}

/** Parse a cgroup integer file ("max" and values beyond 2^53 handled via BigInt). */
export function parseBig(text: string): bigint | 'max' {
  const t = text.trim();
  if (t === 'max') return 'max';
  return BigInt(t);
}

/** Read cgroup.procs of dir and of every sub-cgroup below it; ENOENT gives []. */
export function readProcsRecursive(io: CgroupIo, dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    let text: string;
    try {
      text = io.read(path.join(d, 'cgroup.procs'));
    } catch (err) {
      if (errCode(err) === 'ENOENT') return;
      throw new OciError('system', `failed to read ${path.join(d, 'cgroup.procs')}: ${errnoText(errCode(err) ?? 'EIO')}`, { cause: err });
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t !== '' && /^\d+$/.test(t)) out.push(Number(t));
    }
    let subs: string[] = [];
    try {
      subs = io.subdirs(d);
    } catch {
      subs = [];
    }
    for (const s of subs) walk(path.join(d, s));
  };
  walk(dir);
  return [...new Set(out)].sort((a, b) => a - b);
}
