#!/usr/bin/env node
// bench/report.mjs SAMPLES.tsv META.tsv OUT.md OUT.json
// Turns the samples of bench/run.sh into the markdown report and the data of the chart.
//
// SAMPLES: workload <TAB> metric <TAB> runtime <TAB> slot <TAB> value <TAB> unit, one line per
// measurement. Samples of different runtimes with the same (workload, metric, slot) were taken
// next to each other (alternating A B A B ...). Per cell: the median over slots. Per ratio
// A/B: the median over the slots both have of A_slot / B_slot (slow phases of a shared,
// noisy machine hit both sides of a pair and cancel out).
// META: key <TAB> value lines (machine, versions, what ran or was skipped and why).
import fs from 'node:fs';

const [samplesFile, metaFile, outMd, outJson] = process.argv.slice(2);
if (!samplesFile || !metaFile || !outMd || !outJson) {
  process.stderr.write('usage: report.mjs SAMPLES.tsv META.tsv OUT.md OUT.json\n');
  process.exit(2);
}

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** key "workload\tmetric" -> runtime -> slot -> value */
const data = new Map();
const units = new Map();
for (const line of fs.readFileSync(samplesFile, 'utf8').split('\n')) {
  const [w, metric, rt, slot, v, unit] = line.split('\t');
  if (v === undefined || v === '' || Number.isNaN(Number(v))) continue;
  const key = `${w}\t${metric}`;
  if (!data.has(key)) data.set(key, new Map());
  const byRt = data.get(key);
  if (!byRt.has(rt)) byRt.set(rt, new Map());
  byRt.get(rt).set(slot, Number(v));
  units.set(key, unit ?? '');
}

const meta = [];
if (fs.existsSync(metaFile)) {
  for (const line of fs.readFileSync(metaFile, 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0) meta.push([line.slice(0, tab), line.slice(tab + 1)]);
  }
}
const metaGet = (k) => meta.find(([key]) => key === k)?.[1];

const series = (w, m, rt) => data.get(`${w}\t${m}`)?.get(rt);
const med = (w, m, rt) => {
  const s = series(w, m, rt);
  return s ? median([...s.values()]) : NaN;
};
const count = (w, m, rt) => series(w, m, rt)?.size ?? 0;
/** median over common slots of f(slot -> values) */
function pairedMedian(parts, f) {
  const maps = parts.map(([w, m, rt]) => series(w, m, rt));
  if (maps.some((x) => x === undefined)) return NaN;
  const out = [];
  for (const slot of maps[0].keys()) {
    if (!maps.every((x) => x.has(slot))) continue;
    const v = f(...maps.map((x) => x.get(slot)));
    if (Number.isFinite(v)) out.push(v);
  }
  return median(out);
}
const ratio = (w, m, a, b, mb = m) => pairedMedian([[w, m, a], [w, mb, b]], (x, y) => (y > 0 ? x / y : NaN));

const f2 = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const fx = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const fmtVal = (x, unit) => {
  if (!Number.isFinite(x)) return '—';
  if (unit === 'KiB') return (x / 1024).toFixed(x >= 10240 ? 1 : 2);
  if (unit === 'count' || unit === '') return String(Math.round(x * 100) / 100);
  return x >= 100 ? x.toFixed(1) : x.toFixed(2);
};
const has = (w) => [...data.keys()].some((k) => k.startsWith(`${w}\t`));
const metricsOf = (w) => [...data.keys()].filter((k) => k.startsWith(`${w}\t`)).map((k) => k.split('\t')[1]);
const runtimesOf = (w) => {
  const s = new Set();
  for (const [k, byRt] of data) if (k.startsWith(`${w}\t`)) for (const rt of byRt.keys()) s.add(rt);
  return ['oci-ts', 'runc', 'crun', 'hello'].filter((r) => s.has(r));
};

const md = [];
const chart = { title: '', groups: [] }; // groups: {name, rows: [{label, ratios: {oci-ts, crun, hello}}]}
const chartRow = (group, label, ratios) => {
  let g = chart.groups.find((x) => x.name === group);
  if (!g) chart.groups.push((g = { name: group, rows: [] }));
  g.rows.push({ label, ratios });
};

/**
 * A table of one workload: a row per metric, a column per runtime (median), then ratios.
 * rows: [{metric, label}], ratios: [[a, b]], chartGroup: adds oci-ts/runc, crun/runc (and hello/runc).
 */
function table(w, rows, ratioPairs, chartGroup, { unitLabel, chartOnly } = {}) {
  const rts = runtimesOf(w);
  const head = ['', ...rts.map((r) => (r === 'hello' ? 'hello (floor)' : r)), ...ratioPairs.map(([a, b]) => `${a}/${b}`), 'n'];
  md.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const { metric, label } of rows) {
    const key = `${w}\t${metric}`;
    if (!data.has(key)) continue;
    const unit = units.get(key);
    const u = unitLabel ?? (unit === 'KiB' ? 'MiB' : unit);
    const cells = [`${label ?? metric}${u ? ` (${u})` : ''}`];
    for (const rt of rts) cells.push(fmtVal(med(w, metric, rt), unit));
    for (const [a, b] of ratioPairs) cells.push(fx(ratio(w, metric, a, b)));
    cells.push(String(Math.max(...rts.map((rt) => count(w, metric, rt)))));
    md.push(`| ${cells.join(' | ')} |`);
    if (chartGroup && (chartOnly === undefined || chartOnly.includes(metric))) {
      const r = {};
      for (const rt of ['oci-ts', 'crun', 'hello']) {
        const x = ratio(w, metric, rt, 'runc');
        if (Number.isFinite(x)) r[rt] = x;
      }
      if (Object.keys(r).length > 0) chartRow(chartGroup, label ?? metric, r);
    }
  }
  md.push('');
}

// ---------------------------------------------------------------------------------------------
const date = metaGet('date') ?? new Date().toISOString();
md.push(`# oci-ts benchmark: ${date}`, '');
if (metaGet('machine')) md.push(`**Machine:** ${metaGet('machine')}`, '');
if (metaGet('versions')) md.push(`**Versions:** ${metaGet('versions')}`, '');
if (metaGet('run')) md.push(`**Run:** ${metaGet('run')}`, '');
md.push(
  'Method: whole-process wall time of each call (bash `$EPOCHREALTIME` around the one exec, so bash\'s fork+exec is',
  'included for every runtime alike), `NODE_EXTRA_CA_CERTS` and `NODE_OPTIONS` unset. The runtimes alternate call by',
  'call (A B C A B C ..., the order rotated every iteration); a cell is the median over iterations, a ratio A/B the',
  'median of the per-pair ratios A_i/B_i. `hello` is `dist/hello`, a Node 20 single executable built exactly like',
  '`dist/oci-ts` that only prints: the floor any Node-based runtime pays per call. All runtimes run in the same private',
  'mount namespace with `/dev/null` over `/sys/fs/cgroup/unified/cgroup.controllers` (bench/peers/README.md: crun',
  'refuses hybrid hosts otherwise). Each container has its own cgroup (`linux.cgroupsPath=/<id>`). The stdout of',
  `each timed call is ${metaGet('stdout') === 'null' ? '/dev/null' : 'a pipe (drained by one long-lived `cat`), as engines read runtime output through pipes'}.`,
  '',
);

// ---- targets
const targets = [];
const verdict = (r, goal) => (Number.isFinite(r) ? (r <= goal ? 'met' : 'not met') : '—');
if (has('verbs')) {
  for (const v of ['state', 'start', 'kill', 'delete']) {
    const r = ratio('verbs', v, 'oci-ts', 'hello');
    const ex = pairedMedian([['verbs', v, 'oci-ts'], ['verbs', v, 'hello']], (x, y) => x - y);
    targets.push([`\`${v}\` / dist/hello`, `${fx(r)} (+${f2(ex)} ms)`, '≤ 1.10×', Number.isFinite(r) ? (r <= 1.1 ? 'met' : 'not met') : '—']);
  }
  const ociEx = pairedMedian([['verbs', 'create', 'oci-ts'], ['verbs', 'create', 'hello']], (a, b) => a - b);
  const runcEx = pairedMedian([['verbs', 'create', 'runc'], ['verbs', 'version', 'runc']], (a, b) => a - b);
  const exRatio = Number.isFinite(ociEx) && runcEx > 0 ? ociEx / runcEx : NaN;
  targets.push([
    '`create` above its floor: (oci-ts create − hello) vs (runc create − runc --version)',
    `${f2(ociEx)} ms vs ${f2(runcEx)} ms = ${fx(exRatio)}`,
    '≤ 1.00×',
    Number.isFinite(exRatio) ? (exRatio <= 1 ? 'met' : 'not met') : '—',
  ]);
  chart.createExcess = { ociTs: ociEx, runc: runcEx };
  const ver = ratio('verbs', 'version', 'oci-ts', 'hello');
  targets.push(['`--version` / dist/hello', fx(ver), '≤ 1.10×', verdict(ver, 1.1)]);
  const runEx = pairedMedian([['verbs', 'run', 'oci-ts'], ['verbs', 'run', 'hello']], (a, b) => a - b);
  const runcRunEx = pairedMedian([['verbs', 'run', 'runc'], ['verbs', 'version', 'runc']], (a, b) => a - b);
  const runExRatio = Number.isFinite(runEx) && runcRunEx > 0 ? runEx / runcRunEx : NaN;
  targets.push(['`run /bin/true` above its floor (as for create)', `${f2(runEx)} ms vs ${f2(runcRunEx)} ms = ${fx(runExRatio)}`, '≤ 1.00×', verdict(runExRatio, 1)]);
  for (const v of ['create', 'run']) {
    const r = ratio('verbs', v, 'oci-ts', 'runc');
    targets.push([`\`${v}\` whole call / runc`, fx(r), 'aim ≤ 1.30×', verdict(r, 1.3)]);
  }
}
if (has('throughput')) {
  const seq = ratio('throughput', 'seq.total_s', 'oci-ts', 'runc');
  targets.push(['100 sequential run+delete / runc', fx(seq), '≤ 1.30×', verdict(seq, 1.3)]);
  const par = ratio('throughput', 'par.create+start_all_ms', 'oci-ts', 'runc');
  const cpu = ['oci-ts', 'runc'].map((rt) => f2(med('throughput', 'par.cpu_per_container_ms', rt), 1));
  targets.push(['20 parallel create+start / runc', `${fx(par)} (CPU per container ${cpu[0]} vs ${cpu[1]} ms)`, '≤ 1.50×', verdict(par, 1.5)]);
}
if (has('memory')) {
  const pss = ['oci-ts', 'crun'].map((rt) => med('memory', 'created.Pss_kib', rt));
  targets.push(['waiting init Pss, oci-ts vs crun', `${f2(pss[0], 0)} vs ${f2(pss[1], 0)} KiB`, '≤ crun', Number.isFinite(pss[0]) && Number.isFinite(pss[1]) ? (pss[0] <= pss[1] ? 'met' : 'not met') : '—']);
}
if (has('engines')) {
  for (const m of ['docker run --rm', 'podman run --rm']) {
    const r = ratio('engines', m, 'oci-ts', 'runc');
    targets.push([`\`${m}\` end to end / runc`, fx(r), '≤ 1.05×', verdict(r, 1.05)]);
  }
}
if (has('scale')) {
  const n = metricsOf('scale').filter((m) => m.startsWith('create@')).map((m) => Number(m.slice(7))).sort((a, b) => a - b);
  if (n.length >= 2) {
    const lo = n[0], hi = n[n.length - 1];
    const g = med('scale', `create@${hi}`, 'oci-ts') / med('scale', `create@${lo}`, 'oci-ts');
    targets.push([`create with ${hi} containers / with ${lo}`, fx(g), '≤ 1.05×', verdict(g, 1.05)]);
  }
}
if (targets.length > 0) {
  md.push('## Targets (issue: "a benchmark suite against runc and crun, and oci-ts at the platform floor")', '');
  md.push('| target | measured | goal | verdict |', '|---|---:|---:|---|');
  for (const t of targets) md.push(`| ${t.join(' | ')} |`);
  md.push('');
}

// ---- headline
if (has('verbs')) {
  const h = [];
  for (const v of ['create', 'start', 'state', 'kill', 'delete', 'run']) h.push(`${v} ${fx(ratio('verbs', v, 'oci-ts', 'runc'))}`);
  md.push(`**Headline, oci-ts/runc:** ${h.join(', ')}. **Node floor:** dist/hello / \`runc --version\` = ${fx(ratio('verbs', 'version', 'hello', 'runc'))}` +
    ` (${f2(med('verbs', 'version', 'hello'))} vs ${f2(med('verbs', 'version', 'runc'))} ms).`, '');
}

// ---- 1. verbs
if (has('verbs')) {
  md.push('## 1. Each verb alone, and the floors (ms)', '');
  md.push('`create` makes a `sleep 1000` container (own cgroup); `start`, `state`, `exec -d /bin/true`, `kill KILL`, `delete` act on it;',
    '`run` is a foreground `/bin/true` container; `delete after run` is the not-found path (the runtimes delete a',
    'foreground container themselves); `--version` is each runtime\'s floor (for hello: dist/hello itself); `spec` in an',
    'empty dir; `list` of an empty root. The hello column is dist/hello called with the same arguments.', '');
  const rows = [
    ['create'], ['start'], ['state'], ['exec_d', 'exec -d /bin/true'], ['kill'], ['delete'], ['run', 'run /bin/true'], ['delete_after_run', 'delete after run'],
    ['version', '--version (floor)'], ['spec'], ['list', 'list (empty)'],
  ].map(([metric, label]) => ({ metric, label }));
  const rts = runtimesOf('verbs');
  const pairs = [['oci-ts', 'runc'], ['oci-ts', 'crun'], ['oci-ts', 'hello'], ['crun', 'runc']].filter(([a, b]) => rts.includes(a) && rts.includes(b));
  table('verbs', rows, pairs, 'verbs', { unitLabel: '' });
  chartRow('floor', 'Node floor: dist/hello', { hello: ratio('verbs', 'version', 'hello', 'runc') });
}

// ---- 2. throughput
if (has('throughput')) {
  const seqN = metaGet('throughput.args') ?? '';
  md.push(`## 2. Throughput ${seqN}`, '');
  md.push('Sequential `run /bin/true` + `delete` cycles, one after another; then P containers `create && start` in',
    'parallel background jobs (time until all returned, all verified `running`), then their parallel `kill` + `delete -f`.',
    'Each round runs the whole script once per runtime, the order rotating per round; ratios pair the same round.', '');
  const rows = [
    ['seq.total_s:per_cycle_ms', 'sequential run+delete, per cycle'],
    ['seq.total_s', 'sequential run+delete, total'],
    ['seq.run_ms', 'sequential: run (median call)'],
    ['seq.delete_ms', 'sequential: delete (median call)'],
    ['par.create+start_all_ms', 'parallel create+start, until all started'],
    ['par.cpu_per_container_ms', 'parallel create+start, CPU (user+sys) per container'],
    ['par.kill+delete_all_ms', 'parallel kill+delete -f, all'],
  ].map(([metric, label]) => ({ metric, label }));
  const rts = runtimesOf('throughput');
  table('throughput', rows, [['oci-ts', 'runc'], ['oci-ts', 'crun'], ['crun', 'runc']].filter(([a, b]) => rts.includes(a) && rts.includes(b)), 'throughput',
    { chartOnly: ['seq.total_s:per_cycle_ms', 'par.create+start_all_ms', 'par.kill+delete_all_ms'] });
  const bad = [];
  for (const rt of rts) {
    const f = med('throughput', 'seq.total_s:run_failures', rt);
    const run = med('throughput', 'par.create+start_all_ms:running', rt);
    const cn = med('throughput', 'par.create+start_all_ms:containers', rt);
    if (f > 0) bad.push(`${rt}: ${f} sequential run failures`);
    if (Number.isFinite(run) && run !== cn) bad.push(`${rt}: only ${run} of ${cn} parallel containers running`);
  }
  if (bad.length > 0) md.push(`**Failures:** ${bad.join('; ')}`, '');
}

// ---- 3. memory
if (has('memory')) {
  md.push('## 3. Memory', '');
  md.push('Peak RSS (GNU time `%M`: the runtime process and the children it reaped) per verb, median of N calls; hello is',
    'the Node floor (dist/hello). Then M containers created and not started, all alive at once: the init process that',
    'waits for `start` (oci-ts: the static C shim; runc: `runc init`; crun: crun itself).', '');
  const verbs = ['create', 'start', 'state', 'kill', 'delete', 'run_true', 'version', 'spec'];
  const rts = runtimesOf('memory').filter((r) => r !== 'hello');
  const helloPeak = med('memory', 'peak.hello_kib', 'hello');
  const head = ['peak RSS (MiB)', ...rts, 'hello (floor)', ...rts.filter((r) => r !== 'runc').map((r) => `${r}/runc`)];
  md.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const v of verbs) {
    const m = `peak.${v}_kib`;
    if (!data.has(`memory\t${m}`)) continue;
    const cells = [v.replace('_true', ' /bin/true')];
    for (const rt of rts) cells.push(fmtVal(med('memory', m, rt), 'KiB'));
    cells.push(fmtVal(helloPeak, 'KiB'));
    for (const rt of rts.filter((r) => r !== 'runc')) cells.push(fx(med('memory', m, rt) / med('memory', m, 'runc')));
    md.push(`| ${cells.join(' | ')} |`);
    if (['create', 'state'].includes(v)) chartRow('memory', `peak RSS ${v}`, Object.fromEntries(['oci-ts', 'crun'].filter((r) => rts.includes(r)).map((r) => [r, med('memory', m, r) / med('memory', m, 'runc')])));
  }
  md.push('');
  const head2 = ['created, not started: init process', ...rts];
  md.push(`| ${head2.join(' | ')} |`, `|${head2.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const [m, label] of [
    ['created.VmRSS_kib', 'VmRSS (KiB)'], ['created.Pss_kib', 'Pss (KiB)'], ['created.RssAnon_kib', 'RssAnon (KiB)'],
    ['created.RssFile_kib', 'RssFile (KiB)'], ['created.threads_count', 'threads'],
    ['created.delta_MemAvailable_kib_per_container', 'MemAvailable drop per container (KiB, system-wide, noisy)'],
  ]) {
    if (!data.has(`memory\t${m}`)) continue;
    md.push(`| ${label} | ${rts.map((rt) => fmtVal(med('memory', m, rt), '')).join(' | ')} |`);
  }
  md.push('');
  const p = (rt) => med('memory', 'created.Pss_kib', rt) / med('memory', 'created.Pss_kib', 'runc');
  if (rts.includes('oci-ts')) chartRow('memory', 'created init Pss', Object.fromEntries(['oci-ts', 'crun'].filter((r) => rts.includes(r)).map((r) => [r, p(r)])));
}

// ---- 4. scale
if (has('scale')) {
  md.push('## 4. Scale: N containers existing at once (ms)', '');
  md.push('N running `sleep` containers per runtime (each under its own --root, all runtimes filled at once); then',
    'per probe: `create` of one more container, `state` of an existing one, `list` of the whole root, alternating',
    'runtimes. The probe container is removed (untimed) before the next probe.', '');
  const ms = metricsOf('scale');
  const counts = [...new Set(ms.map((m) => Number(m.split('@')[1])))].sort((a, b) => a - b);
  const rows = [];
  for (const verb of ['create', 'state', 'list']) for (const c of counts) rows.push({ metric: `${verb}@${c}`, label: `${verb}, N=${c}` });
  const rts = runtimesOf('scale');
  table('scale', rows, [['oci-ts', 'runc'], ['oci-ts', 'crun'], ['crun', 'runc']].filter(([a, b]) => rts.includes(a) && rts.includes(b)), 'scale', { unitLabel: '' });
  // growth: cost at the largest N over the cost at the smallest N
  if (counts.length > 1) {
    const lo = counts[0];
    const hi = counts[counts.length - 1];
    const g = [];
    for (const verb of ['create', 'state', 'list']) {
      g.push(`${verb}: ${rts.map((rt) => `${rt} ${fx(med('scale', `${verb}@${hi}`, rt) / med('scale', `${verb}@${lo}`, rt))}`).join(', ')}`);
    }
    md.push(`Growth from N=${lo} to N=${hi} (median at ${hi} / median at ${lo}): ${g.join('; ')}.`, '');
  }
}
{
  const lines = meta.filter(([k]) => k.startsWith('scale.'));
  if (lines.length > 0) {
    if (!has('scale')) md.push('## 4. Scale', '');
    for (const [k, v] of lines) md.push(`* ${k.replace(/^scale\./, '')}: ${v}`);
    md.push('');
  }
}

// ---- 5. engines
md.push('## 5. Engines, end to end (ms)', '');
if (has('engines')) {
  md.push('`docker run --rm --runtime R IMAGE true` and `podman --runtime R run --rm IMAGE true` (busybox image of',
    'tests/engines/env.sh), the variants alternating call by call.', '');
  table('engines', [{ metric: 'docker run --rm' }, { metric: 'podman run --rm' }], [['oci-ts', 'runc']], 'engines', { unitLabel: '' });
}
for (const [k, v] of meta.filter(([key]) => key.startsWith('engines.'))) md.push(`* ${k.replace(/^engines\./, '')}: ${v}`);
md.push('');

// ---- notes
const notes = meta.filter(([k]) => k.startsWith('note') || k.startsWith('workload.'));
if (notes.length > 0) {
  md.push('## Run notes', '');
  for (const [k, v] of notes) md.push(`* ${k}: ${v}`);
  md.push('');
}

md.push('Raw samples: `latest.tsv` beside this file (workload, metric, runtime, slot, value, unit). Made by `make bench`',
  '(bench/run.sh); the chart `latest.png` shows the ratios to runc (log scale; < 1 is faster than runc).', '');

chart.title = `oci-ts vs runc (ratio, median of pairs) — ${date.slice(0, 10)}`;
fs.writeFileSync(outMd, md.join('\n'));
fs.writeFileSync(outJson, JSON.stringify(chart, null, 2) + '\n');
