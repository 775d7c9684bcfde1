// Per-request context: the database, per-request loaders and who is asking.
import type { PrismaClient } from './generated/prisma/client.js';
import { anonymous, type Viewer } from './newsroom/auth.js';
import type { LiveHub } from './newsroom/live.js';
import { createLoaders, type Loaders } from './newsroom/loaders.js';

export type { Viewer };

export type Context = {
  prisma: PrismaClient;
  viewer: Viewer;
  loaders: Loaders;
  live: LiveHub;
  /** SSE: the Last-Event-ID a reconnecting client sent; subscriptions resume after it. */
  resumeAfter?: string;
  /** The story event a subscription just emitted (sent as `extensions.eventId` and SSE `id:`). */
  lastEventId?: number;
  /** Set for operations arriving over a WebSocket. */
  transport?: 'ws';
};

export function createContext(
  prisma: PrismaClient,
  live: LiveHub,
  viewer: Viewer = anonymous,
  extra: Pick<Context, 'resumeAfter'> = {},
): Context {
  return { prisma, viewer, loaders: createLoaders(prisma, viewer), live, ...extra };
}
