/**
 * Parts of the CLI that the single executable keeps out of its main script, as SEA assets.
 *
 * Every call of dist/oci-ts pays for the size of its main script: Node copies the source into
 * the V8 heap, V8 deserializes the code cache and the top level creates every bundled function.
 * Two parts are large and used by few calls: the JSON-schema validators (~300 KB of generated
 * code, for create, run, exec and update) and yargs with help.ts (~220 KB, for help and
 * completion). `scripts/build.mjs bundle --sea` replaces their imports with calls of
 * loadSplit(), and `build.mjs split` makes the assets `<name>.js` (the part as a CommonJS
 * function expression) and `<name>.cache` (its V8 code cache; for the validators made after
 * validating sample documents, so that the functions a validation runs are in it: docs/performance.md).
 * Outside the single executable (tsx, dist/oci-ts.cjs, dist/lib.cjs) nothing here is used.
 */
import type * as Vm from 'node:vm';
import { OciError } from '../errors';

export type SplitName = 'help' | 'validators';

interface SeaAssets {
  getRawAsset(key: string): ArrayBuffer;
}

type CommonJsFunction = (exports: unknown, require: (id: string) => unknown, module: { exports: unknown }, filename: string, dirname: string) => void;

/**
 * Run the asset `name` and return its module.exports. `shared` maps the ids the part imports
 * from the main script (`oci-ts:<module>`, kept external by the build) to the main script's own
 * module objects, so that there is one OciError class and one flag table.
 */
export function loadSplit(name: SplitName, shared: Readonly<Record<string, unknown>> = {}): unknown {
  let sea: SeaAssets;
  let source: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sea = require('node:sea') as SeaAssets;
    // The build checks that the asset is ASCII: latin1 is then exact and the cheapest decoding.
    source = Buffer.from(sea.getRawAsset(`${name}.js`)).toString('latin1');
  } catch (err) {
    throw new OciError('system', `the ${name} module is missing from this executable (${err instanceof Error ? err.message : String(err)})`);
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getRawAsset(`${name}.cache`));
  } catch {
    cachedData = undefined; // no cache: compiled from source
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Script } = require('node:vm') as typeof Vm;
  const script = new Script(source, { filename: `oci-ts/${name}.js`, ...(cachedData !== undefined ? { cachedData } : {}) });
  const module = { exports: {} as unknown };
  const requireShared = (id: string): unknown => (Object.prototype.hasOwnProperty.call(shared, id) ? shared[id] : require(id));
  (script.runInThisContext() as CommonJsFunction)(module.exports, requireShared, module, __filename, __dirname);
  return module.exports;
}
