/**
 * Binary encoding of a plan for the C shim (docs/shim-protocol.md): a magic, a length, then
 * records of u16 op, u16 argc and length-prefixed byte strings. Numbers travel as decimal text
 * so that the C side needs only strtoull.
 */
import { OciError } from '../errors';
import { Op, type PlanOp } from './ops';

export const PLAN_MAGIC = 0x5043494f;

/** c-shim/protocol.h PLAN_MAX: the shim refuses longer plans. */
export const PLAN_MAX_BYTES = 64 * 1024 * 1024;
const MAX_ARGS = 0xffff;

type Arg = string | number | bigint | Uint8Array;

function argLength(a: Arg): number {
  if (a instanceof Uint8Array) return a.byteLength;
  if (typeof a === 'number' || typeof a === 'bigint') return String(a).length;
  return Buffer.byteLength(a, 'utf8');
}

/** Writes `a` at `off` (room for argLength(a) bytes is there); returns the bytes written. */
function writeArg(buf: Buffer, off: number, a: Arg): number {
  if (a instanceof Uint8Array) {
    buf.set(a, off);
    return a.byteLength;
  }
  if (typeof a === 'number' || typeof a === 'bigint') return buf.write(String(a), off, 'latin1');
  return buf.write(a, off, 'utf8');
}

/**
 * One pass to size the plan and one to write it into a single buffer: a plan has hundreds of
 * args, and a small Buffer per length prefix plus the concats made a create's one (cold) encode
 * cost 0.8-1.6 ms instead of ~0.65 ms (docs/performance.md).
 */
export function encodePlan(ops: readonly PlanOp[]): Buffer {
  let bodyLength = 0;
  for (const { op, args } of ops) {
    // u16 argc: a config with ~65000 args + env entries must fail here with a clear error.
    if (args.length > MAX_ARGS) throw new OciError('config', `cannot pass ${args.length} arguments to the shim's ${op} op: at most ${MAX_ARGS} (process.args and process.env too long?)`);
    bodyLength += 4;
    for (const a of args) bodyLength += 4 + argLength(a);
  }
  if (bodyLength > PLAN_MAX_BYTES) throw new OciError('config', `the container's setup plan is ${bodyLength} bytes, more than the shim accepts (${PLAN_MAX_BYTES}): the config is too large`);
  const buf = Buffer.allocUnsafe(8 + bodyLength);
  buf.writeUInt32LE(PLAN_MAGIC, 0);
  buf.writeUInt32LE(bodyLength, 4);
  let off = 8;
  for (const { op, args } of ops) {
    buf.writeUInt16LE(Op[op], off);
    buf.writeUInt16LE(args.length, off + 2);
    off += 4;
    for (const a of args) {
      const n = writeArg(buf, off + 4, a);
      buf.writeUInt32LE(n, off);
      off += 4 + n;
    }
  }
  if (off !== buf.length) throw new Error(`encodePlan: wrote ${off} of ${buf.length} bytes`);
  return buf;
}

const OP_NAMES = new Map<number, keyof typeof Op>(Object.entries(Op).map(([k, v]) => [v, k as keyof typeof Op]));

/** The inverse of encodePlan, for tests and `plan` output (args come back as strings). */
export function decodePlan(buf: Buffer): Array<{ op: string; args: string[] }> {
  if (buf.readUInt32LE(0) !== PLAN_MAGIC) throw new Error('bad plan magic');
  const end = 8 + buf.readUInt32LE(4);
  const out: Array<{ op: string; args: string[] }> = [];
  let off = 8;
  while (off < end) {
    const code = buf.readUInt16LE(off);
    const argc = buf.readUInt16LE(off + 2);
    off += 4;
    const args: string[] = [];
    for (let i = 0; i < argc; i++) {
      const len = buf.readUInt32LE(off);
      off += 4;
      args.push(buf.subarray(off, off + len).toString('utf8'));
      off += len;
    }
    out.push({ op: OP_NAMES.get(code) ?? `OP${code}`, args });
  }
  return out;
}
