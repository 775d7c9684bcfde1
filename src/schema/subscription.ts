// Live updates: stories published, changes to one story, edition changes. Every event carries
// its StoryEvent id (`eventId`, and `extensions.eventId`, and the SSE `id:`); pass the last
// one seen as `after` (SSE: Last-Event-ID) to receive what was missed first, in order.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Context } from '../context.js';
import { createLoaders, sectionSubtreeIds } from '../newsroom/loaders.js';
import type { LiveEvent } from '../newsroom/live.js';
import { visibleArticleWhere } from '../newsroom/visibility.js';
import { Article, ArticleKind, parseIntId } from './article.js';
import { builder } from './builder.js';
import { Edition } from './edition.js';
import { userError } from './errors.js';

builder.subscriptionType({ description: 'Live story updates over WebSocket (graphql-transport-ws) or SSE.' });

const StoryEventTypeEnum = builder.enumType('StoryEventType', {
  values: ['PUBLISHED', 'UPDATED', 'CORRECTED', 'UNPUBLISHED', 'EDITION_UPDATED'] as const,
});

type Update = LiveEvent & { preview: boolean };

const LiveEventRef = builder.interfaceRef<Update>('LiveEvent').implement({
  description: 'One row of the story-event outbox, as pushed to subscribers.',
  fields: (t) => ({
    eventId: t.id({ description: 'Resume with `after: eventId` to miss nothing.', resolve: (e) => String(e.id) }),
    type: t.field({ type: StoryEventTypeEnum, resolve: (e) => e.type }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

const StoryUpdate = builder.objectRef<Update>('StoryUpdate').implement({
  interfaces: [LiveEventRef],
  fields: (t) => ({
    articleId: t.id({ resolve: (e) => encodeGlobalID('Article', e.articleId ?? 0) }),
    article: t.field({
      type: Article,
      nullable: true,
      description: 'The article as it is now; null when you may not read it (e.g. after UNPUBLISHED).',
      resolve: (e, _args, ctx, info) => {
        const query = queryFromInfo({ context: ctx, info });
        const where = { AND: [visibleArticleWhere(ctx.viewer, e.preview), { id: e.articleId ?? 0 }] };
        return ctx.live.loadArticle(e.id, JSON.stringify([where, query]), () => ctx.prisma.article.findFirst({ ...query, where }));
      },
    }),
  }),
});

const EditionUpdate = builder.objectRef<Update>('EditionUpdate').implement({
  interfaces: [LiveEventRef],
  fields: (t) => ({
    edition: t.field({
      type: Edition,
      nullable: true,
      resolve: (e, _args, ctx, info) => {
        const query = queryFromInfo({ context: ctx, info });
        return ctx.live.loadArticle(e.id, JSON.stringify(['edition', query, ctx.viewer.kind]), () =>
          ctx.prisma.edition.findUnique({ ...query, where: { id: e.editionId ?? 0 } }),
        );
      },
    }),
  }),
});

function parseAfter(ctx: Context, after: string | null | undefined): number | null {
  const value = after ?? ctx.resumeAfter;
  if (value == null) return null;
  if (!/^\d{1,10}$/.test(value)) throw userError(`"after" must be an event id, got "${value}".`, 'INVALID_CURSOR');
  return Number(value);
}

/**
 * Missed events after `after` first, then live ones, each once and in order. The live stream is
 * opened before the backlog is read, so nothing falls between the two.
 */
function stream(ctx: Context, after: number | null, accept: (e: LiveEvent) => boolean, preview = false): AsyncIterableIterator<Update> {
  const live = ctx.live.subscribe();
  const events = streamFrom(ctx, live, after, accept, preview);
  // A generator waiting for its next event cannot run `return()` until one arrives: a client
  // that went away (an SSE stream cancelled, a WebSocket `complete`) would hold its subscription
  // until the next story. Ending the live channel first wakes the generator, which then finishes.
  const end = () => void live.return?.();
  return {
    next: () => events.next(),
    return: (value?: unknown) => {
      end();
      return events.return(value as never);
    },
    throw: (error?: unknown) => {
      end();
      return events.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* streamFrom(
  ctx: Context,
  live: AsyncIterableIterator<LiveEvent>,
  after: number | null,
  accept: (e: LiveEvent) => boolean,
  preview: boolean,
): AsyncGenerator<Update> {
  await ctx.live.ready();
  // WebSocket operations are counted per client in server/ws.ts (identical ones share this stream).
  const counted = ctx.transport !== 'ws';
  if (counted) ctx.live.trackSubscription(+1);
  try {
    let last = after ?? ctx.live.position;
    const emit = (e: LiveEvent) => {
      last = e.id;
      ctx.lastEventId = e.id;
      // Each event is a fresh read: per-request caches must not carry rows from earlier events.
      ctx.loaders = createLoaders(ctx.prisma, ctx.viewer);
      return { ...e, preview };
    };
    if (after != null) {
      // Page through what was missed up to where the live stream took over.
      const upto = ctx.live.position;
      for (let page = await ctx.live.backlog(after, upto); page.length; page = await ctx.live.backlog(last, upto)) {
        for (const e of page) {
          if (accept(e)) yield emit(e);
          else last = e.id;
        }
      }
    }
    for await (const e of live) {
      if (e.id <= last) continue;
      if (accept(e)) yield emit(e);
      else last = e.id;
    }
  } finally {
    if (counted) ctx.live.trackSubscription(-1);
    await live.return?.();
  }
}

const isPublic = (e: LiveEvent) => e.article?.status === 'PUBLISHED';

builder.subscriptionFields((t) => ({
  storiesPublished: t.field({
    type: StoryUpdate,
    description: 'Each story as it is published (filter by section incl. subsections, tag, kind).',
    args: {
      section: t.arg.string(),
      tag: t.arg.string(),
      kind: t.arg({ type: [ArticleKind] }),
      after: t.arg.id({ description: 'The last eventId you received: missed stories come first.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      const sections = args.section == null ? null : new Set(await sectionSubtreeIds(ctx.loaders, args.section));
      const tagId =
        args.tag == null ? null : ((await ctx.prisma.tag.findUnique({ where: { slug: args.tag }, select: { id: true } }))?.id ?? -1);
      const kinds = args.kind?.length ? new Set<string>(args.kind) : null;
      return stream(
        ctx,
        after,
        (e) =>
          e.type === 'PUBLISHED' &&
          isPublic(e) &&
          (sections === null || sections.has(e.article!.sectionId)) &&
          (tagId === null || e.article!.tagIds.includes(tagId)) &&
          (kinds === null || kinds.has(e.article!.kind)),
      );
    },
    resolve: (update) => update,
  }),
  storyUpdated: t.field({
    type: StoryUpdate,
    description:
      'Changes to one story: PUBLISHED, UPDATED, CORRECTED, UNPUBLISHED. With an API key and `preview`, `article` shows the story whatever its status.',
    args: {
      id: t.arg.globalID({ required: true, for: [Article] }),
      after: t.arg.id(),
      preview: t.arg.boolean({ defaultValue: false }),
    },
    subscribe: (_root, args, ctx) => {
      const id = parseIntId(String(args.id.id));
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      return stream(ctx, after, (e) => e.articleId === id, args.preview ?? false);
    },
    resolve: (update) => update,
  }),
  editionUpdated: t.field({
    type: EditionUpdate,
    description: "An edition's placements changed (all editions, or the one with `slug`).",
    args: { slug: t.arg.string(), after: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      const editionId =
        args.slug == null ? null : ((await ctx.prisma.edition.findUnique({ where: { slug: args.slug }, select: { id: true } }))?.id ?? -1);
      return stream(ctx, after, (e) => e.type === 'EDITION_UPDATED' && (editionId === null || e.editionId === editionId));
    },
    resolve: (update) => update,
  }),
}));
