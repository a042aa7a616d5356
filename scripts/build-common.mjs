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
 * esbuild --bundle --platform=node --format=cjs --target=node20 of ENTRY (absolute) for OUT, not
 * written: returns the text with every leading hashbang removed and, with `metafile`, the source
 * files esbuild read (relative to the cwd). `ffiHash` is the OCI_TS_FFI_HASH constant.
 */
export async function esbuildBundle({ entry, out, metafile, ffiHash }) {
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
    // yargs 18 is ESM-only; its platform shim needs import.meta.url (createRequire).
    define: {
      'import.meta.url': '__import_meta_url',
      OCI_TS_FFI_HASH: JSON.stringify(ffiHash),
      OCI_TS_VERSION: JSON.stringify(pkg.version),
      OCI_TS_COMMIT: JSON.stringify(gitCommit()),
    },
    banner: { js: "var __import_meta_url = require('url').pathToFileURL(__filename).href;" },
    // string-width@7/8 build an Intl.Segmenter at module load (~17 ms each).
    alias: { 'string-width': './lib/sys/string-width-lite.ts' },
  });
  if (result.outputFiles.length !== 1) throw new Error(`expected one output file, got ${result.outputFiles.length}`);
  let text = result.outputFiles[0].text;
  while (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1);
  const inputs = metafile
    ? Object.keys(result.metafile.inputs)
      .filter((f) => !f.includes(':')) // skip virtual inputs like <define:...>
      .map((f) => path.relative(process.cwd(), path.resolve(ROOT, f)))
    : undefined;
  return { text, inputs };
}
