import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR } from './processes';
import { S, SLICES, SLICE_WARMUP_SECONDS, TARGETS } from './settings';
import type { Results } from './runner';
import type { Row } from './scenario';
import { broken, serviceMicros } from './ratios';
import type { Measurement } from './wrk';

/*
 * The report: one markdown table in the README's format (ceilings included), the costs, the drain and memory
 * sections, details per row, and every problem; the same as JSON in bench/results/latest.json.
 */

export const fmt = (n: number | undefined, digits = 0) =>
  n !== undefined && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-';

const isCeiling = (r: Row) => r.group === 'ceilings';

const pct = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${fmt(x * 100, 1)}%` : '-');

function costsTable(rows: Row[]): string[] {
  const costed = rows.filter((r) => r.cost);
  if (!costed.length) return [];
  const line = (r: Row) => {
    const base = rows.find((b) => b.name === r.cost!.baseline);
    return (
      `| ${r.label} | ${base?.label ?? r.cost!.baseline} | ${fmt(base?.ratio, 2)} → ${fmt(r.ratio, 2)} | ` +
      `${pct(r.costFraction)} | ${fmt(serviceMicros(base))} → ${fmt(serviceMicros(r))} | ${pct(r.cpuCostFraction)} | ` +
      `${r.cost!.max === undefined ? '' : `≤ ${r.cost!.max * 100}%`} |`
    );
  };
  return [
    '',
    '| Cost of | Against | Ratio to the bare route without → with | Cost by ratio | App + Redis CPU µs/req without → with | Cost by CPU | Limit |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
    ...costed.map(line),
  ];
}

function targetCell(r: Row): string {
  const parts: string[] = [];
  if (r.target !== undefined) parts.push(`≥ ${r.target}: ${(r.ratio ?? 0) >= r.target ? 'yes' : '**no**'}`);
  if (r.cost?.max !== undefined && r.costFraction !== undefined)
    parts.push(`cost ≤ ${r.cost.max * 100}%: ${r.costFraction <= r.cost.max ? 'yes' : '**no**'}`);
  if (!isCeiling(r) && r.run && r.run.latencyMs.p99 > TARGETS.p99Ms) parts.push(`**p99 > ${TARGETS.p99Ms} ms**`);
  return parts.join('; ');
}

function mainRow(r: Row): string {
  const m = r.run;
  if (!m) return `| ${r.label} | - | - | - | - | - | ${targetCell(r)} | **BROKEN** |`;
  const rps = broken(r) ? `~~${fmt(m.requestsPerSecond)}~~` : fmt(m.requestsPerSecond);
  const ratio = broken(r) ? 'broken' : fmt(r.ratio, 2);
  return (
    `| ${r.label} | ${rps} | ${ratio} | ${fmt(m.latencyMs.p50, 1)} / ${fmt(m.latencyMs.p99, 1)} | ` +
    `${fmt(m.cpuMicrosPerRequest.app)} | ${fmt(m.cpuMicrosPerRequest.redis)} | ${targetCell(r)} | ${broken(r) ? '**BROKEN**' : 'ok'} |`
  );
}

function mainTable(rows: Row[], yardstick: number): string[] {
  const order = [...rows.filter((r) => !isCeiling(r)), ...rows.filter(isCeiling)];
  const vs = rows.some((r) => r.slices) ? 'vs bare around it' : `vs bare (${fmt(yardstick)} req/s)`;
  return [
    `| Scenario | Req/s | ${vs} | p50 / p99 ms | App CPU µs/req | Redis CPU µs/req | Target | Answers |`,
    '| --- | ---: | ---: | --- | ---: | ---: | --- | --- |',
    ...order.map(mainRow),
  ];
}

/** The lowest and highest req/s of some runs. */
function spread(runs: readonly Measurement[]): string {
  const rps = runs.map((m) => m.requestsPerSecond);
  return `${fmt(Math.min(...rps))} to ${fmt(Math.max(...rps))}`;
}

function detailsRow(r: Row): string {
  const m = r.run;
  const statuses = m
    ? Object.entries(m.statuses)
        .map(([c, n]) => `${c}: ${fmt(n)}`)
        .join(', ')
    : '-';
  const pairs = m?.counters.pairs ? `; ${fmt(m.counters.pairs / m.seconds)} pairs/s` : '';
  const cpu = m ? `${fmt(m.cpuPercent.app)} / ${fmt(m.cpuPercent.redis)} / ${fmt(m.cpuPercent.wrk)} / ${fmt(m.cpuPercent.rest)}` : '-';
  const around = r.bareAround?.length && r.slices ? `${spread(r.bareAround)} (${r.bareAround.length} runs); ${spread(r.slices)}` : '-';
  return (
    `| ${r.name} | ${r.server}: ${r.settings} | ${fmt(m?.requests)}${pairs} | ${statuses} | ` +
    `${fmt(m?.latencyMs.p90, 1)} / ${fmt(m?.latencyMs.max, 1)} | ${cpu} | ${fmt(m?.cpuMicrosPerRequest.wrk)} | ${around} | ${r.notes.join('; ')} |`
  );
}

/** The mean CPU % of one core the rest of the machine (PostgreSQL, other work) used during the measured runs. */
function restOfMachine(rows: Row[]): number {
  const runs = rows.filter((r) => r.run).map((r) => r.run!.cpuPercent.rest);
  return runs.reduce((a, b) => a + b, 0) / runs.length;
}

function header(machine: Record<string, unknown>, seconds: number, rows: Row[]): string[] {
  return [
    `## Flash-sale bench, ${new Date().toISOString()}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.os}; load average before: ${machine.loadBefore}, after: ${machine.loadAfter}`,
    `- Node ${machine.node}, Redis ${machine.redis}, PostgreSQL ${machine.postgres}, ${machine.wrk}`,
    `- wrk -t${S.threads} -c${S.connections}, ${S.duration} s per scenario after a ${S.warmup} s warm-up, all on 127.0.0.1; ` +
      (rows.some((r) => r.slices)
        ? `each run in ${SLICES} slices, with a ${S.bareSlice} s run of the bare route before, between and after them ` +
          `(each slice and bare run after a ${SLICE_WARMUP_SECONDS} s warm-up); "vs bare around it" is ` +
          `the mean over the slices of a slice's req/s ÷ the mean of the bare route's runs on either side of it (Details give their spread), ` +
          `the bare rows' against the mean of the first and last runs; the bench took ${fmt(seconds)} s`
        : `"vs bare" is against the mean of the bare route's first and last runs; the bench took ${fmt(seconds)} s`),
    `- The rest of the machine (PostgreSQL, the bench itself, anything else running) used ${fmt(restOfMachine(rows))}% of one core on average during the measured runs`,
    '- App and Redis CPU µs per request are read from /proc/<pid>/stat and INFO CPU before and after each run (each slice)',
    '- "Answers": every response is checked by the wrk script (status and a piece of the body); one unexpected answer or socket error marks the row BROKEN (see Problems)',
    '- Costs: a row against its baseline row of the same run, by ratio to the bare route (1 − with ÷ without) and by app + Redis CPU per request (1 − without ÷ with)',
    `- Targets (issue 11): final refusals and sale reads ≥ ${TARGETS.finalRefusal} of the bare route, accepted checkout ≥ ${TARGETS.acceptedCheckout}, ` +
      `pairs ≥ ${TARGETS.pairs}, p99 ≤ ${TARGETS.p99Ms} ms on every path; rate limiting costs ≤ ${TARGETS.rateLimitCost * 100}%, session auth ≤ ${TARGETS.sessionCost * 100}% on the buy paths`,
    '',
  ];
}

export function problems(results: Results): string[] {
  return [...results.rows.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`)), ...results.tasks.flatMap((t) => t.problems)];
}

export function report(results: Results, yardstick: number, machine: Record<string, unknown>, seconds: number): string {
  const all = problems(results);
  return [
    ...header(machine, seconds, results.rows),
    ...mainTable(results.rows, yardstick),
    ...costsTable(results.rows),
    ...results.tasks.flatMap((t) => ['', ...t.section]),
    '',
    '### Details',
    '',
    '| Scenario | Server | Responses | Statuses | p90 / max ms | CPU %: app / Redis / wrk / rest | wrk µs/req | Req/s: bare route around it; the slices | Notes |',
    '| --- | --- | ---: | --- | --- | --- | ---: | --- | --- |',
    ...results.rows.map(detailsRow),
    ...(all.length ? ['', '### Problems', '', ...all.map((p) => `- **${p}**`)] : []),
  ].join('\n');
}

export function writeJson(results: Results, yardstick: number, machine: Record<string, unknown>, seconds: number): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'latest.json');
  const json = {
    date: new Date().toISOString(),
    totalSeconds: seconds,
    machine,
    settings: S,
    targets: TARGETS,
    bareRequestsPerSecond: yardstick,
    rows: results.rows,
    tasks: Object.fromEntries(results.tasks.map((t) => [t.name, t.json])),
    problems: problems(results),
  };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}

export function machineFacts(): Record<string, unknown> {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadBefore: loadAverage(),
  };
}

export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
