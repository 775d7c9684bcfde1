// Per-request context: the database, per-request loaders and who is asking.
import type { PrismaClient } from './generated/prisma/client.js';
import { createLoaders, type Loaders } from './newsroom/loaders.js';

/** Who is asking. Anonymous readers see published content only. */
export type Viewer = { kind: 'anonymous' };

export type Context = {
  prisma: PrismaClient;
  viewer: Viewer;
  loaders: Loaders;
};

export function createContext(prisma: PrismaClient, viewer: Viewer = { kind: 'anonymous' }): Context {
  return { prisma, viewer, loaders: createLoaders(prisma, viewer) };
}
