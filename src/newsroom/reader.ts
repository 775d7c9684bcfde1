// What the domain reads with: the database, who is asking, and one request's batching loaders.
// The GraphQL context is one of these (and more); scripts and tests make their own.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Viewer } from './auth.js';
import { createLoaders, type Loaders } from './loaders.js';

export type Reader = { prisma: PrismaClient; viewer: Viewer; loaders: Loaders };

export function createReader(prisma: PrismaClient, viewer: Viewer): Reader {
  return { prisma, viewer, loaders: createLoaders(prisma, viewer) };
}
