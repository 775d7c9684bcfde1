// Live blogs: an article of kind LIVE holds ordered posts, each a body of blocks (parsed from
// Markdown exactly like an article's), with author, time, key event, pinned and summary. Posts
// are written with the rights of the blog (editors any; a writer their own draft), optimistic
// locking, and a POST_* story event in the same transaction. Readers reach posts only through
// their blog, so the blog's visibility rule covers them on every path.
import { z } from 'zod';
import type { LivePost, Prisma } from '../generated/prisma/client.js';
import { hasRole, requireRole, type Viewer } from './auth.js';
import { MAX_BODY_LENGTH, prepareBody, type Block } from './body.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import { type AppendStoryEvent, writeWithEvents } from './events.js';
import type { Actor } from './reader.js';
import { parseInput } from './validation.js';
import { visibleArticleWhere } from './visibility.js';

type Tx = Prisma.TransactionClient;
type KeyViewer = Extract<Viewer, { kind: 'key' }>;

const postFields = {
  body: z.string().max(MAX_BODY_LENGTH, `at most ${MAX_BODY_LENGTH} characters`),
  summary: z.string().trim().max(300).nullish(),
  keyEvent: z.boolean(),
  pinned: z.boolean(),
  authorId: z.number().int().positive().nullish(),
};
const newPostSchema = z.object({
  ...postFields,
  body: postFields.body.min(1, 'must not be empty'),
  keyEvent: postFields.keyEvent.default(false),
  pinned: postFields.pinned.default(false),
});
const postChangesSchema = z.object(postFields).partial();

export type NewPost = z.input<typeof newPostSchema>;
export type PostChanges = z.input<typeof postChangesSchema>;

/** Readers see a post when they may see its blog: the same rule as every article path. */
export function visiblePostWhere(viewer: Viewer, preview = false): Prisma.LivePostWhereInput {
  return { article: visibleArticleWhere(viewer, preview) };
}

/**
 * Locks the blog (posts of one blog are written one at a time) and checks it is a live blog the
 * viewer may write to: an editor any, a writer their own draft, as with articles.
 */
async function lockBlog(tx: Tx, viewer: KeyViewer, articleId: number) {
  const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Article" WHERE id = ${articleId} FOR UPDATE`;
  if (locked.length === 0) throw new NotFoundError('Article', String(articleId));
  const blog = await tx.article.findUniqueOrThrow({
    where: { id: articleId },
    select: { id: true, kind: true, status: true, sectionId: true, bylines: { select: { authorId: true } } },
  });
  if (!hasRole(viewer, 'EDITOR')) {
    const own = blog.status === 'DRAFT' && viewer.authorId !== null && blog.bylines.some((b) => b.authorId === viewer.authorId);
    if (!own) throw new ForbiddenError('A writer may change only their own drafts.');
  }
  if (blog.kind !== 'LIVE') throw ValidationError.at(['article'], 'is not a live blog (kind LIVE)');
  return blog;
}

async function checkAuthor(tx: Tx, authorId: number | null | undefined) {
  if (authorId != null && !(await tx.author.findUnique({ where: { id: authorId }, select: { id: true } }))) {
    throw ValidationError.at(['author'], 'no such author');
  }
}

const blocksJson = (blocks: Block[]) => blocks as unknown as Prisma.InputJsonValue;

function post(actor: Actor, work: (tx: Tx, append: AppendStoryEvent, viewer: KeyViewer) => Promise<LivePost>) {
  const { viewer } = actor;
  requireRole(viewer, 'WRITER');
  return writeWithEvents(actor, (tx, append) => work(tx, append, viewer), { timeout: 15_000 });
}

/** Adds a post to a live blog; the author defaults to the key's author. */
export function addLivePost(actor: Actor, articleId: number, raw: NewPost): Promise<LivePost> {
  return post(actor, async (tx, append, viewer) => {
    const input = parseInput(newPostSchema, raw);
    const blog = await lockBlog(tx, viewer, articleId);
    await checkAuthor(tx, input.authorId);
    const body = await prepareBody(tx, input.body);
    const created = await tx.livePost.create({
      data: {
        articleId,
        authorId: input.authorId ?? viewer.authorId,
        body: body.body,
        bodyBlocks: blocksJson(body.bodyBlocks),
        bodyText: body.bodyText,
        summary: input.summary ?? null,
        keyEvent: input.keyEvent,
        pinned: input.pinned,
        media: { create: body.mediaIds.map((mediaId) => ({ mediaId })) },
      },
    });
    await append({ type: 'POST_ADDED', articleId, sectionId: blog.sectionId, postId: created.id });
    return created;
  });
}

async function lockPost(tx: Tx, viewer: KeyViewer, postId: number, version?: number | null) {
  const found = await tx.livePost.findUnique({ where: { id: postId }, select: { articleId: true } });
  if (!found) throw new NotFoundError('LivePost', String(postId));
  const blog = await lockBlog(tx, viewer, found.articleId);
  const current = await tx.livePost.findUniqueOrThrow({ where: { id: postId } });
  if (version != null && version !== current.version) {
    throw new ConflictError(
      `The post changed since you read it (you have version ${version}, it is at ${current.version}).`,
      current.version,
    );
  }
  return { blog, current };
}

/** Edits a post; `version` must be the one read (else ConflictError). */
export function updateLivePost(actor: Actor, postId: number, version: number, raw: PostChanges): Promise<LivePost> {
  return post(actor, async (tx, append, viewer) => {
    const changes = parseInput(postChangesSchema, raw);
    if (Object.values(changes).every((v) => v === undefined)) throw ValidationError.at([], 'nothing to change');
    const { blog } = await lockPost(tx, viewer, postId, version);
    await checkAuthor(tx, changes.authorId);
    const body = changes.body !== undefined ? await prepareBody(tx, changes.body) : null;
    const updated = await tx.livePost.update({
      where: { id: postId },
      data: {
        ...(body && {
          body: body.body,
          bodyBlocks: blocksJson(body.bodyBlocks),
          bodyText: body.bodyText,
          media: { deleteMany: {}, create: body.mediaIds.map((mediaId) => ({ mediaId })) },
        }),
        ...(changes.summary !== undefined && { summary: changes.summary }),
        ...(changes.keyEvent !== undefined && { keyEvent: changes.keyEvent }),
        ...(changes.pinned !== undefined && { pinned: changes.pinned }),
        ...(changes.authorId !== undefined && { authorId: changes.authorId }),
        updatedAt: new Date(),
        version: { increment: 1 },
      },
    });
    await append({ type: 'POST_UPDATED', articleId: blog.id, sectionId: blog.sectionId, postId });
    return updated;
  });
}

/** Deletes a post; returns it as it was. */
export function deleteLivePost(actor: Actor, postId: number, version?: number | null): Promise<LivePost> {
  return post(actor, async (tx, append, viewer) => {
    const { blog, current } = await lockPost(tx, viewer, postId, version);
    await tx.livePost.delete({ where: { id: postId } });
    await append({ type: 'POST_DELETED', articleId: blog.id, sectionId: blog.sectionId, postId });
    return current;
  });
}
