/**
 * `run`: create + start. Foreground: the shim parent stays as the init's parent and exits with
 * its status, which becomes ours; signals sent to us are forwarded to the container; the
 * container is deleted afterwards. Detached: like create + start.
 */
import { OciError } from '../errors';
import { createContainer, type CreateOptions } from './create';
import { deleteContainer, startContainer } from './lifecycle';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function runContainer(o: Omit<CreateOptions, 'mode'> & { detach: boolean; keep: boolean }): Promise<number> {
  const created = await createContainer({ ...o, mode: o.detach ? 'create' : 'run' });
  try {
    await startContainer(o.root, o.id);
  } catch (err) {
    await deleteContainer(o.root, o.id, true);
    throw err;
  }
  if (o.detach) return 0;
  const session = created.session; // run mode always talks to the shim through a ShimSession
  if (session === undefined) throw new OciError('system', 'run: the shim is not running');
  const shimPid = session.child.pid;
  const forward = (sig: NodeJS.Signals): void => {
    try {
      if (shimPid !== undefined) process.kill(shimPid, sig);
    } catch {
      // the container is already gone
    }
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  const status = await session.exitCode();
  for (const sig of FORWARDED) process.off(sig, forward);
  if (!o.keep) await deleteContainer(o.root, o.id, true);
  return status;
}
