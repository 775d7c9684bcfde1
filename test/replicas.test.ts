// Read replicas (DATABASE_REPLICA_URLS) against a real streaming standby: the file starts its own
// primary and standby clusters (test/pg-cluster.ts: initdb, pg_basebackup -R, fsync off) on free
// loopback ports. Anonymous reads go to the standby; editors read from the primary and see their
// own writes; a standby that lags or goes away is skipped, and reads keep answering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { createLogger } from '../src/logger.js';
import { createApiKey } from '../src/newsroom/auth.js';
import { createGateway, type Gateway } from '../src/server/gateway.js';
import { seedDemo } from '../prisma/seed.js';
import { MAIN_STORY, globalId } from './helpers.js';
import { clusterUnavailable, startCluster, type PgCluster } from './pg-cluster.js';

const unavailable = await clusterUnavailable();
if (unavailable && process.env.CI) throw new Error(`The read-replica test must run in CI: ${unavailable}`);
if (unavailable) console.warn(`Skipping test/replicas.test.ts: ${unavailable}`);

const waitFor = async (check: () => boolean | Promise<boolean>, what: string, maxMs = 20_000) => {
  const until = Date.now() + maxMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

describe.skipIf(unavailable)('read replicas on a real streaming standby', () => {
  let cluster: PgCluster;
  let db: Database;
  let gateway: Gateway;
  let editor: Record<string, string>;
  let asia: string;
  let reuters: string;

  beforeAll(async () => {
    cluster = await startCluster();
    await cluster.adminQuery('CREATE DATABASE newsroom');
    // The demo newsroom on the primary first: the base backup copies it.
    const setup = await openDatabase({ kind: 'postgres', url: cluster.primaryUrl('newsroom'), poolSize: 2, statementTimeoutMs: 0 });
    await applyMigrations(setup.adapterFactory);
    await seedDemo(setup.prisma);
    const { key } = await createApiKey(setup.prisma, { name: 'editor', role: 'EDITOR' });
    editor = { authorization: `Bearer ${key}` };
    asia = globalId('Section', (await setup.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } })).id);
    reuters = globalId('Author', (await setup.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } })).id);
    await setup.close();
    await cluster.startReplica();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: cluster.primaryUrl('newsroom'),
      DATABASE_REPLICA_URLS: cluster.replicaUrl('newsroom'),
      DATABASE_REPLICA_MAX_LAG_MS: '1000',
      DATABASE_REPLICA_CHECK_MS: '100',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    db = await openDatabase(config.database);
    gateway = createGateway({ config, db, logger: createLogger('silent') });
    await gateway.live.ready();
  });

  afterAll(async () => {
    await gateway?.live.stop();
    await db?.close();
    await cluster?.dispose();
  });

  const call = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await gateway.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  const readArticle = (slug: string, headers?: Record<string, string>) =>
    call(
      `query($slug: String!, $preview: Boolean) { article(slug: $slug, preview: $preview) { slug headline status } }`,
      { slug, preview: !!headers },
      headers,
    );
  const replica = () => db.replicas!.states()[0]!;

  it('answers anonymous reads from the standby and editors from the primary', async () => {
    await waitFor(() => replica().healthy, 'the standby to be healthy');
    const before = replica().reads;
    for (let i = 0; i < 5; i += 1) expect((await readArticle(MAIN_STORY)).data.article.slug).toBe(MAIN_STORY);
    expect(replica().reads - before).toBeGreaterThanOrEqual(5);
    expect(replica().fallbacks).toBe(0);

    const afterReaders = replica().reads;
    for (let i = 0; i < 3; i += 1) expect((await readArticle(MAIN_STORY, editor)).data.article.slug).toBe(MAIN_STORY);
    expect(replica().reads).toBe(afterReaders);
  });

  it('shows a change on the next read, to its editor and to readers, while the standby has not replayed it; skips a standby that lags', async () => {
    await cluster.replicaQuery('SELECT pg_wal_replay_pause()');
    try {
      const draft = await call(
        `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug } } } }`,
        { input: { headline: `Replica story ${Date.now()}`, section: asia, byline: [{ author: reuters, role: 'AGENCY' }] } },
        editor,
      );
      const { id, slug } = draft.data.createDraft.data;
      // The editor reads their own draft from the primary.
      expect((await readArticle(slug, editor)).data.article).toMatchObject({ slug, status: 'DRAFT' });
      const published = await call(`mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id }, editor);
      expect(published.data.publishArticle.__typename).toBe('MutationPublishArticleSuccess');
      // The standby has not replayed the publish, yet a reader sees it at once: the gateway's
      // fence keeps reads on the primary until the standby has caught up.
      const [{ seen }] = await cluster.replicaQuery<{ seen: string }>(
        `SELECT count(*)::text AS seen FROM "Article" WHERE slug = '${slug}' AND status = 'PUBLISHED'`,
        'newsroom',
      );
      expect(seen).toBe('0');
      expect((await readArticle(slug)).data.article).toMatchObject({ slug, status: 'PUBLISHED' });

      // Paused past DATABASE_REPLICA_MAX_LAG_MS: skipped as lagging; reads still answer.
      await waitFor(() => !replica().healthy, 'the lagging standby to be skipped');
      expect(replica().reason).toMatch(/behind the primary/);
      expect((await readArticle(MAIN_STORY)).data.article.slug).toBe(MAIN_STORY);
    } finally {
      await cluster.replicaQuery('SELECT pg_wal_replay_resume()');
    }
    await waitFor(() => replica().healthy, 'the standby to catch up');
    const before = replica().reads;
    expect((await readArticle(MAIN_STORY)).data.article.slug).toBe(MAIN_STORY);
    expect(replica().reads).toBeGreaterThan(before);
  });

  it('keeps answering every read from the primary when the standby goes away under load', async () => {
    await waitFor(() => replica().healthy, 'the standby to be healthy');
    const slugs = (await call('{ articles(first: 10) { edges { node { slug } } } }')).data.articles.edges.map(
      (e: { node: { slug: string } }) => e.node.slug,
    ) as string[];
    const failures: unknown[] = [];
    let answered = 0;
    let stopped = false;
    // Four readers at once, 240 reads in all; the standby stops (immediate shutdown) after 40.
    const reader = async (n: number) => {
      for (let i = n; i < 240; i += 4) {
        if (answered >= 40 && !stopped) {
          stopped = true;
          await cluster.stopReplica();
        }
        const slug = slugs[i % slugs.length]!;
        const body = await readArticle(slug);
        if (body.errors || body.data?.article?.slug !== slug) failures.push(body.errors ?? body.data);
        answered += 1;
      }
    };
    await Promise.all([0, 1, 2, 3].map(reader));
    expect(failures).toEqual([]);
    expect(answered).toBe(240);
    expect(stopped).toBe(true);
    await waitFor(() => !replica().healthy, 'the stopped standby to be skipped');
    expect(replica().reason).toMatch(/unreachable|failed/);
  });
});
