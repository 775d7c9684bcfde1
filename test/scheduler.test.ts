// Scheduled articles publish within seconds, exactly once, even with two gateways on one database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { publishDueArticles } from '../src/newsroom/editorial.js';
import { startScheduler } from '../src/newsroom/scheduler.js';
import { createTestDatabase, databaseUrl, onPostgres, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let second: Database;
let sectionId: number;
let authorId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  // A second gateway's own connection pool on the same PostgreSQL database; on PGlite (one
  // in-process database) the second instance shares the client.
  second = onPostgres ? await openDatabase({ kind: 'postgres', url: await databaseUrl(db), poolSize: 5 }) : db;
  sectionId = (await db.prisma.section.create({ data: { slug: 'world', name: 'World' } })).id;
  authorId = (await db.prisma.author.create({ data: { slug: 'reuters', name: 'Reuters', kind: 'AGENCY' } })).id;
});
afterAll(async () => {
  if (second !== db) await second?.close();
  await db?.dispose();
});

async function scheduleArticles(count: number, at: Date, prefix: string) {
  for (let i = 0; i < count; i += 1) {
    await db.prisma.article.create({
      data: {
        slug: `${prefix}-${i}`,
        headline: `Scheduled ${i}`,
        status: 'SCHEDULED',
        scheduledAt: at,
        sectionId,
        bylines: { create: [{ authorId, role: 'AGENCY' }] },
      },
    });
  }
}

describe('scheduler', () => {
  it('two instances racing publish every due article exactly once', async () => {
    await scheduleArticles(30, new Date(Date.now() - 1000), 'race');
    await scheduleArticles(3, new Date(Date.now() + 3_600_000), 'later');
    const runs = await Promise.all([
      publishDueArticles(db.prisma, new Date(), 7),
      publishDueArticles(second.prisma, new Date(), 7),
      publishDueArticles(db.prisma, new Date(), 7),
      publishDueArticles(second.prisma, new Date(), 7),
    ]);
    while ((await publishDueArticles(second.prisma, new Date(), 7)).length) {
      // drain what the four racing runs left
    }
    const published = runs.flat();
    expect(new Set(published).size).toBe(published.length);
    const events = await db.prisma.storyEvent.groupBy({ by: ['articleId'], where: { type: 'PUBLISHED' }, _count: true });
    expect(events).toHaveLength(30);
    expect(events.every((e) => e._count === 1)).toBe(true);
    const articles = await db.prisma.article.findMany({ where: { slug: { startsWith: 'race-' } } });
    expect(articles.every((a) => a.status === 'PUBLISHED' && a.publishedAt && a.scheduledAt === null && a.version === 2)).toBe(true);
    expect(await db.prisma.article.count({ where: { slug: { startsWith: 'later-' }, status: 'SCHEDULED' } })).toBe(3);
    expect(await db.prisma.revision.count({ where: { article: { slug: { startsWith: 'race-' } } } })).toBe(30);
  });

  it('running schedulers publish an article within seconds of its time, once', async () => {
    const logger = createLogger('silent');
    const schedulers = [db, second].map((d) => startScheduler({ prisma: d.prisma, intervalMs: 100, logger }));
    try {
      await scheduleArticles(1, new Date(Date.now() + 500), 'soon');
      await expect
        .poll(async () => (await db.prisma.article.findUniqueOrThrow({ where: { slug: 'soon-0' } })).status, {
          timeout: 5000,
          interval: 100,
        })
        .toBe('PUBLISHED');
      const article = await db.prisma.article.findUniqueOrThrow({ where: { slug: 'soon-0' } });
      expect(await db.prisma.storyEvent.count({ where: { articleId: article.id, type: 'PUBLISHED' } })).toBe(1);
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
    }
  });
});
