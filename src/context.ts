// Per-request context: the database, per-request loaders and who is asking.
import type { PrismaClient } from './generated/prisma/client.js';
import { anonymous, type Viewer } from './newsroom/auth.js';
import { createLoaders, type Loaders } from './newsroom/loaders.js';

export type { Viewer };

export type Context = {
  prisma: PrismaClient;
  viewer: Viewer;
  loaders: Loaders;
};

export function createContext(prisma: PrismaClient, viewer: Viewer = anonymous): Context {
  return { prisma, viewer, loaders: createLoaders(prisma, viewer) };
}
