// Hostile input: oversized bodies, expensive documents, introspection when it is off, and clients
// that send too much (rate limits in memory and in Redis).
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationDocument, operationNames } from '../src/schema/operations.js';
import { serveGateway } from '../src/server/start.js';
import { createLogger } from '../src/logger.js';
import WebSocket from 'ws';
import { createTestDatabase, createTestGateway, keyHeader, testConfig, type TestDatabase, type TestGateway } from './helpers.js';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

let db: TestDatabase;
let gw: TestGateway;
beforeAll(async () => {
  db = await createTestDatabase();
  gw = createTestGateway(db);
});
afterAll(() => db?.dispose());

async function post(gateway: TestGateway, body: unknown, headers: Record<string, string> = {}) {
  const response = await gateway.yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as any };
}

/** The gateway behind a real HTTP server on a loopback port. */
async function serve(gateway: TestGateway) {
  const server = createServer(gateway.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw HTTP POST whose body we write ourselves; resolves with the status as soon as one arrives. */
function rawPost(port: number, headers: Record<string, string>, write: (chunk: (data: string) => boolean) => Promise<void>) {
  return new Promise<{ status: number; body: string; sentBytes: number }>((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        answered = true;
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body, sentBytes }));
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.flushHeaders();
    void write((data) => {
      if (answered || req.destroyed) return false;
      sentBytes += Buffer.byteLength(data);
      req.write(data);
      return true;
    }).then(() => (answered ? undefined : req.end()));
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request body size (MAX_BODY_BYTES)', () => {
  let small: TestGateway;
  beforeAll(() => {
    small = createTestGateway(db, testConfig({ MAX_BODY_BYTES: '2048' }));
  });
  const query = '{ articles(first: 1) { totalCount } }';

  it('a body over the limit is a 413; one under it is served', async () => {
    const big = await post(small, { query, variables: { pad: 'x'.repeat(3000) } });
    expect(big.status).toBe(413);
    expect(big.body.errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    const fits = await post(small, { query, variables: { pad: 'x'.repeat(1500) } });
    expect(fits.status).toBe(200);
  });

  it('counts the bytes of a streamed body that declares no length', async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`{"query": "${query}", "variables": {"pad": "`));
        for (let i = 0; i < 10; i++) controller.enqueue(encoder.encode('x'.repeat(500)));
        controller.enqueue(encoder.encode('"}}'));
        controller.close();
      },
    });
    const response = await small.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('a Content-Length that is not one non-negative integer is a 400', async () => {
    for (const value of ['12abc', '-1', '10, 10']) {
      const response = await post(small, { query }, { 'content-length': value });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });

  describe('over HTTP', () => {
    let server: Awaited<ReturnType<typeof serve>>;
    beforeAll(async () => {
      server = await serve(small);
    });
    afterAll(() => server?.close());

    it('refuses a declared Content-Length over the limit before the body arrives', async () => {
      const result = await rawPost(server.port, { 'content-length': String(10_000_000) }, async (write) => {
        write(`{"query": "${query}", "variables": {"pad": "`);
        await pause(2000); // the 413 must not wait for the rest
      });
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
      expect(result.sentBytes).toBeLessThan(100);
    });

    it('serves a body that declares its length (read as it is, not through a counting stream) and one that is chunked', async () => {
      const body = JSON.stringify({ query, variables: { pad: 'x'.repeat(1500) } });
      const declared = await rawPost(server.port, { 'content-length': String(Buffer.byteLength(body)) }, async (write) => {
        write(body.slice(0, 100));
        await pause(20);
        write(body.slice(100));
      });
      expect(declared.status).toBe(200);
      expect(JSON.parse(declared.body)).toEqual({ data: { articles: { totalCount: expect.any(Number) } } });
      const chunked = await rawPost(server.port, {}, async (write) => {
        write(body.slice(0, 100));
        await pause(20);
        write(body.slice(100));
      });
      expect(chunked.status).toBe(200);
      expect(JSON.parse(chunked.body)).toEqual(JSON.parse(declared.body));
    });

    it('stops a chunked body (no Content-Length) once it passes the limit', async () => {
      const result = await rawPost(server.port, {}, async (write) => {
        write(`{"query": "${query}", "variables": {"pad": "`);
        for (let i = 0; i < 200; i++) {
          if (!write('x'.repeat(1024))) return;
          await pause(5);
        }
        write('"}}');
      });
      expect(result.status).toBe(413);
      expect(result.sentBytes).toBeLessThan(100 * 1024); // answered long before the client finished
    });
  });
});

describe('query limits (graphql-armor)', () => {
  const children = (levels: number) => `{ sections { ${'children { '.repeat(levels)}name${' }'.repeat(levels)} } }`;
  const expectLimited = (response: Awaited<ReturnType<typeof post>>, limit: string, message: RegExp) => {
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(response.body.errors[0].message).toMatch(message);
  };

  it('depth: 12 levels pass, 13 are refused', async () => {
    expect((await post(gw, { query: children(10) })).status).toBe(200);
    expectLimited(await post(gw, { query: children(11) }), 'depth', /depth limit of 12 exceeded, found 13/);
  });

  it('aliases: 30 pass, 31 are refused', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: articles(first: 1) { totalCount }`).join(' ')} }`;
    expect((await post(gw, { query: aliased(30) })).status).toBe(200);
    expectLimited(await post(gw, { query: aliased(31) }), 'aliases', /Aliases limit of 30 exceeded, found 31/);
  });

  it('tokens: a document of more than 5000 tokens is refused before it is parsed in full', async () => {
    expectLimited(await post(gw, { query: `{ ${'__typename '.repeat(5001)}}` }), 'tokens', /Token limit of 5000 exceeded/);
  });

  it('cost: a document whose estimated cost exceeds 50000 is refused', async () => {
    const related = (levels: number) => `${'related { '.repeat(levels)}section { name }${' }'.repeat(levels)}`;
    const costly = `{ ${[1, 2].map((i) => `a${i}: articles(first: 100) { edges { node { ${related(7)} } } }`).join(' ')} }`;
    expectLimited(await post(gw, { query: costly }), 'cost', /Cost limit of 50000 exceeded/);
  });

  it('directives: more than 50 are refused', async () => {
    expectLimited(
      await post(gw, { query: `{ ${'__typename @include(if: true) '.repeat(51)}}` }),
      'directives',
      /Directives limit of 50 exceeded/,
    );
  });

  it("every example operation and GraphiQL's introspection query stay within the default limits", async () => {
    const operations = operationNames();
    expect(operations.length).toBeGreaterThan(3);
    for (const file of operations) {
      const response = await post(gw, { query: operationDocument(file) });
      // Variables are missing, so some fail coercion (and a subscription is refused over plain JSON); none may hit a limit.
      expect(response.body?.errors?.map((e: any) => e.extensions?.code) ?? [], file).not.toContain('QUERY_TOO_COMPLEX');
    }
    const introspection = await post(gw, { query: getIntrospectionQuery() });
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.queryType.name).toBe('Query');
  });

  it('the limits come from the configuration', async () => {
    const strict = createTestGateway(db, testConfig({ MAX_QUERY_DEPTH: '3' }));
    expect((await post(strict, { query: '{ articles { totalCount } }' })).status).toBe(200);
    expectLimited(await post(strict, { query: '{ articles { edges { node { slug } } } }' }), 'depth', /depth limit of 3 exceeded, found 4/);
  });
});

describe('introspection switch (INTROSPECTION)', () => {
  let closed: TestGateway;
  beforeAll(() => {
    closed = createTestGateway(db, testConfig({ INTROSPECTION: 'false' }));
  });

  it('is on by default', async () => {
    const response = await post(gw, { query: '{ __schema { types { name } } }' });
    expect(response.status).toBe(200);
    expect(response.body.data.__schema.types.map((t: any) => t.name)).toContain('Article');
  });

  it('off: __schema and __type are refused with INTROSPECTION_DISABLED; __typename still works', async () => {
    for (const query of [
      '{ __schema { types { name } } }',
      '{ __type(name: "Article") { fields { name } } }',
      '{ articles(first: 1) { edges { node { __type: __typename } } } __schema { queryType { name } } }',
    ]) {
      const response = await post(closed, { query });
      expect(response.status, query).toBe(400);
      expect(response.body.data, query).toBeUndefined();
      expect(
        response.body.errors.map((e: any) => e.extensions.code),
        query,
      ).toContain('INTROSPECTION_DISABLED');
      expect(JSON.stringify(response.body), query).not.toMatch(/headline|ArticleConnection/);
    }
    const typename = await post(closed, { query: '{ __typename }' });
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('off: error messages stop suggesting field names', async () => {
    const typo = '{ articls(first: 1) { totalCount } }';
    expect((await post(gw, { query: typo })).body.errors[0].message).toMatch(/Did you mean .*"articles"/);
    const hidden = await post(closed, { query: typo });
    expect(hidden.status).toBe(400);
    expect(hidden.body.errors[0].message).not.toMatch(/Did you mean|"articles"|"article"/);
  });

  it('off: no "Did you mean …" anywhere: enum values and input fields, in literals and in variables, over HTTP and WebSocket', async () => {
    const cases: { query: string; variables?: Record<string, unknown>; names: RegExp }[] = [
      { query: '{ articles(first: 1, filter: { kind: [NEWZ] }) { totalCount } }', names: /"NEWS"/ },
      {
        query: 'query($k: [ArticleKind!]) { articles(first: 1, filter: { kind: $k }) { totalCount } }',
        variables: { k: ['NEWZ'] },
        names: /"NEWS"/,
      },
      { query: '{ articles(first: 1, filter: { sectoin: "world" }) { totalCount } }', names: /"section"/ },
      {
        query: 'query($f: ArticleFilter) { articles(first: 1, filter: $f) { totalCount } }',
        variables: { f: { sectoin: 'x' } },
        names: /"section"/,
      },
      { query: 'query($w: PopularityWindow!) { mostPopular(window: $w) { slug } }', variables: { w: 'WEEKS' }, names: /"WEEK"/ },
      { query: '{ articles(frist: 1) { totalCount } }', names: /"first"/ },
      { query: 'query($f: ArticleFiltr) { articles(filter: $f) { totalCount } }', names: /"ArticleFilter"/ },
      { query: '{ articles(first: 1, orderBy: NEWST) { totalCount } }', names: /"NEWEST"/ },
    ];
    for (const { query, variables, names } of cases) {
      const open = await post(gw, { query, variables });
      expect(JSON.stringify(open.body), query).toMatch(/Did you mean/);
      const hidden = await post(closed, { query, variables });
      expect(hidden.status, query).toBe(400);
      expect(hidden.body.errors.length, query).toBeGreaterThan(0);
      expect(JSON.stringify(hidden.body), query).not.toMatch(/Did you mean/);
      expect(JSON.stringify(hidden.body), query).not.toMatch(names);
    }

    // The same over graphql-ws, for subscriptions.
    const running = await serveGateway({
      config: testConfig({ INTROSPECTION: 'false', PORT: '0', HOST: '127.0.0.1' }),
      db,
      logger: createLogger('silent'),
    });
    const client = createClient({ url: running.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      for (const [query, variables] of [
        ['subscription { storiesPublished(kind: NEWZ) { eventId } }', {}],
        ['subscription($k: [ArticleKind!]) { storiesPublished(kind: $k) { eventId } }', { k: ['NEWZ'] }],
      ] as const) {
        const seen: unknown[] = [];
        try {
          for await (const result of client.iterate({ query, variables })) seen.push(result);
        } catch (error) {
          seen.push(error);
        }
        expect(JSON.stringify(seen), query).toMatch(/NEWZ/);
        expect(JSON.stringify(seen), query).not.toMatch(/Did you mean|"NEWS"/);
      }
    } finally {
      await client.dispose();
      await running.stop();
    }
  });

  it('off: GraphiQL is off too, unless GRAPHIQL=true says otherwise', async () => {
    const page = async (gateway: TestGateway) =>
      (await gateway.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } })).text();
    expect(await page(gw)).toMatch(/graphiql/i);
    expect(await page(closed)).not.toMatch(/graphiql/i);
    expect(await page(createTestGateway(db, testConfig({ INTROSPECTION: 'false', GRAPHIQL: 'true' })))).toMatch(/graphiql/i);
  });
});

describe('rate limits in memory', () => {
  let limited: TestGateway;
  let server: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    limited = createTestGateway(db, testConfig({ RATE_LIMIT_PER_MINUTE: '5' }));
    server = await serve(limited);
  });
  afterAll(() => server?.close());

  const ask = (headers: Record<string, string> = {}) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
    });

  it('the request over the limit is a 429 with Retry-After and RATE_LIMITED; other clients keep their own budget', async () => {
    for (let i = 0; i < 5; i++) expect((await ask()).status).toBe(200);
    const refused = await ask();
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await refused.json();
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0].message).toMatch(/5 per minute/);
    expect(body.data).toBeUndefined();

    // A key is a client of its own, even from the same address.
    const key = await keyHeader(db, 'WRITER');
    for (let i = 0; i < 5; i++) expect((await ask(key)).status).toBe(200);
    expect((await ask(key)).status).toBe(429);

    // Probes are not GraphQL requests and are never limited.
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });

  it('in-process calls (no socket, no key) are not limited', async () => {
    for (let i = 0; i < 8; i++) expect((await post(limited, { query: '{ __typename }' })).status).toBe(200);
  });
});

const REDIS_URL = 'redis://127.0.0.1:6379';
const redisProbe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
const redisUp = await redisProbe.connect().then(
  () => redisProbe.ping().then(() => true),
  (error: Error) => {
    console.warn(`Redis rate-limit tests skipped: ${REDIS_URL} is unreachable (${error.message})`);
    return false;
  },
);
afterAll(() => redisProbe.disconnect());

describe.skipIf(!redisUp)('rate limits in Redis (REDIS_URL)', () => {
  it('two gateways share one budget per client, kept in Redis with a one-minute expiry', async () => {
    const config = testConfig({ REDIS_URL, RATE_LIMIT_PER_MINUTE: '4' });
    const gateways = [createTestGateway(db, config), createTestGateway(db, config)];
    const servers = await Promise.all(gateways.map(serve));
    // The authenticated key's id names this client in Redis, under this run's prefix.
    const key = await keyHeader(db, 'WRITER');
    const { id } = await db.prisma.apiKey.findFirstOrThrow({ where: { prefix: key.authorization.slice(7, 19) } });
    const redisKey = `${config.redisKeyPrefix}ratelimit:key:${id}`;
    try {
      await Promise.all(gateways.map((g) => g.frontDoor.ready()));
      const ask = (i: number) =>
        fetch(servers[i % 2]!.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...key },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
      for (let i = 0; i < 4; i++) expect((await ask(i)).status, `request ${i}`).toBe(200);
      expect(await redisProbe.get(redisKey)).toBe('4');
      const ttl = await redisProbe.pttl(redisKey);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      for (const i of [4, 5]) {
        const refused = await ask(i);
        expect(refused.status, `request ${i}`).toBe(429);
        expect((await refused.json()).errors[0].extensions.code).toBe('RATE_LIMITED');
      }
      // Another client is not affected.
      const other = await keyHeader(db, 'WRITER');
      const fine = await fetch(servers[0]!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...other },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(fine.status).toBe(200);
    } finally {
      await redisProbe.del(redisKey);
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all(gateways.map((g) => g.frontDoor.close()));
    }
  });
});
