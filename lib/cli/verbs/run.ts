import { runContainer } from '../../container/run';
import type { CommandFor } from '../argv';

/** `run`: create + start; in the foreground the container's exit status becomes ours. */
export function run({ global, opts }: CommandFor<'run'>): Promise<number> {
  return runContainer({
    root: global.root, id: opts.id, bundle: opts.bundle, pidFile: opts.pidFile, consoleSocket: opts.consoleSocket,
    noPivot: opts.noPivot, preserveFds: opts.preserveFds, systemdCgroup: global.systemdCgroup,
    detach: opts.detach, keep: opts.keep,
  });
}
