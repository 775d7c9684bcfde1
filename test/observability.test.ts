// What operators see: health and readiness, Prometheus metrics, one structured log line per
// request and the request id that ties a response to its log line.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { isDatabaseUnavailable, liveMetrics, READY_TIMEOUT_MS } from '../src/server/observability.js';
import { createTestDatabase, onPostgres, testConfig, type TestDatabase } from './helpers.js';

type LogLine = Record<string, any>;

let db: TestDatabase;
let gw: Gateway;
const logs: LogLine[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  gw = createGateway({ config: testConfig(), db, logger });
});
afterAll(() => db?.dispose());

const fetchPath = (gateway: Gateway, path: string, init: RequestInit = {}) =>
  Promise.resolve(gateway.yoga.fetch(`http://gateway.test${path}`, init));
const graphql = (query: string, headers: Record<string, string> = {}, gateway = gw) =>
  fetchPath(gateway, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
  });

/** The value of one series in Prometheus text output: `name` with (at least) these labels. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}
const scrape = async () => {
  const response = await fetchPath(gw, '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

describe('health and readiness', () => {
  it('/healthz is 200 while the process runs; /readyz is 200 while the database answers', async () => {
    const health = await fetchPath(gw, '/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetchPath(gw, '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('/readyz is 503 once shutdown began, while /healthz stays 200', async () => {
    const stopping = createGateway({ config: testConfig(), db, logger: pino({ level: 'silent' }) });
    expect((await fetchPath(stopping, '/readyz')).status).toBe(200);
    stopping.observability.beginShutdown();
    const ready = await fetchPath(stopping, '/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting down' });
    expect((await fetchPath(stopping, '/healthz')).status).toBe(200);
  });

  it('/readyz is 503, quickly, when the database does not answer', async () => {
    const gone = await createTestDatabase();
    const orphan = createGateway({ config: testConfig(), db: gone, logger: pino({ level: 'silent' }) });
    expect((await fetchPath(orphan, '/readyz')).status).toBe(200);
    await gone.dispose();
    const started = performance.now();
    const ready = await fetchPath(orphan, '/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'database unavailable' });
    expect(performance.now() - started).toBeLessThan(READY_TIMEOUT_MS + 500);
    expect((await fetchPath(orphan, '/healthz')).status).toBe(200);
  });
});

describe('request ids and logs', () => {
  it('keeps a sane incoming x-request-id, generates one otherwise, and returns it on every response', async () => {
    const kept = await graphql('{ __typename }', { 'x-request-id': 'edge-42_abc' });
    expect(kept.headers.get('x-request-id')).toBe('edge-42_abc');
    for (const insane of ['a'.repeat(65), 'has space', 'semi;colon', 'quote"d', '']) {
      const replaced = await graphql('{ __typename }', { 'x-request-id': insane });
      expect(replaced.headers.get('x-request-id'), insane).toMatch(/^[0-9a-f-]{36}$/);
    }
    const generated = await graphql('{ __typename }');
    const other = await graphql('{ __typename }');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-request-id')).not.toBe(other.headers.get('x-request-id'));
    // Errors, probes and unknown paths carry one too.
    expect((await graphql('{ nope }')).headers.get('x-request-id')).toBeTruthy();
    expect((await fetchPath(gw, '/healthz')).headers.get('x-request-id')).toBeTruthy();
    const missing = await fetchPath(gw, '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBeTruthy();
  });

  it('writes one JSON line per request: request id, operation, status, duration', async () => {
    await graphql('query Probe { articles(first: 1) { totalCount } }', { 'x-request-id': 'log-line-1' });
    await graphql('query Broken { articles(first: 1) { totalCount }', { 'x-request-id': 'log-line-2' });
    await graphql('mutation Read { recordRead(id: "QXJ0aWNsZTo5OTk=") }', { 'x-request-id': 'log-line-3' });
    const lines = (id: string) => logs.filter((line) => line.reqId === id);
    expect(lines('log-line-1')).toHaveLength(1);
    expect(lines('log-line-1')[0]).toMatchObject({
      level: 30,
      component: 'http',
      msg: 'request',
      method: 'POST',
      path: '/graphql',
      status: 200,
      operation: 'Probe',
      operationType: 'query',
      durationMs: expect.any(Number),
    });
    expect(lines('log-line-2')).toHaveLength(1);
    expect(lines('log-line-2')[0]).toMatchObject({ status: 400, reqId: 'log-line-2' });
    expect(lines('log-line-2')[0]!.operation).toBeUndefined(); // it never parsed
    expect(lines('log-line-3')[0]).toMatchObject({ operation: 'Read', operationType: 'mutation' });
  });

  it('logs probes at debug level only', async () => {
    await fetchPath(gw, '/readyz', { headers: { 'x-request-id': 'probe-1' } });
    const line = logs.find((l) => l.reqId === 'probe-1');
    expect(line).toMatchObject({ level: 20, path: '/readyz', status: 200 });
  });
});

describe('Prometheus metrics', () => {
  it('counts request durations by operation name, type and status', async () => {
    const series = { operation_name: 'MetricProbe', operation_type: 'query', status: '200' };
    const before = metric(await scrape(), 'newsroom_http_request_duration_seconds_count', series) ?? 0;
    for (let i = 0; i < 3; i++) expect((await graphql('query MetricProbe { __typename }')).status).toBe(200);
    const text = await scrape();
    expect(metric(text, 'newsroom_http_request_duration_seconds_count', series)).toBe(before + 3);
    expect(metric(text, 'newsroom_http_request_duration_seconds_bucket', { ...series, le: '+Inf' })).toBe(before + 3);
    expect(metric(text, 'newsroom_http_request_duration_seconds_sum', series)).toBeGreaterThan(0);
  });

  it('counts errors by code', async () => {
    const before = await scrape();
    const count = (text: string, code: string) => metric(text, 'newsroom_graphql_errors_total', { code }) ?? 0;
    await graphql('{ nope }');
    await graphql('{ nope }');
    await graphql('{ articles(first: 1, after: "garbage") { totalCount } }');
    const after = await scrape();
    expect(count(after, 'GRAPHQL_VALIDATION_FAILED') - count(before, 'GRAPHQL_VALIDATION_FAILED')).toBe(2);
    expect(count(after, 'INVALID_CURSOR') - count(before, 'INVALID_CURSOR')).toBe(1);
  });

  it('exports process metrics and the database pool (0 on PGlite)', async () => {
    await graphql('{ articles(first: 1) { totalCount } }');
    const text = await scrape();
    expect(metric(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metric(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const pool = metric(text, 'newsroom_db_pool_connections');
    expect(metric(text, 'newsroom_db_pool_idle_connections')).toBeDefined();
    expect(metric(text, 'newsroom_db_pool_waiting_clients')).toBe(0);
    if (onPostgres) expect(pool).toBeGreaterThan(0);
    else expect(pool).toBe(0);
  });

  it("gives the live module gauges for WebSocket connections and the live hub's subscriptions", async () => {
    const read = async () => {
      const text = await scrape();
      return [metric(text, 'newsroom_ws_connections'), metric(text, 'newsroom_active_subscriptions')];
    };
    const [connections, subscriptions] = await read();
    liveMetrics.connectionOpened();
    liveMetrics.connectionOpened();
    gw.live.trackSubscription(+1);
    gw.live.trackSubscription(+1);
    gw.live.trackSubscription(+1);
    expect(await read()).toEqual([connections! + 2, subscriptions! + 3]);
    liveMetrics.connectionClosed();
    gw.live.trackSubscription(-1);
    expect(await read()).toEqual([connections! + 1, subscriptions! + 2]);
    liveMetrics.connectionClosed();
    gw.live.trackSubscription(-1);
    gw.live.trackSubscription(-1);
    expect(await read()).toEqual([connections, subscriptions]);
  });
});

describe('database outages are told apart from bugs', () => {
  it('recognises node-postgres and Prisma connection failures, and nothing else', () => {
    const unavailable = [
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('Raw query failed'), {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
      }),
      Object.assign(new Error('Raw query failed'), {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P01' } } },
      }),
      Object.assign(new Error("Can't reach database server"), { code: 'P1001' }),
      { originalError: new Error('Connection terminated due to connection timeout') },
    ];
    for (const error of unavailable) expect(isDatabaseUnavailable(error), String(error)).toBe(true);
    const bugs = [
      new Error('PGlite is closed'),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      Object.assign(new Error('Unique'), { code: 'P2002' }),
      null,
      'text',
    ];
    for (const error of bugs) expect(isDatabaseUnavailable(error), String(error)).toBe(false);
  });
});
