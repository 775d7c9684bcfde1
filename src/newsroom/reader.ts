// What the domain works with. A read takes a Reader: the database, who is asking, and one
// request's batching loaders. A command takes an Actor: the database, who is asking, and what
// follows the story-event log, woken by the command itself after it commits events. The
// GraphQL context is both (and more); scripts and tests make their own.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Viewer } from './auth.js';
import type { LogFollower } from './events.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { SectionTree } from './section-tree.js';

export type Reader = { prisma: PrismaClient; viewer: Viewer; loaders: Loaders };

export type Actor = { prisma: PrismaClient; viewer: Viewer; live: LogFollower };

export function createReader(prisma: PrismaClient, viewer: Viewer, sectionTree?: SectionTree): Reader {
  return { prisma, viewer, loaders: createLoaders(prisma, viewer, sectionTree) };
}
