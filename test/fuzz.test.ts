// Thousands of random and malformed requests against the demo newsroom, in-process: mutated
// example operations, random tokens, wrong and extreme variables, broken JSON, odd content types
// and headers, bytes that are not UTF-8. Never a 5xx, never a crash, never an internal detail in
// a response, never an INTERNAL_SERVER_ERROR (bad input is the client's to fix, and says how).
// Seeded: FUZZ_SEED=<n> replays a run, FUZZ_CASES=<n> changes its length (5,000 by default: every
// kind of case comes up hundreds of times; a longer run is FUZZ_CASES=50000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationDocument, operationNames } from '../src/schema/operations.js';
import { createDemoGateway, MAIN_STORY, type TestGateway } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_127);
const CASES = Number(process.env.FUZZ_CASES ?? 5_000);
const CONCURRENCY = 8;

let gw: TestGateway;
beforeAll(async () => {
  gw = await createDemoGateway({ RESPONSE_CACHE: 'true' });
});
afterAll(() => gw?.db.dispose());

/** mulberry32: small, fast and good enough to pick cases reproducibly. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof prng>;

// ---------------------------------------------------------------------------------------------
// Material: the example operations with working variables, and some of our own.

const exampleVariables: Record<string, Record<string, unknown>> = {
  ArticleBySlug: { slug: MAIN_STORY },
  ArticlePage: { slug: MAIN_STORY, editionDate: '2025-03-01' },
  EditionFront: { date: '2025-03-01' },
  Search: { query: 'china travel', first: 5 },
  SectionFront: { slug: 'world', first: 5 },
  FrontPage: {},
  TagFront: { slug: 'china', first: 5 },
  AuthorFront: { slug: 'reuters', first: 5 },
  AuthorIndex: { first: 5 },
  TopicIndex: { first: 5, kind: ['PLACE'] },
};
const operations = [
  ...operationNames()
    .map((name) => ({ document: operationDocument(name), variables: exampleVariables[name] ?? {} }))
    // Subscriptions stream until cancelled; the live tests cover them.
    .filter((operation) => !/^subscription\b/m.test(operation.document)),
  { document: 'query($id: ID!) { node(id: $id) { id ... on Article { headline } } }', variables: { id: 'QXJ0aWNsZTox' } },
  { document: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: ['QXJ0aWNsZTox', 'U2VjdGlvbjox'] } },
  {
    document: 'query($first: Int, $after: String) { articles(first: $first, after: $after) { totalCount edges { cursor node { slug } } } }',
    variables: { first: 3, after: null },
  },
  {
    document: 'query($q: String!, $after: String) { search(query: $q, first: 2, after: $after) { totalCount edges { cursor } } }',
    variables: { q: 'china', after: null },
  },
  { document: 'query($slug: String, $date: Date) { edition(slug: $slug, date: $date) { name } }', variables: { slug: '' } },
  { document: 'mutation($id: ID!) { recordRead(id: $id) }', variables: { id: 'QXJ0aWNsZTox' } },
  {
    document: 'mutation($input: CreateDraftInput!) { createDraft(input: $input) { __typename ... on Error { message } } }',
    variables: { input: { headline: 'A', section: 'U2VjdGlvbjox', body: 'x' } },
  },
];

const tokens = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  '$',
  '...',
  '!',
  '=',
  '"',
  '"""',
  '#',
  ',',
  '|',
  '&',
  '@',
  '@include(if: true)',
  '@skip(if: $x)',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  'null',
  'true',
  'false',
  '1e999',
  '-0',
  '99999999999999999999999',
  '0x1F',
  '"\\u0000"',
  '__typename',
  '__schema { types { name } }',
  '__type(name: "Article") { name }',
  'article',
  'articles(first: 100000)',
  'articles(first: -1)',
  'first: 2147483648',
  'slug',
  'headline',
  'edges',
  'node',
  'section',
  'related(first: 100)',
  'body',
  'search(query: "")',
  '\u00e9',
  '\u{1F4F0}',
  '\t',
  '\n',
  '\r',
  '\u2028',
  '\ufeff',
];
const name = (r: Random) => `f${Array.from({ length: 1 + r.int(7) }, () => String.fromCharCode(97 + r.int(26))).join('')}`;

const extremes: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  Number.MIN_VALUE,
  '',
  ' ',
  '0',
  'null',
  'NaN',
  '-Infinity',
  'x'.repeat(10_000),
  '\u0000',
  '\ud800',
  '\u{1F4F0}'.repeat(100),
  '<script>alert(1)</script>',
  "'; DROP TABLE article; --",
  '2025-02-30',
  '9999-99-99',
  'QXJ0aWNsZTox',
  'QXJ0aWNsZTotMQ==',
  'not-base64!',
  // Ids and cursors of the right shape with values out of range (base64 of the text in the comment).
  'Rm9vOjE=', // Foo:1
  'QXBpS2V5OjE=', // ApiKey:1
  'UmV2aXNpb246MQ==', // Revision:1
  'U2VjdGlvbjoyMTQ3NDgzNjQ4', // Section:2147483648
  'bmV3ZXN0OlsxZTQwMCwxXQ==', // newest:[1e400,1]
  'bmV3ZXN0OlsxLDIxNDc0ODM2NDhd', // newest:[1,2147483648]
  'T2Zmc2V0Q29ubmVjdGlvbjo5OTk5OTk5OTk5OTk5OTk5OTk5OQ==', // OffsetConnection:99999999999999999999
  'a\u0000b',
  [],
  [null],
  [[[]]],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];
const deepObject = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: deepObject(depth - 1) });
const randomValue = (r: Random): unknown =>
  r.chance(0.1)
    ? deepObject(1 + r.int(200))
    : r.chance(0.1)
      ? Array.from({ length: r.int(1000) }, () => r.pick(extremes))
      : r.pick(extremes);

// ---------------------------------------------------------------------------------------------
// Mutations of a document and its variables.

function mutateDocument(r: Random, document: string): string {
  let doc = document;
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(doc.length + 1);
    const span = 1 + r.int(40);
    switch (r.int(8)) {
      case 0:
        doc = doc.slice(0, at) + doc.slice(at + span);
        break; // delete
      case 1:
        doc = doc.slice(0, at) + doc.slice(at, at + span).repeat(2 + r.int(3)) + doc.slice(at);
        break; // duplicate
      case 2:
        doc = `${doc.slice(0, at)} ${r.pick(tokens)} ${doc.slice(at)}`;
        break; // insert a token
      case 3:
        doc = `${doc.slice(0, at)} ${name(r)} ${doc.slice(at)}`;
        break; // an unknown name
      case 4:
        doc = doc.slice(0, at);
        break; // truncate
      case 5:
        doc = doc.slice(0, at) + String.fromCharCode(r.int(0x3000)) + doc.slice(at + 1);
        break; // one odd character
      case 6:
        doc = doc.replace(/\b(first|last): *\d+/, `$1: ${r.pick(['0', '-5', '101', '1000000', '2147483648', '1.5', '"5"', 'null'])}`);
        break;
      default:
        doc = `${doc.slice(0, at)}${'{ '.repeat(r.int(60))}${doc.slice(at)}`; // nesting
    }
  }
  return doc;
}

function mutateVariables(r: Random, variables: Record<string, unknown>): unknown {
  if (r.chance(0.05)) return r.pick(['x', 1, [], true, [{ a: 1 }]]); // not an object at all
  const out: Record<string, unknown> = { ...variables };
  const keys = Object.keys(out);
  for (let n = 1 + r.int(3); n > 0; n--) {
    if (keys.length && r.chance(0.8)) out[r.pick(keys)] = randomValue(r);
    else out[name(r)] = randomValue(r);
  }
  if (r.chance(0.1) && keys.length) delete out[r.pick(keys)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole requests.

type Case = { kind: string; method: string; url: string; headers: Record<string, string>; body?: string | Uint8Array };

const accepts = [
  'application/graphql-response+json',
  'application/json',
  '*/*',
  'text/html',
  'application/xml',
  'text/event-stream',
  'multipart/mixed',
  'application/graphql-response+json;q=0, application/json;q=0',
  'application/json;charset=latin1',
  ';;;',
  '',
];
const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql-response+json',
  'application/graphql+json',
  'application/graphql',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json, text/plain',
  ';;;',
  'x'.repeat(2000),
];
const latin1 = (r: Random, length: number) => Array.from({ length }, () => String.fromCharCode(0x20 + r.int(0x5f))).join('');
const authorizations = (r: Random) =>
  r.pick([
    'Bearer',
    'Bearer ',
    `Bearer nrk_${latin1(r, 43).replace(/\s/g, '')}`,
    'Basic dXNlcjpwYXNz',
    'bearer a b',
    `Bearer ${'a'.repeat(8000)}`,
    latin1(r, 1 + r.int(80)),
    'Bearer nrk_',
    'Bearer \u00ff\u00fe',
  ]);
const badJson = [
  '',
  '{',
  '}',
  'null',
  '[]',
  '1',
  '"x"',
  'true',
  '{"query": 1}',
  '{"query": ["{ __typename }"]}',
  '{"query": {"a": 1}}',
  '{"query": null}',
  '{"query": "{ __typename }", "variables": "x"}',
  '{"query": "{ __typename }", "variables": [1]}',
  '{"query": "{ __typename }", "operationName": 5}',
  '{"query": "{ __typename }", "operationName": "Nope"}',
  '{"query": "{ __typename }", "extensions": []}',
  '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}',
  '{"query": "{ __typename }", "__proto__": {"polluted": 1}}',
  '{"query": "{ __typename }"}garbage',
  '{"query": "{ __typename }",}',
  "{'query': '{ __typename }'}",
  `{"query": "${'['.repeat(5000)}"}`,
  '['.repeat(20_000) + ']'.repeat(20_000),
  `{"a":`.repeat(5000),
  '{"query": "{ __typename }", "query": "{ articles { totalCount } }"}',
  '\ufeff{"query": "{ __typename }"}',
];

function randomBytes(r: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => (r.chance(0.7) ? 0x80 + r.int(0x80) : r.int(0x80)));
}

function makeCase(r: Random): Case {
  const headers: Record<string, string> = {};
  if (r.chance(0.4)) headers.accept = r.pick(accepts);
  if (r.chance(0.25)) headers.authorization = authorizations(r);
  if (r.chance(0.2)) headers['x-request-id'] = latin1(r, r.int(100));
  if (r.chance(0.1)) headers.origin = r.pick(['https://evil.example', 'null', latin1(r, 20)]);
  const operation = r.pick(operations);
  const kind = r.int(100);

  if (kind < 12) {
    // GET with query parameters
    headers[r.pick(['graphql-preflight', 'apollo-require-preflight', 'x-other'])] = '1';
    const params = new URLSearchParams();
    params.set('query', r.chance(0.5) ? mutateDocument(r, operation.document) : operation.document);
    if (r.chance(0.6)) params.set('variables', r.chance(0.5) ? JSON.stringify(mutateVariables(r, operation.variables)) : r.pick(badJson));
    if (r.chance(0.2)) params.set('operationName', r.chance(0.5) ? name(r) : '');
    if (r.chance(0.1)) params.set('extensions', r.pick(badJson));
    return { kind: 'get', method: 'GET', url: `http://gateway.test/graphql?${params}`, headers };
  }
  if (kind < 15) {
    return { kind: 'method', method: r.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']), url: 'http://gateway.test/graphql', headers };
  }
  headers['content-type'] = kind < 25 ? r.pick(contentTypes) : 'application/json';
  let body: string | Uint8Array;
  let label: string;
  if (kind < 45) {
    label = 'mutated document';
    body = JSON.stringify({ query: mutateDocument(r, operation.document), variables: operation.variables });
  } else if (kind < 65) {
    label = 'mutated variables';
    body = JSON.stringify({ query: operation.document, variables: mutateVariables(r, operation.variables) });
  } else if (kind < 73) {
    label = 'token soup';
    body = JSON.stringify({
      query: Array.from({ length: 1 + r.int(80) }, () => (r.chance(0.7) ? r.pick(tokens) : name(r))).join(r.pick([' ', '', '\n'])),
    });
  } else if (kind < 83) {
    label = 'bad JSON';
    body = r.pick(badJson);
  } else if (kind < 90) {
    label = 'not UTF-8';
    const valid = new TextEncoder().encode(JSON.stringify({ query: operation.document, variables: operation.variables }));
    const at = r.int(valid.length);
    body = r.chance(0.5)
      ? randomBytes(r, 1 + r.int(2000))
      : Uint8Array.from([...valid.slice(0, at), ...randomBytes(r, 1 + r.int(8)), ...valid.slice(at)]);
  } else if (kind < 95) {
    label = 'odd fields';
    body = JSON.stringify({
      query: operation.document,
      variables: operation.variables,
      operationName: r.pick([null, 5, [], name(r), 'ArticlePage']),
      [name(r)]: randomValue(r),
    });
  } else {
    label = 'valid';
    body = JSON.stringify({ query: operation.document, variables: operation.variables });
  }
  return { kind: label, method: 'POST', url: 'http://gateway.test/graphql', headers, body };
}

// ---------------------------------------------------------------------------------------------

/** SQL, driver and runtime details; GraphiQL's HTML page (static) is not checked. */
const LEAKS = [
  /\bSELECT\b|\bINSERT INTO\b|\bFROM "|node_modules|\/(?:work|home|usr|tmp|src)\/|\.[jt]s:\d+|\bat \S+ \(|\bECONN[A-Z]+|\bpg_/,
  /prisma|\bstack\b/i,
];

describe('fuzzing the HTTP endpoint', () => {
  it(`${CASES} random and malformed requests (seed ${SEED}): no 5xx, no INTERNAL_SERVER_ERROR, no crash, no leak`, {
    timeout: 600_000,
  }, async () => {
    const r = prng(SEED);
    const cases = Array.from({ length: CASES }, () => makeCase(r));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let serverErrors = 0;
    let internalErrors = 0;
    let next = 0;
    const started = performance.now();

    async function check(index: number, c: Case) {
      const where = `case ${index} (${c.kind}, FUZZ_SEED=${SEED}): ${c.method} ${c.url.slice(0, 200)} ${JSON.stringify(c.headers).slice(0, 200)} ${String(c.body ?? '').slice(0, 300)}`;
      let response: Response;
      let text: string;
      let timer: NodeJS.Timeout | undefined;
      try {
        [response, text] = await Promise.race([
          (async () => {
            const answer = await gw.yoga.fetch(c.url, { method: c.method, headers: c.headers, body: c.body as BodyInit | undefined });
            return [answer, await answer.text()] as const;
          })(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no complete answer within 15 s')), 15_000);
          }),
        ]);
      } catch (error) {
        failures.push(`${where}\n  threw: ${(error as Error).message}`);
        return;
      } finally {
        clearTimeout(timer);
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const problems: string[] = [];
      if (response.status >= 500) {
        serverErrors += 1;
        problems.push(`status ${response.status}`);
      }
      if (!response.headers.get('x-request-id')) problems.push('no x-request-id');
      const isPage = response.headers.get('content-type')?.startsWith('text/html');
      for (const leak of isPage ? [] : LEAKS.map((pattern) => pattern.exec(text))) if (leak) problems.push(`leaks "${leak[0]}"`);
      if (text && /json/.test(response.headers.get('content-type') ?? '')) {
        let body: { errors?: { message?: unknown; extensions?: Record<string, unknown> }[] } | undefined;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push('a JSON content type with a body that is not JSON');
        }
        for (const error of body?.errors ?? []) {
          if (typeof error.message !== 'string') problems.push('an error without a message');
          if (typeof error.extensions?.code !== 'string')
            problems.push(`an error without extensions.code: ${JSON.stringify(error).slice(0, 200)}`);
          // Every request here is the client's mistake or fine: none may look like our failure.
          if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') {
            internalErrors += 1;
            problems.push(`INTERNAL_SERVER_ERROR: ${JSON.stringify(error)}`);
          }
        }
      }
      if (problems.length) failures.push(`${where}\n  ${problems.join('; ')}\n  response: ${response.status} ${text.slice(0, 400)}`);
    }

    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const index = next++;
          await check(index, cases[index]!);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.info(`fuzz: ${CASES} cases in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    expect(failures.slice(0, 10).join('\n\n'), `${failures.length} failing cases`).toBe('');
    expect({ serverErrors, internalErrors }).toEqual({ serverErrors: 0, internalErrors: 0 });
    // The fuzzer reached both sides: real answers and every kind of refusal.
    expect(statuses.get(200)).toBeGreaterThan(CASES * 0.1);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(5);

    // And the gateway still serves the real page afterwards.
    const page = operations.find((o) => o.document.includes('query ArticlePage'))!;
    const after = await gw.query(page.document, page.variables);
    expect(after.errors).toBeUndefined();
    expect(after.data.article.headline).toBeTruthy();
  });
});
