import { killContainer } from '../../container/lifecycle';
import type { CommandFor } from '../argv';

export function kill({ global, opts }: CommandFor<'kill'>): number {
  killContainer(global.root, opts.id, opts.signal, opts.all);
  return 0;
}
