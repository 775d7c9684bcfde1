// Story events: the append-only outbox of publishes, updates, corrections, unpublishes and
// edition changes, written in the same transaction as the change itself. A command appends
// them only through `writeWithEvents`, which wakes what follows the log once they are
// committed: no caller has to remember to.
import type { Prisma, PrismaClient, StoryEvent, StoryEventType } from '../generated/prisma/client.js';

export type { StoryEventType };

type Tx = Prisma.TransactionClient;
export type StoryEventInput = { type: StoryEventType; articleId?: number; editionId?: number; sectionId?: number | null };
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
