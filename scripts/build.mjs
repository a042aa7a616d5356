#!/usr/bin/env node
// Build steps for oci-ts, called by the top-level Makefile (and by tests/unit/build.test.ts for
// a throw-away probe SEA). Two sub-commands:
//
//   node scripts/build.mjs bundle ENTRY OUT.cjs [--depfile FILE] [--sea]
//       esbuild --bundle --platform=node --format=cjs --target=node20 of ENTRY into OUT.cjs,
//       with the yargs-18-to-CJS trick (import.meta.url defined from __filename), the
//       string-width alias (lib/sys/string-width-lite.ts) and build-time constants
//       (OCI_TS_FFI_HASH, OCI_TS_VERSION, OCI_TS_COMMIT). OUT starts with one `#!/usr/bin/env node`.
//       --depfile writes a make dependency file listing every input esbuild read.
//       --sea: the single executable's main script: help.ts and the validators are left out
//       (loaded from SEA assets by lib/sys/split.ts) and whitespace and syntax are minified.
//
//   node scripts/build.mjs split help|validators WRAPPED.js CACHE [--depfile FILE]
//       The SEA assets of one part left out by --sea: the part as a CommonJS function expression
//       and its V8 code cache (scripts/code-cache.cjs; the validators' one trained on
//       scripts/validator-samples.ts).
//
//   node scripts/build.mjs sea MAIN.cjs OUT --base NODE --config CONFIG.json --blob BLOB
//                              [--asset NAME=PATH]...
//       Node 20 single executable application: writes CONFIG (useCodeCache, no snapshot, the
//       assets), runs `node --experimental-sea-config CONFIG`, copies NODE (a stripped copy of
//       the same node binary) to OUT.tmp, injects the blob with postject's API and renames.
//
// See /work/shared/docs/node-sea.md (the lab notes these recipes come from).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { esbuildBundle, ffiHash, makeDie, ROOT, SEA_SPLIT_PLUGIN, SHARED_WITH_MAIN_PLUGIN, writeAtomic, writeDepfile } from './build-common.mjs';

const require = createRequire(import.meta.url);
const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const SCRIPTS = path.dirname(fileURLToPath(import.meta.url));
const die = makeDie('build.mjs');

function parseArgs(argv) {
  const pos = [];
  const opts = { asset: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sea') {
      opts.sea = true; // the only flag without a value
    } else if (a.startsWith('--')) {
      const key = a.slice(2);
      const val = argv[++i];
      if (val === undefined) die(`missing value for ${a}`);
      if (key === 'asset') opts.asset.push(val);
      else opts[key] = val;
    } else {
      pos.push(a);
    }
  }
  return { pos, opts };
}

async function bundle(entry, out, opts) {
  const sea = opts.sea === true;
  const { text, inputs } = await esbuildBundle({
    entry: path.resolve(entry), out, metafile: Boolean(opts.depfile), ffiHash: ffiHash(),
    ...(sea ? { plugins: [SEA_SPLIT_PLUGIN], minify: true } : {}),
  });
  // Exactly one hashbang (the entry's own one, if any, was dropped by esbuildBundle).
  writeAtomic(path.resolve(out), '#!/usr/bin/env node\n' + text, 0o755);
  if (opts.depfile) writeDepfile(opts.depfile, out, inputs);
}

async function sea(main, out, opts) {
  for (const k of ['base', 'config', 'blob']) if (!opts[k]) die(`sea: --${k} is required`);
  const assets = {};
  for (const a of opts.asset) {
    const eq = a.indexOf('=');
    if (eq <= 0) die(`bad --asset ${a} (want NAME=PATH)`);
    const p = path.resolve(a.slice(eq + 1));
    if (!fs.existsSync(p)) die(`asset ${a.slice(0, eq)}: ${p} does not exist`);
    assets[a.slice(0, eq)] = p;
  }
  const config = {
    main: path.resolve(main),
    output: path.resolve(opts.blob),
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: true,
    assets,
  };
  writeAtomic(path.resolve(opts.config), JSON.stringify(config, null, 2) + '\n');
  // The code cache must come from the same V8 as the base binary: use the node running us,
  // which the Makefile resolves with `command -v node` and also copies as the base.
  execFileSync(process.execPath, ['--experimental-sea-config', path.resolve(opts.config)], { stdio: 'inherit' });
  const tmp = `${path.resolve(out)}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  fs.copyFileSync(path.resolve(opts.base), tmp);
  fs.chmodSync(tmp, 0o755);
  try {
    const { inject } = require('postject');
    // postject's ELF reader warns about every .note section name it cannot map: noise.
    const warn = console.warn;
    console.warn = (...a) => {
      if (!/^warning: Can't find string offset for section name/.test(String(a[0]))) warn(...a);
    };
    try {
      await inject(tmp, 'NODE_SEA_BLOB', fs.readFileSync(config.output), { sentinelFuse: SENTINEL_FUSE });
    } finally {
      console.warn = warn;
    }
    fs.renameSync(tmp, path.resolve(out));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** A part as loadSplit() runs it: a CommonJS function expression, ASCII (it is decoded as latin1). */
function wrapPart(name, text) {
  while (text.startsWith('#!')) text = text.slice(text.indexOf('\n') + 1);
  const bad = text.search(/[^\x00-\x7f]/);
  if (bad >= 0) die(`split ${name}: not ASCII at offset ${bad}`);
  return `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
}

/** scripts/code-cache.cjs in a child node without NODE_OPTIONS (V8 flags are part of the cache's key). */
function makeCodeCache(wrapped, cache, samples) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  const args = [path.join(SCRIPTS, 'code-cache.cjs'), path.resolve(wrapped), path.resolve(cache)];
  if (samples !== undefined) args.push(samples);
  execFileSync(process.execPath, args, { env, stdio: 'inherit' });
}

/**
 * The SEA assets of a split part (lib/sys/split.ts): WRAPPED (`<name>.js`) and CACHE (`<name>.cache`).
 *   help        lib/cli/help.ts with yargs, errors and flags left to the main script; cache of the top level
 *   validators  build/validators.cjs; cache trained on scripts/validator-samples.ts
 */
async function split(name, wrapped, cache, opts) {
  let text;
  let inputs = [];
  if (name === 'help') {
    ({ text, inputs } = await esbuildBundle({
      entry: path.join(ROOT, 'lib/cli/help.ts'), out: wrapped, metafile: true, ffiHash: ffiHash(), plugins: [SHARED_WITH_MAIN_PLUGIN], minify: true,
    }));
    writeAtomic(path.resolve(wrapped), wrapPart(name, text));
    makeCodeCache(wrapped, cache);
  } else if (name === 'validators') {
    const source = path.join(ROOT, 'build/validators.cjs');
    writeAtomic(path.resolve(wrapped), wrapPart(name, fs.readFileSync(source, 'latin1')));
    const samples = await esbuildBundle({ entry: path.join(SCRIPTS, 'validator-samples.ts'), out: `${cache}.samples.cjs`, metafile: true, ffiHash: ffiHash() });
    const samplesFile = path.resolve(`${cache}.samples.cjs`);
    writeAtomic(samplesFile, samples.text);
    try {
      makeCodeCache(wrapped, cache, samplesFile);
    } finally {
      fs.rmSync(samplesFile, { force: true });
    }
    inputs = [path.relative(process.cwd(), source), ...samples.inputs];
  } else {
    die(`split: unknown part ${name} (help, validators)`);
  }
  if (opts.depfile) writeDepfile(opts.depfile, wrapped, [...new Set([...inputs, path.relative(process.cwd(), path.join(SCRIPTS, 'code-cache.cjs'))])].sort());
}

const [cmd, ...rest] = process.argv.slice(2);
const { pos, opts } = parseArgs(rest);
try {
  if (cmd === 'bundle' && pos.length === 2) await bundle(pos[0], pos[1], opts);
  else if (cmd === 'sea' && pos.length === 2) await sea(pos[0], pos[1], opts);
  else if (cmd === 'split' && pos.length === 3) await split(pos[0], pos[1], pos[2], opts);
  else if (cmd === 'ffi-hash' && pos.length === 0) process.stdout.write(ffiHash() + '\n');
  else die('usage: build.mjs bundle ENTRY OUT [--depfile F] [--sea] | split help|validators WRAPPED CACHE [--depfile F] | sea MAIN OUT --base NODE --config CFG --blob BLOB [--asset N=P]... | ffi-hash');
} catch (e) {
  die(e instanceof Error ? e.message : String(e));
}
