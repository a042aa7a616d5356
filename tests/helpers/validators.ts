/**
 * build/validators.cjs (the standalone ajv validators lib/spec/validate.ts loads) for unit tests
 * that run from the sources without `make build`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
export const VALIDATORS = path.join(ROOT, 'build', 'validators.cjs');

/** Build build/validators.cjs when it is missing or older than a schema or the build script. */
export function ensureValidatorBuilt(): void {
  const inputs = [
    path.join(ROOT, 'scripts', 'build-validator.mjs'),
    ...fs.readdirSync(path.join(ROOT, 'schemas')).map((f) => path.join(ROOT, 'schemas', f)),
  ];
  const built = fs.existsSync(VALIDATORS) ? fs.statSync(VALIDATORS).mtimeMs : -1;
  if (inputs.some((f) => fs.statSync(f).mtimeMs > built)) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-validator.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
}
