// Gateway CPU per request, in-process: createGateway on the 100k bench database (PostgreSQL,
// RESPONSE_CACHE=false) and each shape's requests through yoga.fetch, C at a time, N per round;
// the process's own CPU (process.cpuUsage) and the bench database's backends' CPU (/proc) per
// request, per round. For comparing code states on a shared machine: run two checkouts
// alternately and compare the medians (CPU per request moves far less than req/s).
//
//   node --import tsx bench/cpu.ts [--shapes section-front,edition-front] [--requests 300]
//        [--rounds 3] [--concurrency 10] [--articles 100000]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/cpu.ts --shapes section-front
process.env.NODE_ENV = 'production';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readCpuSeconds } from './lib/common.js';
import { benchDatabase, pickData } from './lib/data.js';
import { formatAllocations } from './lib/profile.js';
import { loadShape, type ShapeName } from './lib/shapes.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'section-front,edition-front,article-by-slug,article-page' },
    requests: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '10' },
    articles: { type: 'string', default: '100000' },
    json: { type: 'boolean', default: false },
    /** A .graphql file sent instead of the shape's document, with the shape's variables (what costs what). */
    document: { type: 'string' },
    /** Writes a .cpuprofile of the measured rounds only (not start-up or warm-up) to this path. */
    profile: { type: 'string' },
    /**
     * Writes a .heapprofile of what the measured rounds allocate to this path: V8's sampling heap
     * profiler, keeping the samples that the GC collected too (what scavenges pay for), and prints
     * the allocation sites by bytes per request.
     */
    'heap-profile': { type: 'string' },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const database = benchDatabase('postgres', Number(values.articles));
const dbName = new URL(database.env.DATABASE_URL).pathname.slice(1);

const { loadConfig } = await import('../src/config.js');
const { openDatabase } = await import('../src/db/client.js');
const { createGateway } = await import('../src/server/gateway.js');
const { createLogger } = await import('../src/logger.js');

const admin = new pg.Client({ connectionString: database.env.DATABASE_URL });
await admin.connect();
/** CPU ms so far of each of these PostgreSQL backends (a backend gone is left out). */
const backendCpuMs = (pids: number[]) => new Map(pids.map((pid) => [pid, (readCpuSeconds(pid) ?? Number.NaN) * 1000]));
/** CPU ms the backends used between two readings, counting only those alive at both (a backend the pool closed in between would make it negative). */
const backendCpuDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce(
    (total, [pid, ms]) => (Number.isNaN(ms) || Number.isNaN(before.get(pid) ?? Number.NaN) ? total : total + ms - before.get(pid)!),
    0,
  );
async function backends(): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    [dbName],
  );
  return rows.map((r) => r.pid);
}

const db = await openDatabase(database.config);
const config = loadConfig({
  ...database.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  GRAPHIQL: 'false',
  RATE_LIMIT_PER_MINUTE: '0',
  OUTBOX_POLL_MS: '60000',
  RESPONSE_CACHE: 'false',
});
const { yoga, live } = createGateway({ config, db, logger: createLogger('silent') });
// As src/server/start.ts does: the story-event hub runs (the section tree follows it).
await live.ready();
const picked = await pickData((sql, ...params) => db.prisma.$queryRawUnsafe(sql, ...params));

const send = async (body: string) => {
  const response = await yoga.fetch('http://bench.local/graphql', {
    method: 'POST',
    headers: { accept: 'application/graphql-response+json, application/json', 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
};

const results: Record<string, { gateway: number[]; sys: number[]; pg: number[] }> = {};
const session = values.profile || values['heap-profile'] ? new Session() : null;
session?.connect();
if (values.profile) {
  await session!.post('Profiler.enable');
  await session!.post('Profiler.setSamplingInterval', { interval: 200 });
}
const profilePath = (option: string, name: string, extension: string) =>
  values.shapes.includes(',') ? option.replace(new RegExp(`(\\.${extension})?$`), `-${name}.${extension}`) : option;
for (const name of values.shapes.split(',') as ShapeName[]) {
  const shape = loadShape(name, picked);
  if (values.document) {
    const document = readFileSync(values.document, 'utf8');
    shape.bodies = shape.variables.map((v) => JSON.stringify({ query: document, variables: v }));
  }
  for (const body of shape.bodies) await send(body);
  // warm-up
  let next = 0;
  const run = async (n: number) => {
    next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          await send(shape.bodies[i % shape.bodies.length]);
        }
      }),
    );
  };
  await run(Math.min(requests, 200));
  const r = (results[name] = { gateway: [] as number[], sys: [] as number[], pg: [] as number[] });
  if (values.profile) await session!.post('Profiler.start');
  if (values['heap-profile'])
    await session!.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    } as object);
  for (let round = 0; round < rounds; round++) {
    const pids = await backends();
    const pg0 = backendCpuMs(pids);
    const cpu0 = process.cpuUsage();
    await run(requests);
    const cpu = process.cpuUsage(cpu0);
    r.gateway.push((cpu.user + cpu.system) / 1000 / requests);
    r.sys.push(cpu.system / 1000 / requests);
    r.pg.push(backendCpuDelta(pg0, backendCpuMs(pids)) / requests);
  }
  if (values.profile) {
    const { profile } = await session!.post('Profiler.stop');
    writeFileSync(profilePath(values.profile, name, 'cpuprofile'), JSON.stringify(profile));
  }
  if (values['heap-profile']) {
    const { profile } = await session!.post('HeapProfiler.stopSampling');
    writeFileSync(profilePath(values['heap-profile'], name, 'heapprofile'), JSON.stringify(profile));
    console.log(formatAllocations(name, profile, requests * rounds));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(16)} gateway ms/req ${median(r.gateway).toFixed(2)} [${r.gateway.map((x) => x.toFixed(2)).join(' ')}] (system ${median(r.sys).toFixed(2)})  PG ms/req ${median(r.pg).toFixed(2)} [${r.pg.map((x) => x.toFixed(2)).join(' ')}]`,
  );
}
if (values.json) console.log(JSON.stringify(results));
await admin.end();
await db.close();
process.exit(0);
