/**
 * `doctor [--format json]`: probe this host and print what will and will not work, with the
 * reason and the fix for each. Exit 1 when a basic container cannot run here.
 */
import { formatDoctorText, runDoctor } from '../../doctor';
import type { CommandFor } from '../argv';

export function doctor({ global, opts }: CommandFor<'doctor'>): number {
  const report = runDoctor({ stateRoot: global.root });
  process.stdout.write(opts.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatDoctorText(report));
  return report.ok ? 0 : 1;
}
