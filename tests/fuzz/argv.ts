/**
 * Command lines for fuzzing, built from the real flag table (lib/cli/flags.ts): verbs and their
 * aliases, every flag in its long, Go one-dash and `=value` forms, with hostile values.
 */
import fc from 'fast-check';
import { GLOBAL_FLAGS, VERBS, type FlagSpec, type VerbSpec } from '../../lib/cli/flags';
import { HOSTILE_STRINGS } from './arbitraries';

export const VERB_WORDS: readonly string[] = Object.entries(VERBS as Record<string, VerbSpec>).flatMap(([v, spec]) => [v, ...(spec.aliases ?? [])]);

const ALL_FLAGS: readonly FlagSpec[] = [
  ...GLOBAL_FLAGS,
  ...Object.values(VERBS as Record<string, VerbSpec>).flatMap((s) => [...s.flags]),
];

/** Every spelling of every flag name. */
export const FLAG_WORDS: readonly string[] = [...new Set(ALL_FLAGS.flatMap((f) => [f.name, ...(f.aliases ?? [])]).flatMap((n) => [`--${n}`, `-${n}`]))];

const VALUE_WORDS: readonly string[] = [
  ...HOSTILE_STRINGS.filter((s) => s.length < 100),
  'json', 'table', 'text', 'true', 'false', 'auto', 'KILL', 'SIGKILL', '9', '0', '-1', '99999999999999999999', '1.5', '1e3',
  '100m', '1g', '-1', '5s', '1h', '0x10', 'rw', '1000:1000', 'x:y', 'c1', 'my-container', 'a.b_c+d-e',
];

export const argvWord: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VERB_WORDS) },
  { weight: 4, arbitrary: fc.constantFrom(...FLAG_WORDS) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...FLAG_WORDS), fc.constantFrom(...VALUE_WORDS)).map(([f, v]) => `${f}=${v}`) },
  { weight: 4, arbitrary: fc.constantFrom(...VALUE_WORDS) },
  { weight: 1, arbitrary: fc.constantFrom('--', '-', '=', '---x', '--=', '-=', '--help', '-h', 'help', 'completion', '--get-yargs-completions', '--version', '-v', '-dt', '-qf') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A command line: mostly verb first, sometimes anything. */
export const argvArb: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(argvWord, { maxLength: 3 }), fc.constantFrom(...VERB_WORDS), fc.array(argvWord, { maxLength: 6 })).map(([a, v, b]) => [...a, v, ...b]) },
  { weight: 1, arbitrary: fc.array(argvWord, { maxLength: 8 }) },
);
