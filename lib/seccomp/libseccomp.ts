/**
 * libseccomp (the Debian package libseccomp2) through ffi-rs: only the calls the compiler needs.
 * The library is opened on first use; its absence is an error only for a config that has
 * linux.seccomp.
 */
import { configError } from '../errors';
import { NativeLibrary, libc, loadFfiRs, type External, type LoadFfiOptions } from '../sys/ffi';

/** enum scmp_filter_attr (seccomp.h). */
export const SCMP_FLTATR = {
  ACT_DEFAULT: 1,
  ACT_BADARCH: 2,
  CTL_NNP: 3,
  CTL_TSYNC: 4,
  API_TSKIP: 5,
  CTL_LOG: 6,
  CTL_SSB: 7,
  CTL_OPTIMIZE: 8,
} as const;

/** __NR_SCMP_ERROR: seccomp_syscall_resolve_name's "unknown name". */
export const NR_SCMP_ERROR = -1;

export const LIBSECCOMP_CANDIDATES = ['libseccomp.so.2', '/lib/x86_64-linux-gnu/libseccomp.so.2', '/usr/lib/x86_64-linux-gnu/libseccomp.so.2'];

export interface LibSeccomp {
  version: string;
  init(defaultAction: number): External;
  release(ctx: External): void;
  archResolveName(name: string): number;
  archAdd(ctx: External, arch: number): number;
  syscallResolveName(name: string): number;
  ruleAddArray(ctx: External, action: number, syscall: number, argCount: number, args: Buffer): number;
  attrSet(ctx: External, attr: number, value: number): number;
  exportBpf(ctx: External, fd: number): number;
  memfd(name: string): number;
}

let lib: LibSeccomp | undefined;

function open(opts: LoadFfiOptions): NativeLibrary {
  const errors: string[] = [];
  for (const file of LIBSECCOMP_CANDIDATES) {
    try {
      return new NativeLibrary('libseccomp', file, opts);
    } catch (e) {
      errors.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw configError('config.json', '/linux/seccomp', `needs libseccomp (Debian package libseccomp2), which cannot be loaded: ${errors[0] ?? 'not found'}`);
}

/** The bound functions, loaded once per process. */
export function libseccomp(opts: LoadFfiOptions = {}): LibSeccomp {
  if (lib) return lib;
  const l = open(opts);
  // const struct scmp_version { unsigned int major, minor, micro; } *seccomp_version(void)
  const verPtr = l.func('seccomp_version', 'pointer', [])();
  const v = loadFfiRs(opts).createExternalBuffer(verPtr, 12);
  const ver = `${v.readUInt32LE(0)}.${v.readUInt32LE(4)}.${v.readUInt32LE(8)}`;
  const memfdCreate = libc(opts).checked('memfd_create', 'i32', ['string', 'u32']);
  lib = {
    version: ver,
    init: l.func('seccomp_init', 'pointer', ['u32']),
    release: l.func('seccomp_release', 'void', ['pointer']),
    archResolveName: l.func('seccomp_arch_resolve_name', 'u32', ['string']),
    archAdd: l.func('seccomp_arch_add', 'i32', ['pointer', 'u32']),
    syscallResolveName: l.func('seccomp_syscall_resolve_name', 'i32', ['string']),
    ruleAddArray: l.func('seccomp_rule_add_array', 'i32', ['pointer', 'u32', 'i32', 'u32', 'buffer']),
    attrSet: l.func('seccomp_attr_set', 'i32', ['pointer', 'u32', 'u32']),
    exportBpf: l.func('seccomp_export_bpf', 'i32', ['pointer', 'i32']),
    memfd: (name: string) => memfdCreate(name, 1 /* MFD_CLOEXEC */),
  };
  return lib;
}
