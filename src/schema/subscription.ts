// Live updates: stories published, changes to one story, edition, collection and section
// changes (what a homepage follows). Every event carries
// its StoryEvent id (`eventId`, and `extensions.eventId`, and the SSE `id:`); pass the last
// one seen as `after` (SSE: Last-Event-ID) to receive what was missed first, in order.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Context } from '../context.js';
import * as enums from '../generated/prisma/enums.js';
import { createLoaders, sectionSubtreeIds } from '../newsroom/loaders.js';
import type { LiveEvent, LiveHub } from '../newsroom/live.js';
import { visibleArticleWhere } from '../newsroom/visibility.js';
import { Article, ArticleKind, parseIntId } from './article.js';
import { builder } from './builder.js';
import { Collection } from './collection.js';
import { Edition } from './edition.js';
import { userError } from './errors.js';
import { Section } from './section.js';

builder.subscriptionType({ description: 'Live story updates over WebSocket (graphql-transport-ws) or SSE.' });

export const StoryEventTypeEnum = builder.enumType(enums.StoryEventType, {
  name: 'StoryEventType',
  description:
    'What changed. Stories: PUBLISHED, UPDATED, CORRECTED, UNPUBLISHED. Other objects: EDITION_CREATED/UPDATED, COLLECTION_CREATED/UPDATED, SECTION_CREATED/UPDATED/DELETED, TAG_CREATED/UPDATED, AUTHOR_CREATED/UPDATED.',
});

export type Update = LiveEvent & { preview: boolean };

/** Rows loaded for an event per hub, by selection and rights; each entry lives 30 s. */
const loadedRows = new WeakMap<LiveHub, Map<string, Promise<unknown>>>();

/** An event's row, loaded once for every subscriber with the same selection and rights (5,000 subscribers, one statement). */
export function loadOnce<T>(ctx: Context, eventId: number, key: string, load: () => Promise<T>): Promise<T> {
  let rows = loadedRows.get(ctx.live);
  if (!rows) loadedRows.set(ctx.live, (rows = new Map()));
  const cacheKey = `${eventId}|${key}`;
  let pending = rows.get(cacheKey) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    rows.set(cacheKey, pending);
    setTimeout(() => rows.delete(cacheKey), 30_000).unref();
  }
  return pending;
}

export const LiveEventRef = builder.interfaceRef<Update>('LiveEvent').implement({
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
        return loadOnce(ctx, e.id, JSON.stringify([where, query]), () => ctx.prisma.article.findFirst({ ...query, where }));
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
        return loadOnce(ctx, e.id, JSON.stringify(['edition', query, ctx.viewer.kind]), () =>
          ctx.prisma.edition.findUnique({ ...query, where: { id: e.editionId ?? 0 } }),
        );
      },
    }),
  }),
});

const CollectionUpdate = builder.objectRef<Update>('CollectionUpdate').implement({
  interfaces: [LiveEventRef],
  description:
    'The collection changed (COLLECTION_CREATED, COLLECTION_UPDATED), or a story in it did (PUBLISHED, UPDATED, CORRECTED, UNPUBLISHED): re-render it from `collection`.',
  fields: (t) => ({
    articleId: t.id({
      nullable: true,
      description: 'For a story event: the story that changed (it may no longer be visible in `collection`).',
      resolve: (e) => (e.articleId == null ? null : encodeGlobalID('Article', e.articleId)),
    }),
    collection: t.field({
      type: Collection,
      nullable: true,
      description: 'The collection as it is now, with the articles you may read.',
      resolve: (e, _args, ctx, info) => {
        const query = queryFromInfo({ context: ctx, info });
        const id = (e as CollectionEvent).followedCollection;
        return loadOnce(ctx, e.id, JSON.stringify(['collection', id, query]), () =>
          ctx.prisma.collection.findUnique({ ...query, where: { id } }),
        );
      },
    }),
  }),
});

const SectionUpdate = builder.objectRef<Update>('SectionUpdate').implement({
  interfaces: [LiveEventRef],
  description: 'A section was created, changed (name, slug, parent, position) or deleted.',
  fields: (t) => ({
    sectionId: t.id({ resolve: (e) => encodeGlobalID('Section', e.sectionId ?? 0) }),
    section: t.field({
      type: Section,
      nullable: true,
      description: 'The section as it is now; null after SECTION_DELETED.',
      resolve: (e, _args, ctx, info) => {
        const query = queryFromInfo({ context: ctx, info });
        return loadOnce(ctx, e.id, JSON.stringify(['section', query]), () =>
          ctx.prisma.section.findUnique({ ...query, where: { id: e.sectionId ?? 0 } }),
        );
      },
    }),
  }),
});

/** An event as a collection's subscribers get it: about the collection they follow (by id: a rename keeps it). */
type CollectionEvent = Update & { followedCollection: number };

/** Tags each event with the followed collection; next/return/throw go straight to `events` (its return ends a waiting stream). */
function followingCollection(events: AsyncIterableIterator<LiveEvent>, id: number): AsyncIterableIterator<LiveEvent> {
  return {
    next: async () => {
      const result = await events.next();
      return result.done ? result : { done: false, value: { ...result.value, followedCollection: id } as LiveEvent };
    },
    return: (value?: unknown) => events.return!(value),
    throw: (error?: unknown) => events.throw!(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** The id of the row with `slug`, or -1 (matches no event) when there is none. */
async function idOfSlug(find: Promise<{ id: number } | null>): Promise<number> {
  return (await find)?.id ?? -1;
}

export function parseAfter(ctx: Context, after: string | null | undefined): number | null {
  const value = after ?? ctx.resumeAfter;
  if (value == null) return null;
  if (!/^\d{1,10}$/.test(value)) throw userError(`"after" must be an event id, got "${value}".`, 'INVALID_CURSOR');
  return Number(value);
}

/** The events a subscription follows; WebSocket operations are counted per client in server/ws.ts (identical ones share one). */
export function follow(ctx: Context, after: number | null, accept: (e: LiveEvent) => boolean) {
  return ctx.live.follow(after, accept, { counted: ctx.transport !== 'ws' });
}

/** Runs for each event a subscription emits, before its fields resolve. */
export function update(ctx: Context, e: LiveEvent, preview = false): Update {
  ctx.lastEventId = e.id;
  // Each event is a fresh read: per-request caches must not carry rows from earlier events.
  ctx.loaders = createLoaders(ctx.prisma, ctx.viewer, ctx.loaders.sectionTree);
  return { ...e, preview };
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
      return follow(
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
    resolve: (e, _args, ctx) => update(ctx, e),
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
      return follow(ctx, after, (e) => e.articleId === id);
    },
    resolve: (e, args, ctx) => update(ctx, e, args.preview ?? false),
  }),
  editionUpdated: t.field({
    type: EditionUpdate,
    description:
      'An edition was created (EDITION_CREATED) or its placements changed (EDITION_UPDATED): all editions, or the one with `slug`.',
    args: { slug: t.arg.string(), after: t.arg.id() },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      const editionId =
        args.slug == null ? null : ((await ctx.prisma.edition.findUnique({ where: { slug: args.slug }, select: { id: true } }))?.id ?? -1);
      return follow(
        ctx,
        after,
        (e) => (e.type === 'EDITION_UPDATED' || e.type === 'EDITION_CREATED') && (editionId === null || e.editionId === editionId),
      );
    },
    resolve: (e, _args, ctx) => update(ctx, e),
  }),
  collectionUpdated: t.field({
    type: CollectionUpdate,
    description:
      'Changes to the collection with `slug` (e.g. the homepage "Must Read"): its items, name or description, and stories in it published, updated, corrected or unpublished.',
    args: {
      slug: t.arg.string({ required: true, description: 'The collection, e.g. "must-read".' }),
      after: t.arg.id({ description: 'The last eventId you received: missed events come first.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      const id = await idOfSlug(ctx.prisma.collection.findUnique({ where: { slug: args.slug }, select: { id: true } }));
      // Story events count when the story is in the collection now (the hub read its collections).
      return followingCollection(
        follow(ctx, after, (e) => e.collectionId === id || (e.articleId != null && !!e.article?.collectionIds.includes(id))),
        id,
      );
    },
    resolve: (e, _args, ctx) => update(ctx, e),
  }),
  sectionUpdated: t.field({
    type: SectionUpdate,
    description: 'Sections created, changed or deleted (all of them: the site navigation; or the one with `slug`).',
    args: {
      slug: t.arg.string({ description: 'One section; all sections when left out.' }),
      after: t.arg.id({ description: 'The last eventId you received: missed events come first.' }),
    },
    subscribe: async (_root, args, ctx) => {
      const after = parseAfter(ctx, args.after == null ? null : String(args.after));
      const id =
        args.slug == null ? null : await idOfSlug(ctx.prisma.section.findUnique({ where: { slug: args.slug }, select: { id: true } }));
      return follow(ctx, after, (e) => e.type.startsWith('SECTION_') && (id === null || e.sectionId === id));
    },
    resolve: (e, _args, ctx) => update(ctx, e),
  }),
}));
