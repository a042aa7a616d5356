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
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { esbuildBundle, ffiHash, makeDie, ROOT, writeAtomic, writeDepfile } from './build-common.mjs';

const ENTRY = 'lib/index.ts';
const die = makeDie('build-lib.mjs');

function parseArgs(argv) {
  const opts = { out: 'dist/lib.cjs', types: 'dist/types', depfile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || argv[i + 1] === undefined) die(`usage: build-lib.mjs [--out FILE] [--types DIR] [--depfile FILE] (bad ${argv[i]})`);
    opts[key] = argv[++i];
  }
  return opts;
}

/** The bundle; returns the source files esbuild read (relative to the cwd). */
async function bundle(out) {
  const { text, inputs } = await esbuildBundle({ entry: path.join(ROOT, ENTRY), out, metafile: true, ffiHash: ffiHash({ allowMissing: true }) });
  writeAtomic(path.resolve(out), text);
  return inputs;
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
