// The seeders: the demo newsroom has what the sample page needs, seeding is all-or-nothing and
// refuses to mix with existing content, and the generator is deterministic.
// Runs on an in-memory PGlite; with TEST_DB=postgres (see test/vitest.config.ts), on a fresh
// database of TEST_DATABASE_URL's server instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN_STORY_SLUG, collections as demoCollections, popularity } from '../prisma/demo-content.js';
import { freshenDemo, isEmpty, resetContent, SeedRefusedError, seedDemo, seedGenerated } from '../prisma/seed.js';
import { noFollower } from '../src/newsroom/events.js';
import { refreshPopularity } from '../src/newsroom/popularity.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createTestDatabase, createTestGateway } from './helpers.js';

const TIMEOUT = 120_000;
const HOUR = 3_600_000;

/** A migrated, empty database (a copy of the run's template: see test/helpers.ts). */
const freshDatabase = () => createTestDatabase();

async function tableCounts(prisma: PrismaClient) {
  const [sections, authors, tags, media, articles, bylines, articleTags, corrections, editions, placements, collections, items, reads] =
    await Promise.all([
      prisma.section.count(),
      prisma.author.count(),
      prisma.tag.count(),
      prisma.media.count(),
      prisma.article.count(),
      prisma.articleAuthor.count(),
      prisma.articleTag.count(),
      prisma.correction.count(),
      prisma.edition.count(),
      prisma.editionPlacement.count(),
      prisma.collection.count(),
      prisma.collectionItem.count(),
      prisma.articleRead.count(),
    ]);
  return { sections, authors, tags, media, articles, bylines, articleTags, corrections, editions, placements, collections, items, reads };
}

/** Total reads per PUBLISHED article since `since`, most read first (ties by id). */
async function mostRead(prisma: PrismaClient, since: Date) {
  const sums = await prisma.articleRead.groupBy({
    by: ['articleId'],
    where: { bucket: { gte: since }, article: { status: 'PUBLISHED' } },
    _sum: { count: true },
  });
  const slugs = new Map(
    (await prisma.article.findMany({ where: { id: { in: sums.map((s) => s.articleId) } }, select: { id: true, slug: true } })).map((a) => [
      a.id,
      a.slug,
    ]),
  );
  return sums
    .map((s) => ({ slug: slugs.get(s.articleId)!, id: s.articleId, total: s._sum.count ?? 0 }))
    .sort((a, b) => b.total - a.total || b.id - a.id);
}

describe('demo newsroom', () => {
  // 15:00 in Pakistan on the day of the sample page.
  const now = new Date('2025-03-01T10:00:00Z');
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await freshDatabase();
    prisma = db.prisma;
    expect(await isEmpty(prisma)).toBe(true);
    await seedDemo(prisma, { now });
  }, TIMEOUT);
  afterAll(async () => db?.dispose());

  it('is no longer empty', async () => {
    expect(await isEmpty(prisma)).toBe(false);
  });

  it('has the main story: a Reuters wire story in World › Asia, published and updated', async () => {
    const story = await prisma.article.findUniqueOrThrow({
      where: { slug: MAIN_STORY_SLUG },
      include: {
        section: { include: { parent: true } },
        bylines: { include: { author: true }, orderBy: { position: 'asc' } },
        tags: { include: { tag: true } },
        heroMedia: true,
        corrections: true,
      },
    });
    expect(story.headline).toBe('China tells its AI leaders to avoid US travel over security concerns: report');
    expect(story).toMatchObject({ status: 'PUBLISHED', kind: 'NEWS', dateline: 'BEIJING' });
    expect(story.section.slug).toBe('asia');
    expect(story.section.parent?.slug).toBe('world');
    expect(story.bylines.map((b) => [b.author.slug, b.author.kind, b.role])).toEqual([['reuters', 'AGENCY', 'AGENCY']]);
    expect(story.publishedAt?.toISOString()).toBe('2025-03-01T01:10:00.000Z'); // 06:10 PKT
    expect(story.updatedAt?.toISOString()).toBe('2025-03-01T07:39:00.000Z'); // 12:39 PKT
    expect(story.tags.map((t) => t.tag.slug).sort()).toEqual(
      ['artificial-intelligence', 'china', 'deepseek', 'national-security', 'travel', 'united-states'].sort(),
    );
    expect(story.tags.find((t) => t.tag.slug === 'deepseek')?.tag.kind).toBe('ORGANISATION');
    expect(story.tags.find((t) => t.tag.slug === 'china')?.tag.kind).toBe('PLACE');
    expect(story.heroMedia?.caption).toBeTruthy();
    expect(story.heroMedia?.credit).toBe('Reuters');
    expect(story.corrections).toHaveLength(1);
    expect(story.corrections[0].createdAt.toISOString()).toBe(story.updatedAt?.toISOString());
    const paragraphs = story.body.split('\n\n');
    expect(paragraphs.length).toBeGreaterThanOrEqual(10);
    expect(story.body).toMatch(/Wall Street Journal reported/);
    expect(story.body).toMatch(/people familiar with the matter/);
    expect(story.body).toMatch(/“.+,” said/);
  });

  it('has the six editorials in the order of the sample page, with and without updates', async () => {
    const editorials = await prisma.article.findMany({
      where: { kind: 'EDITORIAL', status: 'PUBLISHED' },
      orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }],
      include: { section: { include: { parent: true } }, bylines: { include: { author: true } } },
    });
    expect(editorials.map((e) => e.headline)).toEqual([
      'Exceptional Assembly',
      'Haqqania bombing',
      'Blood and drugs',
      'No remorse',
      'Affordable Ramazan',
      'Grotesque vision',
    ]);
    expect(editorials.map((e) => e.updatedAt !== null)).toEqual([true, true, false, true, false, false]);
    const pktDay = (d: Date | null) => new Date(d!.getTime() + 5 * HOUR).toISOString().slice(0, 10);
    expect(editorials.map((e) => pktDay(e.publishedAt))).toEqual([
      '2025-03-01',
      '2025-03-01',
      '2025-03-01',
      '2025-02-28',
      '2025-02-28',
      '2025-02-28',
    ]);
    for (const e of editorials) {
      if (e.updatedAt) expect(pktDay(e.updatedAt)).toBe(pktDay(e.publishedAt));
      expect(e.section.slug).toBe('editorial');
      expect(e.section.parent?.slug).toBe('opinion');
      expect(e.bylines.map((b) => b.author.slug)).toEqual(['editorial-board']);
      expect(e.summary?.length).toBeGreaterThan(20);
      expect(e.body.split('\n\n').length).toBeGreaterThanOrEqual(3);
    }
  });

  it('has a week of published stories across sections, each with a byline and tags', async () => {
    const published = await prisma.article.findMany({
      where: { status: 'PUBLISHED' },
      include: { bylines: true, tags: true, section: true },
    });
    expect(published.length).toBeGreaterThanOrEqual(45);
    for (const a of published) {
      expect(a.publishedAt, a.slug).not.toBeNull();
      expect(a.publishedAt!.getTime()).toBeGreaterThanOrEqual(Date.parse('2025-02-23T00:00:00+05:00'));
      expect(a.publishedAt!.getTime()).toBeLessThan(Date.parse('2025-03-02T00:00:00+05:00'));
      expect(a.bylines.length, a.slug).toBeGreaterThan(0);
      expect(a.tags.length, a.slug).toBeGreaterThan(0);
      expect(a.slug).not.toMatch(/^(draft|scheduled|unpublished)-/);
    }
    expect(new Set(published.map((a) => a.kind))).toEqual(
      new Set(['NEWS', 'ANALYSIS', 'FEATURE', 'OPINION', 'EDITORIAL', 'REVIEW', 'LIVE']),
    );
    // The live blog with its posts, oldest to newest in id order.
    const blog = await prisma.article.findFirstOrThrow({
      where: { kind: 'LIVE', status: 'PUBLISHED' },
      include: { posts: { orderBy: { id: 'asc' } } },
    });
    expect(blog.posts.length).toBeGreaterThanOrEqual(5);
    expect(blog.posts.map((p) => p.postedAt.getTime())).toEqual(blog.posts.map((p) => p.postedAt.getTime()).sort((a, b) => a - b));
    expect(published.some((a) => a.bylines.length > 1)).toBe(true);
    const sections = await prisma.section.findMany({ include: { parent: true } });
    const world = sections.filter((s) => s.parent?.slug === 'world').sort((a, b) => a.position - b.position);
    expect(world.map((s) => s.slug)).toEqual(['asia', 'americas', 'middle-east', 'europe']);
    const authorKinds = await prisma.author.groupBy({ by: ['kind'], _count: true });
    expect(authorKinds.map((k) => k.kind).sort()).toEqual(['AGENCY', 'CONTRIBUTOR', 'STAFF']);
    const tagKinds = await prisma.tag.groupBy({ by: ['kind'], _count: true });
    expect(tagKinds.map((k) => k.kind).sort()).toEqual(['ORGANISATION', 'PERSON', 'PLACE', 'TOPIC']);
    // Stories that share a tag with the main story, for "Read more".
    const related = await prisma.article.count({
      where: {
        status: 'PUBLISHED',
        slug: { not: MAIN_STORY_SLUG },
        tags: { some: { tag: { slug: { in: ['china', 'artificial-intelligence', 'deepseek'] } } } },
      },
    });
    expect(related).toBeGreaterThanOrEqual(5);
  });

  it('has seven daily e-paper editions with ordered placements of that day’s stories, and a print edition', async () => {
    const dailies = await prisma.edition.findMany({
      where: { kind: 'DAILY' },
      orderBy: { date: 'asc' },
      include: { placements: { include: { article: true }, orderBy: [{ page: 'asc' }, { position: 'asc' }] } },
    });
    expect(dailies.map((e) => e.slug)).toEqual([
      'daily-2025-02-23',
      'daily-2025-02-24',
      'daily-2025-02-25',
      'daily-2025-02-26',
      'daily-2025-02-27',
      'daily-2025-02-28',
      'daily-2025-03-01',
    ]);
    const latest = dailies[dailies.length - 1];
    expect(latest.name).toBe('E-Paper | March 01, 2025');
    expect(latest.date.toISOString().slice(0, 10)).toBe('2025-03-01');
    expect(latest.placements[0]).toMatchObject({ page: 1, position: 1 });
    expect(latest.placements[0].article.slug).toBe(MAIN_STORY_SLUG);
    for (const edition of dailies) {
      expect(edition.placements.length, edition.slug).toBeGreaterThanOrEqual(5);
      const day = edition.slug.slice('daily-'.length);
      for (const p of edition.placements) {
        if (p.article.status !== 'PUBLISHED') continue;
        expect(new Date(p.article.publishedAt!.getTime() + 5 * HOUR).toISOString().slice(0, 10), p.article.slug).toBe(day);
      }
      // Positions on each page run 1, 2, 3 …
      const byPage = new Map<number, number[]>();
      for (const p of edition.placements) byPage.set(p.page, [...(byPage.get(p.page) ?? []), p.position]);
      for (const positions of byPage.values()) expect(positions).toEqual(positions.map((_, i) => i + 1));
    }
    const print = await prisma.edition.findMany({ where: { kind: { not: 'DAILY' } }, include: { placements: true } });
    expect(print.length).toBeGreaterThanOrEqual(1);
    expect(print[0].placements.length).toBeGreaterThan(0);
  });

  it('has the Must Read collection in order (a withdrawn story included) and another collection', async () => {
    const mustRead = await prisma.collection.findUniqueOrThrow({
      where: { slug: 'must-read' },
      include: { items: { orderBy: { position: 'asc' }, include: { article: true } } },
    });
    expect(mustRead.name).toBe('Must Read');
    const expected = demoCollections.find((c) => c.slug === 'must-read')!.items;
    expect(mustRead.items.map((i) => i.article.slug)).toEqual(expected);
    expect(mustRead.items.map((i) => i.position)).toEqual(expected.map((_, i) => i + 1));
    expect(mustRead.items.filter((i) => i.article.status === 'PUBLISHED')).toHaveLength(6);
    expect(mustRead.items.some((i) => i.article.status === 'UNPUBLISHED')).toBe(true);
    expect(await prisma.collection.findUnique({ where: { slug: 'weekend-reads' } })).not.toBeNull();
  });

  it('has non-public stories readers must never see, linked to everything a reader can reach', async () => {
    const hidden = await prisma.article.findMany({
      where: { status: { not: 'PUBLISHED' } },
      include: { bylines: true, tags: true, reads: true, placements: true, collectionItems: true },
      orderBy: { id: 'asc' },
    });
    const drafts = hidden.filter((a) => a.status === 'DRAFT');
    const scheduled = hidden.filter((a) => a.status === 'SCHEDULED');
    const unpublished = hidden.filter((a) => a.status === 'UNPUBLISHED');
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    expect(unpublished.length).toBeGreaterThanOrEqual(1);
    for (const a of drafts) {
      expect(a.slug).toMatch(/^draft-/);
      expect(a.publishedAt).toBeNull();
    }
    for (const a of scheduled) {
      expect(a.slug).toMatch(/^scheduled-/);
      expect(a.publishedAt).toBeNull();
      expect(a.scheduledAt!.getTime()).toBeGreaterThan(now.getTime());
    }
    for (const a of unpublished) {
      expect(a.slug).toMatch(/^unpublished-/);
      expect(a.publishedAt).not.toBeNull();
      expect(a.placements.length).toBeGreaterThan(0);
      expect(a.collectionItems.length).toBeGreaterThan(0);
    }
    for (const a of hidden) {
      expect(a.bylines.length, a.slug).toBeGreaterThan(0);
      expect(a.tags.length, a.slug).toBeGreaterThan(0);
      expect(a.reads.length, a.slug).toBeGreaterThan(0);
    }
  });

  it('has hourly read counts over the last 7 days giving a clear Most Popular order', async () => {
    const reads = await prisma.articleRead.findMany({ select: { bucket: true } });
    for (const r of reads) {
      expect(r.bucket.getTime() % HOUR).toBe(0);
      expect(r.bucket.getTime()).toBeGreaterThan(now.getTime() - 7 * 24 * HOUR);
      expect(r.bucket.getTime()).toBeLessThanOrEqual(now.getTime());
    }
    const week = await mostRead(prisma, new Date(now.getTime() - 7 * 24 * HOUR));
    const day = await mostRead(prisma, new Date(now.getTime() - 24 * HOUR));
    const publicOrder = popularity.filter((slug) => !/^(draft|scheduled|unpublished)-/.test(slug));
    expect(week[0].slug).toBe(MAIN_STORY_SLUG);
    expect(week.map((r) => r.slug)).toEqual(publicOrder);
    expect(day.map((r) => r.slug)).toEqual(publicOrder);
    // No ties among the nine shown.
    for (let i = 1; i < 9; i++) expect(week[i].total).toBeLessThan(week[i - 1].total);
  });

  it('moved the id sequences past the seeded rows', async () => {
    const tag = await prisma.tag.create({ data: { slug: 'seed-test-tag', name: 'Seed test' } });
    const maxId = (await prisma.tag.aggregate({ _max: { id: true } }))._max.id!;
    expect(tag.id).toBe(maxId);
    await prisma.tag.delete({ where: { id: tag.id } });
  });

  it(
    'refuses to seed again without reset, and changes nothing',
    async () => {
      const before = await tableCounts(prisma);
      await expect(seedDemo(prisma, { now })).rejects.toThrow(SeedRefusedError);
      await expect(seedDemo(prisma, { now })).rejects.toThrow(/reset/);
      await expect(seedGenerated(prisma, { articles: 10, seed: 1, now })).rejects.toThrow(SeedRefusedError);
      expect(await tableCounts(prisma)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'seeds again over existing content with reset, to the same content',
    async () => {
      const before = await tableCounts(prisma);
      const slugs = async () => await prisma.article.findMany({ orderBy: { id: 'asc' }, select: { id: true, slug: true } });
      const before2 = await slugs();
      await seedDemo(prisma, { now, reset: true });
      expect(await tableCounts(prisma)).toEqual(before);
      expect(await slugs()).toEqual(before2);
    },
    TIMEOUT,
  );

  it(
    'resetContent empties every content table',
    async () => {
      await resetContent(prisma);
      expect(Object.values(await tableCounts(prisma)).every((n) => n === 0)).toBe(true);
      expect(await isEmpty(prisma)).toBe(true);
      await seedDemo(prisma, { now });
      expect(await isEmpty(prisma)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'seeded long ago, it is kept alive on any date: Most Popular holds nine and there is an e-paper for today (freshenDemo)',
    async () => {
      // Seeded with the clock on the sample page's day (above); read today, as `npm start` would.
      const gateway = createTestGateway(db);
      const front = async () =>
        (
          await gateway.query(`{
            mostPopular(window: WEEK, first: 9) { slug }
            editions(first: 1, kind: DAILY) { edges { node { name date placements { article { slug } } } } }
          }`)
        ).data;
      const today = new Date();
      await refreshPopularity(prisma, today); // what every gateway does every minute
      const stale = await front();
      expect(stale.mostPopular).toEqual([]);
      expect(stale.editions.edges[0].node.date).toBe('2025-03-01');

      const events = await prisma.storyEvent.count();
      await freshenDemo({ prisma, live: noFollower }, today);
      const fresh = await front();
      const publicOrder = popularity.filter((slug) => !/^(draft|scheduled|unpublished)-/.test(slug));
      expect(fresh.mostPopular.map((a: { slug: string }) => a.slug)).toEqual(publicOrder.slice(0, 9));
      const paperDay = new Date(today.getTime() + 5 * HOUR).toISOString().slice(0, 10);
      const edition = fresh.editions.edges[0].node;
      expect(edition.date).toBe(paperDay);
      expect(edition.name).toMatch(/^E-Paper \| [A-Z][a-z]+ \d{2}, \d{4}$/);
      expect(edition.placements.map((p: { article: { slug: string } }) => p.article.slug)).toEqual(
        stale.editions.edges[0].node.placements.map((p: { article: { slug: string } }) => p.article.slug),
      );
      expect(await prisma.storyEvent.count({ where: { type: 'EDITION_CREATED' } })).toBe(1);

      // Again (a second gateway, the next tick): nothing changes.
      const counts = await tableCounts(prisma);
      await freshenDemo({ prisma, live: noFollower }, today);
      expect(await tableCounts(prisma)).toEqual(counts);
      expect(await prisma.storyEvent.count()).toBe(events + 1);

      // A database the demo was not loaded into is left alone.
      await resetContent(prisma);
      await freshenDemo({ prisma, live: noFollower }, today);
      expect(Object.values(await tableCounts(prisma)).every((n) => n === 0)).toBe(true);
    },
    TIMEOUT,
  );
});

describe('generated newsroom', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  const articles = 100;
  let first: Awaited<ReturnType<typeof freshDatabase>>;
  let second: Awaited<ReturnType<typeof freshDatabase>>;

  const snapshot = async (prisma: PrismaClient) => ({
    articles: await prisma.article.findMany({
      orderBy: { id: 'asc' },
      select: {
        id: true,
        slug: true,
        headline: true,
        summary: true,
        body: true,
        status: true,
        kind: true,
        sectionId: true,
        publishedAt: true,
        updatedAt: true,
        scheduledAt: true,
        heroMediaId: true,
      },
    }),
    bylines: await prisma.articleAuthor.findMany({ orderBy: [{ articleId: 'asc' }, { position: 'asc' }] }),
    tags: await prisma.articleTag.findMany({ orderBy: [{ articleId: 'asc' }, { tagId: 'asc' }] }),
    placements: await prisma.editionPlacement.findMany({ orderBy: { id: 'asc' } }),
    reads: await prisma.articleRead.findMany({ orderBy: [{ articleId: 'asc' }, { bucket: 'asc' }] }),
  });

  beforeAll(async () => {
    [first, second] = await Promise.all([freshDatabase(), freshDatabase()]);
  }, TIMEOUT);
  afterAll(async () => {
    await first?.dispose();
    await second?.dispose();
  });

  it(
    'gives identical rows for the same seed on two fresh databases',
    async () => {
      await seedGenerated(first.prisma, { articles, seed: 42, now });
      await seedGenerated(second.prisma, { articles, seed: 42, now });
      const a = await snapshot(first.prisma);
      const b = await snapshot(second.prisma);
      expect(a.articles).toHaveLength(articles);
      expect(a.articles.map((x) => x.id)).toEqual(Array.from({ length: articles }, (_, i) => i + 1));
      expect(b).toEqual(a);
    },
    TIMEOUT,
  );

  it(
    'has the shape it promises',
    async () => {
      const prisma = first.prisma;
      const counts = await tableCounts(prisma);
      expect(counts.sections).toBeGreaterThanOrEqual(25);
      expect(counts.authors).toBe(500);
      expect(counts.tags).toBe(2000);
      expect(counts.editions).toBeGreaterThanOrEqual(60);
      expect(counts.collections).toBeGreaterThanOrEqual(3);
      expect(await prisma.section.count({ where: { parentId: { not: null } } })).toBeGreaterThan(10);
      expect(await prisma.author.count({ where: { kind: 'AGENCY' } })).toBeGreaterThanOrEqual(3);

      const rows = await prisma.article.findMany({ include: { _count: { select: { bylines: true, tags: true } } } });
      const published = rows.filter((r) => r.status === 'PUBLISHED');
      expect(published.length / rows.length).toBeGreaterThan(0.9);
      expect(published.length).toBeLessThan(rows.length);
      for (const r of rows) {
        expect(r._count.bylines, r.slug).toBeGreaterThanOrEqual(1);
        expect(r._count.bylines, r.slug).toBeLessThanOrEqual(3);
        expect(r._count.tags, r.slug).toBeGreaterThanOrEqual(2);
        expect(r._count.tags, r.slug).toBeLessThanOrEqual(6);
        if (r.status === 'PUBLISHED' || r.status === 'UNPUBLISHED') {
          expect(r.publishedAt!.getTime()).toBeLessThanOrEqual(now.getTime());
          expect(r.publishedAt!.getTime()).toBeGreaterThan(now.getTime() - 366 * 24 * HOUR);
        } else expect(r.publishedAt).toBeNull();
        if (r.status === 'SCHEDULED') expect(r.scheduledAt!.getTime()).toBeGreaterThan(now.getTime());
        if (r.status !== 'PUBLISHED') expect(r.slug.startsWith(`${r.status.toLowerCase()}-`)).toBe(true);
        expect(r.body.split(/\s+/).length).toBeGreaterThan(100);
      }
      // Full-text search finds generated stories.
      const hits = await prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "Article" WHERE "searchVector" @@ websearch_to_tsquery('english', 'officials')`,
      );
      expect(hits[0].n).toBeGreaterThan(0);
      // Sequences follow the explicit ids.
      const created = await prisma.article.create({ data: { slug: 'after-the-seed', headline: 'After', sectionId: 1 } });
      expect(created.id).toBe(articles + 1);
      await prisma.article.delete({ where: { id: created.id } });
    },
    TIMEOUT,
  );

  it(
    'gives different rows for another seed',
    async () => {
      const a = await snapshot(first.prisma);
      await seedGenerated(second.prisma, { articles, seed: 43, now, reset: true });
      const b = await snapshot(second.prisma);
      expect(b.articles).toHaveLength(articles);
      expect(b.articles.map((x) => x.slug)).not.toEqual(a.articles.map((x) => x.slug));
      expect(b.articles.map((x) => x.headline)).not.toEqual(a.articles.map((x) => x.headline));
    },
    TIMEOUT,
  );
});
