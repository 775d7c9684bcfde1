// Seeding: the demo newsroom (prisma/demo-content.ts) and a deterministic generator of any size
// (prisma/generator.ts). Running code reaches this module only through `loadSeeders()` in
// src/db/seeding.ts (start-up on an empty database, `scripts/db.ts seed`), never by a static import.
//
// Both seeders write explicit ids (so relations are written without reading anything back), run in
// one transaction (all or nothing), refuse a database that already has content unless asked to
// reset it, and finish by moving the id sequences past the rows they wrote.
import { DEMO_JOB } from '../src/db/seeding.js';
import type { Prisma, PrismaClient } from '../src/generated/prisma/client.js';
import { parseBody } from '../src/newsroom/body.js';
import { type LogFollower, writeWithEvents } from '../src/newsroom/events.js';
import { refreshPopularity } from '../src/newsroom/popularity.js';
import * as demo from './demo-content.js';
import { NewsroomGenerator } from './generator.js';

/** A client or the client inside a transaction: everything here works with either. */
type Db = PrismaClient | Prisma.TransactionClient;

/** Thrown when seeding would write over existing content and `reset` was not given. */
export class SeedRefusedError extends Error {
  override name = 'SeedRefusedError';
}

/** Content tables, children before parents. `_prisma_migrations` is never touched. */
export const CONTENT_TABLES = [
  'StoryEvent',
  'PopularArticle',
  'ArticleRead',
  'CollectionItem',
  'Collection',
  'EditionPlacement',
  'Edition',
  'Correction',
  'ArticleTag',
  'ArticleAuthor',
  'ArticleBodyMedia',
  'LivePostMedia',
  'LivePost',
  'Article',
  'Media',
  'Tag',
  'Author',
  'Section',
] as const;

/** Tables with a SERIAL id whose sequence must follow explicit ids. */
const SERIAL_TABLES = [
  'LivePost',
  'Section',
  'Author',
  'Tag',
  'Media',
  'Article',
  'Correction',
  'Edition',
  'EditionPlacement',
  'Collection',
] as const;

const HOUR = 3_600_000;

export { isEmpty } from '../src/db/seeding.js';

/**
 * Empties every content table and restarts its ids. CASCADE also empties any table that
 * references them (for example an event outbox keyed by article).
 */
export async function resetContent(prisma: Db): Promise<void> {
  await prisma.$executeRawUnsafe(`TRUNCATE ${CONTENT_TABLES.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`);
  // The content is no longer the demo's: nothing keeps it fresh.
  await prisma.$executeRaw`DELETE FROM "JobRun" WHERE job = ${DEMO_JOB}`;
}

async function hasContent(db: Db): Promise<boolean> {
  const exists = CONTENT_TABLES.map((t) => `EXISTS (SELECT 1 FROM "${t}")`).join(' OR ');
  const rows = await db.$queryRawUnsafe<{ any: boolean }[]>(`SELECT (${exists}) AS "any"`);
  return rows[0]?.any === true;
}

/** Resets (when asked) or refuses a database that already has content. */
async function prepare(db: Db, reset: boolean | undefined): Promise<void> {
  if (reset) {
    await resetContent(db);
    return;
  }
  if (await hasContent(db)) {
    throw new SeedRefusedError(
      'The database already has content; seeding would mix with it. Nothing was written. ' +
        'Pass --reset (reset: true) to empty the content tables first.',
    );
  }
}

/** Moves every id sequence past the largest id, so later inserts without an id work. */
async function resetSequences(db: Db): Promise<void> {
  for (const table of SERIAL_TABLES) {
    await db.$queryRawUnsafe(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM "${table}"`);
  }
}

/**
 * Multi-row insert with a single parameter: the rows as a JSON array, expanded by PostgreSQL with
 * json_populate_recordset. Keys of the first row name the columns; values use the columns' text
 * formats (ISO times, enum labels), so it works the same on PGlite and PostgreSQL.
 */
async function insertRows(db: Db, table: string, rows: readonly object[], chunk = 5000): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0])
    .map((c) => `"${c}"`)
    .join(', ');
  const sql = `INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::"${table}", $1::json)`;
  for (let i = 0; i < rows.length; i += chunk) {
    await db.$executeRawUnsafe(sql, JSON.stringify(rows.slice(i, i + chunk)));
  }
}

// ── Demo ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Loads the demo newsroom in one transaction. ArticleRead buckets and the SCHEDULED story's time
 * are relative to `now` (default: the current time); everything else has fixed dates.
 */
export async function seedDemo(prisma: PrismaClient, options: { reset?: boolean; now?: Date } = {}): Promise<void> {
  const now = options.now ?? new Date();
  const plan = planDemo(now);
  await prisma.$transaction(
    async (tx) => {
      await prepare(tx, options.reset);
      await tx.section.createMany({ data: plan.sections });
      await tx.author.createMany({ data: plan.authors });
      await tx.tag.createMany({ data: plan.tags });
      await tx.media.createMany({ data: plan.media });
      await tx.article.createMany({ data: plan.articles });
      await tx.articleBodyMedia.createMany({ data: plan.bodyMedia });
      await tx.livePost.createMany({ data: plan.livePosts });
      await tx.livePostMedia.createMany({ data: plan.livePostMedia });
      await tx.articleAuthor.createMany({ data: plan.bylines });
      await tx.articleTag.createMany({ data: plan.articleTags });
      await tx.correction.createMany({ data: plan.corrections });
      await tx.edition.createMany({ data: plan.editions });
      await tx.editionPlacement.createMany({ data: plan.placements });
      await tx.collection.createMany({ data: plan.collections });
      await tx.collectionItem.createMany({ data: plan.collectionItems });
      await tx.articleRead.createMany({ data: plan.reads });
      await refreshPopularity(tx, now);
      await resetSequences(tx);
      // Marks the database as the demo's, for freshenDemo (start-up finds it without loading this module).
      await tx.$executeRaw`INSERT INTO "JobRun" (job, "lastRunAt") VALUES (${DEMO_JOB}, ${now})
        ON CONFLICT (job) DO UPDATE SET "lastRunAt" = EXCLUDED."lastRunAt"`;
    },
    { maxWait: 30_000, timeout: 300_000 },
  );
}

/**
 * Keeps a demo newsroom alive on any date, however long ago it was seeded: its stories keep
 * being read (the hourly reads of the last 7 days up to `now` are topped up, so Most Popular of
 * any window up to a week holds its nine) and the paper has a daily e-paper for today (in the
 * paper's time zone), laid out as its newest edition was. Idempotent: what exists is left alone,
 * so any number of gateways may run it at once. Writes EDITION_CREATED when it adds an edition.
 * Does nothing on a database the demo was not loaded into.
 */
export async function freshenDemo(target: { prisma: PrismaClient; live: LogFollower }, now = new Date()): Promise<void> {
  await writeWithEvents(
    target,
    async (tx, append) => {
      const marker = await tx.jobRun.findUnique({ where: { job: DEMO_JOB } });
      if (!marker) return;
      const ids = new Map(
        (await tx.article.findMany({ where: { slug: { in: [...demo.popularity] } }, select: { id: true, slug: true } })).map((a) => [
          a.slug,
          a.id,
        ]),
      );
      const reads = demoReads(now, (slug) => ids.get(slug));
      await tx.articleRead.createMany({ data: reads, skipDuplicates: true });
      await refreshPopularity(tx, now);

      const today = pktDate(now);
      const date = new Date(`${today}T00:00:00Z`);
      const exists = await tx.edition.findUnique({ where: { kind_date: { kind: 'DAILY', date } }, select: { id: true } });
      if (exists) return;
      const newest = await tx.edition.findFirst({
        where: { kind: 'DAILY', date: { lt: date } },
        orderBy: { date: 'desc' },
        select: { placements: { select: { articleId: true, page: true, position: true } } },
      });
      const label = new Intl.DateTimeFormat('en-US', { month: 'long', day: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(date);
      const created = await tx.edition.createManyAndReturn({
        data: [{ slug: `daily-${today}`, name: `E-Paper | ${label}`, kind: 'DAILY', date }],
        skipDuplicates: true, // another gateway got there first
        select: { id: true },
      });
      const editionId = created[0]?.id;
      if (editionId === undefined) return;
      await tx.editionPlacement.createMany({ data: (newest?.placements ?? []).map((p) => ({ ...p, editionId })) });
      await append({ type: 'EDITION_CREATED', editionId });
    },
    { timeout: 60_000 },
  );
}

/** Hour of day in Pakistan time. */
const pktHour = (ms: number) => new Date(ms + 5 * HOUR).getUTCHours();
/** YYYY-MM-DD in Pakistan time. */
const pktDate = (d: Date) => new Date(d.getTime() + 5 * HOUR).toISOString().slice(0, 10);
/** Reads per hour of day (Pakistan time) added to every article alike, so it never reorders them. */
const DIURNAL = [2, 1, 1, 0, 0, 0, 1, 3, 6, 8, 9, 9, 8, 8, 7, 7, 8, 9, 10, 10, 9, 7, 5, 3];

/** Turns demo-content.ts into rows with ids, checking every reference. Pure: no database. */
export function planDemo(now: Date) {
  const idOf = <T extends { slug: string }>(items: readonly T[], what: string) => {
    const ids = new Map(items.map((item, i) => [item.slug, i + 1]));
    if (ids.size !== items.length) throw new Error(`Duplicate ${what} slug in the demo content`);
    return (slug: string) => {
      const id = ids.get(slug);
      if (id === undefined) throw new Error(`Demo content refers to unknown ${what} "${slug}"`);
      return id;
    };
  };
  const sectionId = idOf(demo.sections, 'section');
  const authorId = idOf(demo.authors, 'author');
  const tagId = idOf(demo.tags, 'tag');
  const articleId = idOf(demo.articles, 'article');
  const mediaIds = new Map(demo.media.map((m, i) => [m.key, i + 1]));
  const mediaId = (key: string) => {
    const id = mediaIds.get(key);
    if (id === undefined) throw new Error(`Demo content refers to unknown media "${key}"`);
    return id;
  };
  const established = new Date('2025-01-01T00:00:00+05:00');

  const sections: Prisma.SectionCreateManyInput[] = demo.sections.map((s, i) => ({
    id: i + 1,
    slug: s.slug,
    name: s.name,
    description: s.description ?? null,
    parentId: s.parent ? sectionId(s.parent) : null,
    position: s.position,
    createdAt: established,
  }));
  const rootOf = (slug: string): string => {
    const s = demo.sections.find((x) => x.slug === slug);
    return s?.parent ? rootOf(s.parent) : slug;
  };

  const authors: Prisma.AuthorCreateManyInput[] = demo.authors.map((a, i) => ({
    id: i + 1,
    slug: a.slug,
    name: a.name,
    bio: a.bio,
    kind: a.kind,
    avatarUrl: a.avatarUrl ?? null,
    createdAt: established,
  }));
  const tags: Prisma.TagCreateManyInput[] = demo.tags.map((t, i) => ({
    id: i + 1,
    slug: t.slug,
    name: t.name,
    kind: t.kind,
    createdAt: established,
  }));
  const media: Prisma.MediaCreateManyInput[] = demo.media.map((m, i) => ({
    id: i + 1,
    url: m.url,
    caption: m.caption,
    credit: m.credit,
    altText: m.altText,
    width: m.width,
    height: m.height,
    createdAt: established,
  }));

  const articles: Prisma.ArticleCreateManyInput[] = [];
  const bylines: Prisma.ArticleAuthorCreateManyInput[] = [];
  const articleTags: Prisma.ArticleTagCreateManyInput[] = [];
  const corrections: Prisma.CorrectionCreateManyInput[] = [];
  const bodyMedia: Prisma.ArticleBodyMediaCreateManyInput[] = [];
  const livePosts: Prisma.LivePostCreateManyInput[] = [];
  const livePostMedia: Prisma.LivePostMediaCreateManyInput[] = [];
  demo.articles.forEach((a, i) => {
    const id = i + 1;
    const publishedAt = a.publishedAt ? new Date(a.publishedAt) : null;
    const updatedAt = a.updatedAt ? new Date(a.updatedAt) : null;
    const scheduledAt = a.scheduledInHours !== undefined ? new Date(now.getTime() + a.scheduledInHours * HOUR) : null;
    const hasPublished = a.status === 'PUBLISHED' || a.status === 'UNPUBLISHED';
    if (hasPublished !== (publishedAt !== null))
      throw new Error(`Demo article ${a.slug}: publishedAt must be set exactly when it has been published`);
    if ((a.status === 'SCHEDULED') !== (scheduledAt !== null))
      throw new Error(`Demo article ${a.slug}: scheduledInHours goes with SCHEDULED`);
    if (updatedAt && publishedAt && updatedAt < publishedAt) throw new Error(`Demo article ${a.slug}: updated before published`);
    const createdAt = publishedAt ? new Date(publishedAt.getTime() - 90 * 60_000) : new Date(now.getTime() - 26 * HOUR);
    // Images in the demo's Markdown name media by key (`media:ai-expo-beijing`); stored bodies use ids.
    const markdown = a.body.join('\n\n').replace(/\(media:([a-z0-9-]+)/g, (_, key: string) => `(media:${mediaId(key)}`);
    const parsed = parseBody(markdown);
    if (parsed.issues.length) throw new Error(`Demo article ${a.slug}: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
    for (const id2 of parsed.mediaIds) bodyMedia.push({ articleId: id, mediaId: id2 });
    if (a.posts && a.kind !== 'LIVE') throw new Error(`Demo article ${a.slug}: only a live blog has posts`);
    for (const p of a.posts ?? []) {
      const postMarkdown = p.body.replace(/\(media:([a-z0-9-]+)/g, (_, key: string) => `(media:${mediaId(key)}`);
      const post = parseBody(postMarkdown);
      if (post.issues.length) throw new Error(`Demo post of ${a.slug}: ${post.issues.map((issue) => issue.message).join('; ')}`);
      const postId = livePosts.length + 1;
      livePosts.push({
        id: postId,
        articleId: id,
        authorId: authorId(p.author),
        body: postMarkdown,
        bodyBlocks: post.blocks as unknown as Prisma.InputJsonValue,
        bodyText: post.text,
        summary: p.summary ?? null,
        keyEvent: p.keyEvent ?? false,
        pinned: p.pinned ?? false,
        postedAt: new Date(p.at),
      });
      for (const m of post.mediaIds) livePostMedia.push({ postId, mediaId: m });
    }
    articles.push({
      id,
      slug: a.slug,
      headline: a.headline,
      summary: a.summary,
      body: markdown,
      bodyBlocks: parsed.blocks as unknown as Prisma.InputJsonValue,
      bodyText: parsed.text,
      kind: a.kind,
      status: a.status,
      sectionId: sectionId(a.section),
      dateline: a.dateline ?? null,
      heroMediaId: a.hero ? mediaId(a.hero) : null,
      publishedAt,
      updatedAt,
      scheduledAt,
      version: 1 + (updatedAt ? 1 : 0),
      createdAt,
      modifiedAt: updatedAt ?? publishedAt ?? createdAt,
    });
    for (const [position, b] of a.byline.entries()) bylines.push({ articleId: id, authorId: authorId(b.author), position, role: b.role });
    for (const t of new Set(a.tags)) articleTags.push({ articleId: id, tagId: tagId(t) });
    for (const c of a.corrections ?? [])
      corrections.push({ id: corrections.length + 1, articleId: id, text: c.text, createdAt: new Date(c.at) });
  });

  // Editions: a DAILY edition holds every story published that day (Pakistan time), by page.
  const editions: Prisma.EditionCreateManyInput[] = [];
  const placements: Prisma.EditionPlacementCreateManyInput[] = [];
  demo.editions.forEach((e, i) => {
    const editionId = i + 1;
    editions.push({
      id: editionId,
      slug: e.slug,
      name: e.name,
      kind: e.kind,
      date: new Date(`${e.date}T00:00:00Z`),
      createdAt: new Date(`${e.date}T00:00:00+05:00`),
    });
    const pages: string[][] = e.pages ? e.pages.map((p) => [...p]) : [];
    if (!e.pages) {
      const todays = demo.articles
        .filter((a) => a.status === 'PUBLISHED' && a.publishedAt && pktDate(new Date(a.publishedAt)) === e.date)
        .sort((x, y) => Date.parse(x.publishedAt!) - Date.parse(y.publishedAt!));
      for (const a of todays) {
        const page = a.front ? 1 : demo.pageBySection[rootOf(a.section)];
        (pages[page - 1] ??= []).push(a.slug);
      }
    }
    for (const extra of demo.extraPlacements.filter((x) => x.edition === e.slug)) (pages[extra.page - 1] ??= []).push(extra.article);
    for (const [p, slugs] of pages.entries()) {
      for (const [position, slug] of (slugs ?? []).entries()) {
        placements.push({ id: placements.length + 1, editionId, articleId: articleId(slug), page: p + 1, position: position + 1 });
      }
    }
  });
  for (const extra of demo.extraPlacements)
    if (!demo.editions.some((e) => e.slug === extra.edition)) throw new Error(`Unknown edition ${extra.edition}`);

  const collections: Prisma.CollectionCreateManyInput[] = demo.collections.map((c, i) => ({
    id: i + 1,
    slug: c.slug,
    name: c.name,
    description: c.description,
    createdAt: established,
  }));
  const collectionItems: Prisma.CollectionItemCreateManyInput[] = demo.collections.flatMap((c, i) =>
    c.items.map((slug, position) => ({ collectionId: i + 1, articleId: articleId(slug), position: position + 1 })),
  );

  const reads = demoReads(now, articleId);

  return {
    sections,
    authors,
    tags,
    media,
    articles,
    bodyMedia,
    livePosts,
    livePostMedia,
    bylines,
    articleTags,
    corrections,
    editions,
    placements,
    collections,
    collectionItems,
    reads,
  };
}

/**
 * The demo's reads: one row per article of `demo.popularity` per hour for the last 7 days (168
 * buckets ending with the hour of `now`). A constant per-article base plus the same hourly swing
 * for all keeps the order identical for any window. Articles `idOf` does not know are left out.
 */
function demoReads(now: Date, idOf: (slug: string) => number | undefined): Prisma.ArticleReadCreateManyInput[] {
  const nowHour = Math.floor(now.getTime() / HOUR) * HOUR;
  const reads: Prisma.ArticleReadCreateManyInput[] = [];
  demo.popularity.forEach((slug, rank) => {
    const base = 10 + 20 * (demo.popularity.length - rank);
    const id = idOf(slug);
    if (id === undefined) return;
    for (let h = 0; h < 168; h++) {
      const bucket = nowHour - h * HOUR;
      reads.push({ articleId: id, bucket: new Date(bucket), count: base + DIURNAL[pktHour(bucket)]! });
    }
  });
  return reads;
}

// ── Generator ───────────────────────────────────────────────────────────────────────────────────

/**
 * Fills the database with a generated newsroom of `articles` stories. The same `seed` and `now`
 * give identical rows (ids included); without `now`, times are relative to the current time.
 * Runs in one transaction; progress goes to stderr every 10,000 articles.
 */
export async function seedGenerated(
  prisma: PrismaClient,
  options: { articles: number; seed: number; reset?: boolean; now?: Date },
): Promise<void> {
  if (!Number.isInteger(options.articles) || options.articles < 1) throw new Error('articles must be a positive whole number');
  if (!Number.isFinite(options.seed)) throw new Error('seed must be a number');
  const now = options.now ?? new Date();
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`seed: ${message} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  const batchSize = 2000;
  await prisma.$transaction(
    async (tx) => {
      await prepare(tx, options.reset);
      const gen = new NewsroomGenerator({ articles: options.articles, seed: options.seed, now });
      await insertRows(tx, 'Section', gen.sections);
      await insertRows(tx, 'Author', gen.authors);
      await insertRows(tx, 'Tag', gen.tags);
      for (let from = 1; from <= gen.count; from += batchSize) {
        const to = Math.min(gen.count, from + batchSize - 1);
        const batch = gen.articleBatch(from, to);
        await insertRows(tx, 'Media', batch.media);
        await insertRows(tx, 'Article', batch.articles, batchSize);
        await insertRows(tx, 'ArticleBodyMedia', batch.bodyMedia, 10_000);
        await insertRows(tx, 'ArticleAuthor', batch.bylines, 10_000);
        await insertRows(tx, 'ArticleTag', batch.articleTags, 10_000);
        await insertRows(tx, 'Correction', batch.corrections);
        if (Math.floor(to / 10_000) > Math.floor((from - 1) / 10_000) || to === gen.count) {
          progress(`${to.toLocaleString('en-US')}/${gen.count.toLocaleString('en-US')} articles`);
        }
      }
      const { editions, placements } = gen.editions();
      await insertRows(tx, 'Edition', editions);
      await insertRows(tx, 'EditionPlacement', placements);
      const { collections, items } = gen.collections();
      await insertRows(tx, 'Collection', collections);
      await insertRows(tx, 'CollectionItem', items);
      let reads = 0;
      for (const batch of gen.reads(10_000)) {
        await insertRows(tx, 'ArticleRead', batch, 10_000);
        reads += batch.length;
      }
      progress(`${editions.length} editions, ${placements.length} placements, ${items.length} collection items, ${reads} read buckets`);
      await refreshPopularity(tx, now);
      await resetSequences(tx);
    },
    { maxWait: 60_000, timeout: 3 * 60 * 60 * 1000 },
  );
  // Fresh planner statistics: right after a bulk load they describe empty tables.
  await prisma.$executeRawUnsafe(`ANALYZE ${CONTENT_TABLES.map((t) => `"${t}"`).join(', ')}`);
  progress('analyzed');
}
