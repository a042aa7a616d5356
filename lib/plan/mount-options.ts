/**
 * Mount option strings (fstab style, as in config.json `mounts[].options`) to mount(2) flags,
 * propagation flags and filesystem data. Options that are not flags pass through as data.
 */
import { configError } from '../errors';
import { MS } from '../shim/ops';

export interface ParsedMountOptions {
  flags: number;          // flags for the initial mount(2)
  propagation: number;    // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, with MS_REC for the r* forms
  data: string[];
  bind: boolean;
  recursive: boolean;     // rbind
}

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

/** Options that runc supports but oci-ts does not apply yet: refused, never silently ignored. */
const NOT_YET = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow',
  'rsymfollow', 'tmpcopyup', 'idmap', 'ridmap',
]);

export function parseMountOptions(options: readonly string[] | undefined, pointer: string): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: 0, data: [], bind: false, recursive: false };
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
    } else if (NOT_YET.has(opt)) {
      throw configError('config.json', `${pointer}/options/${i}`, `mount option "${opt}" is not supported by this build of oci-ts`);
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
  return ['bind', 'rbind', ...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION)].sort();
}
