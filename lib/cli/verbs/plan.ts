/**
 * `plan` (and `create --dry-run`): print the ordered operations the runtime would perform for a
 * bundle, without root and without touching the host.
 */
import { decodePlan, encodePlan } from '../../shim/codec';
import { loadBundle } from '../../container/bundle';
import { buildInitPlan, type HostView } from '../../plan/init-plan';
import type { GlobalOptions, PlanOptions } from '../argv';
import { fifoPath } from '../../container/store';
import * as fs from 'node:fs';

export function printPlan(opts: PlanOptions, global: GlobalOptions): number {
  const { spec, bundle, rootfs } = loadBundle(opts.bundle);
  const id = opts.id ?? 'container';
  const host: HostView = {
    isDirectory: (p) => { try { return fs.statSync(p).isDirectory(); } catch { return true; } },
    cgroupViews: [],
  };
  const ops = buildInitPlan({ spec, bundle, rootfs, fifo: fifoPath(global.root, id), noPivot: false, preserveFds: 0, mode: 'create', host });
  const decoded = decodePlan(encodePlan(ops));
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify({ cgroupsPath: spec.linux?.cgroupsPath ?? `/oci-ts/${id}`, resources: spec.linux?.resources ?? {}, hooks: spec.hooks ?? {}, ops: decoded }, null, 2) + '\n');
  } else {
    process.stdout.write(`cgroup ${spec.linux?.cgroupsPath ?? `/oci-ts/${id}`} ${JSON.stringify(spec.linux?.resources ?? {})}\n`);
    for (const o of decoded) process.stdout.write(`${o.op.padEnd(14)} ${o.args.map((a) => JSON.stringify(a)).join(' ')}\n`);
  }
  return 0;
}

export function plan({ global, opts }: { global: GlobalOptions; opts: PlanOptions }): number {
  return printPlan(opts, global);
}
