import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError } from '../../errors';
import { defaultSpec } from '../../spec/default-spec';
import type { CommandFor } from '../argv';

/** `spec`: write a default config.json into the bundle dir (cwd by default); never overwrite. */
export function spec({ opts }: CommandFor<'spec'>): number {
  const file = path.join(opts.bundle, 'config.json');
  const body = JSON.stringify(defaultSpec({ rootless: opts.rootless, hostUid: process.getuid?.() ?? 0, hostGid: process.getgid?.() ?? 0 }), null, '\t') + '\n';
  try {
    fs.writeFileSync(file, body, { flag: 'wx', mode: 0o666 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new OciError('config', `File ${file} exists. Remove it first`);
    throw err;
  }
  return 0;
}
