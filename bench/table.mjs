#!/usr/bin/env node
// bench/table.mjs RAW.tsv RUNTIME... : markdown table of bench/run.sh results.
// RAW lines: round <TAB> runtime <TAB> metric <TAB> median_ms (one script run's median).
// Per metric and runtime: the median over rounds. Ratios (first runtime vs each other one):
// the median of the per-round ratios, so slow phases of a noisy machine cancel out.
import fs from 'node:fs';

const [file, ...runtimes] = process.argv.slice(2);
if (!file || runtimes.length === 0) {
  process.stderr.write('usage: table.mjs RAW.tsv RUNTIME...\n');
  process.exit(2);
}

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** metric -> runtime -> round -> value */
const data = new Map();
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  const [round, rt, metric, v] = line.split('\t');
  if (!metric || v === undefined || Number.isNaN(Number(v))) continue;
  if (!data.has(metric)) data.set(metric, new Map());
  const byRt = data.get(metric);
  if (!byRt.has(rt)) byRt.set(rt, new Map());
  byRt.get(rt).set(round, Number(v));
}

const [main, ...others] = runtimes;
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const fmtRatio = (x) => (Number.isFinite(x) ? x.toFixed(2) + '×' : 'n/a');
const head = ['metric (ms, median)', ...runtimes, ...others.map((o) => `${main}/${o}`)];
const rows = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
for (const [metric, byRt] of data) {
  const cells = [metric];
  for (const rt of runtimes) cells.push(fmt(median([...(byRt.get(rt)?.values() ?? [])])));
  for (const o of others) {
    const a = byRt.get(main);
    const b = byRt.get(o);
    const ratios = [];
    if (a && b) for (const [round, va] of a) if (b.has(round) && b.get(round) > 0) ratios.push(va / b.get(round));
    cells.push(fmtRatio(median(ratios)));
  }
  rows.push(`| ${cells.join(' | ')} |`);
}
const rounds = new Set();
for (const byRt of data.values()) for (const m of byRt.values()) for (const r of m.keys()) rounds.add(r);
process.stdout.write(`${rows.join('\n')}\n\n${rounds.size} round(s); each cell is the median over rounds of one script run's median; ratios are medians of per-round ratios.\n`);
