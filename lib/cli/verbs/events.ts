import { containerEvents } from '../../container/events';
import type { CommandFor } from '../argv';

/**
 * `events`: JSON lines on stdout (`--stats`: one stats event; otherwise stats every --interval
 * and OOM events until the container stops). A reader that goes away ends it quietly.
 */
export async function events({ global, opts }: CommandFor<'events'>): Promise<number> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
  await containerEvents({
    root: global.root,
    id: opts.id,
    intervalMs: opts.intervalMs,
    stats: opts.stats,
    write: (line) => process.stdout.write(line),
  });
  return 0;
}
