/**
 * Types shared by the cgroup manager implementations (kept apart from manager.ts so that
 * v1.ts / v2.ts can import them without an import cycle).
 */
import type { Resources } from '../spec/types';
import type { CgroupStats } from './stats';
import type { OomTarget } from './oom';

export type { Resources };

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  kind: 'v1' | 'v2';
  /** Absolute mount point, e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup/unified. */
  mountpoint: string;
  /**
   * v1: the controllers bound to this hierarchy (from the mount's super options), sorted.
   * v2: the controllers in the root's cgroup.controllers (read lazily, on first access, when
   * the hierarchy comes from probeHost()).
   */
  controllers: string[];
  /** Named v1 hierarchy without controllers (or with them), e.g. `systemd` for name=systemd. */
  name?: string;
  /** The mount's root inside the hierarchy when it is not `/` (bind-mounted sub-tree). */
  root?: string;
}

export interface HostCgroups {
  mode: 'v1' | 'hybrid' | 'unified';
  hierarchies: Hierarchy[];
}

/** What state.json keeps so that `delete` (and later verbs) never depend on global flags. */
export interface PersistedCgroup {
  version: 'v1' | 'v2';
  /** The cgroup path inside every hierarchy, e.g. `/oci-ts/<id>`. */
  path: string;
  hierarchies: Array<{ kind: 'v1' | 'v2'; mountpoint: string; controllers: string[]; name?: string; root?: string }>;
  /** Absolute directories this manager created, parents before children. Only these are removed. */
  created: string[];
  /** Informational copy of CgroupManager.paths. */
  paths: Record<string, string>;
}

export interface CgroupManager {
  readonly version: 'v1' | 'v2';
  /** The cgroup path inside each hierarchy, e.g. `/oci-ts/<id>`. */
  readonly path: string;
  /** Hierarchy key ("cpu,cpuacct", "name=systemd", "unified") -> absolute directory. */
  readonly paths: Record<string, string>;
  /** mkdir -p in every hierarchy; remembers which directories were created here. */
  create(): void;
  /** Write the resource limits. Unset values are never written. */
  apply(resources: Resources | undefined): void;
  /** Write the pid to cgroup.procs in every hierarchy. */
  addProcess(pid: number): void;
  /** The cgroup.procs file of every hierarchy (what addProcess writes to). */
  procsFiles(): string[];
  /** Host pids in the cgroup (and its sub-cgroups), sorted, unique. */
  procs(): number[];
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
  /** Signal every process in the cgroup (cgroup.kill on v2 for SIGKILL when present). */
  kill(signal: number): void;
  /** Remove the directories this manager created, bottom-up. Tolerates ENOENT. */
  destroy(): void;
  toJSON(): PersistedCgroup;
  /** Usage statistics in runc's `events` shape (lib/cgroups/stats.ts). */
  stats(): CgroupStats;
  /** The memory cgroup to watch for OOM events, or undefined without a memory controller. */
  oomTarget(): OomTarget | undefined;
}

/**
 * The file-system operations the managers use. The real implementation talks to cgroupfs; unit
 * tests pass a wrapper around a temp directory (and a fake kill).
 */
export interface CgroupIo {
  /** Open O_WRONLY|O_TRUNC (never O_CREAT: a missing control file must fail with ENOENT) and write. */
  write(path: string, value: string): void;
  read(path: string): string;
  exists(path: string): boolean;
  /** Non-recursive mkdir; throws EEXIST when present. */
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Names of the sub-directories of path. */
  subdirs(path: string): string[];
  /** Names of all entries of path. */
  list(path: string): string[];
  kill(pid: number, signal: number): void;
}

/** runtime-spec blockIO (lib/spec/types.ts keeps it as an open record). */
export interface WeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}
export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}
export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}
