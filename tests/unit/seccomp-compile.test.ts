/**
 * The seccomp compiler against the real libseccomp (lib/seccomp/compile.ts): the exported program
 * is run through a small classic-BPF interpreter with seccomp_data inputs, so the tests check what
 * the kernel would decide for a syscall, not just that bytes came out. Skipped when libseccomp
 * (Debian package libseccomp2) cannot be loaded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { compileSeccomp } from '../../lib/seccomp/compile';
import { seccompFeatures } from '../../lib/seccomp/features';
import type { Seccomp } from '../../lib/spec/types';
import { libseccompSkipReason } from '../helpers/seccomp';

const skip = libseccompSkipReason();

const FIXTURES = path.join(__dirname, '../fixtures/seccomp');
const fixture = (name: string): Seccomp => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Seccomp;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const X32_BIT = 0x40000000;

const ALLOW = 0x7fff0000;
const ERRNO = (e: number): number => 0x00050000 | e;

/** Classic BPF as the kernel runs a seccomp filter over struct seccomp_data. */
function runFilter(prog: Buffer, nr: number, arch: number, args: Array<bigint | number> = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  const mem = new Array<number>(16).fill(0);
  let a = 0;
  let x = 0;
  let pc = 0;
  for (let steps = 0; steps < 1_000_000; steps++) {
    if (pc * 8 >= prog.length) throw new Error(`fell off the program at ${pc}`);
    const code = prog.readUInt16LE(pc * 8);
    const jt = prog[pc * 8 + 2]!;
    const jf = prog[pc * 8 + 3]!;
    const k = prog.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20: a = data.readUInt32LE(k); break;            // ld [k]
      case 0x00: a = k; break;                                // ld #k
      case 0x01: x = k; break;                                // ldx #k
      case 0x60: a = mem[k]!; break;                          // ld M[k]
      case 0x61: x = mem[k]!; break;                          // ldx M[k]
      case 0x02: mem[k] = a; break;                           // st M[k]
      case 0x03: mem[k] = x; break;                           // stx M[k]
      case 0x07: x = a; break;                                // tax
      case 0x87: a = x; break;                                // txa
      case 0x54: a = (a & k) >>> 0; break;                    // and #k
      case 0x44: a = (a | k) >>> 0; break;                    // or #k
      case 0x05: pc += k; break;                              // ja
      case 0x15: pc += a === k ? jt : jf; break;              // jeq #k
      case 0x25: pc += a > k ? jt : jf; break;                // jgt #k
      case 0x35: pc += a >= k ? jt : jf; break;               // jge #k
      case 0x45: pc += (a & k) !== 0 ? jt : jf; break;        // jset #k
      case 0x1d: pc += a === x ? jt : jf; break;              // jeq x
      case 0x2d: pc += a > x ? jt : jf; break;                // jgt x
      case 0x3d: pc += a >= x ? jt : jf; break;               // jge x
      case 0x06: return k;                                    // ret #k
      case 0x16: return a;                                    // ret a
      default: throw new Error(`unknown BPF opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('filter did not terminate');
}

describe('compileSeccomp (libseccomp)', { skip }, () => {
  test('a small profile: non-empty program of whole sock_filter records, decisions as configured', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['mkdir', 'mkdirat', 'no_such_syscall'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['getpid'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['gettid'], action: 'SCMP_ACT_TRAP' },
        { names: ['getppid'], action: 'SCMP_ACT_LOG' },
        { names: ['getuid'], action: 'SCMP_ACT_TRACE', errnoRet: 9 },
        { names: ['getgid'], action: 'SCMP_ACT_KILL' },
      ],
    });
    assert.ok(c.program.length > 0);
    assert.equal(c.program.length % 8, 0);
    assert.deepEqual(c.skipped, ['no_such_syscall']);
    assert.equal(c.flags, 0);
    assert.equal(runFilter(c.program, 83, AUDIT_ARCH_X86_64), ERRNO(1));          // mkdir
    assert.equal(runFilter(c.program, 258, AUDIT_ARCH_X86_64), ERRNO(1));         // mkdirat
    assert.equal(runFilter(c.program, 39, AUDIT_ARCH_X86_64), 0x80000000);        // getpid: KILL_PROCESS
    assert.equal(runFilter(c.program, 186, AUDIT_ARCH_X86_64), 0x00030000);       // gettid: TRAP
    assert.equal(runFilter(c.program, 110, AUDIT_ARCH_X86_64), 0x7ffc0000);       // getppid: LOG
    assert.equal(runFilter(c.program, 102, AUDIT_ARCH_X86_64), 0x7ff00009);       // getuid: TRACE(9)
    assert.equal(runFilter(c.program, 104, AUDIT_ARCH_X86_64), 0);                // getgid: KILL_THREAD
    assert.equal(runFilter(c.program, 0, AUDIT_ARCH_X86_64), ALLOW);              // read
    // Only the native architecture is in the filter: anything else is killed (bad arch).
    assert.equal(runFilter(c.program, 83, AUDIT_ARCH_I386), 0);
  });

  test('every comparison operator, on the full 64-bit argument', () => {
    const sigs = [0, 17, 18, 23, 28];
    const blocked = (op: string, value: number, valueTwo?: number): number[] => {
      const c = compileSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value, ...(valueTwo === undefined ? {} : { valueTwo }), op }] }],
      });
      return sigs.filter((s) => runFilter(c.program, 62, AUDIT_ARCH_X86_64, [1, s]) === ERRNO(1));
    };
    assert.deepEqual(blocked('SCMP_CMP_EQ', 18), [18]);
    assert.deepEqual(blocked('SCMP_CMP_NE', 18), [0, 17, 23, 28]);
    assert.deepEqual(blocked('SCMP_CMP_LT', 18), [0, 17]);
    assert.deepEqual(blocked('SCMP_CMP_LE', 18), [0, 17, 18]);
    assert.deepEqual(blocked('SCMP_CMP_GE', 18), [18, 23, 28]);
    assert.deepEqual(blocked('SCMP_CMP_GT', 18), [23, 28]);
    assert.deepEqual(blocked('SCMP_CMP_MASKED_EQ', 3, 1), [17]);   // (sig & 3) == 1
    // The high 32 bits take part: 0x1_00000012 is not 18.
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 18, op: 'SCMP_CMP_EQ' }] }] });
    assert.equal(runFilter(c.program, 62, AUDIT_ARCH_X86_64, [1, 0x100000012n]), ALLOW);
  });

  test('distinct arguments AND, a repeated argument ORs (runc)', () => {
    const and = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [
      { index: 0, value: 7, op: 'SCMP_CMP_EQ' }, { index: 1, value: 18, op: 'SCMP_CMP_EQ' },
    ] }] });
    assert.equal(runFilter(and.program, 62, AUDIT_ARCH_X86_64, [7, 18]), ERRNO(1));
    assert.equal(runFilter(and.program, 62, AUDIT_ARCH_X86_64, [8, 18]), ALLOW);
    assert.equal(runFilter(and.program, 62, AUDIT_ARCH_X86_64, [7, 17]), ALLOW);
    const or = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [
      { index: 1, value: 17, op: 'SCMP_CMP_EQ' }, { index: 1, value: 23, op: 'SCMP_CMP_EQ' },
    ] }] });
    assert.deepEqual([0, 17, 18, 23].map((s) => runFilter(or.program, 62, AUDIT_ARCH_X86_64, [1, s]) === ERRNO(1)), [false, true, false, true]);
  });

  test('Docker-shaped default profile: x86_64, x86 and x32; EPERM default; conditional clone, socket, personality', () => {
    const c = compileSeccomp(fixture('docker-default.json'));
    assert.ok(c.program.length / 8 > 500 && c.program.length / 8 <= 4096, `${c.program.length / 8} instructions`);
    const x64 = (nr: number, args: number[] = []): number => runFilter(c.program, nr, AUDIT_ARCH_X86_64, args);
    assert.equal(x64(83), ALLOW);                          // mkdir
    assert.equal(x64(165), ERRNO(1));                      // mount: not listed -> default
    assert.equal(x64(435), ERRNO(38));                     // clone3 -> ENOSYS, so libc falls back to clone
    assert.equal(x64(56, [0x01200011]), ALLOW);            // clone as fork() does it
    assert.equal(x64(56, [0x20000 | 17]), ERRNO(1));       // clone(CLONE_NEWNS)
    assert.equal(x64(41, [2, 1, 0]), ALLOW);               // socket(AF_INET)
    assert.equal(x64(41, [40, 1, 0]), ERRNO(1));           // socket(AF_VSOCK)
    assert.equal(x64(135, [8]), ALLOW);                    // personality(PER_LINUX32)
    assert.equal(x64(135, [4]), ERRNO(1));
    assert.equal(x64(100000), ERRNO(1));                   // unknown number -> default
    assert.equal(runFilter(c.program, 39, AUDIT_ARCH_I386), ALLOW);    // i386 mkdir
    assert.equal(runFilter(c.program, 21, AUDIT_ARCH_I386), ERRNO(1)); // i386 mount
    assert.equal(runFilter(c.program, 102, AUDIT_ARCH_I386), ALLOW);   // i386 socketcall (x86-only name)
    assert.equal(runFilter(c.program, X32_BIT | 83, AUDIT_ARCH_X86_64), ALLOW);     // x32 mkdir
    assert.equal(runFilter(c.program, X32_BIT | 165, AUDIT_ARCH_X86_64), ERRNO(1)); // x32 mount
    assert.equal(runFilter(c.program, 83, AUDIT_ARCH_AARCH64), 0);                   // not in the list: killed
  });

  test('Podman-shaped default profile: ENOSYS default, explicit EPERM list, AND-ed socket rule', () => {
    const c = compileSeccomp(fixture('podman-default.json'));
    const x64 = (nr: number, args: number[] = []): number => runFilter(c.program, nr, AUDIT_ARCH_X86_64, args);
    assert.equal(x64(170), ERRNO(38));                     // sethostname: not listed
    assert.equal(x64(168), ERRNO(1));                      // swapoff: EPERM list
    assert.equal(x64(165), ERRNO(1));                      // mount: capability-gated list
    assert.equal(x64(41, [16, 3, 9]), ERRNO(22));          // socket(AF_NETLINK, .., NETLINK_AUDIT)
    assert.equal(x64(41, [16, 3, 0]), ALLOW);
    assert.equal(x64(41, [2, 1, 9]), ALLOW);
    assert.equal(x64(0), ALLOW);
  });

  test('flags travel to the SECCOMP op; unknown architectures of this libseccomp are refused', () => {
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] });
    assert.equal(c.flags, 6);
    const f = seccompFeatures();
    assert.equal(f.enabled, true);
    assert.ok(f.archs!.includes('SCMP_ARCH_X86_64'));
    const missing = ['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH'].find((a) => !f.archs!.includes(a));
    if (missing !== undefined) {
      assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', missing] }),
        new RegExp(`config\\.json /linux/seccomp/architectures/1: architecture ${missing} is not supported by libseccomp`));
    }
  });
});
