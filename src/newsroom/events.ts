// Story events: the append-only outbox of publishes, updates, corrections, unpublishes and
// edition changes, written in the same transaction as the change itself.
import type { Prisma, StoryEventType } from '../generated/prisma/client.js';

export type { StoryEventType };

/** Any constant works: it only has to be the same for every writer of the outbox. */
const OUTBOX_LOCK = 7_200_301;

/**
 * Appends an event. Writers first take a transaction-scoped advisory lock, so event ids commit
 * in the order they were issued: a reader that has seen id N never later finds an N-1.
 */
export async function appendStoryEvent(
  tx: Prisma.TransactionClient,
  event: { type: StoryEventType; articleId?: number; editionId?: number; sectionId?: number | null },
) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${OUTBOX_LOCK})`;
  return tx.storyEvent.create({ data: event });
}
