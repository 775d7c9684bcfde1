// `npm run bench`: the gateway under load, shape by shape, mode by mode.
//
//   1. prepare the database (generated newsroom of N articles; reused when it already holds N),
//   2. pick variables from it and count SQL statements per request in-process (also checks every
//      variable set answers without errors),
//   3. for every shape and mode: start a fresh server process (pinned to core 0), check it over
//      HTTP, warm it up, load it with autocannon for --duration seconds, read its peak RSS, stop it,
//   4. write bench/results/<date>-<db>.json and print the table and the goals.
//
// See bench/README.md. Everything stays on loopback; every child process is killed at the end,
// on errors and on SIGINT.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  coreBusyPercent,
  gcPausesBetween,
  hasCommand,
  installCleanupHandlers,
  benchDir,
  log,
  machineBusyPercent,
  readCoreTimes,
  readCpuSeconds,
  readGcCounters,
  repoRoot,
} from './lib/common.js';
import { benchDatabase, pickData, prepareDatabase } from './lib/data.js';
import { runLoad } from './lib/load.js';
import { MODES } from './lib/modes.js';
import { parseOptions } from './lib/options.js';
import { ensurePostgraphileInstalled, postgraphileNode, postgraphileNodeVersion, postgraphileVersion } from './lib/postgraphile.js';
import { formatGoals, formatTable, resultsPath, writeResults, type Row } from './lib/report.js';
import { summariseProfile, formatProfile } from './lib/profile.js';
import { startServer } from './lib/server.js';
import { loadShape, requestInit, requestsFor } from './lib/shapes.js';
import { countStatements } from './lib/statements.js';

installCleanupHandlers();
// The in-process gateway (statement counts) runs like the server under test.
process.env.NODE_ENV = 'production';

const options = parseOptions(process.argv.slice(2));
const canPin = options.pin && hasCommand('taskset') && os.cpus().length >= 2;
if (options.pin && !canPin) log('not pinning: taskset missing or fewer than 2 cores');
if (canPin) {
  // The load generator (this process) stays off the server's core.
  spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
}

const require = createRequire(import.meta.url);
const autocannonVersion = (require('autocannon/package.json') as { version: string }).version;
const git = (args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() ?? '';

const withPostgraphile = options.modes.some((m) => MODES[m].server === 'postgraphile');
if (withPostgraphile || options.node === 'postgraphile') ensurePostgraphileInstalled();
/** The Node binary of the gateway and baseline servers, and its version. */
const serverNode = options.node === 'postgraphile' ? postgraphileNode() : options.node;
const serverNodeVersion = serverNode ? spawnSync(serverNode, ['--version'], { encoding: 'utf8' }).stdout.trim() : process.version;

for (const modeName of options.modes) {
  const mode = MODES[modeName];
  if (!mode.implemented)
    log(`WARNING: mode "${modeName}" measures something not built yet (${mode.description}); its rows are marked "(not built)"`);
}

/**
 * CPU seconds so far of each PostgreSQL backend connected to the bench database (from /proc; the
 * server's pool is open by then): what the database spends on the server's statements.
 */
async function backendCpu(url: string | undefined): Promise<Map<number, number> | null> {
  if (!url) return null;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return new Map(rows.map((r) => [r.pid, readCpuSeconds(r.pid) ?? 0]));
  } finally {
    await client.end();
  }
}

async function benchOne(kind: (typeof options.dbs)[number]): Promise<Row[]> {
  const database = benchDatabase(kind, options.articles);
  const prepared = await prepareDatabase(database, options);

  const { shapes, counts } = await countStatements({
    database: database.config,
    dbEnv: database.env,
    extraEnv: options.env,
    modes: options.modes,
    makeShapes: async (query) => {
      const picked = await pickData(query);
      log(
        `variables: ${picked.slugs.length} slugs, editions ${picked.editionDates[0]}…${picked.editionDates.at(-1)}, ` +
          `${picked.sections.length} sections, searches ${picked.searches.map((s) => `"${s.query}" in ${s.section}`).join(', ')}`,
      );
      return options.shapes.map((name) => loadShape(name, picked));
    },
  });

  const rows: Row[] = [];
  for (const shape of shapes) {
    for (const modeName of options.modes) {
      const mode = MODES[modeName];
      const requests = requestsFor(shape, mode);
      const count = counts.find((c) => c.shape === shape.name && c.mode === modeName);
      // Skipped when counting: PostGraphile without a document for the shape, or not on PostgreSQL.
      if (!requests || !count) continue;
      // Other work on the machine (tests, type-checks) disturbs the figures: wait a while for quiet.
      let busyBeforePercent = await machineBusyPercent(500);
      const quietDeadline = Date.now() + options.waitQuietS * 1000;
      if (busyBeforePercent > 15 && options.waitQuietS > 0)
        log(`machine ${busyBeforePercent}% busy: waiting up to ${options.waitQuietS} s for it to calm down`);
      while (busyBeforePercent > 15 && Date.now() < quietDeadline) busyBeforePercent = await machineBusyPercent(1000);
      if (busyBeforePercent > 15) log(`WARNING: the machine was ${busyBeforePercent}% busy before this run; figures may be disturbed`);
      const cpuProfileDir = options.profile
        ? path.join(benchDir, '.data', 'profiles', `${shape.name}-${modeName}-${kind}-${Date.now()}`)
        : undefined;
      if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
      const server = await startServer(mode.server, {
        env: { ...database.env, ...mode.env, ...options.env },
        pin: canPin,
        cpuProfileDir,
        node: serverNode,
      });
      try {
        // Over HTTP as well: every variable set answers 200 without errors.
        for (const [i, request] of requests.entries()) {
          const { path: requestPath, init } = requestInit(request);
          const response = await fetch(new URL(requestPath, server.url), init);
          const text = await response.text();
          if (response.status !== 200 || text.includes('"errors":[')) {
            throw new Error(
              `${shape.name} / ${modeName} over HTTP with ${JSON.stringify(shape.variables[i])}: HTTP ${response.status} ${text.slice(0, 1500)}`,
            );
          }
        }
        if (options.warmupS > 0) await runLoad({ url: server.url, requests, connections: options.connections, durationS: options.warmupS });
        // Requests the warm-up abandoned in flight must not eat into the measured run.
        await server.waitIdle();
        const pgBefore = await backendCpu(database.env.DATABASE_URL);
        const cpuBefore = server.cpuSeconds();
        const gcBefore = await readGcCounters(server.url);
        const coresBefore = readCoreTimes();
        const selfBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        const result = await runLoad({ url: server.url, requests, connections: options.connections, durationS: options.durationS });
        const wallS = Number(process.hrtime.bigint() - started) / 1e9;
        const cpuAfter = server.cpuSeconds();
        const gcAfter = await readGcCounters(server.url);
        const self = process.cpuUsage(selfBefore);
        const pgAfter = await backendCpu(database.env.DATABASE_URL);
        let pgCpuS: number | null = null;
        if (pgBefore && pgAfter) {
          pgCpuS = 0;
          for (const [pid, seconds] of pgAfter) pgCpuS += seconds - (pgBefore.get(pid) ?? 0);
        }
        const row: Row = {
          shape: shape.name,
          mode: modeName,
          db: kind,
          rps: Math.round(result.rps * 10) / 10,
          p50: result.p50,
          p99: result.p99,
          statements: count.statements,
          peakRssMb: server.peakRssMb() == null ? null : Math.round(server.peakRssMb()! * 10) / 10,
          errors: result.non2xx + result.errors + result.graphqlErrors,
          durationS: result.durationS,
          connections: options.connections,
          p90: result.p90,
          maxLatency: result.max,
          requests: result.requests,
          non2xx: result.non2xx,
          connectionErrors: result.errors,
          timeouts: result.timeouts,
          graphqlErrors: result.graphqlErrors,
          ...(result.firstErrorBody ? { firstErrorBody: result.firstErrorBody } : {}),
          statementsMin: count.statementsMin,
          statementsCold: count.statementsCold,
          soloMs: count.soloMs,
          serverCpuMsPerRequest:
            cpuBefore != null && cpuAfter != null && result.requests > 0
              ? Math.round(((1000 * (cpuAfter - cpuBefore)) / result.requests) * 1000) / 1000
              : null,
          pgCpuMsPerRequest: pgCpuS != null && result.requests > 0 ? Math.round(((1000 * pgCpuS) / result.requests) * 1000) / 1000 : null,
          responseKiB: Math.round((result.bytesPerResponse / 1024) * 10) / 10,
          gcPauses: gcPausesBetween(gcBefore, gcAfter),
          serverCpuPercent: cpuBefore != null && cpuAfter != null ? Math.round((100 * (cpuAfter - cpuBefore)) / wallS) : null,
          loadgenCpuPercent: Math.round((100 * (self.user + self.system)) / 1e6 / wallS),
          coreBusyPercent: coreBusyPercent(coresBefore, readCoreTimes()),
          busyBeforePercent,
          pinned: canPin,
          articles: options.articles,
          implemented: mode.implemented,
          variableSets: requests.length,
          at: new Date().toISOString(),
        };
        rows.push(row);
        log(
          `${shape.name} / ${modeName} / ${kind}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ` +
            `${row.statements} SQL/req, server CPU ${row.serverCpuMsPerRequest} ms/req, PostgreSQL CPU ${row.pgCpuMsPerRequest ?? '–'} ms/req, peak RSS ${row.peakRssMb?.toFixed(0)} MB, errors ${row.errors}, ` +
            `server CPU ${row.serverCpuPercent}%, autocannon CPU ${row.loadgenCpuPercent}%, cores ${row.coreBusyPercent.join('/')}%`,
        );
        if (row.errors > 0)
          log(
            `ERRORS in ${shape.name} / ${modeName}: ${result.firstErrorBody ?? `${result.errors} connection errors, ${result.timeouts} timeouts`}`,
          );
        const warnings = server.output.filter((line) => line.includes('"level":40') || line.includes('"level":50'));
        if (warnings.length) log(`${server.kind} logged ${warnings.length} warning/error line(s), e.g. ${warnings[0].slice(0, 400)}`);
      } finally {
        await server.stop();
      }
      if (cpuProfileDir) {
        const summary = summariseProfile(cpuProfileDir);
        if (summary) {
          console.log(`\n${shape.name} / ${modeName} / ${kind}: ${formatProfile(summary)}\n`);
          const row = rows.find((r) => r.shape === shape.name && r.mode === modeName && r.db === kind);
          if (row) row.profile = { packages: summary.packages, functions: summary.functions };
        } else log(`no CPU profile in ${cpuProfileDir}`);
      }
    }
  }

  let postgresVersion: string | undefined;
  if (kind === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await client.connect();
    postgresVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    await client.end();
  }
  const meta = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
      node: serverNodeVersion,
      postgres: postgresVersion,
      autocannon: autocannonVersion,
      ...(withPostgraphile ? { postgraphile: postgraphileVersion(), postgraphileNode: postgraphileNodeVersion() } : {}),
    },
    setup: {
      database: database.label,
      articles: options.articles,
      seededThisRun: prepared.seeded,
      serverPinnedToCore0: canPin,
      loadGeneratorPinnedToCore1: canPin,
      databasePoolSize: Number(options.env.DATABASE_POOL_SIZE ?? 10),
      warmupS: options.warmupS,
      extraEnv: options.env,
      gitCommit: git(['rev-parse', '--short', 'HEAD']),
      gitDirty: git(['status', '--porcelain', '--', 'src', 'prisma', 'schema']).length > 0,
    },
    // The gateway's and PostGraphile's SQL per shape (the baseline's hundred-odd statements are only counted).
    statements: Object.fromEntries(
      counts.filter((c) => MODES[c.mode].server !== 'baseline').map((c) => [`${c.shape}|${c.mode}`, c.sample]),
    ),
  };
  const file = resultsPath(kind, options.label);
  writeResults(file, meta, rows);
  log(`wrote ${path.relative(repoRoot, file)}`);
  return rows;
}

try {
  const all: Row[] = [];
  for (const kind of options.dbs) all.push(...(await benchOne(kind)));
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string };
  console.log(
    `\n${pkg.name}: ${options.articles.toLocaleString('en-US')} articles, ${options.connections} connections, ${options.durationS} s per run ` +
      `(after ${options.warmupS} s warm-up), gateway on Node ${serverNodeVersion}, ${os.cpus().length} cores` +
      (canPin ? '; server pinned to core 0 (taskset -c 0), autocannon on core 1' : '; not pinned') +
      '\n',
  );
  console.log(formatTable(all));
  console.log(`\n${formatGoals(all)}`);
  const failed = all.filter((r) => r.errors > 0);
  if (failed.length) {
    console.error(`\n${failed.length} run(s) had errors: ${failed.map((r) => `${r.shape}/${r.mode}/${r.db}`).join(', ')}`);
    process.exitCode = 1;
  }
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
}
// Children were stopped run by run; the exit handler kills anything left. Exit explicitly so an
// open handle (a pool, a socket) cannot keep the bench alive.
process.exit(process.exitCode ?? 0);
