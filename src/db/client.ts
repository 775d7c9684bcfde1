// One Prisma client per database: embedded PGlite by default, a PostgreSQL server when configured.
import { createHash } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { lockDataDir } from './lock.js';
import { ReplicaRouter } from './replicas.js';

export type Database = {
  /** API keys, their mutations and background work (scheduler, jobs, outbox): the reserved connections when there are any. */
  prisma: PrismaClient;
  /**
   * Anonymous requests. With DATABASE_RESERVED_POOL_SIZE on PostgreSQL a client over a pool of its
   * own, so a flood of anonymous reads cannot take the connections an editor's publish needs;
   * otherwise the same client as `prisma`.
   */
  readers: PrismaClient;
  kind: Config['database']['kind'];
  /** The PostgreSQL connection pools (their counts are metrics); none on PGlite. */
  pools: pg.Pool[];
  /** Streaming replicas behind `readers` (DATABASE_REPLICA_URLS), when configured. */
  replicas?: ReplicaRouter;
  /** The adapter factory the schema engine needs for migrations. */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  /** Called with every SQL statement Prisma sends (tests count them: the N+1 guard). */
  onStatement?: (sql: string) => void;
  /** PGlite only: start from this data directory tarball (`dumpDataDir()`) instead of an empty one. */
  loadDataDir?: Blob;
};

export async function openDatabase(config: Config['database'], options: DatabaseOptions = {}): Promise<Database> {
  const client = (adapter: SqlMigrationAwareDriverAdapterFactory) => {
    const prisma = new PrismaClient({ adapter, log: options.onStatement ? [{ emit: 'event', level: 'query' }] : [] });
    const onStatement = options.onStatement;
    if (onStatement) prisma.$on('query' as never, (event: { query: string }) => onStatement(event.query));
    return prisma;
  };
  if (config.kind === 'postgres') {
    const adapter = (pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory =>
      new PrismaPg(pool, config.preparedStatements === false ? {} : { statementNameGenerator: preparedStatementNames() });
    const reserved = config.reservedPoolSize ?? 0;
    const readersPool = openPool(config, config.poolSize);
    const pool = reserved > 0 ? openPool(config, reserved) : readersPool;
    const pools = [...new Set([readersPool, pool])];
    const adapterFactory = adapter(pool);
    const prisma = client(adapterFactory);
    // With replicas, anonymous reads go through the router; it falls back to the readers' pool.
    const urls = config.replicas?.urls ?? [];
    const replicas = urls.length
      ? new ReplicaRouter(
          readersPool,
          pool,
          urls.map((url) => ({ name: hostOf(url), pool: openPool({ ...config, url }, config.poolSize) })),
          config.replicas!,
        )
      : undefined;
    const readers = replicas ? client(adapter(replicas)) : pool === readersPool ? prisma : client(adapter(readersPool));
    await replicas?.ready();
    return {
      prisma,
      readers,
      kind: config.kind,
      pools,
      replicas,
      adapterFactory,
      async close() {
        await Promise.all([...new Set([prisma, readers])].map((c) => c.$disconnect()));
        await replicas?.end();
        await Promise.all(pools.map((p) => p.end()));
      },
    };
  }
  // A data directory on disk belongs to one process at a time (see lock.ts).
  const lock = config.dataDir.startsWith('memory://') ? undefined : lockDataDir(config.dataDir);
  const pglite = new PGlite(config.dataDir, {
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    ...(config.sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${config.sharedBuffers}`] } : {}),
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    lock?.release();
    throw error;
  }
  // One connection: PGlite runs statements one at a time, whoever asks.
  const adapterFactory = new PrismaPGlite(pglite) as unknown as SqlMigrationAwareDriverAdapterFactory;
  const prisma = client(adapterFactory);
  return {
    prisma,
    readers: prisma,
    kind: config.kind,
    pools: [],
    adapterFactory,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      lock?.release();
    },
  };
}

/** A replica's name in logs and states: host and port, never the password. */
function hostOf(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname}:${port || 5432}`;
  } catch {
    return 'replica';
  }
}

/** Defaults of the database deadlines (DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_CONNECT_TIMEOUT_MS). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/** How much longer than statement_timeout the gateway waits for an answer before it gives up on the connection. */
const CLIENT_DEADLINE_MARGIN_MS = 1000;

/**
 * A PostgreSQL pool with deadlines, so that a server that is down, frozen or cut off by the network
 * fails queries within seconds instead of hanging them:
 * - connecting, and waiting for a free connection, take at most connectTimeoutMs;
 * - the server cancels a statement after statement_timeout, and ends a session left idle inside a
 *   transaction as long (its transaction rolls back, its locks go);
 * - a server that does not answer at all: the client gives up a second later (query_timeout), and
 *   the connection, still waiting for that answer, is closed instead of reused.
 */
function openPool(config: Extract<Config['database'], { kind: 'postgres' }>, size: number): pg.Pool {
  const statementTimeoutMs = config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: config.url,
    max: size,
    // Row limits and enum values go to PostgreSQL as literals (see inlinePlanLiterals) when statements are prepared.
    ...(config.preparedStatements !== false && { Client: PlanLiteralClient }),
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    // No JIT: the planner's cost estimate for the pages' JSON-building statements crosses
    // jit_above_cost, and compiling them took longer than running them (the edition front's p99
    // was 1.4 s with JIT, 0.4–0.5 s without, at the same p50). A DATABASE_URL `options` wins.
    options: '-c jit=off',
    ...(statementTimeoutMs > 0 && {
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS,
    }),
  });
  // An idle connection the server dropped: the pool discards it and the next query reconnects.
  pool.on('error', () => {});
  pool.on('release', (error, client) => {
    // Handed back with a query still unanswered (the client gave up on it, e.g. Prisma rolling back
    // a transaction that timed out): every later query would queue behind it. Closing it now makes
    // the pool discard it, and PostgreSQL rolls back whatever it had open.
    const waiting = (client as unknown as { _getActiveQuery?: () => unknown })._getActiveQuery?.();
    if (!error && waiting) void client.end().catch(() => {});
  });
  return pool;
}

/** Row limits up to this are written into a statement's text (a page is at most 100 rows, plus one). */
const MAX_INLINED_LIMIT = 1000;
/** At most this many statement texts with inlined values per process (each a prepared statement per connection). */
const MAX_INLINED_VARIANTS = 1000;
const inlinedVariants = new Set<string>();
/** An enum label as Prisma sends it (`CAST($6::text AS "public"."PopularityWindow")`): safe to write as a string literal. */
const ENUM_LABEL = /^[A-Z][A-Z0-9_]{0,62}$/;

/**
 * Prisma sends every value as a parameter. For a prepared statement PostgreSQL plans a generic plan
 * (one for any values) and uses it after five executions unless it costs more than the plans it
 * made for the actual values; then it plans anew on every execution, 0.5–1 ms of its CPU each.
 * Two kinds of parameter make the generic plan dearer:
 * - row limits (`take` as `LIMIT $6`, a to-one relation's lateral join as `LIMIT $1`): costed as
 *   if they kept 10% of the table (the list statements: latest, a section's articles, editorials);
 * - enum values (`"status" = CAST($7::text AS "public"."ArticleStatus")`, Most Popular's window):
 *   costed with an average share of rows instead of the value's own (PUBLISHED is most of them).
 * With those values in the text the generic plan is costed for the real values and used. Returns
 * the statement with each `LIMIT $n` / `OFFSET $n` whose value is a small non-negative integer, and
 * each enum cast whose value is an enum label, written as literals and the other parameters
 * renumbered, plus a name suffix telling the variants apart (both kinds have few values); or null
 * when there is nothing to inline, or a `$` that is not a parameter makes the text unsafe to
 * renumber.
 */
export function inlinePlanLiterals(text: string, values: readonly unknown[]): { text: string; values: unknown[]; suffix: string } | null {
  if (!/\b(?:LIMIT|OFFSET) \$\d|CAST\(\$\d+::text AS "/.test(text) || /\$(?!\d)/.test(text)) return null;
  const literal = new Map<number, string>();
  for (const match of text.matchAll(/\b(?:LIMIT|OFFSET) \$(\d+)/g)) {
    const n = Number(match[1]);
    const value = values[n - 1];
    const number = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value;
    if (
      (typeof number === 'number' || typeof number === 'bigint') &&
      Number(number) >= 0 &&
      Number(number) <= MAX_INLINED_LIMIT &&
      Number.isInteger(Number(number))
    ) {
      literal.set(n, String(Number(number)));
    }
  }
  for (const match of text.matchAll(/CAST\(\$(\d+)::text AS "[A-Za-z_]+"\."[A-Za-z_]+"\)/g)) {
    const n = Number(match[1]);
    const value = values[n - 1];
    if (typeof value === 'string' && ENUM_LABEL.test(value)) literal.set(n, `'${value}'`);
  }
  if (literal.size === 0) return null;
  const renumbered = new Map<number, number>();
  const kept: unknown[] = [];
  values.forEach((value, i) => {
    if (literal.has(i + 1)) return;
    kept.push(value);
    renumbered.set(i + 1, kept.length);
  });
  // One pass over every parameter: an inlined one becomes its literal wherever it appears.
  const inlined = text.replace(
    /\$(\d+)/g,
    (match, n: string) => literal.get(Number(n)) ?? (renumbered.has(Number(n)) ? `$${renumbered.get(Number(n))}` : match),
  );
  const suffix = [...literal.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, value]) => value.replaceAll("'", ''))
    .join('_');
  return { text: inlined, values: kept, suffix };
}

/** PostgreSQL compares prepared statement names by their first 63 bytes: longer ones are hashed. */
const MAX_STATEMENT_NAME = 63;

/**
 * A connection that writes plan-relevant values as literals (`inlinePlanLiterals`) into the named
 * statements the adapter prepares. Each variant gets a name of its own (a name stands for one text
 * per connection); past MAX_INLINED_VARIANTS texts the statement goes as it came.
 */
class PlanLiteralClient extends pg.Client {}
const clientQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
PlanLiteralClient.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  if (config !== null && typeof config === 'object' && Object.getPrototypeOf(config) === Object.prototype) {
    const query = config as pg.QueryConfig & { name?: string };
    if (query.name && Array.isArray(query.values)) {
      const inlined = inlinePlanLiterals(query.text, query.values);
      if (inlined) {
        let name = `${query.name}_${inlined.suffix}`;
        if (name.length > MAX_STATEMENT_NAME)
          name = `${query.name}_${createHash('sha256').update(inlined.suffix).digest('base64url').slice(0, 20)}`;
        if (inlinedVariants.has(name) || inlinedVariants.size < MAX_INLINED_VARIANTS) {
          inlinedVariants.add(name);
          return clientQuery.call(this, { ...query, name, text: inlined.text, values: inlined.values }, ...rest);
        }
      }
    }
  }
  return clientQuery.call(this, config, ...rest);
} as typeof pg.Client.prototype.query;

type StatementNameGenerator = NonNullable<NonNullable<ConstructorParameters<typeof PrismaPg>[1]>['statementNameGenerator']>;

/** Statements seen this often get a name: PostgreSQL then parses them once per connection. */
const PREPARE_AFTER = 3;
/** At most this many named statements per process (each connection keeps the ones it ran). */
const MAX_PREPARED = 500;

/**
 * Names for repeated statements, so node-postgres prepares them once per connection and later
 * sends only their parameters: PostgreSQL skips parsing (and, once it settles on a generic plan,
 * planning) the large relation-join queries, and the gateway skips sending their text. Statements
 * seen only once or twice, and any beyond the first MAX_PREPARED, stay unnamed: arbitrary client
 * queries cannot make connections hold an unbounded number of prepared statements.
 */
function preparedStatementNames(): StatementNameGenerator {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  return (({ sql }: { sql: string }): string | undefined => {
    const name = names.get(sql);
    if (name !== undefined || names.size >= MAX_PREPARED) return name;
    const count = (seen.get(sql) ?? 0) + 1;
    if (count < PREPARE_AFTER) {
      // Counting starts over when too many one-offs were seen: their texts are not kept forever.
      if (seen.size >= 2 * MAX_PREPARED) seen.clear();
      seen.set(sql, count);
      return undefined;
    }
    seen.delete(sql);
    const named = `newsroom_${names.size + 1}`;
    names.set(sql, named);
    return named;
  }) as StatementNameGenerator; // node-postgres runs an unnamed statement when the name is undefined
}
