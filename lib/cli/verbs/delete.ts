import { deleteContainer } from '../../container/lifecycle';
import type { CommandFor } from '../argv';

/** `delete`: refuses a running container unless --force; --force of an unknown id is silent. */
export async function del({ global, opts }: CommandFor<'delete'>): Promise<number> {
  await deleteContainer(global.root, opts.id, opts.force);
  return 0;
}
