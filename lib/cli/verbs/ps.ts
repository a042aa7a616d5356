import { spawnSync } from 'node:child_process';
import { containerPids } from '../../container/pause';
import { OciError } from '../../errors';
import type { CommandFor } from '../argv';

/** `ps`: json = the host pids (Docker's `top` parses it, with stderr mixed in, so nothing else is printed). */
export function ps({ global, opts }: CommandFor<'ps'>): number {
  const pids = containerPids(global.root, opts.id);
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify(pids) + '\n');
    return 0;
  }
  const out = spawnSync('ps', opts.psArgs, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (out.status !== 0) throw new OciError('system', `ps ${opts.psArgs.join(' ')}: ${out.stderr || out.error?.message || 'failed'}`);
  const lines = out.stdout.split('\n');
  const header = lines[0] ?? '';
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new OciError('system', "couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const rows = lines.slice(1).filter((l) => wanted.has(Number(l.trim().split(/\s+/)[pidCol])));
  process.stdout.write([header, ...rows].join('\n') + '\n');
  return 0;
}
