/**
 * Mount option strings (fstab style, as in config.json `mounts[].options`) to mount(2) flags,
 * propagation flags and filesystem data. Options that are not flags pass through as data.
 */
import * as path from 'node:path';
import { configError } from '../errors';
import { MS } from '../shim/ops';

export interface ParsedMountOptions {
  flags: number;          // flags for the initial mount(2)
  propagation: number;    // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, with MS_REC for the r* forms
  data: string[];
  bind: boolean;
  recursive: boolean;     // rbind
  /** Recursive attributes (rro, rnosuid, ...): mount_setattr(AT_RECURSIVE) after the mount. */
  recAttrSet: number;
  recAttrClr: number;
  /** tmpcopyup (runc's extension, added by Podman): a tmpfs starts with a copy of the directory it covers. */
  copyUp: boolean;
  /** idmap / ridmap (an idmapped bind mount; ridmap maps the submounts of an rbind too). */
  idmap?: { recursive: boolean; pointer: string };
}

/** MOUNT_ATTR_* of <linux/mount.h>. The atime modes are a 3-bit field (MOUNT_ATTR__ATIME). */
export const MOUNT_ATTR = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, ATIME_MASK: 0x70, RELATIME: 0x0, NOATIME: 0x10,
  STRICTATIME: 0x20, NODIRATIME: 0x80, IDMAP: 0x100000, NOSYMFOLLOW: 0x200000,
} as const;

/** r* option -> [attributes to set, attributes to clear] for the whole mount tree. */
const RECURSIVE: Readonly<Record<string, readonly [number, number]>> = {
  rro: [MOUNT_ATTR.RDONLY, 0], rrw: [0, MOUNT_ATTR.RDONLY],
  rnosuid: [MOUNT_ATTR.NOSUID, 0], rsuid: [0, MOUNT_ATTR.NOSUID],
  rnodev: [MOUNT_ATTR.NODEV, 0], rdev: [0, MOUNT_ATTR.NODEV],
  rnoexec: [MOUNT_ATTR.NOEXEC, 0], rexec: [0, MOUNT_ATTR.NOEXEC],
  rnodiratime: [MOUNT_ATTR.NODIRATIME, 0], rdiratime: [0, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [MOUNT_ATTR.NOSYMFOLLOW, 0], rsymfollow: [0, MOUNT_ATTR.NOSYMFOLLOW],
  // Setting an atime mode replaces the whole field. "Not relatime" is strictatime; "not noatime"
  // and "not strictatime" are the kernel's default, relatime.
  rrelatime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MASK], rnorelatime: [MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MASK],
  rnoatime: [MOUNT_ATTR.NOATIME, MOUNT_ATTR.ATIME_MASK], ratime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MASK],
  rstrictatime: [MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MASK], rnostrictatime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MASK],
};

const SET: Readonly<Record<string, number>> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  dirsync: MS.DIRSYNC, remount: MS.REMOUNT, mand: MS.MANDLOCK, noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME, relatime: MS.RELATIME, strictatime: MS.STRICTATIME,
  lazytime: MS.LAZYTIME, nosymfollow: MS.NOSYMFOLLOW, silent: MS.SILENT,
};

const CLEAR: Readonly<Record<string, number>> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, nolazytime: MS.LAZYTIME, symfollow: MS.NOSYMFOLLOW, loud: MS.SILENT,
};

const PROPAGATION: Readonly<Record<string, number>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Extensions that are neither flags nor data (runc's configs.EXT_*). */
const EXTENSIONS = ['tmpcopyup', 'idmap', 'ridmap'] as const;

export function parseMountOptions(options: readonly string[] | undefined, pointer: string): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: 0, data: [], bind: false, recursive: false, recAttrSet: 0, recAttrClr: 0, copyUp: false };
  (options ?? []).forEach((opt, i) => {
    if (opt === 'bind' || opt === 'rbind') {
      out.bind = true;
      out.flags |= MS.BIND;
      if (opt === 'rbind') {
        out.recursive = true;
        out.flags |= MS.REC;
      }
    } else if (opt in SET) {
      out.flags |= SET[opt]!;
    } else if (opt in CLEAR) {
      out.flags &= ~CLEAR[opt]!;
    } else if (opt in PROPAGATION) {
      out.propagation = PROPAGATION[opt]!;
    } else if (opt in RECURSIVE) {
      const [set, clr] = RECURSIVE[opt]!;
      // A later option wins over an earlier one for the same attribute (as with plain flags).
      out.recAttrSet = (out.recAttrSet & ~clr & ~set) | set;
      out.recAttrClr = (out.recAttrClr & ~set) | clr;
    } else if (opt === 'tmpcopyup') {
      out.copyUp = true;
    } else if (opt === 'idmap' || opt === 'ridmap') {
      out.idmap = { recursive: opt === 'ridmap', pointer: `${pointer}/options/${i}` };
    } else {
      out.data.push(opt);
    }
  });
  return out;
}

/** Flags that a bind mount only honours after a remount (the kernel ignores them on MS_BIND). */
export const BIND_REMOUNT_MASK =
  MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;

/** Every option this build applies (reported by `oci-ts features`). */
export function supportedMountOptions(): string[] {
  return ['bind', 'rbind', ...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION), ...Object.keys(RECURSIVE), ...EXTENSIONS].sort();
}

/** A bind mount's source as a host path (relative ones are relative to the bundle). */
export function resolveSource(source: string | undefined, bundle: string, pointer: string): string {
  if (source === undefined || source === '') throw configError('config.json', pointer, 'is required for a bind mount');
  return path.resolve(bundle, source);
}
