// `npm run bench:replica`: anonymous reads per second with and without a read replica. Starts its
// own primary and streaming standby (test/pg-cluster.ts: initdb, pg_basebackup -R, fsync off) on
// free loopback ports, seeds a generated newsroom on the primary, then loads one gateway process
// (response cache off, so every read reaches the database) per shape and set-up with autocannon:
// `primary` (DATABASE_URL only) and `replica` (DATABASE_REPLICA_URLS = the standby). The gateway
// is pinned to core 0 as in the other benches; both PostgreSQL servers run wherever the kernel
// puts them, so on a 2-core machine the standby shares the CPU with the primary, the gateway and
// autocannon: it adds no cores, only a second server to spread statements over.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { loadSeeders } from '../src/db/seeding.js';
import { startCluster } from '../test/pg-cluster.js';
import { benchDir, coreBusyPercent, hasCommand, installCleanupHandlers, log, readCoreTimes, readCpuSeconds } from './lib/common.js';
import { pickData } from './lib/data.js';
import { runLoad } from './lib/load.js';
import { startServer } from './lib/server.js';
import { loadShape, requestsFor, type ShapeName } from './lib/shapes.js';

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '5000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    shapes: { type: 'string', default: 'article-by-slug,section-front' },
    rounds: { type: 'string', default: '2' },
    label: { type: 'string' },
  },
});

async function main() {
  installCleanupHandlers();
  const pin = hasCommand('taskset');
  log('starting a primary and a streaming standby (initdb, pg_basebackup -R)');
  const cluster = await startCluster();
  const rows: Record<string, unknown>[] = [];
  try {
    await cluster.adminQuery('CREATE DATABASE newsroom');
    const primaryUrl = cluster.primaryUrl('newsroom');
    const setup = await openDatabase({ kind: 'postgres', url: primaryUrl, poolSize: 4, statementTimeoutMs: 0 });
    await applyMigrations(setup.adapterFactory);
    log(`seeding ${values.articles} generated articles on the primary`);
    const { seedGenerated } = await loadSeeders();
    await seedGenerated(setup.prisma, { articles: Number(values.articles), seed: 1 });
    await setup.prisma.$executeRawUnsafe('VACUUM ANALYZE');
    await setup.close();
    await cluster.startReplica();
    log('standby replayed the seed');

    const client = new pg.Client({ connectionString: primaryUrl });
    await client.connect();
    const picked = await pickData(async (sql, ...params) => (await client.query(sql, params)).rows);
    await client.end();

    const setups = { primary: {}, replica: { DATABASE_REPLICA_URLS: cluster.replicaUrl('newsroom') } } as const;
    for (let round = 1; round <= Number(values.rounds); round += 1) {
      for (const name of values.shapes!.split(',') as ShapeName[]) {
        const shape = loadShape(name, picked);
        const requests = requestsFor(shape, { server: 'gateway' })!;
        for (const [setupName, env] of Object.entries(setups)) {
          const server = await startServer('gateway', {
            env: { DATABASE_URL: primaryUrl, RESPONSE_CACHE: 'false', SCHEDULER_INTERVAL_MS: '0', POPULARITY_REFRESH_MS: '0', ...env },
            pin,
          });
          try {
            await runLoad({ url: server.url, requests, connections: Number(values.connections), durationS: Number(values.warmup) });
            await server.waitIdle();
            const metricsBefore = await replicaReads(server.url);
            const cpu = readCpuSeconds(server.pid)!;
            const cores = readCoreTimes();
            const load = await runLoad({
              url: server.url,
              requests,
              connections: Number(values.connections),
              durationS: Number(values.duration),
            });
            const serverCpu = readCpuSeconds(server.pid)! - cpu;
            const metricsAfter = await replicaReads(server.url);
            const row = {
              round,
              shape: name,
              setup: setupName,
              rps: Math.round(load.rps),
              p50: load.p50,
              p99: load.p99,
              errors: load.non2xx + load.errors + load.timeouts + load.graphqlErrors,
              firstErrorBody: load.firstErrorBody,
              replicaStatements: metricsAfter - metricsBefore,
              gatewayCpuMsPerRequest: +((serverCpu * 1000) / Math.max(1, load.requests)).toFixed(2),
              coresBusy: coreBusyPercent(cores, readCoreTimes()),
            };
            rows.push(row);
            log(JSON.stringify(row));
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await cluster.dispose();
  }
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    articles: Number(values.articles),
    connections: Number(values.connections),
    durationS: Number(values.duration),
    pinned: pin,
    rows,
  };
  const file = path.join(benchDir, 'results', `${result.date.slice(0, 10)}-replica${values.label ? `-${values.label}` : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.table(rows.map(({ firstErrorBody, ...r }) => r));
  log(`wrote ${path.relative(process.cwd(), file)}`);
  if (rows.some((r) => (r.errors as number) > 0)) process.exitCode = 1;
}

/** Statements the gateway's replicas answered so far (newsroom_db_replica_statements_total). */
async function replicaReads(url: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('newsroom_db_replica_statements_total')) sum += Number(line.split(' ').at(-1));
  return sum;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
