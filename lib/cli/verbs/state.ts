import { containerState } from '../../container/lifecycle';
import { writeStdout } from '../../sys/stdout';
import type { CommandFor } from '../argv';

/** `state`: the OCI state JSON on stdout, nothing on stderr (Podman decodes stdout). */
export function state({ global, opts }: CommandFor<'state'>): number {
  writeStdout(JSON.stringify(containerState(global.root, opts.id), null, 2) + '\n');
  return 0;
}
