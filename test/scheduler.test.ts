// Scheduled articles publish within seconds, exactly once, even with two gateways on one database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { publishDueArticles } from '../src/newsroom/editorial.js';
import { noFollower } from '../src/newsroom/events.js';
import { LiveHub } from '../src/newsroom/live.js';
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
      publishDueArticles({ prisma: db.prisma, live: noFollower }, new Date(), 7),
      publishDueArticles({ prisma: second.prisma, live: noFollower }, new Date(), 7),
      publishDueArticles({ prisma: db.prisma, live: noFollower }, new Date(), 7),
      publishDueArticles({ prisma: second.prisma, live: noFollower }, new Date(), 7),
    ]);
    while ((await publishDueArticles({ prisma: second.prisma, live: noFollower }, new Date(), 7)).length) {
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
    const schedulers = [db, second].map((d) => startScheduler({ prisma: d.prisma, live: noFollower, intervalMs: 100, logger }));
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

  it('a scheduler run wakes the live hub itself: its events are fanned out when the run ends', async () => {
    const logger = createLogger('silent');
    // The poll is an hour away: only the wake-up can deliver the event this soon.
    const live = new LiveHub(db.prisma, logger, { pollMs: 3_600_000 });
    await live.ready();
    await scheduleArticles(1, new Date(Date.now() - 1000), 'woken');
    const scheduler = startScheduler({ prisma: db.prisma, live, intervalMs: 3_600_000, logger });
    try {
      // The run the scheduler started at once.
      const [id] = (await scheduler.runOnce()) ?? [];
      const event = await db.prisma.storyEvent.findFirstOrThrow({ where: { articleId: id, type: 'PUBLISHED' } });
      expect(live.position).toBe(event.id);
    } finally {
      await scheduler.stop();
      await live.stop();
    }
  });
});
