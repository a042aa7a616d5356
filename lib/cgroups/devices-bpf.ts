/**
 * The cgroup v2 device controller: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE built from
 * the effective device rules (see convert.ts), loaded with bpf(BPF_PROG_LOAD) and attached to the
 * cgroup directory with bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), as runc does.
 *
 * Semantics of the program (deviceRulesToBpf): the rules apply in order, the last matching rule
 * winning, per access bit: a request (e.g. open O_RDWR = read|write) is allowed when, for each of
 * its bits, the last rule matching the device type, major, minor and that bit is an allow rule.
 * A bit no rule matches is denied (the default action; a leading "a *:* rwm" rule is simply a
 * rule matching everything, so `deny a` first is the same as the default, `allow a` first makes
 * everything allowed unless denied later).
 *
 * The program walks the rules from the last to the first with r7 = the bits still undecided:
 *   - a matching deny rule that covers one of them: return 0;
 *   - a matching allow rule clears the bits it covers; none left: return 1;
 * and returns 0 when it runs out of rules.
 */
import { libc, loadFfiRs, SyscallError, type External } from '../sys/ffi';
import type { NormalRule } from './convert';

// ---- the context (struct bpf_cgroup_dev_ctx) and its constants
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

// ---- opcodes (linux/bpf_common.h, linux/bpf.h)
const BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_JMP32 = 0x06, BPF_ALU64 = 0x07;
const BPF_W = 0x00, BPF_MEM = 0x60;
const BPF_K = 0x00, BPF_X = 0x08;
const BPF_AND = 0x50, BPF_RSH = 0x70, BPF_MOV = 0xb0;
const BPF_JEQ = 0x10, BPF_JNE = 0x50, BPF_EXIT = 0x90;

export const OP = {
  LDXW: BPF_LDX | BPF_MEM | BPF_W, // 0x61
  MOV64_K: BPF_ALU64 | BPF_MOV | BPF_K, // 0xb7
  MOV64_X: BPF_ALU64 | BPF_MOV | BPF_X, // 0xbf
  MOV32_X: BPF_ALU | BPF_MOV | BPF_X, // 0xbc
  AND32_K: BPF_ALU | BPF_AND | BPF_K, // 0x54
  RSH32_K: BPF_ALU | BPF_RSH | BPF_K, // 0x74
  AND64_K: BPF_ALU64 | BPF_AND | BPF_K, // 0x57
  JEQ_K: BPF_JMP | BPF_JEQ | BPF_K, // 0x15
  JNE_K: BPF_JMP | BPF_JNE | BPF_K, // 0x55
  JNE32_K: BPF_JMP32 | BPF_JNE | BPF_K, // 0x56
  EXIT: BPF_JMP | BPF_EXIT, // 0x95
} as const;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('m')) bits |= BPF_DEVCG_ACC_MKNOD;
  if (access.includes('r')) bits |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) bits |= BPF_DEVCG_ACC_WRITE;
  return bits;
}

/** The instructions of one rule; a jump to `len` (the end of the block) means "does not apply". */
function ruleBlock(r: NormalRule): Insn[] {
  const block: Array<Insn | ((len: number, at: number) => Insn)> = [];
  const toNext = (code: number, dst: number, imm: number) => (len: number, at: number) => insn(code, dst, 0, len - at - 1, imm);
  if (r.type !== 'a') block.push(toNext(OP.JNE_K, 3, r.type === 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  // 32-bit compares: the u32 major/minor against an imm that would be sign-extended in 64 bits.
  if (r.major !== '*') block.push(toNext(OP.JNE32_K, 5, r.major | 0));
  if (r.minor !== '*') block.push(toNext(OP.JNE32_K, 6, r.minor | 0));
  const acc = accessBits(r.access);
  block.push(insn(OP.MOV64_X, 1, 7, 0, 0)); // r1 = undecided bits
  block.push(insn(OP.AND64_K, 1, 0, 0, acc)); // ... that this rule covers
  block.push(toNext(OP.JEQ_K, 1, 0));
  if (r.allow) {
    block.push(insn(OP.AND64_K, 7, 0, 0, ~acc & 0xffff)); // decided: allowed
    block.push(toNext(OP.JNE_K, 7, 0));
    block.push(insn(OP.MOV64_K, 0, 0, 0, 1));
  } else {
    block.push(insn(OP.MOV64_K, 0, 0, 0, 0));
  }
  block.push(insn(OP.EXIT, 0, 0, 0, 0));
  const len = block.length;
  return block.map((b, at) => (typeof b === 'function' ? b(len, at) : b));
}

/** The instructions (not encoded) of the program for `rules` (the effective rules, in order). */
export function deviceRulesToInsns(rules: readonly NormalRule[]): Insn[] {
  const out: Insn[] = [
    insn(OP.LDXW, 2, 1, 0, 0), // r2 = ctx->access_type
    insn(OP.MOV32_X, 3, 2, 0, 0), // r3 = r2 & 0xffff: device type
    insn(OP.AND32_K, 3, 0, 0, 0xffff),
    insn(OP.MOV32_X, 7, 2, 0, 0), // r7 = r2 >> 16: access bits still undecided
    insn(OP.RSH32_K, 7, 0, 0, 16),
    insn(OP.LDXW, 5, 1, 4, 0), // r5 = ctx->major
    insn(OP.LDXW, 6, 1, 8, 0), // r6 = ctx->minor
  ];
  for (let i = rules.length - 1; i >= 0; i--) out.push(...ruleBlock(rules[i] as NormalRule));
  out.push(insn(OP.MOV64_K, 0, 0, 0, 0), insn(OP.EXIT, 0, 0, 0, 0)); // no rule decided: deny
  return out;
}

/** struct bpf_insn[] (8 bytes each, little endian) of the device program for `rules`. */
export function deviceRulesToBpf(rules: readonly NormalRule[]): Buffer {
  const insns = deviceRulesToInsns(rules);
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8((x.dst & 0xf) | ((x.src & 0xf) << 4), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}

// ---------------------------------------------------------------------------------------------
// bpf(2) through ffi-rs

const SYS_bpf = 321; // x86_64
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;
const ATTR_SIZE = 128;

interface BpfSys {
  bpf(cmd: number, attr: Buffer): { value: number; errno: number };
  malloc(n: number): number;
  free(p: number): void;
  copyIn(dst: number, src: Buffer): void;
  view(p: number, n: number): Buffer;
  open(file: string, flags: number): number;
  close(fd: number): void;
}

let sys: BpfSys | undefined;

function bpfSys(): BpfSys {
  if (sys) return sys;
  const c = libc();
  const syscall = c.funcErrno('syscall', 'i64', ['i64', 'i64', 'i64', 'i64']);
  const malloc = c.func('malloc', 'i64', ['u64']);
  const free = c.func('free', 'void', ['i64']);
  const memcpy = c.func('memcpy', 'i64', ['i64', 'buffer', 'u64']);
  // memmove(p, p, 0) returns p as an External: a Buffer view of native memory without copying.
  const asPointer = c.func('memmove', 'pointer', ['i64', 'i64', 'u64']);
  const open = c.checked('open', 'i32', ['string', 'i32']);
  const close = c.func('close', 'i32', ['i32']);
  const ffi = loadFfiRs();
  const view = (p: number, n: number): Buffer => ffi.createExternalBuffer(asPointer(p, p, 0) as External, n);
  sys = {
    // attr lives in native memory during the call and is copied back (the kernel writes into it).
    bpf: (cmd, attr) => {
      const p = malloc(attr.length);
      if (!p) throw new Error('malloc failed');
      try {
        memcpy(p, attr, attr.length);
        const r = syscall(SYS_bpf, cmd, p, attr.length);
        view(p, attr.length).copy(attr);
        return r;
      } finally {
        free(p);
      }
    },
    malloc: (n) => {
      const p = malloc(n);
      if (!p) throw new Error('malloc failed');
      return p;
    },
    free: (p) => free(p),
    copyIn: (dst, src) => void memcpy(dst, src, src.length),
    view,
    open: (file, flags) => open(file, flags),
    close: (fd) => void close(fd),
  };
  return sys;
}

function bpfCall(what: string, cmd: number, attr: Buffer): number {
  const r = bpfSys().bpf(cmd, attr);
  if (r.value < 0) throw new SyscallError(`bpf(${what})`, r.errno);
  return r.value;
}

/** Native memory holding `data` (freed by the caller). */
function native(data: Buffer): number {
  const s = bpfSys();
  const p = s.malloc(Math.max(data.length, 1));
  s.copyIn(p, data);
  return p;
}

/** Load the program (returns its fd). On a verifier error, the message includes the kernel's log. */
export function loadDeviceProgram(insns: Buffer): number {
  const s = bpfSys();
  const pInsns = native(insns);
  const pLicense = native(Buffer.from('Apache\0'));
  const logSize = 1 << 16;
  let pLog = 0;
  try {
    const attr = (withLog: boolean): Buffer => {
      const a = Buffer.alloc(ATTR_SIZE);
      a.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
      a.writeUInt32LE(insns.length / 8, 4);
      a.writeBigUInt64LE(BigInt(pInsns), 8);
      a.writeBigUInt64LE(BigInt(pLicense), 16);
      if (withLog) {
        a.writeUInt32LE(1, 24); // log_level
        a.writeUInt32LE(logSize, 28);
        a.writeBigUInt64LE(BigInt(pLog), 32);
      }
      a.write('oci_ts_devices', 48, 'latin1'); // prog_name (15 chars max + NUL)
      return a;
    };
    const r = s.bpf(BPF_PROG_LOAD, attr(false));
    if (r.value >= 0) return r.value;
    if (r.errno !== 13 && r.errno !== 22) throw new SyscallError('bpf(BPF_PROG_LOAD)', r.errno); // not EACCES/EINVAL
    pLog = s.malloc(logSize);
    s.copyIn(pLog, Buffer.alloc(1));
    const again = s.bpf(BPF_PROG_LOAD, attr(true));
    if (again.value >= 0) return again.value;
    const log = s.view(pLog, logSize);
    const text = log.subarray(0, Math.max(0, log.indexOf(0))).toString().trim();
    const err = new SyscallError('bpf(BPF_PROG_LOAD)', again.errno);
    if (text) err.message += `: verifier: ${text.split('\n').slice(-5).join(' | ')}`;
    throw err;
  } finally {
    s.free(pInsns);
    s.free(pLicense);
    if (pLog) s.free(pLog);
  }
}

/** Ids of the device programs attached directly to the cgroup (not inherited ones). */
function queryDevicePrograms(cgFd: number): number[] {
  const s = bpfSys();
  const max = 64;
  const p = s.malloc(max * 4);
  try {
    const a = Buffer.alloc(ATTR_SIZE);
    a.writeUInt32LE(cgFd, 0);
    a.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
    a.writeBigUInt64LE(BigInt(p), 16);
    a.writeUInt32LE(max, 24);
    const r = s.bpf(BPF_PROG_QUERY, a);
    if (r.value < 0) throw new SyscallError('bpf(BPF_PROG_QUERY)', r.errno);
    const cnt = Math.min(a.readUInt32LE(24), max);
    const ids = s.view(p, max * 4);
    return Array.from({ length: cnt }, (_, i) => ids.readUInt32LE(i * 4));
  } finally {
    s.free(p);
  }
}

function attachAttr(cgFd: number, progFd: number, flags: number): Buffer {
  const a = Buffer.alloc(ATTR_SIZE);
  a.writeUInt32LE(cgFd, 0);
  a.writeUInt32LE(progFd, 4);
  a.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
  a.writeUInt32LE(flags, 12);
  return a;
}

const O_RDONLY = 0, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;

/**
 * Build, load and attach the device program of `rules` to the cgroup v2 directory `dir`, then
 * detach the device programs attached there before (an update replaces the filter; with
 * BPF_F_ALLOW_MULTI all attached programs would have to allow). The attachment keeps the program
 * alive: the fds are closed here.
 */
export function applyDeviceFilter(dir: string, rules: readonly NormalRule[]): void {
  const s = bpfSys();
  const insns = deviceRulesToBpf(rules);
  const cgFd = s.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    let old: number[] = [];
    try {
      old = queryDevicePrograms(cgFd);
    } catch {
      old = []; // old kernels without BPF_PROG_QUERY: nothing to replace
    }
    const progFd = loadDeviceProgram(insns);
    try {
      bpfCall('BPF_PROG_ATTACH', BPF_PROG_ATTACH, attachAttr(cgFd, progFd, BPF_F_ALLOW_MULTI));
    } finally {
      s.close(progFd);
    }
    for (const id of old) {
      const g = Buffer.alloc(ATTR_SIZE);
      g.writeUInt32LE(id, 0);
      const r = s.bpf(BPF_PROG_GET_FD_BY_ID, g);
      if (r.value < 0) continue; // already gone
      try {
        bpfCall('BPF_PROG_DETACH', BPF_PROG_DETACH, attachAttr(cgFd, r.value, 0));
      } finally {
        s.close(r.value);
      }
    }
  } finally {
    s.close(cgFd);
  }
}

/** Ids of the device programs attached to dir (tests, diagnostics). */
export function attachedDevicePrograms(dir: string): number[] {
  const s = bpfSys();
  const cgFd = s.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  try {
    return queryDevicePrograms(cgFd);
  } finally {
    s.close(cgFd);
  }
}
