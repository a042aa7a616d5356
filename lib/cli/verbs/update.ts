import { updateContainer } from '../../container/update';
import type { CommandFor } from '../argv';

/** `update`: new cgroup limits from flags and/or `--resources FILE|-`. Prints nothing. */
export function update({ global, opts }: CommandFor<'update'>): number {
  updateContainer(global.root, opts);
  return 0;
}
