/**
 * The pure half of the seccomp compiler: linux.seccomp (runtime-spec config-linux.md §Seccomp)
 * checked and turned into libseccomp's numbers, without loading libseccomp. Everything the
 * kernel or libseccomp cannot express is refused here with the JSON pointer of the field, so a
 * profile is either applied exactly or no container is made.
 *
 * Numbers are libseccomp's (seccomp.h, API 2.5) and the kernel's (<linux/seccomp.h>).
 */
import { configError } from '../errors';
import type { Seccomp } from '../spec/types';

/** libseccomp action values (SCMP_ACT_*); ERRNO and TRACE carry a 16-bit data field. */
export const SCMP_ACT = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  NOTIFY: 0x7fc00000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const EPERM = 1;

/** Spec action name -> [base action, takes an errno]. SCMP_ACT_KILL is KILL_THREAD (libseccomp). */
const ACTIONS: Readonly<Record<string, readonly [number, boolean]>> = {
  SCMP_ACT_KILL: [SCMP_ACT.KILL_THREAD, false],
  SCMP_ACT_KILL_THREAD: [SCMP_ACT.KILL_THREAD, false],
  SCMP_ACT_KILL_PROCESS: [SCMP_ACT.KILL_PROCESS, false],
  SCMP_ACT_TRAP: [SCMP_ACT.TRAP, false],
  SCMP_ACT_ERRNO: [SCMP_ACT.ERRNO, true],
  SCMP_ACT_TRACE: [SCMP_ACT.TRACE, true],
  SCMP_ACT_ALLOW: [SCMP_ACT.ALLOW, false],
  SCMP_ACT_LOG: [SCMP_ACT.LOG, false],
  SCMP_ACT_NOTIFY: [SCMP_ACT.NOTIFY, false],
};

/** SCMP_CMP_* (enum scmp_compare). */
export const OPERATORS: Readonly<Record<string, number>> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/**
 * seccomp(2) filter flags this build passes to the kernel. TSYNC is a no-op for the shim (a
 * single thread) but harmless, so it is applied as asked (and dropped with a listener: the
 * kernel refuses TSYNC with NEW_LISTENER). WAIT_KILLABLE_RECV only exists with a listener.
 */
export const FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 16,
};
export const KNOWN_FLAGS = Object.keys(FILTER_FLAGS);

/**
 * System calls an SCMP_ACT_NOTIFY rule may not name: the shim makes them after loading the
 * filter and before the agent holds the listener fd (it is that very sendmsg that hands it
 * over), so the call would wait for an agent that cannot answer yet.
 */
export const NOTIFY_FORBIDDEN = ['sendmsg'] as const;

/**
 * Spec architecture names (SCMP_ARCH_*) -> libseccomp's names for seccomp_arch_resolve_name.
 * Whether this libseccomp knows one is asked at compile time (libseccomp 2.5.4 has no
 * loongarch64, m68k or sh).
 */
export const ARCHS: Readonly<Record<string, string>> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
  SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_SH: 'sh',
  SCMP_ARCH_SHEB: 'sheb',
};

/** Linux system calls take at most 6 arguments. */
export const MAX_SYSCALL_ARGS = 6;

/** One argument condition as struct scmp_arg_cmp wants it. */
export interface ArgCondition {
  index: number;
  op: number;
  datumA: bigint;
  datumB: bigint;
}

/** One seccomp_rule_add_array call (before the syscall name is resolved). */
export interface RuleSpec {
  name: string;
  action: number;
  conditions: ArgCondition[];
  pointer: string;   // /linux/seccomp/syscalls/<i>
}

/** A checked profile in libseccomp's numbers. */
export interface ProfilePlan {
  defaultAction: number;
  archs: Array<{ spec: string; name: string; pointer: string }>;
  flags: number;
  rules: RuleSpec[];
}

const BASE = '/linux/seccomp';

function bad(pointer: string, reason: string): never {
  throw configError('config.json', pointer, reason);
}

/** libseccomp's action value for a spec action name and optional errno (runc's getAction). */
export function actionValue(name: string, errnoRet: number | undefined, pointer: string, errnoPointer: string): number {
  const a = ACTIONS[name];
  if (a === undefined) bad(pointer, `unknown seccomp action "${name}"`);
  const [base, takesErrno] = a;
  if (!takesErrno) {
    if (errnoRet !== undefined) bad(errnoPointer, `can only be set for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not ${name}`);
    return base;
  }
  const errno = errnoRet ?? EPERM;
  if (!Number.isInteger(errno) || errno < 0 || errno > 0xffff) bad(errnoPointer, 'must be an integer between 0 and 65535');
  return (base | errno) >>> 0;
}

/** The libseccomp names of every action this build applies (for `features`). */
export function supportedActions(): string[] {
  return Object.keys(ACTIONS).sort();
}

/** Check a linux.seccomp object and turn it into libseccomp numbers (no libseccomp needed). */
export function planProfile(s: Seccomp): ProfilePlan {
  const hasListener = s.listenerPath !== undefined && s.listenerPath !== '';
  if (!hasListener && s.listenerMetadata !== undefined && s.listenerMetadata !== '') {
    bad(`${BASE}/listenerMetadata`, 'must not be set without listenerPath');
  }
  // runc's rule too: every system call of the process, the runtime's last ones included,
  // would wait for an agent that does not have the listener yet.
  if (s.defaultAction === 'SCMP_ACT_NOTIFY') bad(`${BASE}/defaultAction`, 'SCMP_ACT_NOTIFY cannot be the default action');
  const defaultAction = actionValue(s.defaultAction, s.defaultErrnoRet, `${BASE}/defaultAction`, `${BASE}/defaultErrnoRet`);
  const notifyAt = (s.syscalls ?? []).findIndex((c) => c.action === 'SCMP_ACT_NOTIFY');
  if (notifyAt >= 0) {
    if (!hasListener) bad(`${BASE}/listenerPath`, `is required: /linux/seccomp/syscalls/${notifyAt}/action is SCMP_ACT_NOTIFY`);
    (s.syscalls ?? []).forEach((c, i) => {
      if (c.action !== 'SCMP_ACT_NOTIFY') return;
      c.names.forEach((n, k) => {
        if ((NOTIFY_FORBIDDEN as readonly string[]).includes(n)) {
          bad(`${BASE}/syscalls/${i}/names/${k}`, `SCMP_ACT_NOTIFY cannot be used for ${n}: the runtime needs it to hand the listener to the agent`);
        }
      });
    });
  }

  let flags = 0;
  (s.flags ?? []).forEach((f, i) => {
    const v = FILTER_FLAGS[f];
    if (v === undefined) {
      bad(`${BASE}/flags/${i}`, `unknown seccomp filter flag "${f}"`);
    }
    if (f === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && notifyAt < 0) bad(`${BASE}/flags/${i}`, 'only applies when a rule uses SCMP_ACT_NOTIFY');
    flags |= v;
  });

  const archs = (s.architectures ?? []).map((a, i) => {
    const name = ARCHS[a];
    if (name === undefined) bad(`${BASE}/architectures/${i}`, `unknown seccomp architecture "${a}"`);
    return { spec: a, name, pointer: `${BASE}/architectures/${i}` };
  });

  const rules: RuleSpec[] = [];
  (s.syscalls ?? []).forEach((call, i) => {
    const at = `${BASE}/syscalls/${i}`;
    const action = actionValue(call.action, call.errnoRet, `${at}/action`, `${at}/errnoRet`);
    const conditions = (call.args ?? []).map((arg, j): ArgCondition => {
      const ap = `${at}/args/${j}`;
      if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index >= MAX_SYSCALL_ARGS) {
        bad(`${ap}/index`, `must be between 0 and ${MAX_SYSCALL_ARGS - 1} (a system call has at most ${MAX_SYSCALL_ARGS} arguments)`);
      }
      const op = OPERATORS[arg.op];
      if (op === undefined) bad(`${ap}/op`, `unknown seccomp operator "${arg.op}"`);
      return { index: arg.index, op, datumA: u64(arg.value, `${ap}/value`), datumB: u64(arg.valueTwo ?? 0, `${ap}/valueTwo`) };
    });
    // Rules equal to the default action are redundant (and libseccomp refuses them): skip them.
    if (action === defaultAction) return;
    // runc's rule: conditions on distinct arguments are ANDed in one rule; if two conditions
    // test the same argument, each condition becomes a rule of its own (ORed).
    const perIndex = new Array<number>(MAX_SYSCALL_ARGS).fill(0);
    for (const c of conditions) perIndex[c.index]!++;
    const split = perIndex.some((n) => n > 1);
    call.names.forEach((name, k) => {
      if (name === '') bad(`${at}/names/${k}`, 'must be a system call name');
      if (split) for (const c of conditions) rules.push({ name, action, conditions: [c], pointer: at });
      else rules.push({ name, action, conditions, pointer: at });
    });
  });
  return { defaultAction, archs, flags, rules };
}

/**
 * A JSON number as the u64 scmp_datum_t. JSON.parse has already rounded anything above 2^53, so
 * such a value is refused rather than compared against a number the config did not say.
 */
function u64(v: number, pointer: string): bigint {
  if (!Number.isInteger(v) || v < 0) bad(pointer, 'must be an unsigned 64-bit integer');
  if (!Number.isSafeInteger(v)) bad(pointer, `${v} is above 2^53 and cannot be read exactly by this build of oci-ts`);
  return BigInt(v);
}
