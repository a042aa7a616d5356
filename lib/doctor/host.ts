/** The real DoctorHost: reads files of this host, never writes. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_ROOT } from '../cli/flags';
import { features } from '../features';
import { defaultSpec } from '../spec/default-spec';
import { assetBuildPath, isSea } from '../sys/assets';
import type { DoctorHost } from './checks';

export function realDoctorHost(opts: { stateRoot?: string } = {}): DoctorHost {
  const f = features();
  const sea = isSea();
  let shim: string | undefined;
  try {
    shim = sea ? 'embedded in the single executable' : assetBuildPath('shim') ?? undefined;
  } catch {
    shim = undefined;
  }
  return {
    readFile(p) {
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (p) => fs.existsSync(p),
    readdir(p) {
      try {
        return fs.readdirSync(p);
      } catch {
        return undefined;
      }
    },
    kernelRelease: os.release(),
    arch: process.arch,
    uid: process.geteuid?.() ?? process.getuid?.() ?? -1,
    pathEnv: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    home: process.env.HOME,
    shim,
    nodeVersion: sea ? undefined : process.version,
    features: {
      seccomp: f.linux.seccomp.enabled,
      apparmor: f.linux.apparmor.enabled,
      selinux: f.linux.selinux.enabled,
      idmap: f.linux.mountExtensions.idmap.enabled,
    },
    stateRoot: path.resolve(opts.stateRoot ?? DEFAULT_ROOT),
    basicNamespaces: (defaultSpec({ rootless: false }).linux?.namespaces ?? []).map((n) => n.type),
  };
}
