/**
 * `plan` (and `create --dry-run`): print the ordered operations the runtime would perform for a
 * bundle, without root and without touching the host. Text for people, `--format json` for
 * tools. Exits 1 (after printing) when create would fail on this host.
 */
import { planBundle } from '../../api/plan';
import { formatPlanJson, formatPlanText, planErrors } from '../../plan/describe';
import type { GlobalOptions, PlanOptions } from '../argv';

export function printPlan(opts: PlanOptions, global: GlobalOptions): number {
  const d = planBundle(opts.bundle, {
    root: global.root, systemdCgroup: global.systemdCgroup, ...(opts.id !== undefined ? { id: opts.id } : {}),
  });
  process.stdout.write(opts.format === 'json' ? formatPlanJson(d) : formatPlanText(d));
  const err = planErrors(d);
  if (err !== undefined) throw err;
  return 0;
}

export function plan({ global, opts }: { global: GlobalOptions; opts: PlanOptions }): number {
  return printPlan(opts, global);
}
