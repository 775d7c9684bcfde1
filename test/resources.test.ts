// Resource limits over the real transports: SSE streams released when their client goes away,
// per-client caps on WebSockets and SSE streams, WebSocket message size, request bodies over the
// limit or too slow, and variables that would otherwise escape the document's limits.
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, testConfig, type TestGateway } from './helpers.js';

let demo: TestGateway;
const running: RunningGateway[] = [];

beforeAll(async () => {
  demo = await createDemoGateway();
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await demo?.db.dispose();
});

async function serve(overrides: Record<string, string> = {}) {
  const gateway = await serveGateway({
    // The outbox poll slowed down: the statements a test counts are its own.
    config: testConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      OUTBOX_POLL_MS: '60000',
      ...overrides,
    }),
    db: demo.db,
    logger: createLogger('silent'),
  });
  running.push(gateway);
  return gateway;
}

const SUBSCRIPTION = 'subscription { storiesPublished { eventId article { slug } } }';

/** Opens an SSE stream with fetch; resolves once the response headers arrived. */
async function openSse(gateway: RunningGateway, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: SUBSCRIPTION }),
    signal: controller.signal,
  });
  return { response, close: () => controller.abort() };
}

describe('SSE streams', () => {
  it('a stream whose client goes away releases its subscription at once', async () => {
    const gateway = await serve();
    const streams = await Promise.all(Array.from({ length: 20 }, () => openSse(gateway)));
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(20);
    for (const s of streams) s.close();
    await expect.poll(() => gateway.live.subscriptions, { timeout: 3000, interval: 20 }).toBe(0);
  });
});

describe('per-client caps', () => {
  it('SSE_STREAMS_PER_CLIENT: one stream past the cap is refused with 429 TOO_MANY_CONNECTIONS; closing one makes room', async () => {
    const gateway = await serve({ SSE_STREAMS_PER_CLIENT: '3' });
    const streams = await Promise.all([openSse(gateway), openSse(gateway), openSse(gateway)]);
    expect(streams.map((s) => s.response.status)).toEqual([200, 200, 200]);
    const refused = await openSse(gateway);
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('5');
    expect((await refused.response.json()).errors[0].extensions).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', limit: 3 });
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(3);
    streams[0]!.close();
    await expect
      .poll(async () => {
        const again = await openSse(gateway);
        again.close();
        return again.response.status;
      })
      .toBe(200);
    for (const s of streams) s.close();
  });

  it('with TRUST_PROXY the caps count each reader behind the proxy by its own address', async () => {
    const gateway = await serve({ SSE_STREAMS_PER_CLIENT: '1', TRUST_PROXY: 'loopback' });
    const reader = (address: string) => ({ 'x-forwarded-for': address });
    const first = await openSse(gateway, reader('203.0.113.1'));
    const second = await openSse(gateway, reader('203.0.113.2'));
    const again = await openSse(gateway, reader('203.0.113.1'));
    expect([first, second, again].map((s) => s.response.status)).toEqual([200, 200, 429]);
    for (const s of [first, second, again]) s.close();
  });

  it('WEBSOCKETS_PER_CLIENT: an upgrade past the cap is refused with 429; closing one makes room', async () => {
    const gateway = await serve({ WEBSOCKETS_PER_CLIENT: '2' });
    const url = gateway.url.replace('http', 'ws');
    const open = (): Promise<{ socket: WebSocket; status?: number }> =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(url, 'graphql-transport-ws');
        socket.once('open', () => resolve({ socket }));
        socket.once('unexpected-response', (_req, res) => resolve({ socket, status: res.statusCode }));
        socket.once('error', reject);
      });
    const first = await open();
    const second = await open();
    expect(first.status).toBeUndefined();
    expect(second.status).toBeUndefined();
    expect((await open()).status).toBe(429);
    first.socket.close();
    await expect
      .poll(async () => {
        const next = await open();
        next.socket.close();
        return next.status;
      })
      .toBeUndefined();
    second.socket.close();
  });
});

describe('WebSocket messages', () => {
  it('a message over MAX_BODY_BYTES closes the socket with 1009 before it is parsed', async () => {
    const gateway = await serve({ MAX_BODY_BYTES: '4096' });
    const socket = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const ids = Array.from({ length: 2000 }, (_, i) => String(i));
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } },
      }),
    );
    expect(await closed).toBe(1009);
  });
});

/** A raw HTTP/1.1 connection: what it receives, and whether the server ended it. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let ended = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('close', () => (ended = true));
  socket.on('error', () => (ended = true));
  return {
    socket,
    received: () => received,
    ended: () => ended,
    write: (data: string) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.write(data, () => resolve()))),
  };
}

const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

describe('request bodies and deadlines', () => {
  it('a chunked body over MAX_BODY_BYTES gets 413 with Connection: close, and the connection ends', async () => {
    const gateway = await serve({ MAX_BODY_BYTES: '2048' });
    const { port } = new URL(gateway.url);
    const raw = rawConnection(Number(port));
    await raw.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n`,
    );
    await raw.write(chunk('{"query": "{ __typename }", "variables": {"pad": "'));
    for (let i = 0; i < 8 && !raw.received(); i++) await raw.write(chunk('x'.repeat(1024)));
    await expect.poll(() => raw.received(), { timeout: 5000 }).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw.received()).toMatch(/\r\nconnection: close\r\n/i);
    await expect.poll(() => raw.ended(), { timeout: 5000 }).toBe(true);
    // The next request, on a new connection, is answered.
    const next = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await next.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('a body that does not arrive within REQUEST_TIMEOUT_MS gets 408 and the connection is closed', async () => {
    const gateway = await serve({ REQUEST_TIMEOUT_MS: '1000' });
    const { port } = new URL(gateway.url);
    const raw = rawConnection(Number(port));
    await raw.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query": "`,
    );
    await expect.poll(() => raw.ended(), { timeout: 10_000 }).toBe(true);
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('headers that do not arrive within HEADERS_TIMEOUT_MS get 408 and the connection is closed', async () => {
    const gateway = await serve({ HEADERS_TIMEOUT_MS: '1000' });
    const { port } = new URL(gateway.url);
    const raw = rawConnection(Number(port));
    await raw.write(`GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    await expect.poll(() => raw.ended(), { timeout: 10_000 }).toBe(true);
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('variables (MAX_VARIABLES_BYTES, MAX_VARIABLE_LIST_LENGTH, MAX_VARIABLES_DEPTH)', () => {
  const NODES = 'query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }';
  const KINDS = 'query Kinds($kind: [ArticleKind!]) { articles(first: 1, filter: { kind: $kind }) { totalCount } }';
  const ids = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`Article:${i + 1}`).toString('base64'));

  /** The statements a request caused (besides the outbox poll). */
  async function statementsOf(run: () => Promise<unknown>) {
    const before = demo.db.statements.length;
    await run();
    return demo.db.statements.slice(before).filter((sql) => !sql.includes('StoryEvent'));
  }

  async function post(gateway: RunningGateway, body: unknown) {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('50,000 ids, 100,000 enum values and a huge string are refused with VARIABLES_TOO_LARGE, and no query runs', async () => {
    const gateway = await serve({ MAX_BODY_BYTES: '5000000' });
    let result: Awaited<ReturnType<typeof post>> | undefined;
    expect(await statementsOf(async () => (result = await post(gateway, { query: NODES, variables: { ids: ids(50_000) } })))).toEqual([]);
    expect(result!.status).toBe(400);
    expect(result!.body.data).toBeUndefined();
    expect(result!.body.errors[0].extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', limit: 'listLength', max: 500 });
    expect(result!.body.errors[0].message).toContain('$ids');

    const kinds = Array.from({ length: 100_000 }, () => 'NEWS');
    expect(await statementsOf(async () => (result = await post(gateway, { query: KINDS, variables: { kind: kinds } })))).toEqual([]);
    expect(result!.status).toBe(400);
    expect(result!.body.errors[0].extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', limit: 'listLength' });

    const huge = { query: 'query($q: String!) { search(query: $q, first: 1) { totalCount } }', variables: { q: 'x'.repeat(1_000_000) } };
    expect(await statementsOf(async () => (result = await post(gateway, huge)))).toEqual([]);
    expect(result!.status).toBe(413);
    expect(result!.body.errors[0].extensions).toMatchObject({ code: 'VARIABLES_TOO_LARGE', limit: 'bytes', max: 256 * 1024 });

    // Within the limits the same operations run.
    const fits = await post(gateway, { query: NODES, variables: { ids: ids(500) } });
    expect(fits.status).toBe(200);
    expect(fits.body.data.nodes).toHaveLength(500);
  });

  it('the limits hold for GET, persisted operations, the HTTP cache and graphql-ws subscribe messages', async () => {
    const gateway = await serve({ MAX_VARIABLE_LIST_LENGTH: '50', RESPONSE_CACHE: 'true' });
    const get = async (params: Record<string, unknown>) => {
      const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      const response = await fetch(`${gateway.url}?${search}`, {
        headers: { 'graphql-preflight': '1', accept: 'application/graphql-response+json' },
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const byGet = await get({ query: NODES, variables: { ids: ids(51) } });
    expect(byGet.status).toBe(400);
    expect(byGet.body.errors[0].extensions.code).toBe('VARIABLES_TOO_LARGE');
    expect((await get({ query: NODES, variables: { ids: ids(50) } })).status).toBe(200);

    // An automatic persisted query, registered with few ids, then sent by hash with too many.
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(NODES).digest('hex') };
    expect((await post(gateway, { query: NODES, variables: { ids: ids(1) }, extensions: { persistedQuery } })).status).toBe(200);
    const byHash = await get({ extensions: { persistedQuery }, variables: { ids: ids(51) } });
    expect(byHash.status).toBe(400);
    expect(byHash.body.errors[0].extensions.code).toBe('VARIABLES_TOO_LARGE');

    // graphql-ws: the subscribe message is answered with the error; nothing is subscribed.
    const client = createClient({ url: gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const kinds = Array.from({ length: 51 }, () => 'NEWS');
      const error = await new Promise<any>((resolve) =>
        client.subscribe(
          { query: 'subscription($kind: [ArticleKind!]) { storiesPublished(kind: $kind) { eventId } }', variables: { kind: kinds } },
          { next: () => {}, error: resolve, complete: () => resolve(undefined) },
        ),
      );
      expect(error[0].extensions).toEqual({ code: 'VARIABLES_TOO_LARGE', limit: 'listLength', max: 50 });
      expect(gateway.live.subscriptions).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  it('variables nested past MAX_VARIABLES_DEPTH are refused on POST, on GET through the response cache, and over graphql-ws', async () => {
    // 5,000 levels fit in 10 KB; the response cache's key (a recursive stable stringify) overflowed
    // the stack on them and answered INTERNAL_SERVER_ERROR (found by the fuzz test).
    const gateway = await serve({ RESPONSE_CACHE: 'true' });
    // Written by hand: JSON.stringify itself runs out of stack on 5,000 levels.
    const deep = `${'['.repeat(5000)}"china"${']'.repeat(5000)}`;
    const TAG = 'query($slug: String!) { tag(slug: $slug) { name } }';
    const refusal = { code: 'VARIABLES_TOO_LARGE', limit: 'depth', max: 32 };
    let response: Response | undefined;
    const raw = `{"query":${JSON.stringify(TAG)},"variables":{"slug":${deep}}}`;
    const send = () =>
      fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: raw,
      });
    expect(await statementsOf(async () => (response = await send()))).toEqual([]);
    expect(response!.status).toBe(400);
    const body = (await response!.json()) as any;
    expect(body.errors[0].extensions).toEqual(refusal);
    expect(body.errors[0].message).toBe('The variables nest lists and objects more than 32 levels deep.');

    // GET goes through the response cache's key first; in-process, as a URL this long is 431 over HTTP.
    const search = new URLSearchParams({ query: TAG, variables: deep });
    const byGet = await gateway.yoga.fetch(`http://gateway.test/graphql?${search}`, {
      headers: { 'graphql-preflight': '1', accept: 'application/graphql-response+json' },
    });
    expect(byGet.status).toBe(400);
    expect(((await byGet.json()) as any).errors[0].extensions).toEqual(refusal);
    // Nesting within the limit is the schema's to judge: a typed error, not a crash.
    const shallow = await post(gateway, { query: TAG, variables: { slug: [[['china']]] } });
    expect(shallow.status).toBe(400);
    expect(shallow.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const client = createClient({ url: gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const error = await new Promise<any>((resolve) =>
        client.subscribe(
          {
            query: 'subscription($kind: [ArticleKind!]) { storiesPublished(kind: $kind) { eventId } }',
            variables: { kind: JSON.parse(deep.slice(4000, -4000)) },
          },
          { next: () => {}, error: resolve, complete: () => resolve(undefined) },
        ),
      );
      expect(error[0].extensions).toEqual(refusal);
      expect(gateway.live.subscriptions).toBe(0);
    } finally {
      await client.dispose();
    }
  });

  it('a list written in the document is held to MAX_VARIABLE_LIST_LENGTH too, and the token limit bounds the document', async () => {
    const gateway = await serve({ MAX_VARIABLE_LIST_LENGTH: '50' });
    const inline = (n: number) => `{ nodes(ids: [${ids(n).map((id) => `"${id}"`)}]) { id } }`;
    let result: Awaited<ReturnType<typeof post>> | undefined;
    expect(await statementsOf(async () => (result = await post(gateway, { query: inline(51) })))).toEqual([]);
    expect(result!.status).toBe(400);
    expect(result!.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'listLength', max: 50 });
    expect((await post(gateway, { query: inline(50) })).body.data.nodes).toHaveLength(50);
    expect(await statementsOf(async () => (result = await post(gateway, { query: inline(5000) })))).toEqual([]);
    expect(result!.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
  });
});
