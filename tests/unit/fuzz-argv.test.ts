/**
 * Property-based fuzzing of the command-line parser (lib/cli/argv.ts): any argv gives a parsed
 * command or a usage error with a clear message, never a JavaScript error; what it returns is
 * well-formed (absolute root and bundle, ids and numbers of the right kinds).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseArgv, type ParsedCommand } from '../../lib/cli/argv';
import { argvArb } from '../fuzz/argv';
import { expectCleanError, fuzzParams } from '../fuzz/arbitraries';

function check(argv: string[]): void {
  let cmd: ParsedCommand;
  try {
    cmd = parseArgv(argv, '/work/cwd');
  } catch (err) {
    const e = expectCleanError(err, `parseArgv ${JSON.stringify(argv)}`);
    assert.ok(e.exitCode === 2 || e.exitCode === 1, `exit code ${e.exitCode}`);
    return;
  }
  if (cmd.kind !== 'verb') return;
  assert.ok(path.isAbsolute(cmd.global.root), `root ${cmd.global.root} is absolute`);
  const opts = cmd.opts as unknown as Record<string, unknown>;
  if (typeof opts.bundle === 'string') assert.ok(path.isAbsolute(opts.bundle), `bundle ${opts.bundle} is absolute`);
  if ('id' in opts && opts.id !== undefined) assert.equal(typeof opts.id, 'string');
  for (const key of ['preserveFds', 'signal']) {
    if (key in opts) assert.ok(Number.isSafeInteger(opts[key]) && (opts[key] as number) >= 0, `${key} = ${String(opts[key])}`);
  }
}

test('fuzz: any argv parses or gives a clean usage error', () => {
  fc.assert(fc.property(argvArb, (argv) => { check(argv); }), fuzzParams(3000));
});

test('fuzz: raw strings, NUL bytes and huge arguments', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant('x'.repeat(100_000)), fc.constant('--root=\0')), { maxLength: 6 }), (argv) => { check(argv); }),
    fuzzParams(1000),
  );
});
