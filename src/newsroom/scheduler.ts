// Publishes scheduled articles when they fall due. Safe with any number of gateways on one
// database: publishDueArticles claims rows with FOR UPDATE SKIP LOCKED.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { publishDueArticles } from './editorial.js';

const BATCH = 50;

export type Scheduler = { runOnce(): Promise<number[]>; stop(): Promise<void> };

export function startScheduler(options: {
  prisma: PrismaClient;
  intervalMs: number;
  logger: Logger;
  /** Called after articles were published (their story events committed). */
  onPublished?: () => void;
}): Scheduler {
  const { prisma, intervalMs, logger, onPublished } = options;
  let running: Promise<number[]> | undefined;
  let stopped = false;

  // Ticks never overlap; a full batch means more may be due, so keep going at once.
  const runOnce = () =>
    (running ??= (async () => {
      const published: number[] = [];
      try {
        for (let ids = await publishDueArticles(prisma, new Date(), BATCH); ; ids = await publishDueArticles(prisma, new Date(), BATCH)) {
          published.push(...ids);
          if (ids.length < BATCH || stopped) break;
        }
        if (published.length) {
          logger.info({ articleIds: published }, 'published scheduled articles');
          onPublished?.();
        }
      } catch (error) {
        logger.error({ err: error }, 'scheduler run failed; retrying on the next tick');
      } finally {
        running = undefined;
      }
      return published;
    })());

  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  void runOnce();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
