// The one way from the running code into the seeders (prisma/seed.ts: the demo newsroom and the
// generator). A dynamic import, so the demo content loads only when seeding is asked for (start-up
// on an empty database, `npm run db:seed`) and stays out of the server's import graph.
import type { PrismaClient } from '../generated/prisma/client.js';

export const loadSeeders = () => import('../../prisma/seed.js');

/** True when there are no articles yet: start-up loads the demo only then. */
export async function isEmpty(prisma: Pick<PrismaClient, 'article'>): Promise<boolean> {
  return (await prisma.article.findFirst({ select: { id: true } })) === null;
}
