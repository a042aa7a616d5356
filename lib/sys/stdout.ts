/**
 * Write a command's output to fd 1 without creating `process.stdout`.
 *
 * The first use of `process.stdout` builds a stream for the fd: for a pipe (how containerd,
 * Docker and Podman read `state`) a net.Socket, which loads net and stream: ~2.5 ms of CPU per
 * call, 10-15% of a whole `state` (bench/results). A synchronous write of a short text costs
 * microseconds. If fd 1 is non-blocking and full (EAGAIN), the rest goes through the stream,
 * which waits for the reader.
 */
import { writeSync } from 'node:fs';

export function writeStdout(text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  try {
    while (off < buf.length) off += writeSync(1, buf, off, buf.length - off);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    process.stdout.write(buf.subarray(off));
  }
}
