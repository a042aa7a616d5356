/**
 * The runtime-spec features document (features.md) for this build. It is derived from the same
 * tables the code uses (mount options, capabilities, namespaces), so it cannot claim more than
 * oci-ts applies; tests/unit/features.test.ts checks that.
 */
import { CAPABILITIES } from './plan/capabilities';
import { NS_FLAGS } from './plan/init-plan';
import { supportedMountOptions } from './plan/mount-options';
import { MPOL_FLAG, MPOL_MODE } from './plan/extras';
import { seccompFeatures, type SeccompFeatures } from './seccomp/features';
import { VERSION } from './version';

/** A type alias (not an interface), so it is assignable to the spec's open-ended Features type. */
export type Features = {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: SeccompFeatures;
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
    memoryPolicy: { modes: string[]; flags: string[] };
  };
  annotations: Record<string, string>;
};

export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.3.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: supportedMountOptions(),
    linux: {
      namespaces: Object.keys(NS_FLAGS).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: true },
      memoryPolicy: { modes: Object.keys(MPOL_MODE).sort(), flags: Object.keys(MPOL_FLAG).sort() },
    },
    annotations: { 'io.github.oci-ts.version': VERSION.version, 'io.github.oci-ts.commit': VERSION.commit },
  };
}
