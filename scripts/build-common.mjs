// What scripts/build.mjs (the CLI bundle and the single executables) and scripts/build-lib.mjs
// (the library) share: the repo root, the ffi-rs addon hash, atomic writes, make depfiles and the
// one esbuild configuration both bundles are built with (so the library runs exactly the CLI's code).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FFI_NODE = 'node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node';

/** A `die(msg)` that prints `<script>: msg` to stderr and exits 1. */
export function makeDie(script) {
  return (msg) => {
    process.stderr.write(`${script}: ${msg}\n`);
    process.exit(1);
  };
}

/**
 * First 16 hex digits of the sha256 of the ffi-rs addon: names its cached copy under <root>/lib.
 * A missing addon throws, or gives '' with allowMissing.
 */
export function ffiHash({ allowMissing = false } = {}) {
  const file = path.join(ROOT, FFI_NODE);
  if (allowMissing && !fs.existsSync(file)) return '';
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
}

function gitCommit() {
  if (process.env.OCI_TS_COMMIT) return process.env.OCI_TS_COMMIT;
  const f = path.join(ROOT, 'build', 'commit.txt');
  if (fs.existsSync(f)) return fs.readFileSync(f, 'utf8').trim() || 'unknown';
  try {
    return execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function writeAtomic(file, data, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
  fs.renameSync(tmp, file);
}

function makeEscape(p) {
  return p.replace(/ /g, '\\ ').replace(/\$/g, '$$$$').replace(/#/g, '\\#');
}

/** A make dependency file: OUT depends on every input (and each input is a phony target). */
export function writeDepfile(depfile, out, inputs) {
  const rel = path.relative(process.cwd(), path.resolve(out));
  const lines = [`${makeEscape(rel)}: ${inputs.map(makeEscape).join(' \\\n  ')}`, ''];
  for (const f of inputs) lines.push(`${makeEscape(f)}:`);
  writeAtomic(path.resolve(depfile), lines.join('\n') + '\n');
}

/**
 * The bundle's first lines. `__import_meta` backs the import.meta.url define (lazily: see there);
 * `__nodeNs` replaces esbuild's `__toESM` for Node built-ins (cheapBuiltinNamespaces).
 */
const BANNER = [
  "var __import_meta = { get url() { return require('url').pathToFileURL(__filename).href; } };",
  'var __nodeNs = (m) => Object.create(m, { default: { value: m, enumerable: true } });',
].join('\n');

/**
 * `import * as fs from 'node:fs'` (or `import fs from ...`) becomes `__toESM(require("node:fs"))`
 * in esbuild's CJS output, which copies every property of the module into a new object as a
 * getter: ~0.07 ms per importing module, about 1 ms of every `state` and 2 ms of every `create`
 * (bench notes in docs/performance.md). For a built-in (never an ES module) the namespace can be
 * an object whose prototype is the module itself: member reads (the only use esbuild makes of it)
 * see the same live values, and `default` is the module, as __toESM makes it.
 */
function cheapBuiltinNamespaces(text) {
  const out = text.replace(/__toESM\(require\("(node:[a-z_/]+)"\)(?:,\s*1)?\)/g, (_m, id) => `__nodeNs(require("${id}"))`);
  if (out.includes('__toESM(require("node:')) throw new Error('a __toESM(require("node:...")) was left in the bundle: update cheapBuiltinNamespaces');
  return out;
}

/**
 * The esbuild plugin of the single executable's main script (`build.mjs bundle --sea`): the
 * imports of help.ts and of the generated validators become calls of lib/sys/split.ts's
 * loadSplit(), which runs the SEA assets `help.js` and `validators.js` (made by `build.mjs split`).
 * The help part shares the main script's errors and flags modules (one OciError class).
 */
export const SEA_SPLIT_PLUGIN = {
  name: 'oci-ts-sea-split',
  setup(build) {
    const split = JSON.stringify(path.join(ROOT, 'lib/sys/split.ts'));
    const errors = JSON.stringify(path.join(ROOT, 'lib/errors.ts'));
    const flags = JSON.stringify(path.join(ROOT, 'lib/cli/flags.ts'));
    const parts = {
      help: `module.exports = require(${split}).loadSplit('help', { 'oci-ts:errors': require(${errors}), 'oci-ts:flags': require(${flags}) });`,
      validators: `module.exports = require(${split}).loadSplit('validators');`,
    };
    build.onResolve({ filter: /(^|\/)(cli\/help|validators\.cjs)$/ }, (args) => {
      const resolved = path.resolve(args.resolveDir, args.path);
      if (resolved === path.join(ROOT, 'lib/cli/help') || resolved === path.join(ROOT, 'lib/cli/help.ts')) return { path: 'help', namespace: 'oci-ts-split' };
      if (resolved === path.join(ROOT, 'build/validators.cjs')) return { path: 'validators', namespace: 'oci-ts-split' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'oci-ts-split' }, (args) => ({ contents: parts[args.path], loader: 'js', resolveDir: ROOT }));
  },
};

/** The plugin of the help part (`build.mjs split help`): errors and flags come from the main script. */
export const SHARED_WITH_MAIN_PLUGIN = {
  name: 'oci-ts-shared-with-main',
  setup(build) {
    const shared = { [path.join(ROOT, 'lib/errors.ts')]: 'oci-ts:errors', [path.join(ROOT, 'lib/cli/flags.ts')]: 'oci-ts:flags' };
    build.onResolve({ filter: /(^|\/)(errors|flags)$/ }, (args) => {
      const id = shared[path.resolve(args.resolveDir, args.path) + '.ts'];
      return id === undefined ? undefined : { path: id, external: true };
    });
  },
};

/**
 * esbuild --bundle --platform=node --format=cjs --target=node20 of ENTRY (absolute) for OUT, not
 * written: returns the text with every leading hashbang removed and, with `metafile`, the source
 * files esbuild read (relative to the cwd). `ffiHash` is the OCI_TS_FFI_HASH constant; `plugins`
 * and `minify` are for the single executable's parts (build.mjs).
 */
export async function esbuildBundle({ entry, out, metafile, ffiHash, plugins = [], minify = false }) {
  const esbuild = require('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    outfile: path.resolve(out),
    metafile,
    logLevel: 'warning',
    legalComments: 'none',
    // yargs 18 is ESM-only; its platform shim needs import.meta.url (createRequire). A getter:
    // computing the URL eagerly (pathToFileURL) cost ~2.5 ms of every call of every executable
    // built here, dist/hello included, and only help/completion use it.
    define: {
      'import.meta.url': '__import_meta.url',
      OCI_TS_FFI_HASH: JSON.stringify(ffiHash),
      OCI_TS_VERSION: JSON.stringify(pkg.version),
      OCI_TS_COMMIT: JSON.stringify(gitCommit()),
    },
    banner: { js: BANNER },
    // string-width@7/8 build an Intl.Segmenter at module load (~17 ms each).
    alias: { 'string-width': './lib/sys/string-width-lite.ts' },
    plugins,
    // Whitespace and syntax only (identifiers keep their names, so stack traces stay readable):
    // a smaller script is cheaper to load and to compile lazily (docs/performance.md).
    minifyWhitespace: minify,
    minifySyntax: minify,
  });
  if (result.outputFiles.length !== 1) throw new Error(`expected one output file, got ${result.outputFiles.length}`);
  let text = cheapBuiltinNamespaces(result.outputFiles[0].text);
  while (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1);
  const inputs = metafile
    ? Object.keys(result.metafile.inputs)
      .filter((f) => !f.includes(':')) // skip virtual inputs like <define:...>
      .map((f) => path.relative(process.cwd(), path.resolve(ROOT, f)))
    : undefined;
  return { text, inputs };
}
