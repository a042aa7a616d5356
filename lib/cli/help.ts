/**
 * Help, usage and shell completion, rendered by yargs from the flag table in flags.ts (the same
 * table the fast parser in argv.ts uses, so the two never disagree).
 *
 * Load this module lazily (`await import('./help')`) and only for `--help`, `help`,
 * `completion` and usage errors: importing yargs costs tens of milliseconds. The build bundles
 * yargs (ESM-only) into the CJS bundle and aliases string-width (see the shared node-sea notes).
 */
import yargs from 'yargs';
import type { Argv, Options } from 'yargs';
import { usageError } from '../errors';
import { GLOBAL_FLAGS, VERBS, VERB_NAMES, lookupVerb, type FlagSpec, type Verb, type VerbSpec } from './flags';

const SCRIPT = 'oci-ts';
const WRAP = 100;
const ABOUT = [
  'oci-ts is a command line client for running applications packaged according to the',
  'Open Container Initiative (OCI) format; it is a runc-compatible runtime written in TypeScript.',
].join('\n');

/** yargs-parser settings that make yargs read a command line the way Go's flag package does. */
const PARSER_CONFIG = {
  'boolean-negation': false, // `--no-pivot` is a flag of its own, not the negation of `--pivot`
  'dot-notation': false,
  'parse-positional-numbers': false, // `kill c4 9`: the signal stays the string "9"
  'camel-case-expansion': false, // keys stay the table's kebab-case names
  'strip-aliased': true,
} as const;

/** The yargs option for one table entry. */
export function yargsOption(flag: FlagSpec): Options {
  const option: Options = { describe: flag.describe };
  if (flag.aliases !== undefined) option.alias = [...flag.aliases];
  switch (flag.type) {
    case 'bool':
      option.type = 'boolean';
      break;
    case 'string':
      option.type = 'string';
      option.requiresArg = true;
      break;
    case 'int':
      option.type = 'number';
      option.requiresArg = true;
      break;
    case 'list':
      // Repeatable, one value per occurrence (yargs' `array` type would swallow the positionals).
      option.type = 'string';
      option.requiresArg = true;
      option.coerce = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
      break;
  }
  if (flag.choices !== undefined) option.choices = [...flag.choices];
  // Show the default without letting yargs fill it in: argv.ts applies defaults itself.
  if (flag.default !== undefined) option.defaultDescription = JSON.stringify(flag.default);
  return option;
}

function addOptions(y: Argv, flags: readonly FlagSpec[]): Argv {
  for (const flag of flags) y = y.option(flag.name, yargsOption(flag));
  return y;
}

function verbUsage(verb: Verb): string {
  const spec: VerbSpec = VERBS[verb];
  const args = spec.args === '' ? '' : ` ${spec.args}`;
  const names = spec.aliases === undefined ? verb : [verb, ...spec.aliases].join(', ');
  return `$0 [global options] ${verb} [command options]${args}\n\n${names} - ${spec.describe}`;
}

function base(args: readonly string[]): Argv {
  return yargs([...args])
    .scriptName(SCRIPT)
    .parserConfiguration(PARSER_CONFIG)
    .exitProcess(false)
    .version(false)
    .wrap(WRAP)
    .help('help')
    .alias('help', 'h')
    .fail((msg: string | null, err: Error | undefined) => {
      throw err ?? usageError(msg ?? 'incorrect usage');
    });
}

/**
 * The global flags (except help, which yargs provides). Not yargs-`global`: as in runc, they are
 * only accepted before the verb, and `spec --rootless` is a different flag from `--rootless`.
 */
function addGlobalOptions(y: Argv): Argv {
  for (const flag of GLOBAL_FLAGS) {
    if (flag.name !== 'help') y = y.option(flag.name, { ...yargsOption(flag), global: false });
  }
  return y;
}

/** The part of the command line before the verb: global flags only. */
export function globalYargs(args: readonly string[] = []): Argv {
  return addGlobalOptions(base(args))
    .parserConfiguration({ ...PARSER_CONFIG, 'halt-at-non-option': true })
    .strictOptions();
}

/**
 * One verb's flags, for the part of the command line after the verb; positionals end up in `_`.
 * This instance also renders `oci-ts <verb> --help`.
 */
export function verbYargs(verb: Verb, args: readonly string[] = []): Argv {
  const spec: VerbSpec = VERBS[verb];
  // exec and ps pass everything after the container id on: stop parsing there, as argv.ts does.
  const config = spec.stopAtFirstPositional ? { ...PARSER_CONFIG, 'halt-at-non-option': true } : PARSER_CONFIG;
  return addOptions(base(args).usage(verbUsage(verb)), spec.flags).parserConfiguration(config).strictOptions();
}

/**
 * The whole command line as one yargs definition: global flags, every verb with its flags and
 * positionals, `help [command]` and `completion`. Renders the top-level help and answers
 * completion requests.
 */
export function buildYargs(args: readonly string[] = []): Argv {
  let y = addGlobalOptions(base(args)).usage(
    `$0 [global options] <command> [command options] [arguments...]\n\n${ABOUT}`,
  );
  y = y.group(
    GLOBAL_FLAGS.map((f) => f.name),
    'Global options:',
  );
  for (const name of VERB_NAMES) {
    const spec: VerbSpec = VERBS[name];
    const command = spec.args === '' ? name : `${name} ${spec.args}`;
    y = y.command({
      command: spec.aliases === undefined ? command : [command, ...spec.aliases],
      describe: spec.describe,
      builder: (b: Argv) => addOptions(b.usage(verbUsage(name)), spec.flags),
      handler: () => {},
    });
  }
  y = y.command({
    command: 'help [command]',
    describe: 'Shows a list of commands or help for one command',
    handler: () => {},
  });
  return y.completion('completion', 'print a bash completion script');
}

export interface YargsParse {
  /** The global flags, parsed by globalYargs. */
  global: Record<string, unknown>;
  verb?: Verb;
  /** The verb's flags and, in `_`, its positionals, parsed by verbYargs. */
  flags: Record<string, unknown>;
}

/**
 * Parse a command line with the yargs definitions (the tests compare this with argv.ts's scan):
 * the global part with globalYargs, the rest with the verb's verbYargs.
 */
export function parseWithYargs(args: readonly string[]): YargsParse {
  const global = globalYargs(args).parseSync() as Record<string, unknown>;
  const rest = (global._ as unknown[]).map(String);
  if (rest[0] === '--') rest.shift();
  const verb = rest[0] === undefined ? undefined : lookupVerb(rest[0]);
  if (verb === undefined) return { global, flags: {} };
  const flags = verbYargs(verb, rest.slice(1)).parseSync() as Record<string, unknown>;
  return { global, verb, flags };
}

/** The help text of the whole CLI, or of one verb (`ls`, `rm` accepted). */
export function helpText(verb?: string): string {
  let y: Argv;
  if (verb === undefined || verb === '' || verb === 'help') {
    y = buildYargs([]);
  } else {
    const known = lookupVerb(verb);
    if (known === undefined) throw usageError(`No help topic for '${verb}'`);
    y = verbYargs(known);
  }
  let text = '';
  y.showHelp((s: string) => {
    text = s;
  });
  return text;
}

/** `oci-ts --help`, `oci-ts help [verb]`, `oci-ts <verb> --help`: help on stdout (or stderr). */
export function printHelp(verb?: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
  process[stream].write(helpText(verb) + '\n');
}

/**
 * `oci-ts completion` prints the bash completion script; with `words` (the script calling back
 * as `oci-ts --get-yargs-completions <words...>`) it prints the candidates, one per line.
 */
export function printCompletion(words?: readonly string[]): void {
  if (words === undefined) {
    buildYargs([]).showCompletionScript();
    return;
  }
  buildYargs(['--get-yargs-completions', ...words]).parse();
}
