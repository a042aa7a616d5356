import { pauseContainer, resumeContainer } from '../../container/pause';
import type { CommandFor } from '../argv';

export function pause({ global, opts }: CommandFor<'pause'>): number {
  pauseContainer(global.root, opts.id);
  return 0;
}

export function resume({ global, opts }: CommandFor<'resume'>): number {
  resumeContainer(global.root, opts.id);
  return 0;
}
