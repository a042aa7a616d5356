import { execInContainer } from '../../container/exec';
import type { CommandFor } from '../argv';

/** `exec`: a new process in a running container; in the foreground its exit status becomes ours. */
export function exec({ global, opts }: CommandFor<'exec'>): Promise<number> {
  return execInContainer({ ...opts, root: global.root });
}
