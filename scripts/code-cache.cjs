#!/usr/bin/env node
// The V8 code cache of a split part of the single executable (lib/sys/split.ts), run by
// `build.mjs split` in a child node without NODE_OPTIONS (V8 rejects a cache made under other V8
// flags, and the node running this is the one the executable is made of):
//
//   node scripts/code-cache.cjs WRAPPED.js OUT.cache [SAMPLES.cjs]
//
// WRAPPED.js is the part as a CommonJS function expression, compiled exactly as loadSplit()
// compiles it. Without SAMPLES the cache is made right after compiling (like Node's own SEA
// `useCodeCache`: the top level only). With SAMPLES (a module exporting validatorSamples()), the
// part is the validators module: it is run and validates every sample document first, so that
// the functions a validation calls are compiled and in the cache too. A sample that does not
// validate fails the build.
'use strict';
const fs = require('node:fs');
const vm = require('node:vm');

const [wrapped, out, samples] = process.argv.slice(2);
if (!wrapped || !out) {
  process.stderr.write('usage: code-cache.cjs WRAPPED.js OUT.cache [SAMPLES.cjs]\n');
  process.exit(2);
}

// The filename is not part of the cache's key.
const script = new vm.Script(fs.readFileSync(wrapped, 'latin1'), { filename: 'oci-ts/part.js' });
let trained = 0;
if (samples) {
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, __filename, __dirname);
  const validators = module.exports;
  const docs = require(samples).validatorSamples();
  for (const kind of ['config', 'process']) {
    for (const [i, doc] of docs[kind].entries()) {
      if (!validators[kind](doc)) {
        process.stderr.write(`code-cache: sample ${kind}[${i}] is invalid: ${JSON.stringify(validators[kind].errors)}\n`);
        process.exit(1);
      }
      trained++;
    }
  }
}
const data = script.createCachedData();
fs.writeFileSync(`${out}.${process.pid}.tmp`, data);
fs.renameSync(`${out}.${process.pid}.tmp`, out);
process.stdout.write(`code-cache: ${out}: ${data.length} bytes${samples ? ` after validating ${trained} sample documents` : ''}\n`);
