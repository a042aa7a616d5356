import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DEVICE_RULES, effectiveDeviceRules, normalizeDeviceRules, type NormalRule } from '../../lib/cgroups/convert';
import { deviceRulesToBpf } from '../../lib/cgroups/devices-bpf';

/**
 * A tiny interpreter for the eBPF subset the emitter uses (LDX W, ALU/ALU64 MOV/AND/RSH with K or
 * X, JMP/JMP32 JEQ/JNE with K or X, JA, EXIT). Anything else fails the test. It also checks what
 * the kernel's verifier would: in-bounds jumps, forward only, reads from the 12-byte context, and
 * that r0 is set before exit.
 */
function run(prog: Buffer, ctx: { type: number; major: number; minor: number; access: number }): number {
  assert.equal(prog.length % 8, 0);
  const n = prog.length / 8;
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(((ctx.access << 16) | ctx.type) >>> 0, 0);
  mem.writeUInt32LE(ctx.major >>> 0, 4);
  mem.writeUInt32LE(ctx.minor >>> 0, 8);
  const M64 = (1n << 64n) - 1n;
  const reg: Array<bigint | undefined> = new Array(11).fill(undefined);
  reg[1] = -1n; // the context pointer (only used as a LDX base)
  let pc = 0;
  for (let steps = 0; steps < 100000; steps++) {
    assert.ok(pc >= 0 && pc < n, `pc ${pc} out of the program`);
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = BigInt(prog.readInt32LE(pc * 8 + 4));
    const cls = code & 0x07;
    const get = (r: number): bigint => {
      const v = reg[r];
      assert.ok(v !== undefined, `read of uninitialised r${r} at ${pc}`);
      return v;
    };
    pc++;
    if (cls === 0x01) {
      assert.equal(code, 0x61, `LDX ${code.toString(16)}`);
      assert.equal(src, 1, 'loads from the context only');
      assert.ok(off >= 0 && off <= 8 && off % 4 === 0, `ctx offset ${off}`);
      reg[dst] = BigInt(mem.readUInt32LE(off));
    } else if (cls === 0x04 || cls === 0x07) {
      const is64 = cls === 0x07;
      const op = code & 0xf0;
      const b = code & 0x08 ? get(src) : imm;
      const a = op === 0xb0 ? 0n : get(dst);
      let v: bigint;
      if (op === 0xb0) v = b;
      else if (op === 0x50) v = a & b;
      else if (op === 0x70) v = (is64 ? a & M64 : a & 0xffffffffn) >> (b & (is64 ? 63n : 31n));
      else assert.fail(`ALU op ${code.toString(16)}`);
      reg[dst] = is64 ? BigInt.asUintN(64, v) : BigInt.asUintN(32, v);
    } else if (cls === 0x05 || cls === 0x06) {
      const op = code & 0xf0;
      if (code === 0x95) {
        const r0 = get(0);
        assert.ok(r0 === 0n || r0 === 1n, `return value ${r0}`);
        return Number(r0);
      }
      if (op === 0x00) {
        assert.ok(off >= 0, 'forward jumps only');
        pc += off;
        continue;
      }
      const width = cls === 0x06 ? 32 : 64;
      const a = BigInt.asUintN(width, get(dst));
      const b = BigInt.asUintN(width, code & 0x08 ? get(src) : imm);
      let taken: boolean;
      if (op === 0x10) taken = a === b;
      else if (op === 0x50) taken = a !== b;
      else assert.fail(`JMP op ${code.toString(16)}`);
      assert.ok(off >= 0, 'forward jumps only');
      if (taken) pc += off;
    } else {
      assert.fail(`instruction class ${cls} (code ${code.toString(16)})`);
    }
  }
  assert.fail('no exit');
}

const B = 1, C = 2;
const M = 1, R = 2, W = 4;

type Case = [type: number, major: number, minor: number, access: number, allowed: boolean, why?: string];

function check(rules: readonly NormalRule[], cases: Case[]): void {
  const prog = deviceRulesToBpf(rules);
  for (const [type, major, minor, access, allowed, why] of cases) {
    const got = run(prog, { type, major, minor, access });
    const t = type === B ? 'b' : 'c';
    const acc = `${access & R ? 'r' : ''}${access & W ? 'w' : ''}${access & M ? 'm' : ''}`;
    assert.equal(got, allowed ? 1 : 0, `${t} ${major}:${minor} ${acc}: expected ${allowed ? 'allow' : 'deny'}${why ? ` (${why})` : ''}`);
  }
}

/** Docker's default (moby's DefaultLinuxSpec + the devices it creates), as the OCI config carries it. */
const DOCKER = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

describe('deviceRulesToBpf', () => {
  test('encoding: 8-byte instructions, starts by loading ctx->access_type, ends with exit', () => {
    const p = deviceRulesToBpf([]);
    assert.equal(p.length % 8, 0);
    assert.equal(p.readUInt8(0), 0x61);
    assert.equal(p.readUInt8(1), 0x12, 'dst r2, src r1');
    assert.equal(p.readUInt8(p.length - 8), 0x95);
    assert.equal(run(p, { type: C, major: 1, minor: 3, access: R }), 0, 'no rule: deny');
  });

  test('Docker default allow-list (plus oci-ts defaults)', () => {
    check(effectiveDeviceRules(DOCKER as never), [
      [C, 1, 3, R | W, true, '/dev/null'],
      [C, 1, 3, M, true],
      [C, 1, 5, R, true, '/dev/zero'],
      [C, 1, 7, W, true, '/dev/full (oci-ts default)'],
      [C, 1, 9, R | W, true, '/dev/urandom'],
      [C, 5, 0, R | W, true, '/dev/tty'],
      [C, 5, 2, R | W, true, '/dev/ptmx'],
      [C, 136, 0, R | W, true, '/dev/pts/0'],
      [C, 136, 1048575, R, true, '/dev/pts/* max minor'],
      [C, 10, 200, R | W, true, '/dev/net/tun'],
      [C, 10, 229, R, false, '/dev/fuse denied'],
      [C, 10, 229, M, true, 'mknod c *:* m is a later rule'],
      [B, 8, 0, R, false, '/dev/sda read'],
      [B, 8, 0, W, false],
      [B, 8, 0, M, true, 'mknod of block devices'],
      [C, 4, 0, R | W, false, '/dev/tty0'],
      [C, 4, 0, M, true],
      [C, 4, 0, M | R, false, 'mknod allowed but not read'],
      [C, 1, 4, R, false, '/dev/port'],
      [C, 137, 0, R, false],
      [C, 0x7fffffff, 3, R, false, 'large major'],
      [C, 0xfffff001, 3, R, false, 'major above 2^31'],
    ]);
  });

  test("Podman's deny-all plus oci-ts's default devices", () => {
    check(effectiveDeviceRules([{ allow: false, access: 'rwm' }]), [
      [C, 1, 3, R | W | M, true],
      [C, 1, 5, R, true],
      [C, 1, 8, R, true],
      [C, 5, 1, R | W, true, '/dev/console'],
      [C, 136, 5, W, true],
      [C, 10, 200, R, false],
      [C, 10, 229, R | W, false],
      [B, 7, 0, R, false, '/dev/loop0'],
      [B, 7, 0, M, true],
      [C, 1, 1, R, false, '/dev/mem'],
    ]);
  });

  test('only the defaults: the same allow-list', () => {
    check(DEFAULT_DEVICE_RULES, [[C, 1, 3, R, true], [C, 10, 229, R, false], [B, 8, 0, M, true], [B, 8, 0, R, false]]);
  });

  test('last matching rule wins, per access bit', () => {
    const rules = normalizeDeviceRules([
      { allow: true, access: 'rwm' }, // allow all
      { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
      { allow: false, type: 'b', access: 'rwm' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
      { allow: false, type: 'c', major: 4, access: 'rwm' },
      { allow: true, type: 'c', major: 4, minor: 1, access: 'rw' },
    ]);
    check(rules, [
      [C, 1, 3, R, true, 'deny w does not touch r'],
      [C, 1, 3, W, false],
      [C, 1, 3, R | W, false, 'one bit denied denies the request'],
      [C, 1, 5, R | W | M, true, 'allow a *:* rwm'],
      [B, 8, 0, R, true, 'later allow b 8:0 r'],
      [B, 8, 0, W, false],
      [B, 8, 1, R, false],
      [C, 4, 1, R | W, true],
      [C, 4, 1, M, false, 'deny c 4:* m still applies'],
      [C, 4, 2, R, false],
      [C, 5, 0, R, true],
    ]);
  });

  test('separate allow rules for separate bits combine; a later deny-all resets', () => {
    check(normalizeDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'w' },
    ]), [[C, 1, 3, R | W, true], [C, 1, 3, M, false], [B, 1, 3, R, false, 'type matters']]);
    check(normalizeDeviceRules([
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: false, access: 'rwm' },
    ]), [[C, 1, 3, R, false]]);
    check(normalizeDeviceRules([{ allow: true, type: 'a', access: 'rwm' }]), [[C, 1, 3, R | W | M, true], [B, 259, 0, R | W, true]]);
  });
});
