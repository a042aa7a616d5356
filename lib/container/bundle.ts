/** Read and validate a bundle's config.json; resolve the rootfs against the bundle directory. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OciError, configError } from '../errors';
import type { Spec } from '../spec/types';
import { validateConfig } from '../spec/validate';

export interface LoadedBundle {
  bundle: string;
  rootfs: string;
  spec: Spec;
}

export function loadBundle(bundleArg: string): LoadedBundle {
  const bundle = path.resolve(bundleArg);
  const file = path.join(bundle, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new OciError('config', `open ${file}: ${code === 'ENOENT' ? 'no such file or directory' : String(code)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError('config.json', '', `invalid JSON: ${(err as Error).message}`);
  }
  const spec = validateConfig(raw, 'config.json');
  if (spec.root === undefined) throw configError('config.json', '/root', 'is required');
  const rootfs = path.resolve(bundle, spec.root.path);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(rootfs);
  } catch {
    throw configError('config.json', '/root/path', `rootfs ${rootfs} does not exist`);
  }
  if (!st.isDirectory()) throw configError('config.json', '/root/path', `rootfs ${rootfs} is not a directory (or is a symlink)`);
  return { bundle, rootfs, spec };
}
