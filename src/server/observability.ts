// What operators see: /healthz (the process runs), /readyz (the database answers; not while
// shutting down), Prometheus /metrics, and one JSON log line per request carrying a request id
// that is also returned in the `x-request-id` response header.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, GraphQLError, parse, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';

/** How long /readyz waits for `SELECT 1`. */
export const READY_TIMEOUT_MS = 1000;
const GRAPHQL_PATH = '/graphql';
/** Operation names come from clients: past this many distinct ones, new names count as `other`. */
const MAX_OPERATION_NAMES = 500;

// One registry per process: the process metrics and the live gauges exist once however many
// gateways a process builds (tests build many).
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const requestDuration = new Histogram({
  name: 'newsroom_http_request_duration_seconds',
  help: 'GraphQL HTTP requests (and feeds, operation_type "feed") by operation and status',
  labelNames: ['operation_name', 'operation_type', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});
const graphqlErrors = new Counter({
  name: 'newsroom_graphql_errors_total',
  help: 'Errors sent to clients, by extensions.code',
  labelNames: ['code'] as const,
  registers: [metricsRegistry],
});

/** A gauge summed at scrape time over the live objects of a kind (a process may hold several). */
export function summedGauge<T>(name: string, help: string, items: ReadonlySet<T>, read: (item: T) => number) {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      let sum = 0;
      for (const item of items) sum += read(item);
      this.set(sum);
    },
  });
}

const pools = new Set<pg.Pool>();
const poolGauge = (name: string, help: string, read: (pool: pg.Pool) => number) =>
  summedGauge(name, help, pools, (pool) => (pool.ended ? 0 : read(pool)));
poolGauge('newsroom_db_pool_connections', 'PostgreSQL connections open (0 on PGlite)', (pool) => pool.totalCount);
poolGauge('newsroom_db_pool_idle_connections', 'PostgreSQL connections idle in the pool', (pool) => pool.idleCount);
poolGauge('newsroom_db_pool_waiting_clients', 'Queries waiting for a free PostgreSQL connection', (pool) => pool.waitingCount);

// Webhook attempts (src/newsroom/webhook-sender.ts): delivered, failed and retried, with latency.
const webhookAttempts = new Counter({
  name: 'newsroom_webhook_attempts_total',
  help: 'Webhook requests by outcome: delivered (2xx), retrying (failed, retried later), failed (retries ran out)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
const webhookLatency = new Histogram({
  name: 'newsroom_webhook_attempt_duration_seconds',
  help: 'Time to a webhook answer (or to failing), by outcome',
  labelNames: ['outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});
/** The webhook sender's observer (`AttemptObserver`). */
export function observeWebhookAttempt(outcome: string, latencySeconds: number | null) {
  webhookAttempts.inc({ outcome });
  if (latencySeconds != null) webhookLatency.observe({ outcome }, latencySeconds);
}

/** Read replicas of this process's databases (DATABASE_REPLICA_URLS): their counters are read at scrape time. */
const replicaRouters = new Set<{ states(): { healthy: boolean; reads: number; fallbacks: number }[] }>();
const replicaGauge = (name: string, help: string, read: (state: { healthy: boolean; reads: number; fallbacks: number }) => number) =>
  summedGauge(name, help, replicaRouters, (router) => router.states().reduce((sum, state) => sum + read(state), 0));
replicaGauge('newsroom_db_replicas_healthy', 'Read replicas in use (up, a standby, within DATABASE_REPLICA_MAX_LAG_MS)', (s) =>
  s.healthy ? 1 : 0,
);
replicaGauge('newsroom_db_replica_statements_total', 'Read statements sent to replicas', (s) => s.reads);
replicaGauge('newsroom_db_replica_fallbacks_total', 'Read statements a replica failed that the primary answered', (s) => s.fallbacks);

const wsConnections = new Gauge({ name: 'newsroom_ws_connections', help: 'Open WebSocket connections', registers: [metricsRegistry] });
/** The live hubs of this process: their counters are read at scrape time. */
const hubs = new Set<{ subscriptions: number }>();
summedGauge('newsroom_active_subscriptions', 'Live subscriptions (WebSocket and SSE)', hubs, (hub) => hub.subscriptions);

/** For the live module: call these as connections come and go. */
export const liveMetrics = {
  connectionOpened: () => wsConnections.inc(),
  connectionClosed: () => wsConnections.dec(),
};

/** An incoming id is kept only when it is short and plain, so it cannot forge log lines. */
export function requestIdFrom(header: string | null): string {
  return header && /^[A-Za-z0-9_-]{1,64}$/.test(header) ? header : randomUUID();
}

type RequestState = {
  id: string;
  start: number;
  operationName?: string;
  operationType?: string;
  query?: string;
  queryOperationName?: string | null;
};

/** In a request's server context: it computes part of another request (the HTTP cache's root fields), which is the one logged and counted. */
export const PART_OF_REQUEST = Symbol('part of a request');

/** The operation a request ran, as logs and metrics name it. */
export type RequestOperation = { operationName?: string; operationType?: string };

/** What the per-request log line and the duration histogram record. */
export type RequestRecord = RequestOperation & {
  reqId: string;
  method: string;
  path: string;
  status: number;
  seconds: number;
  /** Answered by the HTTP cache in front of yoga: `hit`, `stale` or `coalesced`. */
  cache?: string;
};

export type Observability = {
  plugins: Plugin[];
  /**
   * Plugins that must come after every other onParams hook (persisted operations resolve the
   * document there): they see the operation of a result the response cache served without executing.
   */
  lastPlugins: Plugin[];
  /** The log line and the histogram for one request; yoga's requests and the HTTP cache's hits both go through it. */
  recordRequest(record: RequestRecord): void;
  /** The operation yoga noted for a node request it answered (the HTTP cache stores it with the response). */
  operationOf(req: IncomingMessage): RequestOperation | undefined;
  /** Names a request that is not a GraphQL operation (a feed) for its log line and the duration histogram. */
  nameRequest(request: Request, operation: RequestOperation): void;
  /** An operation as logs and metrics name it (names past MAX_OPERATION_NAMES count as `other`), for doors without a yoga request (graphql-ws). */
  describeOperation(document: DocumentNode, operationName?: string | null): RequestOperation;
  metricsRegistry: Registry;
  /** True when the database answers `SELECT 1` within READY_TIMEOUT_MS and no shutdown began. */
  ready(): Promise<boolean>;
  /** From now on /readyz answers 503, so load balancers stop sending traffic. */
  beginShutdown(): void;
  close(): void;
};

export function observability(options: {
  config: Config;
  db: Database;
  logger: Logger;
  /** The gateway's live hub: `newsroom_active_subscriptions` reads its count. */
  live?: { subscriptions: number };
}): Observability {
  const { db, live } = options;
  const logger = options.logger.child({ component: 'http' });
  const states = new WeakMap<Request, RequestState>();
  const byNodeRequest = new WeakMap<IncomingMessage, RequestState>();
  const operationNames = new Set<string>();
  /** Operations of documents served from the response cache without executing (bounded). */
  const described = new Map<string, { name: string; type?: string } | null>();
  let shuttingDown = false;
  for (const pool of db.pools) pools.add(pool);
  if (db.replicas) replicaRouters.add(db.replicas);
  if (live) hubs.add(live);

  async function ready(): Promise<boolean> {
    if (shuttingDown) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([db.prisma.$queryRaw`SELECT 1`, timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  const stateOf = (request: Request) => {
    let state = states.get(request);
    if (!state) {
      state = { id: requestIdFrom(request.headers.get('x-request-id')), start: performance.now() };
      states.set(request, state);
    }
    return state;
  };

  const countedName = (name: string) => {
    if (operationNames.size < MAX_OPERATION_NAMES) operationNames.add(name);
    return operationNames.has(name) ? name : 'other';
  };

  const noteOperation = (request: Request | undefined, document: DocumentNode, operationName?: string | null) => {
    if (!request) return; // graphql-ws operations have no HTTP request
    const state = stateOf(request);
    const operation = getOperationAST(document, operationName);
    state.operationType = operation?.operation;
    state.operationName = countedName(operation?.name?.value ?? 'anonymous');
  };

  /**
   * A result the response cache served never executed, so onExecute did not see its operation.
   * Its document did execute once (it is cached), so it parses; each document is parsed once.
   */
  const noteCachedOperation = (state: RequestState) => {
    const key = `${state.queryOperationName ?? ''}\n${state.query}`;
    let operation = described.get(key);
    if (operation === undefined) {
      try {
        const ast = getOperationAST(parse(state.query!, { noLocation: true }), state.queryOperationName);
        operation = ast ? { name: ast.name?.value ?? 'anonymous', type: ast.operation } : null;
      } catch {
        operation = null;
      }
      if (described.size >= MAX_OPERATION_NAMES) described.clear();
      described.set(key, operation);
    }
    if (!operation) return;
    state.operationType = operation.type;
    state.operationName = countedName(operation.name);
  };

  function recordRequest(record: RequestRecord) {
    // GraphQL operations and named requests (feeds) are traffic; the rest are probes and scrapes.
    const graphql = record.path === GRAPHQL_PATH || record.operationType === 'feed';
    if (graphql) {
      requestDuration.observe(
        { operation_name: record.operationName ?? 'none', operation_type: record.operationType ?? 'none', status: String(record.status) },
        record.seconds,
      );
    }
    // Probes and scrapes (every few seconds) log at debug.
    if (!logger.isLevelEnabled(graphql ? 'info' : 'debug')) return;
    const line: Record<string, unknown> = {
      reqId: record.reqId,
      method: record.method,
      path: record.path,
      status: record.status,
      operation: record.operationName,
      operationType: record.operationType,
      durationMs: Math.round(record.seconds * 10_000) / 10,
    };
    if (record.cache) line.cache = record.cache;
    if (graphql) logger.info(line, 'request');
    else logger.debug(line, 'request');
  }

  const plugin: Plugin = {
    onRequest({ request, url, endResponse, fetchAPI }) {
      stateOf(request);
      const json = (body: unknown, status = 200) =>
        new fetchAPI.Response(JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        });
      switch (url.pathname) {
        case '/healthz':
          return endResponse(json({ status: 'ok' }));
        case '/readyz':
          return ready().then((ok) =>
            endResponse(json({ status: ok ? 'ready' : shuttingDown ? 'shutting down' : 'database unavailable' }, ok ? 200 : 503)),
          );
        case '/metrics':
          return metricsRegistry
            .metrics()
            .then((text) =>
              endResponse(
                new fetchAPI.Response(text, { headers: { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' } }),
              ),
            );
      }
    },
    onExecute({ args }) {
      noteOperation((args.contextValue as { request?: Request }).request, args.document, args.operationName);
    },
    onSubscribe({ args }) {
      noteOperation((args.contextValue as { request?: Request }).request, args.document, args.operationName);
    },
    onResultProcess({ result }) {
      // Streams (SSE, subscriptions) are left out: their errors arrive after the response began.
      if (Symbol.asyncIterator in result) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of single.errors ?? []) {
          const code = error.extensions?.code;
          graphqlErrors.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
        }
      }
    },
    onResponse({ request, response, serverContext }) {
      const state = stateOf(request);
      response.headers.set('x-request-id', state.id);
      if (state.operationType === undefined && state.query !== undefined && response.headers.get('cache-control')?.startsWith('public')) {
        noteCachedOperation(state);
      }
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      if (req) byNodeRequest.set(req, state);
      if ((serverContext as { [PART_OF_REQUEST]?: boolean } | undefined)?.[PART_OF_REQUEST]) return;
      recordRequest({
        reqId: state.id,
        method: request.method,
        path: new URL(request.url, 'http://localhost').pathname,
        status: response.status,
        operationName: state.operationName,
        operationType: state.operationType,
        seconds: (performance.now() - state.start) / 1000,
      });
    },
  };

  // After persisted operations resolved the document and the response cache looked it up.
  const lastPlugin: Plugin = {
    onParams({ params, request }) {
      if (typeof params.query !== 'string') return;
      const state = stateOf(request);
      state.query = params.query;
      state.queryOperationName = params.operationName;
    },
  };

  return {
    plugins: [plugin],
    lastPlugins: [lastPlugin],
    recordRequest,
    operationOf(req) {
      const state = byNodeRequest.get(req);
      return state && { operationName: state.operationName, operationType: state.operationType };
    },
    nameRequest(request, operation) {
      Object.assign(stateOf(request), operation);
    },
    describeOperation(document, operationName) {
      const operation = getOperationAST(document, operationName);
      return { operationName: countedName(operation?.name?.value ?? 'anonymous'), operationType: operation?.operation };
    },
    metricsRegistry,
    ready,
    beginShutdown() {
      shuttingDown = true;
    },
    close() {
      for (const pool of db.pools) pools.delete(pool);
      if (db.replicas) replicaRouters.delete(db.replicas);
      if (live) hubs.delete(live);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The database going away: errors that mean "try again shortly", not a bug.

const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
/**
 * admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections; query_canceled (the
 * statement_timeout deadline) and idle_in_transaction_session_timeout.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25P03']);
/** Prisma: can't reach, connect timeout, operation timeout, server closed the connection, pool timeout */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/**
 * node-postgres raises these as plain Errors, which the Prisma adapter passes through: the server
 * went away, no connection within DATABASE_CONNECT_TIMEOUT_MS, no answer within the query
 * deadline. Prisma's own: no connection for a transaction in time, or a transaction that outlived
 * its timeout because the database stopped answering. A connection PostgreSQL ended while its
 * transaction sat idle (idle_in_transaction_session_timeout) is "not queryable" to node-postgres.
 */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Can't reach database server|Query read timeout|Unable to start a transaction in the given time|Transaction already closed|is not queryable/;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as {
      code?: unknown;
      message?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string } } };
    };
    const cause = e.meta?.driverAdapterError?.cause;
    if (UNAVAILABLE_KINDS.has(cause?.kind ?? '') || UNAVAILABLE_SQLSTATES.has(cause?.code ?? '')) return true;
    if (typeof e.code === 'string' && (UNAVAILABLE_PRISMA_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code))) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    current = (current as { originalError?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The client's error for a database outage: 503 with Retry-After, so caches and clients back off. */
export function databaseUnavailable(error: unknown): GraphQLError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  const located = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError('The database is unavailable. Try again shortly.', {
    nodes: located?.nodes,
    path: located?.path,
    extensions: { code: 'DATABASE_UNAVAILABLE', http: { status: 503, headers: { 'Retry-After': '5' } } },
  });
}

// ---------------------------------------------------------------------------------------------
// Shutdown: stop accepting, let in-flight requests finish, then close what is left.

/** Closes the server: waits up to `graceMs` for in-flight requests, then cuts the remaining connections. */
export async function drainServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections go as soon as they fall idle, not only those idle right now.
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  try {
    if ((await Promise.race([closed, deadline])) === 'timeout') {
      server.closeAllConnections();
      await closed;
    }
  } finally {
    clearInterval(idle);
    clearTimeout(timer);
  }
}
