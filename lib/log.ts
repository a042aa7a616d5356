/**
 * The one logging path. runc writes logrus lines: with `--log-format json` one JSON object per
 * line (`level`, `msg`, `time`) appended to `--log`; otherwise text lines
 * `time="..." level=error msg="..."`. Errors also go to stderr as the bare message, because
 * conmon and the containerd shim read stderr for the error text. Nothing is printed on success.
 */
import * as fs from 'node:fs';

/**
 * Synchronous write to fd 2: building process.stderr (a stream, net for a pipe) costs ~2 ms on
 * every failing call, and a short synchronous write cannot be lost at process.exit.
 */
function writeStderr(text: string): void {
  try {
    fs.writeSync(2, text);
  } catch {
    process.stderr.write(text);
  }
}

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

export interface LogOptions {
  file?: string | undefined;
  format: 'text' | 'json';
  debug: boolean;
}

let options: LogOptions = { format: 'text', debug: false };
/**
 * Milliseconds on the monotonic clock. Not `performance.now()`: the first touch of the
 * `performance` global loads perf_hooks (eleven internal modules, ~0.7 ms), which every call,
 * `--version` included, would pay just to record this start time.
 */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const started = nowMs();
let lastMark = started;

export function configureLog(opts: LogOptions): void {
  options = opts;
}

export function logOptions(): LogOptions {
  return options;
}

function formatLine(level: LogLevel, msg: string): string {
  const time = new Date().toISOString();
  if (options.format === 'json') return JSON.stringify({ level, msg, time }) + '\n';
  return `time=${JSON.stringify(time)} level=${level} msg=${JSON.stringify(msg)}\n`;
}

function append(line: string): void {
  if (options.file === undefined) return;
  try {
    fs.appendFileSync(options.file, line, { mode: 0o644 });
  } catch {
    // The log is best effort: a broken --log path must not hide the real error.
  }
}

export function log(level: LogLevel, msg: string): void {
  if (level === 'debug' && !options.debug) return;
  if (options.file !== undefined) {
    append(formatLine(level, msg));
  } else if (level !== 'error' && level !== 'fatal') {
    // Without --log, warnings and debug lines go to stderr in logrus text form, as runc does.
    writeStderr(formatLine(level, msg));
  }
}

export const debug = (msg: string): void => log('debug', msg);
export const warn = (msg: string): void => log('warning', msg);

/**
 * Report a fatal error: a log line (json or text) in --log, and the message on stderr.
 * Without --log, runc prints the logrus text line to stderr; with --log, the bare message.
 */
export function reportError(msg: string): void {
  if (options.file !== undefined) {
    append(formatLine('error', msg));
    writeStderr(msg + '\n');
  } else {
    writeStderr(formatLine('error', msg));
  }
}

/** Per-phase timings for OCI_TS_TRACE=1 or --debug: `phase parse 0.4ms (total 1.2ms)`. */
export function trace(phase: string): void {
  if (!options.debug && process.env.OCI_TS_TRACE !== '1') return;
  const now = nowMs();
  log(options.debug ? 'debug' : 'info', `phase ${phase} ${(now - lastMark).toFixed(2)}ms (total ${(now - started).toFixed(2)}ms)`);
  lastMark = now;
}
