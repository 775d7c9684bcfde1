// Background work of a gateway: a timer that runs a task now and then every interval, never two
// runs at once, and shared jobs that run once per interval however many gateways share a database.
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';

export type Periodic<T> = { runOnce(): Promise<T | undefined>; stop(): Promise<void> };

/** Runs `task` at once and then every `intervalMs`; ticks never overlap and failures are logged, not thrown. */
export function startPeriodic<T>(options: { intervalMs: number; logger: Logger; what: string; task: () => Promise<T> }): Periodic<T> {
  const { intervalMs, logger, what, task } = options;
  let running: Promise<T | undefined> | undefined;
  const runOnce = () =>
    (running ??= task()
      .catch((error: unknown) => {
        logger.error({ err: error }, `${what} failed; retrying on the next tick`);
        return undefined;
      })
      .finally(() => {
        running = undefined;
      }));
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  void runOnce();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Runs `task` in a transaction unless the job ran less than `intervalMs` ago. The job's JobRun row
 * is claimed with FOR UPDATE SKIP LOCKED, so with many gateways exactly one runs it while the
 * others skip at once instead of waiting. Returns whether this call ran it.
 */
export async function runShared(
  prisma: PrismaClient,
  job: string,
  intervalMs: number,
  task: (tx: Prisma.TransactionClient) => Promise<unknown>,
  now = new Date(),
): Promise<boolean> {
  await prisma.$executeRaw`INSERT INTO "JobRun" (job, "lastRunAt") VALUES (${job}, 'epoch') ON CONFLICT (job) DO NOTHING`;
  return prisma.$transaction(
    async (tx) => {
      // A tenth of slack: a timer that fires a little early still finds its job due.
      const due = new Date(now.getTime() - intervalMs * 0.9);
      const claimed = await tx.$queryRaw<{ job: string }[]>`
        SELECT job FROM "JobRun" WHERE job = ${job} AND "lastRunAt" <= ${due} FOR UPDATE SKIP LOCKED`;
      if (claimed.length === 0) return false;
      await task(tx);
      await tx.$executeRaw`UPDATE "JobRun" SET "lastRunAt" = ${now} WHERE job = ${job}`;
      return true;
    },
    // A refresh over a month of reads of a large archive may take a while.
    { timeout: 120_000 },
  );
}
