// The editorial workflow: drafts, edits with optimistic locking and revisions, publishing,
// scheduling, unpublishing and corrections. Every change runs in one transaction with its
// revision and its story event, so a failure leaves nothing half-written.
import { z } from 'zod';
import { Prisma, type Article, type ArticleStatus, type PrismaClient } from '../generated/prisma/client.js';
import { ArticleKind, BylineRole } from '../generated/prisma/enums.js';
import { hasRole, requireRole, type Viewer } from './auth.js';
import { bodyColumns, MAX_BODY_LENGTH, prepareBody } from './body.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import { type AppendStoryEvent, type LogFollower, type StoryEventType, writeWithEvents } from './events.js';
import type { Actor } from './reader.js';
import { parseInput, slugSchema } from './validation.js';

type Tx = Prisma.TransactionClient;
type KeyViewer = Extract<Viewer, { kind: 'key' }>;

const heroMediaSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  caption: z.string().trim().max(1000).nullish(),
  credit: z.string().trim().max(300).nullish(),
  altText: z.string().trim().max(1000).nullish(),
  width: z.number().int().positive().max(100_000).nullish(),
  height: z.number().int().positive().max(100_000).nullish(),
});

const contentFields = {
  headline: z.string().trim().min(1, 'must not be empty').max(300),
  slug: slugSchema,
  summary: z.string().trim().max(1000).nullish(),
  body: z.string().max(MAX_BODY_LENGTH, `at most ${MAX_BODY_LENGTH} characters`),
  kind: z.enum(ArticleKind),
  sectionId: z.number().int().positive(),
  dateline: z.string().trim().max(100).nullish(),
  byline: z
    .array(z.object({ authorId: z.number().int().positive(), role: z.enum(BylineRole).default('AUTHOR') }))
    .min(1, 'needs at least one name')
    .max(20)
    .refine((names) => new Set(names.map((n) => n.authorId)).size === names.length, 'names an author twice'),
  tagIds: z
    .array(z.number().int().positive())
    .max(30)
    .refine((ids) => new Set(ids).size === ids.length, 'names a tag twice'),
  heroMedia: heroMediaSchema.nullish(),
};

export const draftSchema = z.object({
  ...contentFields,
  slug: contentFields.slug.optional(),
  body: contentFields.body.default(''),
  kind: contentFields.kind.default('NEWS'),
  byline: contentFields.byline.optional(),
  tagIds: contentFields.tagIds.default([]),
});
export type DraftInput = z.input<typeof draftSchema>;

export const articleChangesSchema = z.object(contentFields).partial();
export type ArticleChanges = z.input<typeof articleChangesSchema>;

/** What a revision keeps: everything an edit can change. */
async function snapshot(tx: Tx, article: Article) {
  const [byline, tags] = await Promise.all([
    tx.articleAuthor.findMany({ where: { articleId: article.id }, orderBy: { position: 'asc' } }),
    tx.articleTag.findMany({ where: { articleId: article.id }, orderBy: { tagId: 'asc' } }),
  ]);
  const { searchVector: _vector, ...fields } = article as Article & { searchVector?: unknown };
  return {
    ...fields,
    byline: byline.map(({ authorId, role, position }) => ({ authorId, role, position })),
    tagIds: tags.map((t) => t.tagId),
  } as unknown as Prisma.InputJsonValue;
}

/** Checks that every referenced section, author and tag exists; names the input path if not. */
async function checkReferences(tx: Tx, input: { sectionId?: number; byline?: { authorId: number }[]; tagIds?: number[] }) {
  const issues: { path: string[]; message: string }[] = [];
  if (input.sectionId !== undefined && !(await tx.section.findUnique({ where: { id: input.sectionId }, select: { id: true } }))) {
    issues.push({ path: ['section'], message: 'no such section' });
  }
  if (input.byline?.length) {
    const found = new Set(
      (await tx.author.findMany({ where: { id: { in: input.byline.map((b) => b.authorId) } }, select: { id: true } })).map((a) => a.id),
    );
    for (const [i, b] of input.byline.entries()) {
      if (!found.has(b.authorId)) issues.push({ path: ['byline', String(i), 'author'], message: 'no such author' });
    }
  }
  if (input.tagIds?.length) {
    const found = new Set((await tx.tag.findMany({ where: { id: { in: input.tagIds } }, select: { id: true } })).map((t) => t.id));
    for (const [i, id] of input.tagIds.entries()) {
      if (!found.has(id)) issues.push({ path: ['tags', String(i)], message: 'no such tag' });
    }
  }
  if (issues.length) throw new ValidationError(issues);
}

function slugFromHeadline(headline: string): string {
  const base = headline
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/, '');
  return base || 'article';
}

/** The first free slug of `base`, `base-2`, `base-3`, … */
async function freeSlug(tx: Tx, base: string): Promise<string> {
  const taken = new Set((await tx.article.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } })).map((a) => a.slug));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function isUniqueViolation(error: unknown, field: string): boolean {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002' && JSON.stringify(error.meta ?? {}).includes(field)
  );
}

/** One command's transaction; story events it appends wake the live hub after the commit. */
async function transaction<T>(actor: Actor, work: (tx: Tx, append: AppendStoryEvent) => Promise<T>): Promise<T> {
  try {
    return await writeWithEvents(actor, work, { timeout: 15_000 });
  } catch (error) {
    if (isUniqueViolation(error, 'slug')) throw new ConflictError('That slug is taken.');
    throw error;
  }
}

function writerMayEdit(viewer: KeyViewer, article: { status: ArticleStatus }, byline: { authorId: number }[]) {
  return article.status === 'DRAFT' && viewer.authorId !== null && byline.some((b) => b.authorId === viewer.authorId);
}

export async function createDraft(actor: Actor, rawInput: DraftInput): Promise<Article> {
  const { viewer } = actor;
  requireRole(viewer, 'WRITER');
  const input = parseInput(draftSchema, rawInput);
  const writer = !hasRole(viewer, 'EDITOR');
  if (writer && viewer.authorId === null) throw new ForbiddenError('This writer key is not linked to an author.');
  // A draft may start without a byline (an editor's key need not be an author); publishing needs one.
  const byline = input.byline ?? (viewer.authorId !== null ? [{ authorId: viewer.authorId, role: 'AUTHOR' as const }] : []);
  if (writer && !byline.some((b) => b.authorId === viewer.authorId)) {
    throw ValidationError.at(['byline'], 'a writer must be in the byline of their own draft');
  }
  return transaction(actor, async (tx) => {
    await checkReferences(tx, { ...input, byline });
    const body = await prepareBody(tx, input.body);
    const slug = input.slug ?? (await freeSlug(tx, slugFromHeadline(input.headline)));
    return tx.article.create({
      data: {
        slug,
        headline: input.headline,
        summary: input.summary ?? null,
        ...bodyColumns(body, 'create'),
        kind: input.kind,
        status: 'DRAFT',
        dateline: input.dateline ?? null,
        section: { connect: { id: input.sectionId } },
        heroMedia: input.heroMedia ? { create: input.heroMedia } : undefined,
        bylines: { create: byline.map((b, position) => ({ authorId: b.authorId, role: b.role, position })) },
        tags: { create: input.tagIds.map((tagId) => ({ tagId })) },
      },
    });
  });
}

type Change = {
  /** The version the caller last read; a different current version is a conflict. */
  expectedVersion?: number | null;
  data: (article: Article) => Prisma.ArticleUpdateInput;
  /** Checks the current state (status rules, rights) before anything is written. */
  check?: (article: Article, byline: { authorId: number }[]) => void;
  event?: (article: Article) => StoryEventType | null;
  byline?: { authorId: number; role: BylineRole }[];
  tagIds?: number[];
};

/**
 * The one way an article changes: lock the row, check rights and version, keep the previous
 * state as a revision, write, bump the version and append the story event, inside `tx`.
 * `by` is null for the scheduler.
 */
async function applyChange(tx: Tx, append: AppendStoryEvent, by: KeyViewer | null, id: number, change: Change): Promise<Article> {
  // FOR UPDATE: a concurrent change of the same article waits here, then sees the new version.
  const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Article" WHERE id = ${id} FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('Article', String(id));
  const current = await tx.article.findUniqueOrThrow({ where: { id } });
  const byline = await tx.articleAuthor.findMany({ where: { articleId: id }, select: { authorId: true } });
  if (by && !hasRole(by, 'EDITOR') && !writerMayEdit(by, current, byline)) {
    throw new ForbiddenError('A writer may change only their own drafts.');
  }
  if (change.expectedVersion != null && change.expectedVersion !== current.version) {
    throw new ConflictError(
      `The article changed since you read it (you have version ${change.expectedVersion}, it is at ${current.version}).`,
      current.version,
    );
  }
  change.check?.(current, byline);
  await tx.revision.create({
    data: { articleId: id, version: current.version, snapshot: await snapshot(tx, current), replacedById: by?.keyId ?? null },
  });
  if (change.byline) {
    await tx.articleAuthor.deleteMany({ where: { articleId: id } });
    await tx.articleAuthor.createMany({
      data: change.byline.map((b, position) => ({ articleId: id, authorId: b.authorId, role: b.role, position })),
    });
  }
  if (change.tagIds) {
    await tx.articleTag.deleteMany({ where: { articleId: id } });
    await tx.articleTag.createMany({ data: change.tagIds.map((tagId) => ({ articleId: id, tagId })) });
  }
  const updated = await tx.article.update({ where: { id }, data: { ...change.data(current), version: { increment: 1 } } });
  const type = change.event?.(updated);
  if (type) await append({ type, articleId: id, sectionId: updated.sectionId });
  return updated;
}

function changeArticle(actor: Actor, by: KeyViewer, id: number, change: Change): Promise<Article> {
  return transaction(actor, (tx, append) => applyChange(tx, append, by, id, change));
}

export async function updateArticle(actor: Actor, id: number, version: number, rawChanges: ArticleChanges): Promise<Article> {
  const { viewer } = actor;
  requireRole(viewer, 'WRITER');
  const changes = parseInput(articleChangesSchema, rawChanges);
  if (Object.keys(changes).length === 0) throw ValidationError.at([], 'nothing to change');
  if (!hasRole(viewer, 'EDITOR') && changes.byline && !changes.byline.some((b) => b.authorId === viewer.authorId)) {
    throw ValidationError.at(['byline'], 'a writer must stay in the byline of their own draft');
  }
  return transaction(actor, async (tx, append) => {
    await checkReferences(tx, changes);
    const body = changes.body !== undefined ? await prepareBody(tx, changes.body) : null;
    return applyChange(tx, append, viewer, id, {
      expectedVersion: version,
      byline: changes.byline,
      tagIds: changes.tagIds,
      data: (current) => ({
        ...(changes.headline !== undefined && { headline: changes.headline }),
        ...(changes.slug !== undefined && { slug: changes.slug }),
        ...(changes.summary !== undefined && { summary: changes.summary }),
        ...(body && bodyColumns(body, 'update')),
        ...(changes.kind !== undefined && { kind: changes.kind }),
        ...(changes.dateline !== undefined && { dateline: changes.dateline }),
        ...(changes.sectionId !== undefined && { section: { connect: { id: changes.sectionId } } }),
        ...(changes.heroMedia !== undefined && {
          heroMedia: changes.heroMedia ? { create: changes.heroMedia } : { disconnect: true },
        }),
        // An edit after publication is news to readers: it moves the public "Updated" time.
        ...(current.status === 'PUBLISHED' && { updatedAt: new Date() }),
      }),
      event: (updated) => (updated.status === 'PUBLISHED' ? 'UPDATED' : null),
    });
  });
}

function requireStatus(article: Article, allowed: ArticleStatus[], action: string) {
  if (!allowed.includes(article.status)) {
    throw new ConflictError(`Cannot ${action} an article that is ${article.status.toLowerCase()}.`, article.version);
  }
}

/** What readers will see must carry a name: a staff byline or a wire agency. */
function requireByline(byline: unknown[]) {
  if (byline.length === 0) throw ValidationError.at(['byline'], 'an article needs a byline before it is published or scheduled');
}

export async function publishArticle(actor: Actor, id: number, version?: number | null) {
  const { viewer } = actor;
  requireRole(viewer, 'EDITOR');
  const now = new Date();
  return changeArticle(actor, viewer, id, {
    expectedVersion: version,
    check: (a, byline) => {
      requireStatus(a, ['DRAFT', 'SCHEDULED', 'UNPUBLISHED'], 'publish');
      requireByline(byline);
    },
    // Publishing again after an unpublish keeps the first publication time and shows an update.
    data: (a) => ({ status: 'PUBLISHED', publishedAt: a.publishedAt ?? now, scheduledAt: null, ...(a.publishedAt && { updatedAt: now }) }),
    event: () => 'PUBLISHED',
  });
}

export async function scheduleArticle(actor: Actor, id: number, at: Date, version?: number | null) {
  const { viewer } = actor;
  requireRole(viewer, 'EDITOR');
  if (!(at.getTime() > Date.now())) throw ValidationError.at(['at'], 'must be in the future');
  return changeArticle(actor, viewer, id, {
    expectedVersion: version,
    check: (a, byline) => {
      requireStatus(a, ['DRAFT', 'SCHEDULED', 'UNPUBLISHED'], 'schedule');
      requireByline(byline);
    },
    data: () => ({ status: 'SCHEDULED', scheduledAt: at }),
  });
}

export async function unscheduleArticle(actor: Actor, id: number, version?: number | null) {
  const { viewer } = actor;
  requireRole(viewer, 'EDITOR');
  return changeArticle(actor, viewer, id, {
    expectedVersion: version,
    check: (a) => requireStatus(a, ['SCHEDULED'], 'unschedule'),
    data: () => ({ status: 'DRAFT', scheduledAt: null }),
  });
}

export async function unpublishArticle(actor: Actor, id: number, version?: number | null) {
  const { viewer } = actor;
  requireRole(viewer, 'EDITOR');
  return changeArticle(actor, viewer, id, {
    expectedVersion: version,
    check: (a) => requireStatus(a, ['PUBLISHED'], 'unpublish'),
    data: () => ({ status: 'UNPUBLISHED' }),
    event: () => 'UNPUBLISHED',
  });
}

const correctionSchema = z.object({ text: z.string().trim().min(1, 'must not be empty').max(2000) });

/** A correction is public: it appears under the article and moves its "Updated" time. */
export async function addCorrection(actor: Actor, id: number, text: string) {
  const { viewer } = actor;
  requireRole(viewer, 'EDITOR');
  const input = parseInput(correctionSchema, { text });
  const now = new Date();
  return changeArticle(actor, viewer, id, {
    check: (a) => requireStatus(a, ['PUBLISHED'], 'correct'),
    data: () => ({ updatedAt: now, corrections: { create: { text: input.text, createdAt: now } } }),
    event: () => 'CORRECTED',
  });
}

/** Counts one read of a published article in the current hour: one statement, no read first. */
export async function recordRead(prisma: PrismaClient, id: number): Promise<boolean> {
  const written = await prisma.$executeRaw`
    INSERT INTO "ArticleRead" ("articleId", "bucket", "count")
    SELECT id, date_trunc('hour', now()), 1 FROM "Article" WHERE id = ${id} AND "status" = 'PUBLISHED'
    ON CONFLICT ("articleId", "bucket") DO UPDATE SET "count" = "ArticleRead"."count" + 1`;
  return written > 0;
}

/**
 * Publishes scheduled articles that are due, each exactly once even with several gateways on one
 * database: the rows are claimed with FOR UPDATE SKIP LOCKED inside the publishing transaction.
 */
export async function publishDueArticles(
  target: { prisma: PrismaClient; live: LogFollower },
  now = new Date(),
  batch = 50,
): Promise<number[]> {
  return writeWithEvents(
    target,
    async (tx, append) => {
      const due = await tx.$queryRaw<{ id: number }[]>`
        SELECT id FROM "Article" WHERE "status" = 'SCHEDULED' AND "scheduledAt" <= ${now}
        ORDER BY "scheduledAt", id LIMIT ${batch} FOR UPDATE SKIP LOCKED`;
      for (const { id } of due) {
        await applyChange(tx, append, null, id, {
          data: (a) => ({ status: 'PUBLISHED', publishedAt: a.scheduledAt ?? now, scheduledAt: null }),
          event: () => 'PUBLISHED',
        });
      }
      return due.map((d) => d.id);
    },
    { timeout: 30_000 },
  );
}
