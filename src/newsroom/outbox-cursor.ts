// A follower of the story-event outbox that any number of gateways share (the CDN purger): its
// position is a row of OutboxCursor, held by one gateway at a time under a lease. The holder
// renews the lease on every run and advances the position after it has handled the events;
// another gateway takes over only once the lease ran out (its holder died or hangs), from the
// stored position. So each event is handled by one gateway, and a crash between handling and
// advancing means it is handled again (at least once), never skipped.
//
// A lease rather than a row lock held for the run (as jobs.ts does): handling events calls
// other services (a CDN) and may retry for seconds, and an open transaction that long would
// hold a PostgreSQL connection, and on PGlite the one connection every request needs.
import type { PrismaClient } from '../generated/prisma/client.js';

export type OutboxCursor = {
  /**
   * Claims (or renews) the lease; returns the position to continue after, or undefined when
   * another gateway holds it. A cursor seen for the first time starts at the newest event:
   * what happened before it existed is no one's to handle.
   */
  claim(): Promise<number | undefined>;
  /** Stores the position and renews the lease; false when the lease was lost (stop handling). */
  advance(position: number): Promise<boolean>;
  /** Gives the lease up (a clean stop), so another gateway takes over at once. */
  release(): Promise<void>;
};

export function outboxCursor(prisma: PrismaClient, options: { name: string; holder: string; leaseMs: number }): OutboxCursor {
  const { name, holder, leaseMs } = options;
  // The database's clock decides leases, so gateways with skewed clocks still agree.
  let exists = false;
  return {
    async claim() {
      if (!exists)
        await prisma.$executeRaw`
        INSERT INTO "OutboxCursor" (name, position)
        VALUES (${name}, (SELECT COALESCE(MAX(id), 0) FROM "StoryEvent"))
        ON CONFLICT (name) DO NOTHING`;
      exists = true; // the row is never deleted: one statement a run from now on
      const rows = await prisma.$queryRaw<{ position: number }[]>`
        UPDATE "OutboxCursor"
        SET holder = ${holder}, "leasedUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
        WHERE name = ${name} AND (holder = ${holder} OR holder IS NULL OR "leasedUntil" < now())
        RETURNING position`;
      return rows[0]?.position;
    },
    async advance(position) {
      const updated = await prisma.$executeRaw`
        UPDATE "OutboxCursor"
        SET position = GREATEST(position, ${position}::int), "leasedUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
        WHERE name = ${name} AND holder = ${holder}`;
      return updated === 1;
    },
    async release() {
      await prisma.$executeRaw`UPDATE "OutboxCursor" SET holder = NULL, "leasedUntil" = NULL WHERE name = ${name} AND holder = ${holder}`;
    },
  };
}
