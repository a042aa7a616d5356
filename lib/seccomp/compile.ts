/**
 * linux.seccomp -> a classic BPF program (struct sock_filter[]) for the shim's SECCOMP op.
 *
 * libseccomp builds the filter (seccomp_init, arch_add, rule_add_array, attr_set) and
 * seccomp_export_bpf writes the raw program to a memfd, which is read back here. The shim then
 * loads those bytes with seccomp(SECCOMP_SET_MODE_FILTER, flags, prog); libseccomp never runs
 * in the container and the filter is built before the clone, so a bad profile fails `create`
 * before any process exists.
 *
 * Semantics follow runc (libcontainer/seccomp): unknown syscall names are skipped (the profile
 * may name syscalls this kernel or libseccomp does not know), rules equal to the default action
 * are skipped, conditions on distinct arguments are ANDed, repeated arguments split the rule.
 */
import * as fs from 'node:fs';
import { configError } from '../errors';
import { debug } from '../log';
import type { Seccomp } from '../spec/types';
import { loadFfiRs, SyscallError, type External, type LoadFfiOptions } from '../sys/ffi';
import { libseccomp, NR_SCMP_ERROR, SCMP_FLTATR, type LibSeccomp } from './libseccomp';
import { planProfile, type ArgCondition } from './profile';

export interface CompiledSeccomp {
  /** struct sock_filter[] as the kernel wants it (8 bytes per instruction, little-endian). */
  program: Buffer;
  /** seccomp(2) flags (SECCOMP_FILTER_FLAG_*). */
  flags: number;
  /** Syscall names that neither libseccomp nor this kernel knows (skipped, as runc does). */
  skipped: string[];
  /** Rules handed to libseccomp. */
  rules: number;
}

/** sizeof(struct scmp_arg_cmp): unsigned int arg, enum op, u64 datum_a, u64 datum_b. */
const ARG_CMP_SIZE = 24;
const SOCK_FILTER_SIZE = 8;
const BPF_MAXINSNS = 4096;

function argArray(conds: readonly ArgCondition[]): Buffer {
  const b = Buffer.alloc(Math.max(conds.length, 1) * ARG_CMP_SIZE);
  conds.forEach((c, i) => {
    const o = i * ARG_CMP_SIZE;
    b.writeUInt32LE(c.index, o);
    b.writeUInt32LE(c.op, o + 4);
    b.writeBigUInt64LE(c.datumA, o + 8);
    b.writeBigUInt64LE(c.datumB, o + 16);
  });
  return b;
}

/** libseccomp returns -errno: name it the way runc's messages do. */
function errnoText(rc: number): string {
  return rc < 0 ? new SyscallError('libseccomp', -rc).message.replace(/^libseccomp: /, '') : `error ${rc}`;
}

/** Compile linux.seccomp; throws a config error naming the field for anything not applicable. */
export function compileSeccomp(s: Seccomp, opts: LoadFfiOptions = {}): CompiledSeccomp {
  const plan = planProfile(s);
  const lib = libseccomp(opts);
  const ctx = lib.init(plan.defaultAction);
  if (loadFfiRs(opts).isNullPointer(ctx)) throw configError('config.json', '/linux/seccomp/defaultAction', `libseccomp ${lib.version} refused the default action`);
  try {
    for (const a of plan.archs) {
      const token = lib.archResolveName(a.name);
      if (token === 0) throw configError('config.json', a.pointer, `architecture ${a.spec} is not supported by libseccomp ${lib.version}`);
      const rc = lib.archAdd(ctx, token);
      if (rc !== 0 && rc !== -17 /* -EEXIST: the native arch is already there */) {
        throw configError('config.json', a.pointer, `cannot add architecture ${a.spec}: ${errnoText(rc)}`);
      }
    }
    // runc's threshold: the binary-tree layout pays off for long lists, and libseccomp <= 2.5.4
    // misbehaves with it on an empty rule set.
    if (plan.rules.length > 32) lib.attrSet(ctx, SCMP_FLTATR.CTL_OPTIMIZE, 2);

    const skipped: string[] = [];
    const numbers = new Map<string, number>();
    let rules = 0;
    for (const r of plan.rules) {
      let nr = numbers.get(r.name);
      if (nr === undefined) {
        nr = lib.syscallResolveName(r.name);
        numbers.set(r.name, nr);
        if (nr === NR_SCMP_ERROR) skipped.push(r.name);
      }
      if (nr === NR_SCMP_ERROR) continue;
      const rc = lib.ruleAddArray(ctx, r.action, nr, r.conditions.length, argArray(r.conditions));
      if (rc !== 0) throw configError('config.json', r.pointer, `libseccomp cannot add the rule for ${r.name}: ${errnoText(rc)}`);
      rules++;
    }
    if (skipped.length > 0) debug(`seccomp: unknown syscalls ignored: ${skipped.join(', ')}`);

    const program = exportBpf(lib, ctx);
    if (program.length === 0 || program.length % SOCK_FILTER_SIZE !== 0) {
      throw configError('config.json', '/linux/seccomp', `libseccomp exported a malformed program (${program.length} bytes)`);
    }
    if (program.length / SOCK_FILTER_SIZE > BPF_MAXINSNS) {
      throw configError('config.json', '/linux/seccomp', `the filter needs ${program.length / SOCK_FILTER_SIZE} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
    }
    return { program, flags: plan.flags, skipped, rules };
  } finally {
    lib.release(ctx);
  }
}

function exportBpf(lib: LibSeccomp, ctx: External): Buffer {
  const fd = lib.memfd('oci-ts-seccomp');
  try {
    const rc = lib.exportBpf(ctx, fd);
    if (rc !== 0) throw configError('config.json', '/linux/seccomp', `libseccomp cannot export the filter: ${errnoText(rc)}`);
    const size = fs.fstatSync(fd).size;
    const out = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, out, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return out.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}
