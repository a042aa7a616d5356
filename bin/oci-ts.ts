/**
 * oci-ts entry point. The argv fast path parses every command line without yargs; help,
 * completion and the verbs' heavier modules are loaded only when needed. Every failure ends
 * here: one runc-style log line (json or text), the message on stderr, and the exit code.
 */
import { parseArgv, type ParsedCommand, type VerbCommand } from '../lib/cli/argv';
import { OciError, toOciError } from '../lib/errors';
import { configureLog, reportError, trace } from '../lib/log';
import { writeStdout } from '../lib/sys/stdout';
import { versionText } from '../lib/version';

/** Verbs whose errors runc prefixes with "<runtime> <verb> failed: " (engines show this text). */
const PREFIXED = new Set(['create', 'run', 'exec']);

async function dispatch(cmd: VerbCommand): Promise<number> {
  switch (cmd.verb) {
    case 'create': return (await import('../lib/cli/verbs/create')).create(cmd);
    case 'run': return (await import('../lib/cli/verbs/run')).run(cmd);
    case 'start': return (await import('../lib/cli/verbs/start')).start(cmd);
    case 'state': return (await import('../lib/cli/verbs/state')).state(cmd);
    case 'list': return (await import('../lib/cli/verbs/list')).list(cmd);
    case 'kill': return (await import('../lib/cli/verbs/kill')).kill(cmd);
    case 'delete': return (await import('../lib/cli/verbs/delete')).del(cmd);
    case 'spec': return (await import('../lib/cli/verbs/spec')).spec(cmd);
    case 'features': return (await import('../lib/cli/verbs/features')).features();
    case 'plan': return (await import('../lib/cli/verbs/plan')).plan(cmd);
    case 'doctor': return (await import('../lib/cli/verbs/doctor')).doctor(cmd);
    case 'pause': return (await import('../lib/cli/verbs/pause')).pause(cmd);
    case 'resume': return (await import('../lib/cli/verbs/pause')).resume(cmd);
    case 'ps': return (await import('../lib/cli/verbs/ps')).ps(cmd);
    case 'checkpoint':
    case 'restore':
      throw new OciError('usage', `${cmd.verb} is not supported: oci-ts has no CRIU support`);
    case 'exec': return (await import('../lib/cli/verbs/exec')).exec(cmd);
    case 'events': return (await import('../lib/cli/verbs/events')).events(cmd);
    case 'update': return (await import('../lib/cli/verbs/update')).update(cmd);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let cmd: ParsedCommand;
  try {
    cmd = parseArgv(argv);
  } catch (err) {
    const e = toOciError(err);
    process.stderr.write(`oci-ts: ${e.message}\n`);
    return e.exitCode;
  }
  switch (cmd.kind) {
    case 'version':
      writeStdout(versionText());
      return 0;
    case 'help':
      (await import('../lib/cli/help')).printHelp(cmd.verb);
      return 0;
    case 'completion':
      (await import('../lib/cli/help')).printCompletion(cmd.words);
      return 0;
    case 'verb':
      break;
  }
  configureLog({ file: cmd.global.log, format: cmd.global.logFormat, debug: cmd.global.debug });
  trace('parse'); // after configureLog: with --log the trace goes there, like every later phase
  try {
    return await dispatch(cmd);
  } catch (err) {
    const e = toOciError(err);
    reportError(PREFIXED.has(cmd.verb) ? `oci-ts ${cmd.verb} failed: ${e.message}` : e.message);
    return cmd.verb === 'exec' ? 255 : e.exitCode;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`oci-ts: internal error: ${String(err)}\n`);
    process.exit(1);
  },
);
