// The one place configuration is read. Every variable has its default here, is validated at
// start, and a wrong value stops the process with a message naming the variable.
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A hop count (`1`: the nearest proxy's X-Forwarded-For entry) or the proxies' addresses and CIDR ranges. */
const trustProxy = z.string().transform((value, ctx): number | string[] | false => {
  if (/^\d+$/.test(value)) return Number(value) > 0 ? Number(value) : false;
  const ranges = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(ranges);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a hop count or addresses/CIDR ranges, comma-separated (${(error as Error).message})`,
    });
    return z.NEVER;
  }
  return ranges;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(4000),
  /** A PostgreSQL server; when unset the gateway runs on embedded PGlite in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// connection string')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 500).default(10),
  /** Streaming replicas (postgresql:// URLs, comma-separated) for anonymous reads; writes, API keys and background work stay on DATABASE_URL. */
  DATABASE_REPLICA_URLS: list
    .pipe(z.array(z.string().regex(/^postgres(ql)?:\/\//, 'must be postgresql:// connection strings')))
    .default([]),
  /** A replica further behind the primary than this is skipped until it catches up (measured by WAL position, to within DATABASE_REPLICA_CHECK_MS). */
  DATABASE_REPLICA_MAX_LAG_MS: int(0, 3_600_000).default(2000),
  /** How often each replica's state (up, standby) and lag are checked. */
  DATABASE_REPLICA_CHECK_MS: int(50, 60_000).default(500),
  /** Connections kept apart for API keys, their mutations and background work (scheduler, jobs, outbox), which anonymous reads cannot take; 0 = one shared pool. */
  DATABASE_RESERVED_POOL_SIZE: int(0, 500).default(3),
  /** Anonymous operations in the gateway at once, executing or waiting their turn (answers from the HTTP cache do not count); beyond it 503 SERVER_BUSY with Retry-After; 0 = no cap. */
  MAX_ANONYMOUS_OPERATIONS: int(0, 100_000).default(64),
  /** Of those, how many execute at once; the others wait in arrival order. Default DATABASE_POOL_SIZE; 0 = all at once. */
  MAX_ANONYMOUS_EXECUTING: int(0, 100_000).optional(),
  /** Longest one SQL statement may run (PostgreSQL statement_timeout; the gateway drops a connection that stays silent 1 s longer); 0 = no limit. */
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(5000),
  /** Longest wait to open a PostgreSQL connection or to get a free one from the pool. */
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 600_000).default(3000),
  /** Prepare repeated statements once per connection; turn off behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21). */
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  /** PGlite data directory; `memory://` keeps everything in memory. */
  DATA_DIR: z.string().min(1).default('./data'),
  /**
   * PGlite's shared buffers (PostgreSQL's shared_buffers). PGlite zeroes them at every start: the
   * tests run with 8MB, where 128MB cost each start of a test database 0.3–1 s of CPU.
   */
  PGLITE_SHARED_BUFFERS: z
    .string()
    .regex(/^[1-9][0-9]*(kB|MB|GB)$/, 'a size such as 8MB or 128MB')
    .default('128MB'),
  /** Apply pending migrations at start. */
  MIGRATE_ON_START: bool.default(true),
  /** Load the demo newsroom when the database has no articles yet. */
  SEED_DEMO: bool.default(true),
  /** Defaults to INTROSPECTION: GraphiQL is of little use without the schema. */
  GRAPHIQL: bool.optional(),
  /** Serve the schema to introspection queries (GraphiQL and codegen need it). */
  INTROSPECTION: bool.default(true),
  /** How often due scheduled articles are published; 0 turns this instance's scheduler off. */
  SCHEDULER_INTERVAL_MS: int(0, 3_600_000).default(2000),
  /** How often Most Popular is recomputed from the read counts (by one gateway of all); 0 turns this instance's share off. */
  POPULARITY_REFRESH_MS: int(0, 86_400_000).default(60_000),
  /** Redis for story events between gateways and shared rate limits; unset = this process only. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  /** How often the outbox relay looks for committed story events not yet sent. */
  OUTBOX_POLL_MS: int(50, 60_000).default(500),
  /**
   * How often it polls while Redis wakes it on every commit: only the safety net for a lost
   * wake-up (a crash between commit and notify).
   */
  OUTBOX_POLL_WITH_REDIS_MS: int(50, 600_000).default(5000),
  /** Live subscriptions one WebSocket (or SSE client) may hold at once. */
  SUBSCRIPTIONS_PER_CONNECTION: int(1, 1000).default(20),
  /** WebSocket ping interval; a client that does not answer is dropped. */
  WS_KEEPALIVE_MS: int(1000, 600_000).default(12_000),
  /** A file to append a JSON line per live event to (read, fan-out start, slices, end) and per GC pause: for `npm run bench:live`; unset = off. */
  LIVE_TRACE_FILE: z.string().min(1).optional(),
  /** Open WebSockets one client (address) may hold; past it the upgrade is refused with 429. 0 = no cap. */
  WEBSOCKETS_PER_CLIENT: int(0, 100_000).default(50),
  /** Open SSE streams one client (address) may hold; past it a new stream is refused with 429. 0 = no cap. */
  SSE_STREAMS_PER_CLIENT: int(0, 100_000).default(50),
  /** Bytes of an operation's variables (as JSON), on every transport; past it 413 VARIABLES_TOO_LARGE. */
  MAX_VARIABLES_BYTES: int(1024, 50_000_000).default(256 * 1024),
  /** Items of any one list in an operation's variables or document (ids, filters, placements); past it 400. */
  MAX_VARIABLE_LIST_LENGTH: int(1, 1_000_000).default(500),
  /** Levels of lists and objects nested in an operation's variables (our inputs need 4); past it 400. */
  MAX_VARIABLES_DEPTH: int(2, 1000).default(32),
  /** A request's headers must arrive within this (else 408 and the connection is closed). */
  HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
  /** A whole request, headers and body, must arrive within this (else 408 and the connection is closed). */
  REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  /** Origins allowed by CORS, comma-separated; `*` for any. */
  CORS_ORIGINS: list.default(['*']),
  /** Largest request body in bytes (larger is 413). */
  MAX_BODY_BYTES: int(1024, 50_000_000).default(1_000_000),
  MAX_QUERY_DEPTH: int(1, 100).default(12),
  MAX_QUERY_ALIASES: int(1, 1000).default(30),
  MAX_QUERY_TOKENS: int(100, 100_000).default(5000),
  MAX_QUERY_COST: int(100, 10_000_000).default(50_000),
  /** Requests per minute per client (API key, else IP); 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: int(0, 1_000_000).default(1200),
  /** Failed API key checks per address per minute; past them the address's key checks are 429 until the minute ends. 0 = no throttle. */
  AUTH_FAILURES_PER_MINUTE: int(0, 1_000_000).default(20),
  /** Which proxies' X-Forwarded-For to believe for the client's address; unset = none (the peer's address counts). */
  TRUST_PROXY: trustProxy.optional(),
  /** How often each gateway re-checks the API keys its WebSockets and SSE streams hold (revoked or role changed: ended). */
  KEY_RECHECK_MS: int(100, 60_000).default(1000),
  /** Prefix of this deployment's keys and channel in Redis (rate-limit counts, the story-event wake-up). */
  REDIS_KEY_PREFIX: z.string().min(1).default('newsroom:'),
  /** How long SIGTERM waits for in-flight requests and sockets before exiting. */
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),
  /** Cache anonymous query results in memory; unset = on, except under NODE_ENV=test (tests write behind the gateway's back). */
  RESPONSE_CACHE: bool.optional(),
  /**
   * How long a cached result lives at most (story events purge it earlier). A story's own page
   * (body, corrections, section, byline, media) is purged by the events that change it; only its
   * related stories (a ranking new stories join) wait for this.
   */
  RESPONSE_CACHE_TTL_MS: int(0, 86_400_000).default(300_000),
  /** Results holding article lists: MOST_READ orders and read windows move without story events. */
  RESPONSE_CACHE_LIST_TTL_MS: int(0, 86_400_000).default(30_000),
  /** Results holding `mostPopular`: read counts change with every read. */
  RESPONSE_CACHE_POPULAR_TTL_MS: int(0, 86_400_000).default(10_000),
  /**
   * Responses (a page's root fields apart) the HTTP cache in front of yoga keeps per gateway, least
   * recently used go first. Sized for a newsroom's working set: the storm bench reads 2,000 pages,
   * and a cache smaller than that misses on every page past it.
   */
  RESPONSE_CACHE_MAX_ENTRIES: int(1, 1_000_000).default(20_000),
  /** Response bytes the HTTP cache keeps per gateway (least recently used go first): its real bound. */
  RESPONSE_CACHE_MAX_BYTES: int(0, 2 ** 40).default(256 * 1024 * 1024),
  /**
   * Parsed results the response cache inside yoga keeps, for what the HTTP cache does not see
   * (WebSocket and SSE queries, large POSTs). Objects, not bytes: kept small on purpose.
   */
  RESPONSE_CACHE_MAX_RESULTS: int(1, 1_000_000).default(1000),
  /** `allow`: any document, plus persisted and automatic persisted queries; `only`: the codegen manifest's operations only. */
  PERSISTED_OPERATIONS: z.enum(['allow', 'only']).default('allow'),
  /** The public site's address: feeds and sitemaps link articles as `${PUBLIC_SITE_URL}/article/{slug}`. */
  PUBLIC_SITE_URL: z
    .string()
    .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, 'must be an http(s):// URL without query or fragment')
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://localhost:4000'),
  /** The publication's name and language (ISO 639) in feeds and the Google News sitemap. */
  PUBLIC_SITE_NAME: z.string().min(1).default('The Daily Gateway'),
  PUBLIC_SITE_LANGUAGE: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/, 'must be a language code such as en or en-GB')
    .default('en'),
  /** The paper's home time zone (IANA): the demo site prints times and dates "today's" edition in it. */
  PUBLIC_SITE_TIME_ZONE: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Karachi or Europe/London')
    .default('Asia/Karachi'),
  /** The CDN in front that story events purge by surrogate key: `varnish`, `fastly`, `cloudflare`, or `none`. */
  CDN_PURGE: z.enum(['none', 'varnish', 'fastly', 'cloudflare']).default('none'),
  /** Varnish servers to purge, comma-separated (each one's address for PURGE/BAN, as the VCL's ACL allows). */
  VARNISH_PURGE_URLS: list.pipe(z.array(z.url({ protocol: /^https?$/ }))).optional(),
  /** `xkey`: PURGE through the xkey vmod (varnish-modules); `ban`: BAN by the same keys where xkey is missing. */
  VARNISH_PURGE_MODE: z.enum(['xkey', 'ban']).default('xkey'),
  FASTLY_SERVICE_ID: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, 'must be a Fastly service id')
    .optional(),
  /** A Fastly API token with the purge_select scope. */
  FASTLY_API_TOKEN: z.string().optional(),
  /** Mark purged objects stale (served while refetched) instead of removing them. */
  FASTLY_SOFT_PURGE: bool.default(false),
  FASTLY_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.fastly.com'),
  CLOUDFLARE_ZONE_ID: z
    .string()
    .regex(/^[A-Za-z0-9]+$/, 'must be a Cloudflare zone id')
    .optional(),
  /** A Cloudflare API token with the Zone › Cache Purge permission. */
  CLOUDFLARE_API_TOKEN: z.string().optional(),
  CLOUDFLARE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.cloudflare.com'),
  /** Tries of one purge request (network error, 5xx, 429), with exponential backoff and jitter; then the batch waits for the next run. */
  CDN_PURGE_ATTEMPTS: int(1, 20).default(5),
  /** Longest one purge request may take. */
  CDN_PURGE_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** How often this gateway looks for webhook deliveries to send (story events also wake it); 0 = this gateway sends none. */
  WEBHOOK_INTERVAL_MS: int(0, 3_600_000).default(1000),
  /** Longest one webhook request may take (connect, send, answer); past it the attempt failed. */
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Webhook requests one gateway has in flight at once (each endpoint has at most one). */
  WEBHOOK_CONCURRENCY: int(1, 1000).default(16),
  /** First retry delay; each failure doubles it (with jitter) up to WEBHOOK_BACKOFF_MAX_MS. */
  WEBHOOK_BACKOFF_BASE_MS: int(1, 3_600_000).default(30_000),
  WEBHOOK_BACKOFF_MAX_MS: int(1, 86_400_000).default(3_600_000),
  /** How long a delivery is retried before it is marked FAILED (and can be replayed). */
  WEBHOOK_RETRY_WINDOW_MS: int(0, 30 * 86_400_000).default(86_400_000),
  /** Allow endpoints on private, loopback and link-local addresses (checked again at every delivery). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
  /** Image service URL template for renditions (see README, Images); unset = renditions are the original URL. */
  IMAGE_URL_TEMPLATE: z
    .string()
    .regex(/^https?:\/\/[^/?#]+/, 'must be an http(s):// URL template')
    .optional(),
  /** imgproxy's signing key and salt (hex), both or neither; unset = URLs are signed `insecure`. */
  IMAGE_KEY: z
    .string()
    .regex(/^([0-9a-fA-F]{2})+$/, 'must be hex')
    .optional(),
  IMAGE_SALT: z
    .string()
    .regex(/^([0-9a-fA-F]{2})*$/, 'must be hex')
    .optional(),
  /** The widths (and heights) a rendition may have, comma-separated. */
  IMAGE_WIDTHS: z
    .string()
    .regex(/^\s*\d{1,5}(\s*,\s*\d{1,5})*\s*$/, 'must be widths in pixels, comma-separated')
    .transform((v) => [...new Set(v.split(',').map(Number))].filter((w) => w > 0).sort((a, b) => a - b))
    .default([320, 480, 640, 800, 1024, 1280, 1600, 2048]),
  /** Format of renditions that do not ask for one. */
  IMAGE_FORMAT: z.enum(['JPEG', 'PNG', 'WEBP', 'AVIF']).default('WEBP'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type DatabaseConfig =
  | {
      kind: 'postgres';
      url: string;
      poolSize: number;
      /** Default true. */
      preparedStatements?: boolean;
      /** Default 5000; 0 = no limit (scripts that migrate or seed large archives). */
      statementTimeoutMs?: number;
      /** Default 3000. */
      connectTimeoutMs?: number;
      /** A second pool of this size for everything but anonymous requests; default 0 (one pool). */
      reservedPoolSize?: number;
      /** Streaming replicas for anonymous reads (see db/replicas.ts); default none. */
      replicas?: { urls: string[]; maxLagMs: number; checkMs: number };
    }
  | { kind: 'pglite'; dataDir: string; sharedBuffers?: string };

function toConfig(c: z.output<typeof schema>) {
  const database: DatabaseConfig = c.DATABASE_URL
    ? {
        kind: 'postgres',
        url: c.DATABASE_URL,
        poolSize: c.DATABASE_POOL_SIZE,
        preparedStatements: c.DATABASE_PREPARED_STATEMENTS,
        statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
        reservedPoolSize: c.DATABASE_RESERVED_POOL_SIZE,
        replicas: { urls: c.DATABASE_REPLICA_URLS, maxLagMs: c.DATABASE_REPLICA_MAX_LAG_MS, checkMs: c.DATABASE_REPLICA_CHECK_MS },
      }
    : { kind: 'pglite', dataDir: c.DATA_DIR, sharedBuffers: c.PGLITE_SHARED_BUFFERS };
  return {
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    database,
    migrateOnStart: c.MIGRATE_ON_START,
    seedDemo: c.SEED_DEMO,
    graphiql: c.GRAPHIQL ?? c.INTROSPECTION,
    introspection: c.INTROSPECTION,
    schedulerIntervalMs: c.SCHEDULER_INTERVAL_MS,
    popularityRefreshMs: c.POPULARITY_REFRESH_MS,
    redisUrl: c.REDIS_URL,
    outboxPollMs: c.OUTBOX_POLL_MS,
    outboxPollWithRedisMs: c.OUTBOX_POLL_WITH_REDIS_MS,
    subscriptionsPerConnection: c.SUBSCRIPTIONS_PER_CONNECTION,
    wsKeepAliveMs: c.WS_KEEPALIVE_MS,
    liveTraceFile: c.LIVE_TRACE_FILE,
    resources: {
      websocketsPerClient: c.WEBSOCKETS_PER_CLIENT,
      sseStreamsPerClient: c.SSE_STREAMS_PER_CLIENT,
      maxVariablesBytes: c.MAX_VARIABLES_BYTES,
      maxVariableListLength: c.MAX_VARIABLE_LIST_LENGTH,
      maxVariablesDepth: c.MAX_VARIABLES_DEPTH,
      headersTimeoutMs: c.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    },
    corsOrigins: c.CORS_ORIGINS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    limits: { depth: c.MAX_QUERY_DEPTH, aliases: c.MAX_QUERY_ALIASES, tokens: c.MAX_QUERY_TOKENS, cost: c.MAX_QUERY_COST },
    rateLimitPerMinute: c.RATE_LIMIT_PER_MINUTE,
    anonymousOperations: { max: c.MAX_ANONYMOUS_OPERATIONS, executing: c.MAX_ANONYMOUS_EXECUTING ?? c.DATABASE_POOL_SIZE },
    authFailuresPerMinute: c.AUTH_FAILURES_PER_MINUTE,
    trustProxy: c.TRUST_PROXY ?? (false as const),
    keyRecheckMs: c.KEY_RECHECK_MS,
    redisKeyPrefix: c.REDIS_KEY_PREFIX,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    responseCache: {
      enabled: c.RESPONSE_CACHE ?? c.NODE_ENV !== 'test',
      ttlMs: c.RESPONSE_CACHE_TTL_MS,
      listTtlMs: c.RESPONSE_CACHE_LIST_TTL_MS,
      popularTtlMs: c.RESPONSE_CACHE_POPULAR_TTL_MS,
      maxEntries: c.RESPONSE_CACHE_MAX_ENTRIES,
      maxBytes: c.RESPONSE_CACHE_MAX_BYTES,
      maxResults: c.RESPONSE_CACHE_MAX_RESULTS,
    },
    persistedOperations: c.PERSISTED_OPERATIONS,
    site: { url: c.PUBLIC_SITE_URL, name: c.PUBLIC_SITE_NAME, language: c.PUBLIC_SITE_LANGUAGE, timeZone: c.PUBLIC_SITE_TIME_ZONE },
    webhooks: {
      intervalMs: c.WEBHOOK_INTERVAL_MS,
      timeoutMs: c.WEBHOOK_TIMEOUT_MS,
      concurrency: c.WEBHOOK_CONCURRENCY,
      backoffBaseMs: c.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: c.WEBHOOK_BACKOFF_MAX_MS,
      retryWindowMs: c.WEBHOOK_RETRY_WINDOW_MS,
      allowPrivateTargets: c.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    },
    images: imagesConfig(c),
    logLevel: c.LOG_LEVEL,
    cdnPurge: cdnPurgeConfig(c),
  };
}

export type CdnTarget =
  | { kind: 'none' }
  | { kind: 'varnish'; urls: string[]; mode: 'xkey' | 'ban' }
  | { kind: 'fastly'; serviceId: string; token: string; softPurge: boolean; apiUrl: string }
  | { kind: 'cloudflare'; zoneId: string; token: string; apiUrl: string };

/** The CDN to purge and how; the variables its kind needs must be set. */
function imagesConfig(c: z.output<typeof schema>) {
  if ((c.IMAGE_KEY === undefined) !== (c.IMAGE_SALT === undefined)) {
    throw new ConfigError('Invalid configuration:\n  IMAGE_SALT: IMAGE_KEY and IMAGE_SALT go together');
  }
  return {
    urlTemplate: c.IMAGE_URL_TEMPLATE ?? null,
    key: c.IMAGE_KEY ? Buffer.from(c.IMAGE_KEY, 'hex') : null,
    salt: c.IMAGE_SALT !== undefined ? Buffer.from(c.IMAGE_SALT, 'hex') : null,
    widths: c.IMAGE_WIDTHS,
    defaultFormat: c.IMAGE_FORMAT,
  };
}

function cdnPurgeConfig(c: z.output<typeof schema>) {
  const need = (name: string, value: unknown) => {
    if (value === undefined) throw new ConfigError(`Invalid configuration:\n  ${name}: required with CDN_PURGE=${c.CDN_PURGE}`);
  };
  let target: CdnTarget = { kind: 'none' };
  if (c.CDN_PURGE === 'varnish') {
    need('VARNISH_PURGE_URLS', c.VARNISH_PURGE_URLS?.[0]);
    target = { kind: 'varnish', urls: c.VARNISH_PURGE_URLS!, mode: c.VARNISH_PURGE_MODE };
  } else if (c.CDN_PURGE === 'fastly') {
    need('FASTLY_SERVICE_ID', c.FASTLY_SERVICE_ID);
    need('FASTLY_API_TOKEN', c.FASTLY_API_TOKEN);
    const apiUrl = c.FASTLY_API_URL.replace(/\/+$/, '');
    target = { kind: 'fastly', serviceId: c.FASTLY_SERVICE_ID!, token: c.FASTLY_API_TOKEN!, softPurge: c.FASTLY_SOFT_PURGE, apiUrl };
  } else if (c.CDN_PURGE === 'cloudflare') {
    need('CLOUDFLARE_ZONE_ID', c.CLOUDFLARE_ZONE_ID);
    need('CLOUDFLARE_API_TOKEN', c.CLOUDFLARE_API_TOKEN);
    target = {
      kind: 'cloudflare',
      zoneId: c.CLOUDFLARE_ZONE_ID!,
      token: c.CLOUDFLARE_API_TOKEN!,
      apiUrl: c.CLOUDFLARE_API_URL.replace(/\/+$/, ''),
    };
  }
  return { target, attempts: c.CDN_PURGE_ATTEMPTS, timeoutMs: c.CDN_PURGE_TIMEOUT_MS };
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {}

/** Reads and validates configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as shells and compose files often pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(parsed.data);
}
