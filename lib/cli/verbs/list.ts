import { listStates } from '../../container/lifecycle';
import { writeStdout } from '../../sys/stdout';
import type { CommandFor } from '../argv';

/** `list`: runc's table (ID PID STATUS BUNDLE CREATED OWNER), `--format json`, or `-q` ids only. */
export function list({ global, opts }: CommandFor<'list'>): number {
  const states = listStates(global.root);
  if (opts.quiet) {
    writeStdout(states.map((s) => s.id + '\n').join(''));
  } else if (opts.format === 'json') {
    writeStdout(JSON.stringify(states) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
    for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created ?? '', s.owner ?? '']);
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    writeStdout(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('')).join('\n') + '\n');
  }
  return 0;
}
