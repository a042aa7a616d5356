import { containerState } from '../../container/lifecycle';
import type { CommandFor } from '../argv';

/** `state`: the OCI state JSON on stdout, nothing on stderr (Podman decodes stdout). */
export function state({ global, opts }: CommandFor<'state'>): number {
  process.stdout.write(JSON.stringify(containerState(global.root, opts.id), null, 2) + '\n');
  return 0;
}
