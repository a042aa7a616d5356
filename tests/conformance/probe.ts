/**
 * The probe (probe.c): building it, and reading its report.
 *
 * The binary is compiled once per source version and cached under os.tmpdir() by the hash of
 * probe.c, so editing the C source is enough to get a fresh build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SOURCE = path.join(__dirname, 'probe.c');

/** The first of these that exists builds the probe: musl gives a small, truly static binary. */
const COMPILERS = ['musl-gcc', 'gcc'];

function findCompiler(): string | null {
  for (const cc of COMPILERS) {
    if (spawnSync('sh', ['-c', `command -v ${cc}`], { stdio: 'ignore' }).status === 0) return cc;
  }
  return null;
}

/** Why the probe cannot be built here, or undefined when it can. */
export function probeSkipReason(): string | undefined {
  return findCompiler() ? undefined : `no C compiler for the probe (install musl-tools): tried ${COMPILERS.join(', ')}`;
}

/** Path of the compiled static probe (compiled on first use, atomically). */
export function probeBinary(): string {
  const source = fs.readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const out = path.join(os.tmpdir(), `oci-ts-conformance-probe-${hash}`);
  if (fs.existsSync(out)) return out;
  const cc = findCompiler();
  if (!cc) throw new Error(probeSkipReason());
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(cc, ['-static', '-Os', '-Wall', '-o', tmp, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
    fs.renameSync(tmp, out); // a concurrent build of the same source renames the same bytes
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return out;
}

/** A file the probe read: its content, or the errno of the failed open/read. */
export type FileRead = { data: string } | { errno: number };

export interface StatReport {
  errno: number;
  /** f, d, l, c, b, p, s */
  type?: string;
  /** permission bits (mode & 07777) */
  mode?: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
  size?: number;
  /** statvfs ST_RDONLY of the mount the path is on */
  readonly?: boolean;
  /** symlink target */
  link?: string;
  /** directory entries besides . and .. (negative: -errno of opendir) */
  entries?: number;
}

/** What probe.c prints (see there for the meaning of each field). */
export interface ProbeReport {
  uid: [number, number, number];
  gid: [number, number, number];
  groups: number[];
  cwd: string | null;
  cwdErrno?: number;
  uname: { nodename: string; domainname: string; machine: string };
  umask: number;
  /** [soft, hard] as decimal strings (RLIM_INFINITY is 18446744073709551615) */
  rlimits: Record<string, [string, string]>;
  env: string[];
  /** nsfs inode per /proc/self/ns entry, null where the kernel has none */
  ns: Record<string, number | null>;
  personality: number;
  sched: { policy: number; priority: number; nice: number };
  ioprio: number;
  files: Record<string, FileRead>;
  stat: Record<string, StatReport>;
  read: Record<string, FileRead>;
  wopen: Record<string, number>;
  mkdir: Record<string, number>;
}

/** The report in a runtime's stdout: the last line that is a JSON object with the probe's keys. */
export function parseReport(stdout: string): ProbeReport {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no probe report in stdout ${JSON.stringify(stdout.slice(0, 200))}`);
  const r = JSON.parse(line) as ProbeReport;
  for (const k of ['uid', 'files', 'ns', 'rlimits', 'stat'] as const) {
    if (!(k in r)) throw new Error(`probe report without "${k}"`);
  }
  return r;
}

/** Content of a file the probe read (either always, under files, or via --read). */
export function fileData(r: ProbeReport, file: string): string {
  const f = r.files[file] ?? r.read[file];
  if (!f) throw new Error(`the probe did not read ${file}`);
  if ('errno' in f) throw new Error(`the probe could not read ${file}: errno ${f.errno}`);
  return f.data;
}

/** /proc/self/status as a map (values trimmed). */
export function procStatus(r: ProbeReport): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fileData(r, '/proc/self/status').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

export interface MountEntry {
  mountPoint: string;
  root: string;
  /** per-mount options (ro, nosuid, ...) */
  options: string[];
  /** propagation tags: shared:N, master:N, ... */
  optional: string[];
  fstype: string;
  source: string;
  /** per-superblock options (size=, mode=, ...) */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** /proc/self/mountinfo of the probe, parsed (proc(5)). */
export function mountinfo(r: ProbeReport): MountEntry[] {
  return fileData(r, '/proc/self/mountinfo').split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    return {
      root: unescapeOctal(f[3]!),
      mountPoint: unescapeOctal(f[4]!),
      options: f[5]!.split(','),
      optional: f.slice(6, dash),
      fstype: f[dash + 1]!,
      source: unescapeOctal(f[dash + 2]!),
      superOptions: (f[dash + 3] ?? '').split(','),
    };
  });
}

/** The mount visible at `mountPoint` (the last one mounted there wins, as in the kernel). */
export function mountAt(r: ProbeReport, mountPoint: string): MountEntry {
  const m = mountinfo(r).filter((e) => e.mountPoint === mountPoint).pop();
  if (!m) throw new Error(`nothing mounted at ${mountPoint}`);
  return m;
}

/** A path the probe was asked to stat (--stat); throws when it did not exist. */
export function statOf(r: ProbeReport, p: string): StatReport {
  const s = r.stat[p];
  if (!s) throw new Error(`the probe did not stat ${p}`);
  if (s.errno !== 0) throw new Error(`${p}: errno ${s.errno}`);
  return s;
}
