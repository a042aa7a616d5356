/**
 * Validation of config.json and of `exec --process` files: the precompiled JSON-schema validator
 * (build/validators.cjs, generated from schemas/ by scripts/build-validator.mjs), then the
 * semantic checks of ./semantic.ts. Properties whose value is null are treated as absent (and
 * removed), as runc's Go decoder does. The first problem becomes a config OciError whose message
 * names the file, the JSON pointer and a human reason:
 *
 *   config.json /process/args: must be a non-empty array
 *   config.json /linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time
 */
import type { ErrorObject } from 'ajv';
import { configError, OciError } from '../errors';
import { checkConfigSemantics, checkProcessSemantics, ociVersionProblem, type Issue } from './semantic';
import type { Features, Process, Spec, State } from './types';

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

interface ValidatorModule {
  config: ValidateFunction;
  process: ValidateFunction;
  state: ValidateFunction;
  features: ValidateFunction;
}

let validators: ValidatorModule | undefined;

/**
 * Load the generated module on first use. The literal require() lets esbuild bundle it into the
 * single binary, where it is still only evaluated when a validation is first asked for.
 */
function loadValidators(): ValidatorModule {
  if (validators === undefined) {
    try {
      validators = require('../../build/validators.cjs') as ValidatorModule;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
        throw new OciError('system', 'config validator not built: run `node scripts/build-validator.mjs`', { cause: err });
      }
      throw err;
    }
  }
  return validators;
}

function escapePointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function withArticle(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Turn one ajv error into a pointer and a human reason. */
export function describeSchemaError(e: ErrorObject): Issue {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    return { pointer: `${e.instancePath}/${escapePointerSegment(String(params.missingProperty))}`, reason: 'is required' };
  }
  if (e.keyword === 'type') {
    const types = String(params.type).split(',');
    return { pointer: e.instancePath, reason: `must be ${types.map(withArticle).join(' or ')}` };
  }
  // A schema may word its own failure (defs.json: ociVersion, uint32, ...).
  const own = (e.parentSchema as { 'x-reason'?: unknown } | undefined)?.['x-reason'];
  if (typeof own === 'string') return { pointer: e.instancePath, reason: own };

  const reason = ((): string => {
    switch (e.keyword) {
      case 'enum':
        return `must be one of ${(params.allowedValues as unknown[]).map(formatValue).join(', ')}`;
      case 'const':
        return `must be ${formatValue(params.allowedValue)}`;
      case 'minItems':
        return params.limit === 1 ? 'must be a non-empty array' : `must have at least ${String(params.limit)} items`;
      case 'maxItems':
        return `must have at most ${String(params.limit)} items`;
      case 'minLength':
        return params.limit === 1 ? 'must be a non-empty string' : `must be at least ${String(params.limit)} characters long`;
      case 'maxLength':
        return `must be at most ${String(params.limit)} characters long`;
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return `must be ${String(params.comparison)} ${String(params.limit)}`;
      case 'pattern':
        return `must match the pattern ${String(params.pattern)}`;
      default:
        return e.message ?? `fails the schema keyword "${e.keyword}"`;
    }
  })();
  return { pointer: e.instancePath, reason };
}

/**
 * Remove, in place, every object property whose value is null. runc decodes config.json with Go's
 * encoding/json, for which null means "absent" on every optional field, and engines or hand-written
 * configs do send `"hooks": null` and the like; the schemas (like the runtime-spec's) would refuse
 * them. Array elements are left alone: a null where an object is expected is still an error.
 */
export function dropNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) dropNulls(v);
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (obj[key] === null) delete obj[key];
      else dropNulls(obj[key]);
    }
  }
}

/** Deeper than any real document; the recursive walks below (and ajv's) stay far from V8's stack limit. */
export const MAX_JSON_DEPTH = 200;

/**
 * What the schemas cannot say, checked iteratively before anything recursive runs: no nesting
 * deeper than MAX_JSON_DEPTH (a recursive walk of a 100000-level array is a stack overflow), and
 * no NUL byte in any string or key (the C side would silently cut the string there: a path, an
 * argument or an environment entry would not be the one the config names). The first problem
 * is reported with its pointer.
 */
export function checkStructure(raw: unknown, file: string): void {
  if (typeof raw === 'string' && raw.includes('\0')) throw configError(file, '', 'must not contain NUL bytes');
  const stack: Array<{ v: object; depth: number; pointer: string }> = [];
  if (raw !== null && typeof raw === 'object') stack.push({ v: raw, depth: 0, pointer: '' });
  while (stack.length > 0) {
    const { v, depth, pointer } = stack.pop()!;
    if (depth >= MAX_JSON_DEPTH) throw configError(file, pointer, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\0')) throw configError(file, `${pointer}/${escapePointerSegment(k)}`, 'the key must not contain NUL bytes');
      if (typeof child === 'string') {
        if (child.includes('\0')) throw configError(file, `${pointer}/${escapePointerSegment(k)}`, 'must not contain NUL bytes');
      } else if (child !== null && typeof child === 'object') {
        stack.push({ v: child as object, depth: depth + 1, pointer: `${pointer}/${escapePointerSegment(k)}` });
      }
    }
  }
}

function runSchema(validate: ValidateFunction, raw: unknown, file: string): void {
  checkStructure(raw, file);
  dropNulls(raw);
  if (validate(raw)) return;
  const first = validate.errors?.[0];
  if (!first) throw configError(file, '', 'is not valid');
  const { pointer, reason } = describeSchemaError(first);
  throw configError(file, pointer, reason);
}

/** Validate a parsed config.json (schema, then semantics) and return it typed. */
export function validateConfig(raw: unknown, file = 'config.json'): Spec {
  runSchema(loadValidators().config, raw, file);
  const spec = raw as Spec;
  checkConfigSemantics(spec, file);
  return spec;
}

/** Validate a parsed `exec --process` file (a Process object on its own). */
export function validateProcess(raw: unknown, file: string): Process {
  runSchema(loadValidators().process, raw, file);
  const proc = raw as Process;
  checkProcessSemantics(proc, file);
  return proc;
}

/** Validate a state document (as printed by `state`, or written by another runtime version). */
export function validateState(raw: unknown, file = 'state.json'): State {
  runSchema(loadValidators().state, raw, file);
  return raw as State;
}

/** Validate a features document (the output of the `features` verb). */
export function validateFeatures(raw: unknown, file = 'features.json'): Features {
  runSchema(loadValidators().features, raw, file);
  const features = raw as Features;
  for (const key of ['ociVersionMin', 'ociVersionMax'] as const) {
    const problem = ociVersionProblem(features[key]);
    if (problem) throw configError(file, `/${key}`, problem);
  }
  return features;
}
