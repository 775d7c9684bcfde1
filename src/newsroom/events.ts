// Story events: the append-only outbox of every change readers can see, written in the same
// transaction as the change itself. A command appends them only through `writeWithEvents`, which
// wakes what follows the log once they are committed: no caller has to remember to.
//
// What follows the log (subscriptions, the response and HTTP caches, the CDN purger, webhooks)
// reads `OutboxEvent`s. Each type and the ids it carries (every other id is null):
//
//   type                 ids                        written when
//   PUBLISHED            articleId, sectionId       an article is published (now or by the scheduler)
//   UPDATED              articleId, sectionId       a published article is edited
//   CORRECTED            articleId, sectionId       a correction is added to a published article
//   UNPUBLISHED          articleId, sectionId       a published article is taken down
//   EDITION_CREATED      editionId                  an edition is created
//   EDITION_UPDATED      editionId                  an edition's placements are replaced
//   COLLECTION_CREATED   collectionId               a collection is created
//   COLLECTION_UPDATED   collectionId               its name/slug/description or items change
//   SECTION_CREATED      sectionId                  a section is created
//   SECTION_UPDATED      sectionId                  a section changes (name, slug, parent, position)
//   SECTION_DELETED      sectionId                  an empty section is deleted
//   TAG_CREATED          tagId                      a tag is created
//   TAG_UPDATED          tagId                      a tag changes (name, slug, kind)
//   AUTHOR_CREATED       authorId                   an author is created
//   AUTHOR_UPDATED       authorId                   an author's profile changes
//   POST_ADDED           articleId, sectionId, postId  a post is added to a live blog (any status:
//   POST_UPDATED         articleId, sectionId, postId  subscribers get them while the blog is published)
//   POST_DELETED         articleId, sectionId, postId
//
// An article's `sectionId` is its section at the time. Ids are those of the database rows (the
// GraphQL global id of `Collection` 3 is the base64 of "Collection:3"). Types are only ever added.
import type { Prisma, PrismaClient, StoryEvent, StoryEventType } from '../generated/prisma/client.js';

export type { StoryEventType };

/** One committed outbox row, as every follower of the log sees it (see the table above). */
export type OutboxEvent = Pick<
  StoryEvent,
  'id' | 'type' | 'articleId' | 'editionId' | 'sectionId' | 'collectionId' | 'tagId' | 'authorId' | 'postId' | 'createdAt'
>;

/** What an event names: enough to decide what it purges and who receives it. */
export type EventSubject = Pick<
  OutboxEvent,
  'type' | 'articleId' | 'editionId' | 'sectionId' | 'collectionId' | 'tagId' | 'authorId' | 'postId'
>;

type Tx = Prisma.TransactionClient;
export type StoryEventInput = {
  type: StoryEventType;
  articleId?: number;
  editionId?: number;
  sectionId?: number | null;
  collectionId?: number;
  tagId?: number;
  authorId?: number;
  postId?: number;
};
export type AppendStoryEvent = (event: StoryEventInput) => Promise<StoryEvent>;

/** What follows the log in this process (the live hub): told after each commit that appended events. */
export type LogFollower = {
  /** Resolves once this process has fanned out what was committed. */
  notify(): Promise<void>;
};

/** For a process where nothing follows the log (scripts, tests): gateways find the events by polling. */
export const noFollower: LogFollower = { notify: async () => {} };

/** Any constant works: it only has to be the same for every writer of the outbox. */
const OUTBOX_LOCK = 7_200_301;

/**
 * Appends an event. Writers first take a transaction-scoped advisory lock, so event ids commit
 * in the order they were issued: a reader that has seen id N never later finds an N-1.
 */
async function appendStoryEvent(tx: Tx, event: StoryEventInput) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${OUTBOX_LOCK})`;
  return tx.storyEvent.create({ data: event });
}

/**
 * Runs `work` in one transaction, where it may append story events. After they commit, wakes
 * the follower and waits for it: the caller then reads its own writes on this gateway (the
 * response cache has purged what the change made stale).
 */
export async function writeWithEvents<T>(
  target: { prisma: PrismaClient; live: LogFollower },
  work: (tx: Tx, append: AppendStoryEvent) => Promise<T>,
  options?: { timeout?: number },
): Promise<T> {
  let appended = false;
  const result = await target.prisma.$transaction(
    (tx) =>
      work(tx, (event) => {
        appended = true;
        return appendStoryEvent(tx, event);
      }),
    options,
  );
  if (appended) await target.live.notify();
  return result;
}
