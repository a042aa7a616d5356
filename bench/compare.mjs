#!/usr/bin/env node
// bench/compare.mjs SAMPLES.tsv [BASE]: a plain-text table of the verbs workload's samples for
// any set of runtime names (bench/compare.sh): the median per verb and runtime (ms), then per
// runtime the median of its per-slot ratios to BASE (default hello, the Node floor), which a
// noisy machine affects least (both sides of a pair share the slot).
import fs from 'node:fs';

const [file, base = 'hello'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: compare.mjs SAMPLES.tsv [BASE]\n');
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** metric -> runtime -> slot -> ms */
const data = new Map();
const runtimes = [];
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  const [, metric, rt, slot, v] = line.split('\t');
  if (v === undefined || Number.isNaN(Number(v))) continue;
  if (!data.has(metric)) data.set(metric, new Map());
  if (!data.get(metric).has(rt)) data.get(metric).set(rt, new Map());
  data.get(metric).get(rt).set(slot, Number(v));
  if (!runtimes.includes(rt)) runtimes.push(rt);
}
const others = runtimes.filter((r) => r !== base);
const pad = (s, n) => String(s).padStart(n);
const rows = [['metric', ...runtimes.map((r) => `${r} ms`), ...others.map((r) => `${r}/${base}`)]];
for (const [metric, byRt] of data) {
  const row = [metric];
  for (const rt of runtimes) row.push(median([...(byRt.get(rt)?.values() ?? [])]).toFixed(2));
  for (const rt of others) {
    const a = byRt.get(rt);
    const b = byRt.get(base);
    const ratios = a && b ? [...a].filter(([s]) => b.has(s)).map(([s, v]) => v / b.get(s)) : [];
    row.push(ratios.length ? `${median(ratios).toFixed(3)}x` : '-');
  }
  rows.push(row);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : pad(c, widths[i]))).join('  ') + '\n');

// The create target of the issue: work above the floor, (X create - hello) against runc's
// (runc create - runc --version), each the median over slots of the per-slot difference.
const diffs = (a, b) => (a && b ? median([...a].filter(([s]) => b.has(s)).map(([s, v]) => v - b.get(s))) : NaN);
const create = data.get('create');
const version = data.get('version');
if (create?.has('runc') && version?.has('runc') && create.has(base)) {
  const runc = diffs(create.get('runc'), version.get('runc'));
  for (const rt of others.filter((r) => r !== 'runc')) {
    process.stdout.write(`create above the floor: ${rt} ${diffs(create.get(rt), create.get(base)).toFixed(2)} ms (create - ${base}), runc ${runc.toFixed(2)} ms (create - runc --version)\n`);
  }
}
