// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): media types and status codes,
// GET for queries only, no batching, CSRF prevention and CORS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestGateway, testConfig, type TestDatabase, type TestGateway } from './helpers.js';

const GRAPHQL_RESPONSE = 'application/graphql-response+json';
const endpoint = 'http://gateway.test/graphql';
const ok = '{ articles(first: 1) { totalCount } }';

let db: TestDatabase;
let gw: TestGateway;
beforeAll(async () => {
  db = await createTestDatabase();
  gw = createTestGateway(db);
});
afterAll(() => db?.dispose());

async function send(init: RequestInit & { url?: string }, gateway = gw) {
  const response = await gateway.yoga.fetch(init.url ?? endpoint, init);
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

const post = (body: unknown, accept?: string, extra: Record<string, string> = {}) =>
  send({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}), ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const get = (query: string, headers: Record<string, string> = {}) =>
  send({ method: 'GET', url: `${endpoint}?query=${encodeURIComponent(query)}`, headers });

describe('media types and status codes', () => {
  it('answers application/graphql-response+json when asked, application/json otherwise', async () => {
    const modern = await post({ query: ok }, GRAPHQL_RESPONSE);
    expect(modern.status).toBe(200);
    expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(modern.body.data.articles.totalCount).toBe(0);

    const legacy = await post({ query: ok }, 'application/json');
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get('content-type')).toMatch(/^application\/json/);

    const none = await post({ query: ok });
    expect(none.headers.get('content-type')).toMatch(/^application\/json/);

    const preferred = await post({ query: ok }, `${GRAPHQL_RESPONSE}, application/json;q=0.9`);
    expect(preferred.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
  });

  it('with application/graphql-response+json, a request that cannot execute is a 4xx', async () => {
    const syntax = await post({ query: '{ articles(first: 1) { totalCount }' }, GRAPHQL_RESPONSE);
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(syntax.body.data).toBeUndefined();

    const invalid = await post({ query: '{ articlez }' }, GRAPHQL_RESPONSE);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const variables = await post(
      { query: 'query($n: Int) { articles(first: $n) { totalCount } }', variables: { n: 'ten' } },
      GRAPHQL_RESPONSE,
    );
    expect(variables.status).toBe(400);
    expect(variables.body.errors[0]).toMatchObject({ message: expect.stringMatching(/\$n/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(variables.body.errors[0].locations).toHaveLength(1);

    const unknownOperation = await post({ query: 'query A { __typename } query B { __typename }', operationName: 'C' }, GRAPHQL_RESPONSE);
    expect(unknownOperation.status).toBe(400);
    expect(unknownOperation.body.errors[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it('with application/json, validation errors are a 200 (legacy clients) but a body that is not JSON is a 400', async () => {
    const invalid = await post({ query: '{ articlez }' }, 'application/json');
    expect(invalid.status).toBe(200);
    expect(invalid.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    for (const accept of ['application/json', GRAPHQL_RESPONSE]) {
      const broken = await post('{"query": ', accept);
      expect(broken.status, accept).toBe(400);
      expect(broken.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });

  it('a request without a query is a 400', async () => {
    const missing = await post({ variables: {} }, GRAPHQL_RESPONSE);
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].message).toMatch(/query/i);
  });

  it('an Accept it cannot satisfy is a 406, a Content-Type it cannot read a 415', async () => {
    expect((await post({ query: ok }, 'application/xml')).status).toBe(406);
    const xml = await send({ method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' });
    expect(xml.status).toBe(415);
  });

  it('methods other than GET and POST are a 405 naming the allowed ones', async () => {
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const response = await send({
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'DELETE' ? undefined : JSON.stringify({ query: ok }),
      });
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow'), method).toMatch(/GET.*POST|POST.*GET/);
    }
  });

  it('GET runs queries; a mutation over GET is a 405 with Allow: POST', async () => {
    const query = await get(ok, { 'graphql-preflight': '1', accept: GRAPHQL_RESPONSE });
    expect(query.status).toBe(200);
    expect(query.body.data.articles.totalCount).toBe(0);

    for (const accept of [GRAPHQL_RESPONSE, 'application/json']) {
      const mutation = await get('mutation { recordRead(id: "QXJ0aWNsZTox") }', { 'graphql-preflight': '1', accept });
      expect(mutation.status, accept).toBe(405);
      expect(mutation.headers.get('allow')).toBe('POST');
      expect(mutation.body.errors[0].message).toMatch(/mutation.*POST/i);
    }
  });

  it('batches are refused with a clear 400', async () => {
    const batch = await post([{ query: ok }, { query: ok }], GRAPHQL_RESPONSE);
    expect(batch.status).toBe(400);
    expect(batch.body.errors[0]).toMatchObject({ message: 'Batching is not supported.', extensions: { code: 'BAD_REQUEST' } });
    expect(batch.body.data).toBeUndefined();
  });
});

describe('CSRF prevention', () => {
  it('refuses a simple GET (one a browser sends cross-site without a preflight)', async () => {
    const response = await get(ok);
    expect(response.status).toBe(403);
    expect(response.body.errors[0].extensions.code).toBe('CSRF_HEADER_REQUIRED');
    expect(response.body.errors[0].message).toMatch(/graphql-preflight/);
  });

  it('accepts a GET carrying graphql-preflight or apollo-require-preflight', async () => {
    for (const header of ['graphql-preflight', 'apollo-require-preflight']) {
      const response = await get(ok, { [header]: '1' });
      expect(response.status, header).toBe(200);
      expect(response.body.data.articles.totalCount).toBe(0);
    }
  });

  it('refuses simple POSTs (text/plain, form, multipart) and accepts JSON POSTs without any extra header', async () => {
    const textPlain = await send({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: ok }) });
    expect(textPlain.status).toBe(403);
    const form = await send({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent(ok)}`,
    });
    expect(form.status).toBe(403);
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: ok }));
    multipart.set('map', '{}');
    expect((await send({ method: 'POST', body: multipart })).status).toBe(403);

    expect((await post({ query: ok })).status).toBe(200);
  });

  it('lets an EventSource (GET, Accept: text/event-stream, no custom headers) through', async () => {
    const response = await gw.yoga.fetch(`${endpoint}?query=${encodeURIComponent(ok)}`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await response.text()).toContain('"totalCount":0');
  });
});

describe('CORS', () => {
  const allowed = ['https://www.example.com', 'https://apps.example.com'];
  let listed: TestGateway;
  beforeAll(() => {
    listed = createTestGateway(db, testConfig({ CORS_ORIGINS: allowed.join(',') }));
  });

  const preflight = (origin: string, gateway: TestGateway) =>
    send(
      {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      },
      gateway,
    );

  it('answers a preflight from a configured origin with that origin, the methods and the headers', async () => {
    for (const origin of allowed) {
      const response = await preflight(origin, listed);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
      expect(response.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
      expect(response.headers.get('access-control-max-age')).toBe('600');
      // API keys travel in a header, never in cookies: credentials are not allowed.
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/origin/i);
    }
  });

  it('a request from a configured origin can read the response and its request id', async () => {
    const response = await send(
      { method: 'POST', headers: { origin: allowed[1]!, 'content-type': 'application/json' }, body: JSON.stringify({ query: ok }) },
      listed,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed[1]);
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
  });

  it('gives an origin that is not configured no CORS headers at all, so browsers refuse', async () => {
    const response = await preflight('https://evil.example.net', listed);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-methods')).toBeNull();
    const request = await send(
      {
        method: 'POST',
        headers: { origin: 'https://evil.example.net', 'content-type': 'application/json' },
        body: JSON.stringify({ query: ok }),
      },
      listed,
    );
    expect(request.headers.get('access-control-allow-origin')).toBeNull();
    expect(request.headers.get('vary')).toMatch(/origin/i);
  });

  it('allows any origin by default (CORS_ORIGINS=*)', async () => {
    const response = await preflight('https://partner.example.org', gw);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://partner.example.org');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
