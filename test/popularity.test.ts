// Most Popular reads a precomputed ranking: recomputed from the read counts once per interval by
// one gateway, with every window summed from the hourly buckets, published articles only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { refreshPopularity, refreshPopularityIfDue, windowStart } from '../src/newsroom/popularity.js';
import {
  createTestDatabase,
  createTestGateway,
  databaseUrl,
  globalId,
  onPostgres,
  type TestDatabase,
  type TestGateway,
} from './helpers.js';

const HOUR = 3_600_000;
let db: TestDatabase;
let second: Database;
let gw: TestGateway;
const ids: Record<string, number> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  // A second gateway's own pool on the same PostgreSQL database; on PGlite it shares the client.
  second = onPostgres ? await openDatabase({ kind: 'postgres', url: await databaseUrl(db), poolSize: 3 }) : db;
  gw = createTestGateway(db);
  const section = await db.prisma.section.create({ data: { slug: 'world', name: 'World' } });
  const author = await db.prisma.author.create({ data: { slug: 'reuters', name: 'Reuters', kind: 'AGENCY' } });
  for (const slug of ['hour-star', 'day-star', 'week-star', 'month-star', 'draft']) {
    const article = await db.prisma.article.create({
      data: {
        slug,
        headline: slug,
        status: slug === 'draft' ? 'DRAFT' : 'PUBLISHED',
        publishedAt: slug === 'draft' ? null : new Date(),
        sectionId: section.id,
        bylines: { create: [{ authorId: author.id, role: 'AGENCY' }] },
      },
    });
    ids[slug] = article.id;
  }
  const now = Date.now();
  const bucket = (agoHours: number) => new Date(Math.floor((now - agoHours * HOUR) / HOUR) * HOUR);
  // Each article leads exactly one window: its reads sit just inside that window and no shorter one.
  await db.prisma.articleRead.createMany({
    data: [
      { articleId: ids['hour-star']!, bucket: bucket(0), count: 50 },
      { articleId: ids['day-star']!, bucket: bucket(5), count: 80 },
      { articleId: ids['week-star']!, bucket: bucket(3 * 24), count: 120 },
      { articleId: ids['month-star']!, bucket: bucket(20 * 24), count: 200 },
      { articleId: ids.draft!, bucket: bucket(0), count: 1000 },
    ],
  });
});
afterAll(async () => {
  if (second !== db) await second?.close();
  await db?.dispose();
});

const popular = async (window: string) => {
  const response = await gw.query(`{ mostPopular(window: ${window}, first: 10) { slug }
    list: articles(first: 10, orderBy: MOST_READ, window: ${window}) { totalCount edges { node { slug } } } }`);
  expect(response.errors).toBeUndefined();
  const slugs = response.data.mostPopular.map((a: { slug: string }) => a.slug);
  // The MOST_READ list reads the same ranking.
  expect(response.data.list.edges.map((e: { node: { slug: string } }) => e.node.slug)).toEqual(slugs);
  expect(response.data.list.totalCount).toBe(slugs.length);
  return slugs;
};

describe('Most Popular', () => {
  it('is empty until the ranking is computed, then sums each window, published articles only', async () => {
    expect(await popular('MONTH')).toEqual([]);
    await refreshPopularity(db.prisma);
    expect(await popular('HOUR')).toEqual(['hour-star']);
    expect(await popular('DAY')).toEqual(['day-star', 'hour-star']);
    expect(await popular('WEEK')).toEqual(['week-star', 'day-star', 'hour-star']);
    expect(await popular('MONTH')).toEqual(['month-star', 'week-star', 'day-star', 'hour-star']);
  });

  it('moves with new reads at the next refresh, and drops what left every window', async () => {
    const read = (slug: string) => gw.query(`mutation($id: ID!) { recordRead(id: $id) }`, { id: globalId('Article', ids[slug]!) });
    for (let i = 0; i < 60; i++) await read('day-star');
    expect((await popular('HOUR'))[0]).toBe('hour-star');
    await refreshPopularity(db.prisma);
    expect(await popular('HOUR')).toEqual(['day-star', 'hour-star']);
    // A month later, only the newest buckets still count.
    const later = new Date(Date.now() + 30 * 24 * HOUR);
    await refreshPopularity(db.prisma, later);
    const rows = await db.prisma.popularArticle.findMany({ select: { window: true, articleId: true } });
    const recent = await db.prisma.articleRead.findMany({
      where: { bucket: { gte: windowStart('MONTH', later) } },
      select: { articleId: true },
    });
    expect(new Set(rows.map((r) => r.articleId))).toEqual(new Set(recent.map((r) => r.articleId)));
    await refreshPopularity(db.prisma);
  });

  it('costs one statement with its article cards, however long the list', async () => {
    const document = `query($n: Int!) { mostPopular(window: MONTH, first: $n) { slug section { name } byline { author { name } } tags { name } } }`;
    const small = await gw.countStatements(document, { n: 1 });
    const large = await gw.countStatements(document, { n: 4 });
    expect(large.response.data.mostPopular).toHaveLength(4);
    expect(small.count).toBe(1);
    expect(large.count).toBe(1);
  });

  it('is refreshed by one gateway per interval, however many ask at once', async () => {
    await db.prisma.jobRun.deleteMany();
    const runs = await Promise.all([db, second, db, second].map((d) => refreshPopularityIfDue(d.prisma, 60_000)));
    expect(runs.filter(Boolean)).toHaveLength(1);
    // Within the interval nobody runs it again; after it, one does.
    expect(await refreshPopularityIfDue(second.prisma, 60_000)).toBe(false);
    const later = new Date(Date.now() + 61_000);
    const again = await Promise.all([db, second].map((d) => refreshPopularityIfDue(d.prisma, 60_000, later)));
    expect(again.filter(Boolean)).toHaveLength(1);
    expect((await db.prisma.jobRun.findUniqueOrThrow({ where: { job: 'popularity' } })).lastRunAt).toEqual(later);
  });
});
