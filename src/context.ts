// Per-request GraphQL context: the domain's reader (database, viewer, loaders) plus what the
// GraphQL layer and the transports need on top of it.
import type { PrismaClient } from './generated/prisma/client.js';
import { anonymous, type Viewer } from './newsroom/auth.js';
import type { LiveHub } from './newsroom/live.js';
import { defaultImageService, type ImageServiceConfig } from './newsroom/media.js';
import { createReader, type Reader } from './newsroom/reader.js';
import type { SectionTree } from './newsroom/section-tree.js';
import type { WebhookSettings } from './newsroom/webhook-sender.js';

export type { Viewer };

export type Context = Reader & {
  live: LiveHub;
  /** SSE: the Last-Event-ID a reconnecting client sent; subscriptions resume after it. */
  resumeAfter?: string;
  /** The story event a subscription just emitted (sent as `extensions.eventId` and SSE `id:`). */
  lastEventId?: number;
  /** Set for operations arriving over a WebSocket. */
  transport?: 'ws';
  /**
   * Aborts when the client that asked has gone (its HTTP connection or its WebSocket closed): its
   * operation leaves the line, and a query stops where it is (server/database-capacity.ts).
   */
  clientGone?: AbortSignal;
  /** Which webhook targets may be registered, and the retry window a replay gets. */
  webhooks?: Pick<WebhookSettings, 'allowPrivateTargets' | 'retryWindowMs'>;
  /** The image service renditions are built for (config IMAGE_*). */
  images: ImageServiceConfig;
  /**
   * Articles this operation has read with `preview: true`. Pothos loads an article again when one
   * relation is asked twice with different arguments; that load keeps the preview rule for them.
   */
  previewed: Set<number>;
  /**
   * Surrogate keys a resolver adds to this operation's cached result, beyond the entities in it:
   * lists keyed by what they hold (`ArticleList:Section:3`, see cache-rules.ts `keyed`).
   */
  cacheKeys: Set<string>;
};

export function createContext(
  prisma: PrismaClient,
  live: LiveHub,
  viewer: Viewer = anonymous,
  extra: Partial<Pick<Context, 'resumeAfter' | 'webhooks' | 'images' | 'clientGone'>> & { sectionTree?: SectionTree } = {},
): Context {
  const { sectionTree, ...rest } = extra;
  return {
    ...createReader(prisma, viewer, sectionTree),
    live,
    images: defaultImageService,
    previewed: new Set(),
    cacheKeys: new Set(),
    ...rest,
  };
}
