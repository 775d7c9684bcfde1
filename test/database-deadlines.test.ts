// Deadlines on the database: a PostgreSQL that stops answering (frozen like a SIGSTOPped server or
// a black-holed network, through a TCP proxy in the test) gives 503 DATABASE_UNAVAILABLE within
// the configured deadlines, never a hang; a mutation caught mid-transaction leaves nothing
// half-written; live subscriptions, the outbox relay and the scheduler carry on once it is back.
import { createClient, type Client } from 'graphql-ws';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openDatabase, type Database } from '../src/db/client.js';
import { databaseUnavailable } from '../src/server/observability.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createTestDatabase, databaseUrl, globalId, keyHeader, MAIN_STORY, onPostgres, testConfig, type TestDatabase } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

const STATEMENT_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
/**
 * The most a request may take against a database that does not answer: one statement's deadline
 * (statement timeout + the client's 1 s margin) and one wait for a connection, with room for a
 * busy machine. A hang would take until the test's own abort (30 s).
 */
const DEADLINE_MS = 2 * (STATEMENT_TIMEOUT_MS + 1000 + CONNECT_TIMEOUT_MS);

describe.skipIf(!onPostgres)('a PostgreSQL that stops answering (through a TCP proxy that freezes)', () => {
  const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const proxy = new TcpProxy(Number(new URL(serverUrl).port || 5432));
  const logLines: Record<string, any>[] = [];
  let direct: TestDatabase;
  let db: Database;
  let gateway: RunningGateway;
  let editor: Record<string, string>;
  const clients: Client[] = [];

  beforeAll(async () => {
    direct = await createTestDatabase({ demo: true });
    const directUrl = new URL(await databaseUrl(direct));
    editor = await keyHeader(direct, 'EDITOR');

    await proxy.start();
    const proxied = new URL(directUrl);
    proxied.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({
      kind: 'postgres',
      url: proxied.toString(),
      poolSize: 4,
      // Unnamed statements carry their SQL, so the proxy can freeze at a given statement.
      preparedStatements: false,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    gateway = await serveGateway({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', OUTBOX_POLL_MS: '200', SCHEDULER_INTERVAL_MS: '300' }),
      db,
      logger,
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await proxy.restore();
    await gateway?.stop();
    await db?.close();
    await direct?.dispose();
    await proxy.close();
  });

  type Outcome = { status: number; code?: string; retryAfter: string | null; ms: number; text: string; data?: any };
  /** One request; a connection failure or a hang (30 s) counts as status 0. */
  async function ask(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Outcome> {
    const started = performance.now();
    try {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      const body = JSON.parse(text);
      return {
        status: response.status,
        code: body.errors?.[0]?.extensions?.code,
        retryAfter: response.headers.get('retry-after'),
        ms: performance.now() - started,
        text,
        data: body.data,
      };
    } catch (error) {
      return { status: 0, retryAfter: null, ms: performance.now() - started, text: String(error) };
    }
  }
  const READ = '{ articles(first: 5) { totalCount edges { node { slug headline } } } sections { slug } }';
  const probe = async (path: string) => (await fetch(gateway.url.replace('/graphql', path), { signal: AbortSignal.timeout(5000) })).status;
  const thawed = async () => {
    await proxy.restore();
    await expect.poll(() => probe('/readyz'), { timeout: 15_000, interval: 100 }).toBe(200);
  };
  function expectUnavailable(outcome: Outcome) {
    expect(outcome.status, outcome.text).toBe(503);
    expect(outcome.code, outcome.text).toBe('DATABASE_UNAVAILABLE');
    expect(outcome.retryAfter).toBe('5');
    expect(outcome.text).not.toMatch(/timeout|Query read|ECONN|127\.0\.0\.1|prisma|SELECT|statement/i);
    expect(outcome.ms).toBeLessThan(DEADLINE_MS);
  }

  it('reads answer 503 DATABASE_UNAVAILABLE within the deadline, /healthz stays 200, and service resumes when it answers again', async () => {
    expect((await ask(READ)).status).toBe(200); // connections open
    proxy.freeze();
    try {
      // More requests than connections: some wait on frozen connections, the rest for a free one.
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => ask(READ)));
      for (const outcome of outcomes) expectUnavailable(outcome);
      expect(await probe('/healthz')).toBe(200);
      expect(await probe('/readyz')).toBe(503);
    } finally {
      await thawed();
    }
    const after = await ask(READ);
    expect(after.status, after.text).toBe(200);
    expect(after.data.articles.totalCount).toBeGreaterThan(0);
  });

  it('a keyed WebSocket connecting while the database is frozen is closed with 1013 (try again later), not 4403 (refused key)', async () => {
    const fresh = await keyHeader(direct, 'EDITOR'); // never seen by the gateway: its check needs the database
    proxy.freeze();
    try {
      const code = await new Promise<number>((resolve) => {
        const client = createClient({
          url: gateway.url.replace('http', 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: fresh,
          retryAttempts: 0,
          lazy: true,
          on: { closed: (event) => resolve((event as { code: number }).code) },
        });
        clients.push(client);
        client.subscribe({ query: '{ __typename }' }, { next() {}, error() {}, complete() {} });
      });
      expect(code).toBe(1013);
    } finally {
      await thawed();
    }
  });

  it('a mutation frozen mid-transaction answers 503, and once the database is back nothing of it was written', async () => {
    const article = await direct.prisma.article.findUniqueOrThrow({ where: { slug: MAIN_STORY } });
    const before = {
      revisions: await direct.prisma.revision.count({ where: { articleId: article.id } }),
      events: await direct.prisma.storyEvent.count({ where: { articleId: article.id } }),
    };
    const update = () =>
      ask(
        `mutation($id: ID!, $version: Int!, $input: UpdateArticleInput!) {
          updateArticle(id: $id, version: $version, input: $input) { __typename ... on MutationUpdateArticleSuccess { data { headline version } } }
        }`,
        { id: globalId('Article', article.id), version: article.version, input: { headline: 'Frozen in the middle' } },
        editor,
      );
    // The revision and the article row are written; the story event's lock is the next statement.
    proxy.freezeWhen(/pg_advisory_xact_lock/);
    let outcome: Outcome;
    try {
      outcome = await update();
    } finally {
      await thawed();
    }
    expectUnavailable(outcome);
    // The held statements reach the server after the thaw, then the connection's end: it rolls back.
    const openTransactions = async () =>
      (
        await direct.prisma.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`
      )[0]!.n;
    await expect.poll(openTransactions, { timeout: 10_000 }).toBe(0);
    const now = await direct.prisma.article.findUniqueOrThrow({ where: { id: article.id } });
    expect({ headline: now.headline, version: now.version }).toEqual({ headline: article.headline, version: article.version });
    expect(await direct.prisma.revision.count({ where: { articleId: article.id } })).toBe(before.revisions);
    expect(await direct.prisma.storyEvent.count({ where: { articleId: article.id } })).toBe(before.events);
    // The same change, sent again, applies once (the row lock went with the dropped transaction).
    const retried = await update();
    expect(retried.status, retried.text).toBe(200);
    expect(retried.data.updateArticle).toMatchObject({
      __typename: 'MutationUpdateArticleSuccess',
      data: { version: article.version + 1 },
    });
    expect(await direct.prisma.storyEvent.count({ where: { articleId: article.id } })).toBe(before.events + 1);
  });

  it('live subscriptions, the outbox relay and the scheduler carry on after the database was frozen', async () => {
    const client = createClient({ url: gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(client);
    const received: any[] = [];
    const iterator = client.iterate({ query: 'subscription { storiesPublished { type article { slug } } }' });
    void (async () => {
      for await (const result of iterator) received.push(result);
    })().catch(() => {});
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000 }).toBe(1);
    const failuresBefore = logLines.filter((line) => /outbox failed/.test(line.msg)).length;

    proxy.freeze();
    try {
      // Longer than a few outbox polls and scheduler ticks, each of which now meets the deadline.
      await expect
        .poll(() => logLines.filter((line) => /outbox failed/.test(line.msg)).length, { timeout: 15_000 })
        .toBeGreaterThan(failuresBefore);
      expect(await probe('/healthz')).toBe(200);
    } finally {
      await thawed();
    }

    // A story scheduled for now: the scheduler publishes it, the outbox relay pushes it.
    const draft = await direct.prisma.article.findFirstOrThrow({ where: { status: 'PUBLISHED' }, include: { bylines: true } });
    const scheduled = await direct.prisma.article.create({
      data: {
        slug: `after-the-freeze-${Date.now()}`,
        headline: 'After the freeze',
        status: 'SCHEDULED',
        scheduledAt: new Date(),
        kind: draft.kind,
        sectionId: draft.sectionId,
        bylines: { create: draft.bylines.map((a) => ({ authorId: a.authorId, role: a.role, position: a.position })) },
      },
    });
    await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(received.at(-1).data.storiesPublished).toEqual({ type: 'PUBLISHED', article: { slug: scheduled.slug } });
    expect(gateway.live.subscriptions).toBe(1);
  });

  it('a transaction that sat idle past the deadline, ended by PostgreSQL, is a DATABASE_UNAVAILABLE error, not an internal one', async () => {
    // Under CPU starvation a request can stall between the statements of its transaction; PostgreSQL
    // then ends the session (idle_in_transaction_session_timeout) and the next statement fails with
    // node-postgres' "Client has encountered a connection error and is not queryable".
    const failure = await db.prisma
      .$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS + 500));
        await tx.$queryRaw`SELECT 2`;
      })
      .then(
        () => expect.fail('the idle transaction went on'),
        (error: unknown) => error,
      );
    expect(databaseUnavailable(failure)?.extensions).toMatchObject({ code: 'DATABASE_UNAVAILABLE', http: { status: 503 } });
    // The pool replaces the connection PostgreSQL ended.
    expect(await db.prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
  });
});
