/**
 * The `linux.seccomp` part of the features document (features-linux.md): what this build can
 * apply on this host. Seccomp needs libseccomp at run time; without it, enabled is false and
 * a config with linux.seccomp is refused.
 */
import { debug } from '../log';
import type { LoadFfiOptions } from '../sys/ffi';
import { libseccomp } from './libseccomp';
import { ARCHS, FILTER_FLAGS, KNOWN_FLAGS, OPERATORS, supportedActions } from './profile';

export interface SeccompFeatures {
  enabled: boolean;
  actions?: string[];
  operators?: string[];
  archs?: string[];
  knownFlags?: string[];
  supportedFlags?: string[];
}

export function seccompFeatures(opts: LoadFfiOptions = {}): SeccompFeatures {
  let archs: string[];
  try {
    const lib = libseccomp(opts);
    archs = Object.entries(ARCHS).filter(([, name]) => lib.archResolveName(name) !== 0).map(([spec]) => spec).sort();
  } catch (e) {
    debug(`seccomp unavailable: ${e instanceof Error ? e.message : String(e)}`);
    return { enabled: false };
  }
  return {
    enabled: true,
    actions: supportedActions(),
    operators: Object.keys(OPERATORS).sort(),
    archs,
    knownFlags: [...KNOWN_FLAGS].sort(),
    supportedFlags: Object.keys(FILTER_FLAGS).sort(),
  };
}
