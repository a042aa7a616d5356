/**
 * planBundle(): what `create` would do for a bundle, without doing it. Reads the bundle, the
 * host's cgroup layout (/proc/self/mountinfo) and cgroupfs, read-only; writes nothing, needs no
 * root. The shared, pure part is lib/plan/describe.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeHost } from '../cgroups/probe';
import type { HostCgroups } from '../cgroups/types';
import { DEFAULT_ROOT } from '../cli/flags';
import { loadBundle } from '../container/bundle';
import { hostView, isHostDirectory } from '../container/host-view';
import { containerDir, fifoPath } from '../container/store';
import { describePlan, planCgroup, type CgroupHostReader, type PlanDescription } from '../plan/describe';
import { buildInitPlan, type HostView } from '../plan/init-plan';
import { validateContainerId } from '../spec/ids';

export interface PlanBundleOptions {
  /** Container id (default "container"): names the state dir and the default cgroup. */
  id?: string;
  /** State root (default /run/oci-ts). */
  root?: string;
  /** Plan for `--systemd-cgroup`. */
  systemdCgroup?: boolean;
  /** Plan for `run` (the shim waits for the init) instead of `create`. */
  mode?: 'create' | 'run';
  noPivot?: boolean;
  preserveFds?: number;
  consoleSocket?: string;
  pidFile?: string;
  /** Host cgroup layout (default: probed from /proc/self/mountinfo). */
  host?: HostCgroups;
  /** Read-only cgroupfs access (default: the real files). */
  reader?: CgroupHostReader;
}

/** Reads cgroupfs, never writes. */
export const hostCgroupReader: CgroupHostReader = {
  exists: (p) => fs.existsSync(p),
  read: (p) => fs.readFileSync(p, 'utf8'),
};

function probe(): HostCgroups {
  try {
    return probeHost();
  } catch {
    return { mode: 'v1', hierarchies: [] };
  }
}

export function planBundle(bundlePath: string, opts: PlanBundleOptions = {}): PlanDescription {
  const id = opts.id ?? 'container';
  validateContainerId(id);
  const root = path.resolve(opts.root ?? DEFAULT_ROOT);
  const { spec, bundle, rootfs } = loadBundle(bundlePath);
  const { plan: cgroup, manager } = planCgroup({
    spec, id, host: opts.host ?? probe(), reader: opts.reader ?? hostCgroupReader,
    systemd: opts.systemdCgroup === true, systemdRunning: fs.existsSync('/run/systemd/system'),
  });
  const host: HostView = manager !== undefined
    ? hostView(manager)
    : { isDirectory: isHostDirectory, cgroupViews: [] };
  const ops = buildInitPlan({
    spec, bundle, rootfs, id, fifo: fifoPath(root, id), consoleSocket: opts.consoleSocket,
    noPivot: opts.noPivot === true, preserveFds: opts.preserveFds ?? 0, mode: opts.mode ?? 'create', host,
  });
  return describePlan({
    id, bundle, rootfs, spec, ops, cgroup, stateDir: containerDir(root, id),
    ...(opts.pidFile !== undefined ? { pidFile: path.resolve(opts.pidFile) } : {}),
  });
}
