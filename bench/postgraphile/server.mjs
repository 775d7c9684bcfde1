// PostGraphile v5 over the bench database: the `postgraphile` mode of `npm run bench`.
// Configured like the gateway (PORT, HOST, DATABASE_URL, DATABASE_POOL_SIZE, default 10) and
// started by bench/lib/server.ts like the baseline. Production settings: no GraphiQL, no explain,
// no watch, no websockets, no mutations. On start it (re)creates the schema postgraphile_bench
// from setup.sql (views, smart tags, functions; idempotent) and exposes only that schema.
//
// With BENCH_STATEMENTS=1 (the bench's statement count, never its load runs) every statement the
// pool sends is recorded and GET /bench/statements answers { count, statements: [{ text, ms }] }
// (the last 200), so the bench counts the statements of one request sent alone.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const env = process.env;
const connectionString = env.DATABASE_URL;
if (!connectionString) throw new Error('bench/postgraphile/server.mjs needs DATABASE_URL (PostgreSQL only)');
const port = Number(env.PORT ?? 5678);
const host = env.HOST ?? '127.0.0.1';
const poolSize = Number(env.DATABASE_POOL_SIZE ?? 10);
const quiet = (env.LOG_LEVEL ?? 'warn') === 'warn' || env.LOG_LEVEL === 'error' || env.LOG_LEVEL === 'silent';

// The schema PostGraphile reads, made idempotently (one transaction, serialised by a lock).
const setup = new pg.Client({ connectionString });
await setup.connect();
try {
  await setup.query('BEGIN');
  await setup.query("SELECT pg_advisory_xact_lock(hashtext('postgraphile_bench'))");
  await setup.query(readFileSync(new URL('./setup.sql', import.meta.url), 'utf8'));
  await setup.query('COMMIT');
} finally {
  await setup.end();
}

// The gateway's pool settings (src/db/client.ts): same size, same 3 s wait for a connection.
const pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: 3000, keepAlive: true });
pool.on('error', (error) => console.error(`pg pool: ${error.message}`));

const recording = env.BENCH_STATEMENTS === '1';
/** Statements sent so far, and the last 200 of them with the ms each took until its result. */
const recorded = { count: 0, statements: [] };
if (recording) {
  pool.on('connect', (client) => {
    const query = client.query;
    client.query = function (config, ...rest) {
      const text = typeof config === 'string' ? config : config?.text;
      const result = query.call(this, config, ...rest);
      // @dataplan/pg sets this once per new connection: connection setup, not a request's work.
      if (typeof text !== 'string' || /^set jit_optimize_above_cost/i.test(text)) return result;
      const entry = { text, ms: null };
      recorded.count += 1;
      recorded.statements.push(entry);
      if (recorded.statements.length > 200) recorded.statements.splice(0, recorded.statements.length - 200);
      const started = performance.now();
      const done = () => void (entry.ms = Math.round((performance.now() - started) * 10) / 10);
      if (result && typeof result.then === 'function') result.then(done, done);
      return result;
    };
  });
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  // A reader API: views are auto-updatable, so without this PostGraphile would add mutations.
  disablePlugins: ['PgMutationCreatePlugin', 'PgMutationUpdateDeletePlugin', 'PgMutationPayloadEdgePlugin'],
  pgServices: [makePgService({ pool, schemas: ['postgraphile_bench'], pubsub: false })],
  grafserv: {
    port,
    host,
    graphqlPath: '/graphql',
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
  },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();
await pgl.getSchema(); // introspect and build now, not on the first request

const server = createServer((req, res) => {
  if (recording && req.method === 'GET' && req.url === '/bench/statements') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(recorded));
    return;
  }
  handler(req, res);
});
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => resolve());
});
if (!quiet) console.log(`postgraphile ready on http://${host}:${port}/graphql (Node ${process.version})`);

// Requests a load run abandoned may still be running: let their statements finish (up to 4 s)
// before the pool ends, or they log "Cannot use a pool after calling end on the pool".
const poolIdle = async () => {
  for (let i = 0; i < 80 && (pool.totalCount > pool.idleCount || pool.waitingCount > 0); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const shutdown = () => {
  const force = setTimeout(() => process.exit(1), 5000).unref();
  server.close(() => {
    void poolIdle()
      .then(() => pgl.release())
      .then(() => pool.end())
      .finally(() => {
        clearTimeout(force);
        process.exit(0);
      });
  });
  server.closeAllConnections();
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
