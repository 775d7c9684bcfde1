// The one way from the running code into the seeders (prisma/seed.ts: the demo newsroom and the
// generator). A dynamic import, so the demo content loads only when seeding is asked for (start-up
// on an empty database, `npm run db:seed`) and stays out of the server's import graph.
import type { PrismaClient } from '../generated/prisma/client.js';

export const loadSeeders = () => import('../../prisma/seed.js');

/** True when there are no articles yet: start-up loads the demo only then. */
export async function isEmpty(prisma: Pick<PrismaClient, 'article'>): Promise<boolean> {
  return (await prisma.article.findFirst({ select: { id: true } })) === null;
}

/** The JobRun row that marks a database as the demo's (written by seedDemo, removed by a reset). */
export const DEMO_JOB = 'demo';

/** True when the demo newsroom was loaded into this database: start-up then keeps it fresh. */
export async function isDemo(prisma: Pick<PrismaClient, 'jobRun'>): Promise<boolean> {
  return (await prisma.jobRun.findUnique({ where: { job: DEMO_JOB }, select: { job: true } })) !== null;
}
