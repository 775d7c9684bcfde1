// One Prisma client per database: embedded PGlite by default, a PostgreSQL server when configured.
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
  const pglite = new PGlite(config.dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
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
