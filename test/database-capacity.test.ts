// Writes before reads: a flood of anonymous uncached reads that holds every reader connection
// (blocked behind a table lock held by the test) leaves an editor's publish unaffected, and
// anonymous operations beyond MAX_ANONYMOUS_OPERATIONS get 503 SERVER_BUSY with Retry-After; of
// those admitted, MAX_ANONYMOUS_EXECUTING execute at once and the others wait their turn.
import type { Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { anonymousCapacity } from '../src/server/database-capacity.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import {
  createTestDatabase,
  createTestGateway,
  databaseUrl,
  globalId,
  keyHeader,
  onPostgres,
  testConfig,
  type TestDatabase,
  wsClient,
} from './helpers.js';

const READERS = 3;
const CAP = 6;
/** A list (Prisma batches identical lookups by key into one statement; lists it does not). */
const FLOOD = '{ editions(first: 3) { edges { node { name } } } }';

describe.skipIf(!onPostgres)('an anonymous read flood holding every reader connection', () => {
  let test: TestDatabase;
  let db: Database;
  let gateway: Gateway;
  let editor: Record<string, string>;
  let locker: pg.Client;

  beforeAll(async () => {
    test = await createTestDatabase({ demo: true });
    editor = await keyHeader(test, 'EDITOR');
    // Deadlines far away: the flood stays blocked until the test lets it go.
    db = await openDatabase({
      kind: 'postgres',
      url: await databaseUrl(test),
      poolSize: READERS,
      reservedPoolSize: 2,
      statementTimeoutMs: 120_000,
      connectTimeoutMs: 120_000,
    });
    gateway = createGateway({ config: testConfig({ MAX_ANONYMOUS_OPERATIONS: String(CAP) }), db, logger: createLogger('silent') });
    locker = new pg.Client({ connectionString: await databaseUrl(test) });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await db?.close();
    await test?.dispose();
  });

  const ask = async (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await gateway.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
  };

  it("an editor's publish answers while the flood is still blocked; readers beyond the cap get 503 SERVER_BUSY with Retry-After", async () => {
    const article = await test.prisma.article.findFirstOrThrow({ where: { status: 'PUBLISHED' }, include: { bylines: true } });
    const draft = await test.prisma.article.create({
      data: {
        slug: `written-during-the-flood-${Date.now()}`,
        headline: 'Written during the flood',
        kind: article.kind,
        sectionId: article.sectionId,
        bylines: { create: article.bylines.map((b) => ({ authorId: b.authorId, role: b.role, position: b.position })) },
      },
    });

    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "Edition" IN ACCESS EXCLUSIVE MODE');
    const settled: boolean[] = [];
    const flood = Array.from({ length: CAP }, (_, i) => {
      settled[i] = false;
      return ask(FLOOD).finally(() => {
        settled[i] = true;
      });
    });
    try {
      // Every reader connection waits on the lock and the rest of the flood waits for a connection.
      const waitingOnLock = async () =>
        (
          await test.prisma.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
        )[0]!.n;
      await expect.poll(waitingOnLock, { timeout: 10_000 }).toBe(READERS);
      await expect.poll(() => db.pools[0]!.waitingCount, { timeout: 10_000 }).toBe(CAP - READERS);

      // One anonymous reader too many: refused at once, not queued.
      const refused = await ask(FLOOD);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.errors[0].extensions.code).toBe('SERVER_BUSY');

      // The editor reads, then publishes, through the reserved connections.
      const preview = await ask('query($slug: String!) { article(slug: $slug, preview: true) { status } }', { slug: draft.slug }, editor);
      expect(preview.body.data.article).toEqual({ status: 'DRAFT' });
      const published = await ask(
        'mutation($id: ID!) { publishArticle(id: $id) { __typename ... on MutationPublishArticleSuccess { data { status } } } }',
        { id: globalId('Article', draft.id) },
        editor,
      );
      expect(published.status).toBe(200);
      expect(published.body.data.publishArticle).toEqual({ __typename: 'MutationPublishArticleSuccess', data: { status: 'PUBLISHED' } });
      expect(settled).toEqual(settled.map(() => false)); // the flood is still blocked
    } finally {
      await locker.query('ROLLBACK');
    }
    for (const outcome of await Promise.all(flood)) {
      expect(outcome.status).toBe(200);
      expect(outcome.body.data.editions.edges.length).toBeGreaterThan(0);
    }
    expect((await ask(FLOOD)).status).toBe(200); // the cap counts operations in flight only
  });

  it('with MAX_ANONYMOUS_EXECUTING, admitted readers beyond it wait in the gateway, not on connections; one whose client leaves never runs', async () => {
    const statements: string[] = [];
    const own = await openDatabase(
      { kind: 'postgres', url: await databaseUrl(test), poolSize: READERS, reservedPoolSize: 2, statementTimeoutMs: 120_000 },
      { onStatement: (sql) => statements.push(sql) },
    );
    const queued = createGateway({
      config: testConfig({ MAX_ANONYMOUS_OPERATIONS: String(CAP), MAX_ANONYMOUS_EXECUTING: '2' }),
      db: own,
      logger: createLogger('silent'),
    });
    const ask = async (signal?: AbortSignal) => {
      const response = await queued.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query: FLOOD }),
        signal,
      });
      return { status: response.status, body: await response.json() };
    };
    const ofFlood = () => statements.filter((sql) => sql.includes('"Edition"')).length;
    try {
      await ask();
      const perOperation = ofFlood();
      expect(perOperation).toBeGreaterThan(0);
      statements.length = 0;

      await locker.query('BEGIN');
      await locker.query('LOCK TABLE "Edition" IN ACCESS EXCLUSIVE MODE');
      const clients = Array.from({ length: CAP }, () => new AbortController());
      let flood: Promise<{ status: number; body?: any }>[] = [];
      let late: Promise<{ status: number; body?: any }> | undefined;
      try {
        flood = clients.map((client) => ask(client.signal).catch(() => ({ status: 0 })));
        const waitingOnLock = async () =>
          (
            await test.prisma.$queryRaw<{ n: number }[]>`
              SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
          )[0]!.n;
        await expect.poll(waitingOnLock, { timeout: 10_000 }).toBe(2);
        // Two execute (blocked on the lock), four wait their turn in the gateway: none holds or queues for a connection.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await waitingOnLock()).toBe(2);
        expect(own.pools[0]!.waitingCount).toBe(0);
        // No place for anyone else: the sixth admitted filled the cap.
        expect((await ask()).status).toBe(503);
        // The last two in line lose their clients: they leave the line and their places come back.
        clients[4]!.abort();
        clients[5]!.abort();
        late = ask();
      } finally {
        await locker.query('ROLLBACK');
      }
      const outcomes = await Promise.all([...flood, late!]);
      for (const outcome of [...outcomes.slice(0, 4), outcomes[6]!]) {
        expect(outcome.status).toBe(200);
        expect(outcome.body.data.editions.edges.length).toBeGreaterThan(0);
      }
      // Five operations ran (the four that waited to the end and the late one), not seven.
      expect(ofFlood()).toBe(5 * perOperation);
    } finally {
      await own.close();
    }
  });
});

describe.skipIf(!onPostgres)('a client that goes away takes its work with it', () => {
  // Two statements one after the other: the editions, then (once they are in) their count.
  const LIST_THEN_COUNT = '{ editions(first: 3) { totalCount edges { node { name } } } }';
  let test: TestDatabase;
  let db: Database;
  let served: RunningGateway;
  let locker: pg.Client;
  const statements: string[] = [];
  const clients: Client[] = [];
  const lists = () => statements.filter((sql) => sql.includes('FROM "public"."Edition"') && !sql.includes('COUNT(')).length;
  const counts = () => statements.filter((sql) => sql.includes('COUNT(') && sql.includes('"Edition"')).length;

  beforeAll(async () => {
    test = await createTestDatabase({ demo: true });
    db = await openDatabase(
      { kind: 'postgres', url: await databaseUrl(test), poolSize: READERS, reservedPoolSize: 2, statementTimeoutMs: 120_000 },
      { onStatement: (sql) => statements.push(sql) },
    );
    // No HTTP cache in front (it asks yoga itself, for whoever asks next), one anonymous operation at a time.
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', RESPONSE_CACHE: 'false', MAX_ANONYMOUS_EXECUTING: '1' });
    served = await serveGateway({ config, db, logger: createLogger('silent') });
    locker = new pg.Client({ connectionString: await databaseUrl(test) });
    await locker.connect();
  });
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await locker?.end();
    await served?.stop();
    await db?.close();
    await test?.dispose();
  });

  it('over a WebSocket and over HTTP: its operations waiting for a turn never run, and its running query sends nothing more; a completed query too', async () => {
    const results: unknown[] = [];
    const subscribe = (client: Client) =>
      new Promise<void>((resolve) => {
        client.subscribe({ query: LIST_THEN_COUNT }, { next: (result) => results.push(result), error: () => resolve(), complete: resolve });
      });
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE "Edition" IN ACCESS EXCLUSIVE MODE');
    let late: Promise<void> | undefined;
    // A raw graphql-transport-ws client: it can drop its TCP connection without a word.
    const vanishing = new WebSocket(served.url.replace('http', 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => vanishing.once('open', resolve).once('error', reject));
    vanishing.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => vanishing.once('message', resolve)); // connection_ack
    try {
      // Three queries on one socket: the first runs (its list waits on the lock), two wait their turn.
      for (const id of ['1', '2', '3']) vanishing.send(JSON.stringify({ id, type: 'subscribe', payload: { query: LIST_THEN_COUNT } }));
      await expect.poll(() => served.capacity.active()).toBe(3);
      const waitingOnLock = async () =>
        (
          await test.prisma.$queryRaw<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`
        )[0]!.n;
      await expect.poll(waitingOnLock).toBe(1);

      // An HTTP reader joins the line and hangs up.
      const hangUp = new AbortController();
      const asked = fetch(served.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: LIST_THEN_COUNT }),
        signal: hangUp.signal,
      }).catch(() => undefined);
      await expect.poll(() => served.capacity.active()).toBe(4);
      hangUp.abort();
      await asked;
      await expect.poll(() => served.capacity.active()).toBe(3);

      // The WebSocket client no longer wants its last query (a search superseded by the next keystroke).
      vanishing.send(JSON.stringify({ id: '3', type: 'complete' }));
      await expect.poll(() => served.capacity.active()).toBe(2);

      // Then it vanishes: its waiting query leaves the line, and the running one gives up its place
      // and turn at once (its statement still waits on the lock).
      vanishing.terminate();
      await expect.poll(() => served.capacity.active()).toBe(0);
      expect(served.sockets.connections()).toBe(0);
      expect(await waitingOnLock()).toBe(1);

      late = subscribe(wsClient(clients, served));
      await expect.poll(waitingOnLock).toBe(2);
    } finally {
      await locker.query('ROLLBACK');
    }
    await late;
    expect(results).toEqual([{ data: { editions: expect.objectContaining({ totalCount: expect.any(Number) }) } }]);
    await expect.poll(() => served.capacity.active()).toBe(0);
    // The vanished client's running query got its list (recorded when its statement ends, which may
    // be after the late one's answer), then stopped: no count for it. Only the late one ran whole.
    await expect.poll(lists).toBe(2);
    expect(counts()).toBe(1);
  });
});

describe('anonymous places and turns', () => {
  it('admits up to the cap, lets a limited number execute, and hands each freed turn to the longest waiting', async () => {
    const capacity = anonymousCapacity({ max: 3, executing: 1 });
    const order: string[] = [];
    expect(await capacity.enter()).toBe(true); // first: executes at once
    const second = capacity.enter().then((ok) => order.push(`second ${ok}`));
    const third = capacity.enter().then((ok) => order.push(`third ${ok}`));
    expect(await capacity.enter()).toBe(false); // a fourth: refused at once, not queued
    expect(capacity.active()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]); // both wait for the first
    capacity.leave();
    await second;
    expect(order).toEqual(['second true']);
    capacity.leave();
    await third;
    expect(order).toEqual(['second true', 'third true']);
    capacity.leave();
    expect(capacity.active()).toBe(0);
    // A reader that leaves while waiting gives its place back and never gets a turn.
    const narrow = anonymousCapacity({ max: 2, executing: 1 });
    expect(await narrow.enter()).toBe(true);
    const client = new AbortController();
    const leaving = narrow.enter(client.signal);
    client.abort();
    expect(await leaving).toBe(false);
    expect(narrow.active()).toBe(1);
    narrow.leave();
    expect(narrow.active()).toBe(0);
    expect(await narrow.enter()).toBe(true); // the turn came back too
    // With neither limit (0 and 0) every one enters and executes at once.
    const wide = anonymousCapacity({ max: 0, executing: 0 });
    expect(await Promise.all([wide.enter(), wide.enter(), wide.enter()])).toEqual([true, true, true]);
  });
});

describe('the cap on anonymous operations', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(() => test?.dispose());

  it('counts anonymous operations only; keyed requests and MAX_ANONYMOUS_OPERATIONS=0 are not limited', async () => {
    const none = createTestGateway(test, testConfig({ MAX_ANONYMOUS_OPERATIONS: '0' }));
    const editor = await keyHeader(test, 'EDITOR');
    const one = createTestGateway(test, testConfig({ MAX_ANONYMOUS_OPERATIONS: '1' }));
    const query = '{ sections { slug } }';
    // Concurrent operations on one gateway: with a cap of 1, anonymous ones beyond the first are
    // refused while it runs; keyed ones and an uncapped gateway never are.
    const codes = async (gateway: typeof one, headers?: Record<string, string>) =>
      (await Promise.all(Array.from({ length: 4 }, () => gateway.query(query, undefined, headers)))).map(
        (r) => r.errors?.[0]?.extensions?.code ?? 'OK',
      );
    const capped = await codes(one);
    expect(capped).toContain('OK');
    expect(capped).toContain('SERVER_BUSY');
    expect(await codes(one, editor)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(await codes(none)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(await codes(one)).toContain('OK'); // slots come back
  });
});
