/**
 * Unit tests for the pure parts of update and events:
 *  - update: runc flags -> LinuxResources, zero-means-unchanged, file+flags overlay, merging into
 *    the recorded resources, and validation of a LinuxResources document with JSON pointers;
 *  - events: the stats mapping from fake cgroup v1 / v2 files (runc's types/events.go shape),
 *    the bigint-safe JSON writer, the event lines, and the OOM watchers with fake inputs.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UpdateOptions } from '../../lib/cli/argv';
import { realIo } from '../../lib/cgroups/io';
import { newCgroupManager } from '../../lib/cgroups/manager';
import { CounterOomWatcher, EventfdOomWatcher, openOomWatcher, type EventfdOps } from '../../lib/cgroups/oom';
import {
  MAX_UINT64, parseBlkioFile, parseCpuList, parseIoStat, parseKeyValues, parsePsi, parseU64, statsV1, statsV2, toJson,
} from '../../lib/cgroups/stats';
import type { HostCgroups } from '../../lib/cgroups/types';
import { oomEventLine, statsEventLine } from '../../lib/container/events';
import {
  effectiveChanges, flagsToResources, mergeResources, overlayResources, parseResources, updateRequest,
} from '../../lib/container/update';
import { OciError } from '../../lib/errors';
import { configureLog } from '../../lib/log';

configureLog({ format: 'text', debug: false, file: path.join(os.tmpdir(), `oci-ts-cgroup-verbs-unit-${process.pid}.log`) });

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'oci-ts-cgv-unit-'));
  tmpDirs.push(d);
  return d;
}

/** Write files (name -> content) into dir, making it first. */
function files(dir: string, entries: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(entries)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const DOCKER_JSON = '{"memory":{"limit":67108864,"reservation":0,"swap":134217728,"kernel":0},"cpu":{"shares":0,"quota":50000,"period":100000},"pids":{"limit":50},"blockIO":{"weight":0}}';
const PODMAN_JSON = '{"memory":{"limit":67108864,"swap":134217728},"cpu":{"quota":50000,"period":100000}}';

function ociErr(fn: () => unknown, message: RegExp, pointer?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OciError, `not an OciError: ${String(e)}`);
    assert.match(e.message, message);
    if (pointer !== undefined) assert.equal(e.pointer, pointer);
    return true;
  });
}

// ------------------------------------------------------------------------------------------------

describe('update: flags and zero values', () => {
  test('each runc flag lands in its LinuxResources field', () => {
    const o: UpdateOptions = {
      id: 'c', blkioWeight: 300, cpuPeriod: 100000, cpuQuota: 50000, cpuBurst: 1000, cpuShare: 512, cpuRtPeriod: 1000000,
      cpuRtRuntime: 950000, cpusetCpus: '0-1', cpusetMems: '0', memory: 64 << 20, memoryReservation: 32 << 20, memorySwap: 128 << 20, pidsLimit: 50,
    };
    assert.deepEqual(flagsToResources(o), {
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 },
      cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '0-1', mems: '0' },
      pids: { limit: 50 },
      blockIO: { weight: 300 },
    });
    assert.deepEqual(flagsToResources({ id: 'c' }), {});
  });

  test('zero values mean unchanged (docker sends shares 0, weight 0, reservation 0, kernel 0)', () => {
    const docker = parseResources(DOCKER_JSON, 'stdin');
    assert.deepEqual(effectiveChanges(docker), {
      memory: { limit: 67108864, swap: 134217728 },
      cpu: { quota: 50000, period: 100000 },
      pids: { limit: 50 },
    });
    // Flags given as 0 change nothing either; -1 (unlimited) is a change.
    assert.deepEqual(effectiveChanges(flagsToResources({ id: 'c', memory: 0, cpuShare: 0, pidsLimit: 0, blkioWeight: 0, cpusetCpus: '' })), {});
    assert.deepEqual(effectiveChanges(flagsToResources({ id: 'c', memory: -1, pidsLimit: -1, cpuQuota: -1 })), {
      memory: { limit: -1 }, cpu: { quota: -1 }, pids: { limit: -1 },
    });
    // burst 0 is a value (no burst), idle and swappiness too; device rules are never updated.
    assert.deepEqual(effectiveChanges({ cpu: { burst: 0, idle: 0 }, memory: { swappiness: 0 }, devices: [{ allow: true, access: 'rwm' }] }), {
      cpu: { burst: 0, idle: 0 }, memory: { swappiness: 0 },
    });
    // checkBeforeUpdate alone changes nothing.
    assert.deepEqual(effectiveChanges({ memory: { checkBeforeUpdate: true, limit: 0 } }), {});
  });

  test('flags override the --resources document field by field', () => {
    const file = parseResources(PODMAN_JSON, '/tmp/x');
    const merged = overlayResources(file, flagsToResources({ id: 'c', memory: 32 << 20, cpuShare: 256 }));
    assert.deepEqual(merged, { memory: { limit: 32 << 20, swap: 134217728 }, cpu: { quota: 50000, period: 100000, shares: 256 } });
  });

  test('updateRequest reads the source, validates, overlays and reduces', () => {
    const seen: string[] = [];
    const read = (s: string): string => {
      seen.push(s);
      return DOCKER_JSON;
    };
    assert.deepEqual(updateRequest({ id: 'c', resources: '-', pidsLimit: 20 }, read), {
      memory: { limit: 67108864, swap: 134217728 }, cpu: { quota: 50000, period: 100000 }, pids: { limit: 20 },
    });
    assert.deepEqual(seen, ['-']);
    // --resources= (empty) is "not given", as in runc.
    assert.deepEqual(updateRequest({ id: 'c', resources: '', cpuShare: 2 }, () => assert.fail('read')), { cpu: { shares: 2 } });
    ociErr(() => updateRequest({ id: 'c', l3CacheSchema: 'L3:0=f' }), /Intel RDT\/CAT: l3 cache schema is not enabled/);
    ociErr(() => updateRequest({ id: 'c', memBwSchema: 'MB:0=70' }), /Intel RDT\/MBA: memory bandwidth schema is not enabled/);
  });

  test('mergeResources keeps what a zero left unchanged and replaces per device / page size', () => {
    const base = {
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 1 << 30, reservation: 1 << 29 },
      cpu: { shares: 512, quota: 100000, period: 100000 },
      pids: { limit: 100 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 100 }, { major: 8, minor: 16, rate: 200 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 0 }, { pageSize: '1GB', limit: 0 }],
    };
    const changes = effectiveChanges({
      ...parseResources(DOCKER_JSON, 'stdin'),
      blockIO: { weight: 0, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] },
      hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    });
    assert.deepEqual(mergeResources(base, changes), {
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 67108864, reservation: 1 << 29, swap: 134217728 },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 50 },
      blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 16, rate: 200 }, { major: 8, minor: 0, rate: 1000 }] },
      hugepageLimits: [{ pageSize: '1GB', limit: 0 }, { pageSize: '2MB', limit: 4194304 }],
    });
  });
});

describe('update: validation of a LinuxResources document', () => {
  test('docker and podman documents are accepted as they are', () => {
    assert.deepEqual(parseResources(PODMAN_JSON, 'f'), JSON.parse(PODMAN_JSON));
    assert.deepEqual(parseResources(DOCKER_JSON, 'stdin'), JSON.parse(DOCKER_JSON));
  });

  test('errors name the source and the JSON pointer', () => {
    ociErr(() => parseResources('{"memory":{"limit":"64m"}}', 'stdin'), /^invalid resources \(stdin\): \/memory\/limit: must be a number \(int64\), not a string$/, '/memory/limit');
    ociErr(() => parseResources('{"cpu":{"shares":-2}}', '/tmp/r.json'), /^invalid resources \(\/tmp\/r.json\): \/cpu\/shares: -2 is out of range for uint64/, '/cpu/shares');
    ociErr(() => parseResources('{"cpu":{"quota":1.5}}', 'stdin'), /\/cpu\/quota: must be an integer \(int64\), not 1.5/, '/cpu/quota');
    ociErr(() => parseResources('{"blockIO":{"weight":70000}}', 'stdin'), /\/blockIO\/weight: 70000 is out of range for uint16/);
    ociErr(() => parseResources('{"hugepageLimits":[{"limit":1}]}', 'stdin'), /\/hugepageLimits\/0\/pageSize: is required/, '/hugepageLimits/0/pageSize');
    ociErr(() => parseResources('{"blockIO":{"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":"x"}]}}', 'stdin'), /\/blockIO\/throttleReadBpsDevice\/0\/rate: must be a number/);
    ociErr(() => parseResources('{"unified":{"memory.high":5}}', 'stdin'), /\/unified\/memory.high: must be a string, not a number/);
    ociErr(() => parseResources('{"rdma":{"mlx/5":{"hcaHandles":-1}}}', 'stdin'), /\/rdma\/mlx~15\/hcaHandles: -1 is out of range for uint32/);
    ociErr(() => parseResources('{"pids":[]}', 'stdin'), /\/pids: must be an object, not an array/);
    ociErr(() => parseResources('[1]', 'stdin'), /invalid resources \(stdin\): \/: must be an object, not an array/);
    ociErr(() => parseResources('{"memory":{"limit":12345678901234567890}}', 'stdin'), /\/memory\/limit: .* out of range for int64.*2\^53/);
    ociErr(() => parseResources('{"memory":', 'stdin'), /^invalid resources \(stdin\): not valid JSON: /);
    ociErr(() => parseResources('  \n', 'stdin'), /empty input/);
  });

  test('null members are absent and unknown members are ignored (as Go decodes)', () => {
    assert.deepEqual(parseResources('{"memory":{"limit":null,"swap":5},"cpu":null,"future":{"x":1},"pids":{"limit":3,"extra":true}}', 'stdin'), {
      memory: { swap: 5 }, pids: { limit: 3 },
    });
  });
});

// ------------------------------------------------------------------------------------------------

describe('events: parsers', () => {
  test('uint64 values, key-value files, cpu lists, PSI, blkio and io.stat', () => {
    assert.equal(parseU64('max\n'), MAX_UINT64);
    assert.equal(parseU64('9223372036854771712'), 9223372036854771712n);
    assert.equal(parseU64('-1'), 0n);
    assert.deepEqual([...parseKeyValues('cache 4096\nrss 8192\nbogus\nx y\n').entries()], [['cache', 4096n], ['rss', 8192n]]);
    assert.deepEqual(parseCpuList('0-3,5,7-8\n'), [0, 1, 2, 3, 5, 7, 8]);
    assert.deepEqual(parseCpuList('\n'), []);
    assert.deepEqual(parsePsi('some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n'), {
      some: { avg10: 1.5, avg60: 0.25, avg300: 0, total: 12345n }, full: { avg10: 0, avg60: 0, avg300: 0, total: 7n },
    });
    assert.deepEqual(parseBlkioFile('8:0 Read 4096\n8:0 Write 0\n8:0 Sync 4096\n8:16 512\nTotal 4608\n'), [
      { major: 8n, op: 'Read', value: 4096n }, { major: 8n, op: 'Write' }, { major: 8n, op: 'Sync', value: 4096n }, { major: 8n, minor: 16n, value: 512n },
    ]);
    assert.deepEqual(parseIoStat('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n'), {
      ioServiceBytesRecursive: [{ major: 8n, op: 'Read', value: 4096n }, { major: 8n, op: 'Write', value: 8192n }],
      ioServicedRecursive: [{ major: 8n, op: 'Read', value: 1n }, { major: 8n, op: 'Write', value: 2n }],
    });
  });

  test('toJson writes bigints exactly and leaves undefined members out', () => {
    assert.equal(toJson({ a: 9223372036854771712n, b: undefined, c: [1n, 2], d: null, e: 'x"y', f: 0.25 }), '{"a":9223372036854771712,"c":[1,2],"d":null,"e":"x\\"y","f":0.25}');
    assert.equal(oomEventLine('abc'), '{"type":"oom","id":"abc"}\n');
  });
});

/** A v1 container's files as this kernel (6.x, hybrid host) shows them, with made-up numbers. */
function fakeV1(root: string): Record<string, string> {
  return {
    cpu: files(path.join(root, 'cpu'), { 'cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 3000000\nnr_bursts 0\nburst_time 0\n' }),
    cpuacct: files(path.join(root, 'cpuacct'), {
      'cpuacct.usage': '123456789\n', 'cpuacct.usage_percpu': '100000000 23456789 \n',
      'cpuacct.usage_all': 'cpu user system\n0 60000000 40000000\n1 20000000 3456789\n', 'cpuacct.stat': 'user 8\nsystem 4\n',
    }),
    cpuset: files(path.join(root, 'cpuset'), {
      'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n', 'cpuset.cpu_exclusive': '0\n', 'cpuset.mem_hardwall': '0\n', 'cpuset.mem_exclusive': '0\n',
      'cpuset.memory_migrate': '0\n', 'cpuset.memory_spread_page': '0\n', 'cpuset.memory_spread_slab': '0\n', 'cpuset.memory_pressure': '0\n',
      'cpuset.sched_load_balance': '1\n', 'cpuset.sched_relax_domain_level': '-1\n',
    }),
    memory: files(path.join(root, 'memory'), {
      'memory.stat': 'cache 4096\nrss 208896\ntotal_rss 208896\n',
      'memory.usage_in_bytes': '688128\n', 'memory.max_usage_in_bytes': '1060864\n', 'memory.failcnt': '3\n', 'memory.limit_in_bytes': '16777216\n',
      'memory.memsw.usage_in_bytes': '688128\n', 'memory.memsw.max_usage_in_bytes': '1060864\n', 'memory.memsw.failcnt': '0\n', 'memory.memsw.limit_in_bytes': '16777216\n',
      'memory.kmem.usage_in_bytes': '344064\n', 'memory.kmem.max_usage_in_bytes': '495616\n', 'memory.kmem.failcnt': '0\n', 'memory.kmem.limit_in_bytes': '9223372036854771712\n',
      'memory.kmem.tcp.usage_in_bytes': '0\n', 'memory.kmem.tcp.max_usage_in_bytes': '0\n', 'memory.kmem.tcp.failcnt': '0\n', 'memory.kmem.tcp.limit_in_bytes': '9223372036854771712\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
    }),
    pids: files(path.join(root, 'pids'), { 'pids.current': '4\n', 'pids.max': '40\n' }),
    blkio: files(path.join(root, 'blkio'), {
      'blkio.bfq.io_serviced_recursive': 'Total 0\n', 'blkio.bfq.io_service_bytes_recursive': 'Total 0\n',
      'blkio.throttle.io_serviced_recursive': '8:0 Read 2\n8:0 Write 1\nTotal 3\n', 'blkio.throttle.io_service_bytes_recursive': '8:0 Read 8192\n8:0 Write 4096\nTotal 12288\n',
    }),
    unified: files(path.join(root, 'unified'), {
      'cpu.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=11\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n',
      'memory.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      'hugetlb.2MB.current': '2097152\n', 'hugetlb.2MB.events': 'max 1\n', 'hugetlb.2MB.max': 'max\n',
      'hugetlb.1GB.current': '0\n', 'hugetlb.1GB.events': 'max 0\n', 'hugetlb.1GB.max': 'max\n',
    }),
  };
}

describe('events: stats mapping', () => {
  test('cgroup v1 files (hybrid host: hugetlb and PSI from the cgroup2 dir) in runc\'s shape and field order', () => {
    const d = fakeV1(tmpDir());
    const s = statsV1(realIo, d);
    const line = statsEventLine('c1', s);
    const expected = {
      type: 'stats', id: 'c1', data: {
        cpu: {
          usage: { total: 123456789, percpu: [100000000, 23456789], percpu_kernel: [40000000, 3456789], percpu_user: [60000000, 20000000], kernel: 40000000, user: 80000000 },
          throttling: { periods: 10, throttledPeriods: 2, throttledTime: 3000000 },
          psi: { some: { avg10: 0, avg60: 0, avg300: 0, total: 11 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 5 } },
        },
        cpuset: {
          cpus: [0, 1], cpu_exclusive: 0, mems: [0], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
          memory_spread_slab: 0, memory_pressure: 0, memory_pressure_enabled: 0, sched_load_balance: 1, sched_relax_domain_level: -1,
        },
        memory: {
          cache: 4096,
          usage: { limit: 16777216, usage: 688128, max: 1060864, failcnt: 3 },
          swap: { limit: 16777216, usage: 688128, max: 1060864, failcnt: 0 },
          kernel: { limit: 9223372036854771712, usage: 344064, max: 495616, failcnt: 0 },
          kernelTCP: { limit: 9223372036854771712, failcnt: 0 },
          raw: { cache: 4096, rss: 208896, total_rss: 208896 },
          psi: { some: { avg10: 0, avg60: 0, avg300: 0, total: 0 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 0 } },
        },
        pids: { current: 4, limit: 40 },
        blkio: {
          ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 8192 }, { major: 8, op: 'Write', value: 4096 }],
          ioServicedRecursive: [{ major: 8, op: 'Read', value: 2 }, { major: 8, op: 'Write', value: 1 }],
        },
        hugetlb: { '1GB': { failcnt: 0 }, '2MB': { usage: 2097152, failcnt: 1 } },
        intel_rdt: {},
        network_interfaces: null,
      },
    };
    assert.deepEqual(JSON.parse(line), expected);
    // The exact text: Go field order, and the 2^63-4096 limit written without loss.
    assert.equal(line, JSON.stringify(expected).replace(/9223372036854772000/g, '9223372036854771712') + '\n');
    assert.ok(line.includes('"kernel":{"limit":9223372036854771712,'));
  });

  test('cgroup v1 with missing controllers and files gives zeros, not errors', () => {
    const root = tmpDir();
    const mem = files(path.join(root, 'memory'), { 'memory.usage_in_bytes': '100\n', 'memory.limit_in_bytes': '200\n' });
    const s = statsV1(realIo, { memory: mem, pids: files(path.join(root, 'pids'), { 'pids.current': '1\n', 'pids.max': 'max\n' }) });
    assert.deepEqual(JSON.parse(toJson(s)), {
      cpu: { usage: { kernel: 0, user: 0 }, throttling: {} },
      cpuset: {
        cpu_exclusive: 0, mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0, memory_spread_slab: 0,
        memory_pressure: 0, memory_pressure_enabled: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
      },
      memory: { usage: { limit: 200, usage: 100, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } },
      pids: { current: 1 },
      blkio: {},
      hugetlb: {},
      intel_rdt: {},
      network_interfaces: null,
    });
  });

  test('blkio: the CFQ group wins over throttle when it has entries; v1 hugetlb files', () => {
    const root = tmpDir();
    const blkio = files(path.join(root, 'blkio'), {
      'blkio.sectors_recursive': '8:0 16\n', 'blkio.io_service_bytes_recursive': '8:0 Read 512\nTotal 512\n',
      'blkio.throttle.io_service_bytes_recursive': '8:0 Read 99\n', 'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n',
    });
    const huge = files(path.join(root, 'hugetlb'), {
      'hugetlb.2MB.usage_in_bytes': '0\n', 'hugetlb.2MB.max_usage_in_bytes': '4194304\n', 'hugetlb.2MB.failcnt': '2\n', 'hugetlb.2MB.limit_in_bytes': '0\n',
      'hugetlb.2MB.rsvd.usage_in_bytes': '0\n',
    });
    const s = statsV1(realIo, { blkio, hugetlb: huge });
    assert.deepEqual(JSON.parse(toJson(s.blkio)), {
      ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 512 }], sectorsRecursive: [{ major: 8, value: 16 }],
    });
    assert.deepEqual(JSON.parse(toJson(s.hugetlb)), { '2MB': { max: 4194304, failcnt: 2 } });
  });

  test('cgroup v2 files: cpu.stat in usec, memory+swap like v1, io.stat, pids, hugetlb, PSI', () => {
    const dir = files(path.join(tmpDir(), 'c'), {
      'cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
      'cpu.pressure': 'some avg10=0.10 avg60=0.00 avg300=0.00 total=3\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n',
      'cpuset.cpus.effective': '0-3\n', 'cpuset.mems.effective': '0\n',
      'memory.stat': 'anon 8192\nfile 4096\n', 'memory.current': '12288\n', 'memory.max': '16777216\n', 'memory.peak': '20480\n',
      'memory.events': 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n', 'memory.swap.current': '4096\n', 'memory.swap.max': '0\n', 'memory.swap.events': 'high 0\nmax 0\nfail 0\n',
      'pids.current': '3\n', 'pids.max': 'max\n', 'io.stat': '8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
      'hugetlb.2MB.current': '0\n', 'hugetlb.2MB.events': 'max 0\n',
    });
    const s = statsV2(realIo, dir);
    assert.deepEqual(JSON.parse(toJson(s)), {
      cpu: {
        usage: { total: 1500000, kernel: 500000, user: 1000000 }, throttling: { periods: 4, throttledPeriods: 1, throttledTime: 20000 },
        psi: { some: { avg10: 0.1, avg60: 0, avg300: 0, total: 3 }, full: { avg10: 0, avg60: 0, avg300: 0, total: 1 } },
      },
      cpuset: {
        cpus: [0, 1, 2, 3], cpu_exclusive: 0, mems: [0], mem_hardwall: 0, mem_exclusive: 0, memory_migrate: 0, memory_spread_page: 0,
        memory_spread_slab: 0, memory_pressure: 0, memory_pressure_enabled: 0, sched_load_balance: 0, sched_relax_domain_level: 0,
      },
      memory: {
        cache: 4096,
        usage: { limit: 16777216, usage: 12288, max: 20480, failcnt: 7 },
        swap: { limit: 16777216, usage: 16384, failcnt: 0 },
        kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 },
        raw: { anon: 8192, file: 4096 },
      },
      pids: { current: 3 },
      blkio: {
        // zero counters stay as entries without a value (omitempty), as runc maps io.stat
        ioServiceBytesRecursive: [{ major: 8, op: 'Read', value: 4096 }, { major: 8, op: 'Write' }],
        ioServicedRecursive: [{ major: 8, op: 'Read', value: 1 }, { major: 8, op: 'Write' }],
      },
      hugetlb: { '2MB': { failcnt: 0 } },
      intel_rdt: {},
      network_interfaces: null,
    });
    // memory.max "max" is reported as MaxUint64, and then memory+swap too.
    fs.writeFileSync(path.join(dir, 'memory.max'), 'max\n');
    fs.writeFileSync(path.join(dir, 'memory.swap.max'), 'max\n');
    const t = statsV2(realIo, dir);
    assert.equal(t.memory.usage.limit, MAX_UINT64);
    assert.equal(t.memory.swap.limit, MAX_UINT64);
    assert.ok(toJson(t).includes('"limit":18446744073709551615'));
  });

  test('the managers read their own directories (hybrid host layout: separate cpu and cpuacct, hugetlb in cgroup2)', () => {
    const root = tmpDir();
    const ctrls = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'blkio', 'freezer'];
    const host: HostCgroups = {
      mode: 'hybrid',
      hierarchies: [
        ...ctrls.map((c) => ({ kind: 'v1' as const, mountpoint: path.join(root, c), controllers: [c] })),
        { kind: 'v1' as const, mountpoint: path.join(root, 'systemd'), controllers: [], name: 'systemd' },
        { kind: 'v2' as const, mountpoint: path.join(root, 'unified'), controllers: ['hugetlb'] },
      ],
    };
    for (const h of host.hierarchies) fs.mkdirSync(h.mountpoint);
    const m = newCgroupManager({ id: 'x', cgroupsPath: '/t/x', host, io: realIo });
    assert.throws(() => m.stats(), /does not exist/);
    m.create();
    const want = fakeV1(path.join(root, 'src'));
    for (const [ctrl, src] of Object.entries(want)) {
      for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(root, ctrl, 't/x', f));
    }
    fs.writeFileSync(path.join(root, 'pids', 't/x', 'cgroup.procs'), '');
    assert.deepEqual(m.stats(), statsV1(realIo, Object.fromEntries(Object.keys(want).map((c) => [c, path.join(root, c, 't/x')]))));
    assert.deepEqual(m.oomTarget(), { version: 'v1', dir: path.join(root, 'memory/t/x') });

    // cgroup v2: the one directory; no memory.events means no memory controller, no OOM target.
    const u = path.join(root, 'v2');
    fs.mkdirSync(u);
    const m2 = newCgroupManager({ id: 'y', cgroupsPath: '/y', host: { mode: 'unified', hierarchies: [{ kind: 'v2', mountpoint: u, controllers: [] }] }, io: realIo });
    m2.create();
    files(path.join(u, 'y'), { 'cgroup.procs': '10\n11\n', 'cpu.stat': 'usage_usec 1\n' });
    assert.equal(m2.oomTarget(), undefined);
    assert.equal(m2.stats().pids.current, 2n); // no pids controller: the processes are counted
    fs.writeFileSync(path.join(u, 'y', 'memory.events'), 'oom_kill 0\n');
    assert.deepEqual(m2.oomTarget(), { version: 'v2', dir: path.join(u, 'y') });
  });
});

describe('events: OOM watchers', () => {
  test('counter watcher: increases of oom_kill since start, removal', async () => {
    const dir = files(path.join(tmpDir(), 'm'), { 'memory.events': 'low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n' });
    const w = await openOomWatcher(realIo, { version: 'v2', dir }, { root: tmpDir() });
    assert.ok(w instanceof CounterOomWatcher);
    assert.equal(w.poll(), 0, 'earlier OOM kills are not reported');
    fs.writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\n');
    assert.equal(w.poll(), 1);
    assert.equal(w.poll(), 0);
    fs.writeFileSync(path.join(dir, 'memory.events'), 'oom_kill 5\n');
    assert.equal(w.poll(), 1, 'one notification per change');
    fs.rmSync(path.join(dir, 'memory.events'));
    assert.equal(w.poll(), 0);
    assert.equal(w.removed, true);
  });

  test('eventfd watcher: registration line, one event per read, removal is not an OOM', async () => {
    const dir = files(path.join(tmpDir(), 'm'), { 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n', 'cgroup.event_control': '' });
    const pending: bigint[] = [];
    const closed: number[] = [];
    let flags = -1;
    const ops: EventfdOps = {
      eventfd: (_init, f) => {
        flags = f;
        return 41;
      },
      readCounter: () => pending.shift() ?? 0n,
      openReadOnly: (file) => {
        assert.equal(file, path.join(dir, 'memory.oom_control'));
        return 42;
      },
      close: (fd) => void closed.push(fd),
    };
    const w = await openOomWatcher(realIo, { version: 'v1', dir }, { root: tmpDir(), ops });
    assert.ok(w instanceof EventfdOomWatcher);
    assert.equal(flags, 0o2000000 | 0o4000, 'EFD_CLOEXEC | EFD_NONBLOCK');
    assert.equal(fs.readFileSync(path.join(dir, 'cgroup.event_control'), 'utf8'), '41 42');
    assert.equal(w.poll(), 0);
    pending.push(1n);
    assert.equal(w.poll(), 1);
    pending.push(3n);
    assert.equal(w.poll(), 1, 'runc reports one event per read');
    // The cgroup is removed: the kernel signals the eventfd once more.
    fs.rmSync(path.join(dir, 'cgroup.event_control'));
    pending.push(1n);
    assert.equal(w.poll(), 0);
    assert.equal(w.removed, true);
    w.close();
    assert.deepEqual(closed.sort(), [41, 42]);
  });

  test('v1 falls back to the oom_kill counter of memory.oom_control when no eventfd can be made', async () => {
    const dir = files(path.join(tmpDir(), 'm'), { 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n' });
    const ops: EventfdOps = {
      eventfd: () => { throw new Error('eventfd: function not implemented'); },
      readCounter: () => 0n, openReadOnly: () => 0, close: () => undefined,
    };
    const w = await openOomWatcher(realIo, { version: 'v1', dir }, { root: tmpDir(), ops });
    assert.equal(w.kind, 'counter');
    fs.writeFileSync(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    assert.equal(w.poll(), 1);
  });
});
