#!/usr/bin/env node
// The library build (package.json "main" and "types"), called by the Makefile's `lib` target:
//
//   node scripts/build-lib.mjs [--out dist/lib.cjs] [--types dist/types] [--depfile build/lib.cjs.d]
//
// 1. esbuild bundles lib/index.ts into one CJS file (platform node, target node20) with the same
//    build-time constants as the CLI bundle (OCI_TS_VERSION, OCI_TS_COMMIT, OCI_TS_FFI_HASH) and
//    the same string-width alias, so the library runs exactly the CLI's code. No hashbang.
// 2. tsc --emitDeclarationOnly writes the .d.ts files of lib/index.ts and everything it imports
//    into dist/types (dist/types/lib/index.d.ts is package.json "types").
// --depfile writes a make dependency file (every source esbuild or tsc read) for incremental builds.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FFI_NODE = 'node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node';
const ENTRY = 'lib/index.ts';

function die(msg) {
  process.stderr.write(`build-lib.mjs: ${msg}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { out: 'dist/lib.cjs', types: 'dist/types', depfile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || argv[i + 1] === undefined) die(`usage: build-lib.mjs [--out FILE] [--types DIR] [--depfile FILE] (bad ${argv[i]})`);
    opts[key] = argv[++i];
  }
  return opts;
}

function ffiHash() {
  const file = path.join(ROOT, FFI_NODE);
  if (!fs.existsSync(file)) return '';
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

function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function makeEscape(p) {
  return p.replace(/ /g, '\\ ').replace(/\$/g, '$$$$').replace(/#/g, '\\#');
}

/** The bundle; returns the source files esbuild read (relative to the cwd). */
async function bundle(out) {
  const esbuild = require('esbuild');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, ENTRY)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    outfile: path.resolve(out),
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    define: {
      'import.meta.url': '__import_meta_url',
      OCI_TS_FFI_HASH: JSON.stringify(ffiHash()),
      OCI_TS_VERSION: JSON.stringify(pkg.version),
      OCI_TS_COMMIT: JSON.stringify(gitCommit()),
    },
    banner: { js: "var __import_meta_url = require('url').pathToFileURL(__filename).href;" },
    alias: { 'string-width': './lib/sys/string-width-lite.ts' },
  });
  if (result.outputFiles.length !== 1) die(`expected one output file, got ${result.outputFiles.length}`);
  let text = result.outputFiles[0].text;
  while (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1);
  writeAtomic(path.resolve(out), text);
  return Object.keys(result.metafile.inputs)
    .filter((f) => !f.includes(':')) // skip virtual inputs like <define:...>
    .map((f) => path.relative(process.cwd(), path.resolve(ROOT, f)));
}

/** A make dependency file: OUT depends on every input (and each input is a phony target). */
function writeDepfile(depfile, out, inputs) {
  const rel = path.relative(process.cwd(), path.resolve(out));
  const lines = [`${makeEscape(rel)}: ${inputs.map(makeEscape).join(' \\\n  ')}`, ''];
  for (const f of inputs) lines.push(`${makeEscape(f)}:`);
  writeAtomic(path.resolve(depfile), lines.join('\n') + '\n');
}

/** The .d.ts files; returns the project sources tsc read (type-only imports included, which esbuild skips). */
function declarations(typesDir) {
  const outDir = path.resolve(typesDir);
  const config = path.join(ROOT, 'build', 'tsconfig.lib.json');
  writeAtomic(config, JSON.stringify({
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: {
      declaration: true,
      emitDeclarationOnly: true,
      noEmit: false,
      rootDir: ROOT,
      outDir,
      tsBuildInfoFile: null,
    },
    files: [path.join(ROOT, ENTRY)],
    include: [],
  }, null, 2) + '\n');
  const tmp = `${outDir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // Written to a temp dir and renamed, so dist/types never holds stale or half-written files.
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let listed;
  try {
    listed = execFileSync(process.execPath, [tsc, '-p', config, '--outDir', tmp, '--listFiles'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    process.stdout.write(String(e.stdout ?? ''));
    die('tsc --emitDeclarationOnly failed');
  }
  if (!fs.existsSync(path.join(tmp, 'lib', 'index.d.ts'))) die(`tsc wrote no ${path.join(tmp, 'lib', 'index.d.ts')}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(tmp, outDir);
  return listed.split('\n')
    .map((f) => f.trim())
    .filter((f) => f.startsWith(ROOT + '/') && !f.includes('/node_modules/'))
    .map((f) => path.relative(process.cwd(), f));
}

const opts = parseArgs(process.argv.slice(2));
try {
  const inputs = await bundle(opts.out);
  const typeInputs = declarations(opts.types);
  if (opts.depfile) writeDepfile(opts.depfile, opts.out, [...new Set([...inputs, ...typeInputs])].sort());
} catch (e) {
  die(e instanceof Error ? e.message : String(e));
}
