import { startContainer } from '../../container/lifecycle';
import type { CommandFor } from '../argv';

export async function start({ global, opts }: CommandFor<'start'>): Promise<number> {
  await startContainer(global.root, opts.id);
  return 0;
}
