// Publishes scheduled articles when they fall due. Safe with any number of gateways on one
// database: publishDueArticles claims rows with FOR UPDATE SKIP LOCKED.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { publishDueArticles } from './editorial.js';
import type { LogFollower } from './events.js';
import { startPeriodic, type Periodic } from './jobs.js';

const BATCH = 50;

export type Scheduler = Periodic<number[]>;

export function startScheduler(options: {
  prisma: PrismaClient;
  intervalMs: number;
  logger: Logger;
  /** Woken after each batch is published (the live hub of this gateway). */
  live: LogFollower;
}): Scheduler {
  const { intervalMs, logger } = options;
  let stopped = false;
  const periodic = startPeriodic({
    intervalMs,
    logger,
    what: 'scheduler run',
    // A full batch means more may be due, so keep going at once.
    task: async () => {
      const published: number[] = [];
      try {
        for (let ids = await publishDueArticles(options, new Date(), BATCH); ; ids = await publishDueArticles(options, new Date(), BATCH)) {
          published.push(...ids);
          if (ids.length < BATCH || stopped) break;
        }
      } finally {
        // Batches that committed before a failure are published: log them either way.
        if (published.length) logger.info({ articleIds: published }, 'published scheduled articles');
      }
      return published;
    },
  });
  return {
    runOnce: periodic.runOnce,
    async stop() {
      stopped = true;
      await periodic.stop();
    },
  };
}
