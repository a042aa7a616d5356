import { createContainer } from '../../container/create';
import type { CommandFor } from '../argv';

/** `create`: set up the container and leave its init blocked until `start`. Prints nothing. */
export async function create({ global, opts }: CommandFor<'create'>): Promise<number> {
  if (opts.dryRun) {
    const { printPlan } = await import('./plan');
    return printPlan({ bundle: opts.bundle, format: 'text', id: opts.id }, global);
  }
  await createContainer({
    root: global.root, id: opts.id, bundle: opts.bundle, pidFile: opts.pidFile, consoleSocket: opts.consoleSocket,
    noPivot: opts.noPivot, preserveFds: opts.preserveFds, systemdCgroup: global.systemdCgroup, mode: 'create',
  });
  return 0;
}
