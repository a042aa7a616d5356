/**
 * Binary encoding of a plan for the C shim (docs/shim-protocol.md): a magic, a length, then
 * records of u16 op, u16 argc and length-prefixed byte strings. Numbers travel as decimal text
 * so that the C side needs only strtoull.
 */
import { OciError } from '../errors';
import { Op, type PlanOp } from './ops';

export const PLAN_MAGIC = 0x5043494f;

function argBytes(a: string | number | bigint | Uint8Array): Buffer {
  if (a instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (typeof a === 'number' || typeof a === 'bigint') return Buffer.from(String(a), 'ascii');
  return Buffer.from(a, 'utf8');
}

/** c-shim/protocol.h PLAN_MAX: the shim refuses longer plans. */
export const PLAN_MAX_BYTES = 64 * 1024 * 1024;
const MAX_ARGS = 0xffff;

export function encodePlan(ops: readonly PlanOp[]): Buffer {
  const parts: Buffer[] = [];
  for (const { op, args } of ops) {
    // u16 argc: a config with ~65000 args + env entries must fail here with a clear error.
    if (args.length > MAX_ARGS) throw new OciError('config', `cannot pass ${args.length} arguments to the shim's ${op} op: at most ${MAX_ARGS} (process.args and process.env too long?)`);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(Op[op], 0);
    head.writeUInt16LE(args.length, 2);
    parts.push(head);
    for (const a of args) {
      const b = argBytes(a);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
  }
  const body = Buffer.concat(parts);
  if (body.length > PLAN_MAX_BYTES) throw new OciError('config', `the container's setup plan is ${body.length} bytes, more than the shim accepts (${PLAN_MAX_BYTES}): the config is too large`);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(PLAN_MAGIC, 0);
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
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
