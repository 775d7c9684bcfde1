// Results: one row per (shape, mode, db), written to bench/results/<date>-<db>[-label].json
// (rows of an earlier run the same day are replaced by key, others kept) and printed as a table.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchDir, type GcPauses } from './common.js';

export type Row = {
  shape: string;
  mode: string;
  db: string;
  rps: number;
  /** Latency in ms. */
  p50: number;
  p99: number;
  /** SQL statements per request (in-process count, repeated request). */
  statements: number;
  /** Server's VmHWM after warm-up and the measured run, MB. */
  peakRssMb: number | null;
  /** non-2xx + connection errors/timeouts + 2xx responses with GraphQL errors. Must be 0. */
  errors: number;
  durationS: number;
  connections: number;
  // Details.
  p90: number;
  maxLatency: number;
  requests: number;
  non2xx: number;
  connectionErrors: number;
  timeouts: number;
  graphqlErrors: number;
  firstErrorBody?: string;
  statementsMin: number;
  statementsCold: number;
  /** One request alone, in-process (no HTTP, no concurrency), ms, mean over the variable sets. */
  soloMs: number;
  /** Server CPU per completed request during the measured run, ms. */
  serverCpuMsPerRequest: number | null;
  /** CPU of the bench database's PostgreSQL backends per completed request during the measured run, ms (PostgreSQL only). */
  pgCpuMsPerRequest?: number | null;
  responseKiB: number;
  /** CPU the server used during the measured run, % of one core. */
  serverCpuPercent: number | null;
  /** The server's GC pauses by kind during the measured run (null without /metrics: PostGraphile). */
  gcPauses?: Record<string, GcPauses> | null;
  /** CPU the bench process (autocannon) used during the measured run, % of one core. */
  loadgenCpuPercent: number;
  /** Busy % of each core during the measured run (core 0 runs the server when pinned). */
  coreBusyPercent: number[];
  /** Machine busy % in the half second before the server started (other work on the machine). */
  busyBeforePercent: number;
  pinned: boolean;
  articles: number;
  implemented: boolean;
  variableSets: number;
  at: string;
  /** With --profile: self time (ms) by package and by function. */
  profile?: { packages: [string, number][]; functions: [string, number][] };
};

export type ResultsFile = { meta: Record<string, unknown>; rows: Row[] };

export function resultsPath(db: string, label: string | undefined, date = new Date()): string {
  const day = date.toISOString().slice(0, 10);
  return path.join(benchDir, 'results', `${day}-${db}${label ? `-${label}` : ''}.json`);
}

export function writeResults(file: string, meta: Record<string, unknown>, rows: Row[]): ResultsFile {
  mkdirSync(path.dirname(file), { recursive: true });
  let previous: ResultsFile = { meta: {}, rows: [] };
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
    } catch {
      // unreadable: start over
    }
  }
  const key = (r: Row) => `${r.shape}|${r.mode}|${r.db}`;
  const fresh = new Set(rows.map(key));
  const merged = [...previous.rows.filter((r) => !fresh.has(key(r))), ...rows];
  const order = (r: Row) => `${r.db}|${r.shape}|${r.mode}`;
  merged.sort((a, b) => order(a).localeCompare(order(b)));
  const out = { meta: { ...previous.meta, ...meta }, rows: merged };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n == null || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A Markdown table (readable in a terminal too). */
export function formatTable(rows: Row[]): string {
  const header = [
    'shape',
    'mode',
    'db',
    'req/s',
    'p50 ms',
    'p99 ms',
    'SQL/req',
    'alone ms',
    'peak RSS MB',
    'errors',
    'server CPU',
    'CPU ms/req',
    'PG ms/req',
    'cores busy',
    'KiB/resp',
    's',
    'conns',
  ];
  const lines = rows.map((r) => [
    r.shape,
    r.implemented ? r.mode : `${r.mode} (not built)`,
    r.db,
    fmt(r.rps),
    // No completed request: autocannon reports 0 ms latencies, which would read as fast.
    r.requests > 0 ? fmt(r.p50, 1) : 'none done',
    r.requests > 0 ? fmt(r.p99, 1) : 'none done',
    r.statementsMin === r.statements ? String(r.statements) : `${r.statementsMin}–${r.statements}`,
    fmt(r.soloMs, 1),
    fmt(r.peakRssMb),
    String(r.errors),
    r.serverCpuPercent == null ? '–' : `${fmt(r.serverCpuPercent)}%`,
    // Two decimals below 1 ms: a cached hit costs a few hundredths of a millisecond.
    fmt(r.serverCpuMsPerRequest, r.serverCpuMsPerRequest != null && r.serverCpuMsPerRequest < 1 ? 2 : 1),
    fmt(r.pgCpuMsPerRequest, r.pgCpuMsPerRequest != null && r.pgCpuMsPerRequest < 1 ? 2 : 1),
    r.coreBusyPercent.map((c) => `${c}%`).join('/'),
    fmt(r.responseKiB, 1),
    fmt(r.durationS),
    String(r.connections),
  ]);
  const right = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const cell = (text: string, i: number) => (right.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...lines.map((l) => `| ${l.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The project's targets for the sample page, against the rows of this run. */
export function formatGoals(rows: Row[]): string {
  const out: string[] = [];
  for (const db of [...new Set(rows.map((r) => r.db))]) {
    const page = (mode: string) => rows.find((r) => r.db === db && r.shape === 'article-page' && r.mode === mode);
    const uncached = page('uncached');
    const cached = page('cached');
    const mark = (ok: boolean) => (ok ? 'MET ' : 'MISS');
    out.push(`Goals, sample page (article-page) on ${db}${db === 'pglite' ? ' (reference only: the goals are for PostgreSQL)' : ''}:`);
    if (uncached) {
      out.push(`  [${mark(uncached.rps >= 1500)}] uncached ≥ 1,500 req/s: ${fmt(uncached.rps)} req/s`);
      out.push(`  [${mark(uncached.p99 < 50)}] p99 < 50 ms at ${uncached.connections} connections: ${fmt(uncached.p99, 1)} ms`);
      out.push(`  [${mark(uncached.statements <= 6)}] ≤ 6 SQL statements for the whole page: ${uncached.statements}`);
      out.push(`  [${mark(uncached.errors === 0)}] no errors: ${uncached.errors}`);
      const postgraphile = page('postgraphile');
      if (postgraphile) {
        out.push(
          `  [${mark(uncached.rps > postgraphile.rps)}] faster than PostGraphile v5 on the same data: ${fmt(uncached.rps)} vs ${fmt(postgraphile.rps)} req/s ` +
            `(p99 ${fmt(uncached.p99, 1)} vs ${fmt(postgraphile.p99, 1)} ms)`,
        );
      }
    } else out.push('  uncached: not measured in this run');
    const cachedRuns = [cached, page('cached-get')].filter((r): r is Row => r?.implemented === true);
    for (const run of cachedRuns) {
      out.push(
        `  [${mark(run.rps >= 10_000)}] cached ≥ 10,000 req/s (${run.mode}): ${fmt(run.rps)} req/s (p99 ${fmt(run.p99, 1)} ms)${capacity(run)}`,
      );
      out.push(`  [${mark(run.p99 < 50)}] cached p99 < 50 ms at ${run.connections} connections (${run.mode}): ${fmt(run.p99, 1)} ms`);
    }
    if (!cachedRuns.length) out.push('  [n/a ] cached ≥ 10,000 req/s: no cached run of this shape (add --modes cached)');
  }
  return out.join('\n');
}

/**
 * What one core of the server would answer at the CPU per request it used: when the server's core
 * was not saturated (the load generator on the other core was the limit), the measured req/s
 * understates the server.
 */
function capacity(run: Row): string {
  if (run.serverCpuMsPerRequest == null || run.serverCpuPercent == null || run.serverCpuPercent >= 90) return '';
  return `; the server used ${fmt(run.serverCpuPercent)}% of its core (${fmt(run.serverCpuMsPerRequest, 3)} ms per request, ≈ ${fmt(1000 / run.serverCpuMsPerRequest)} req/s per core) while autocannon used ${fmt(run.loadgenCpuPercent)}% of the other`;
}
