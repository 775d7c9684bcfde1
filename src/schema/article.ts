// Article: the node readers fetch by id or slug, its byline, media, corrections and related
// stories, and the `articles` list with filters and orderings.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { encodeGlobalID, resolveCursorConnection, resolveOffsetConnection, type DefaultConnectionArguments } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../context.js';
import {
  articleCountOf,
  articleWhere,
  mostReadCount,
  mostReadPage,
  newestPage,
  newestPageOf,
  type ArticleFilter,
} from '../newsroom/articles.js';
import type { ArticleParent, ParentKind } from '../newsroom/parent-pages.js';
import { mayMoveArticle, mayRefileArticles } from '../newsroom/live.js';
import type { PopularityWindow } from '../newsroom/popularity.js';
import { visibleArticleWhere } from '../newsroom/visibility.js';
import type { Prisma } from '../generated/prisma/client.js';
import * as enums from '../generated/prisma/enums.js';
import { builder } from './builder.js';
import './media.js';
import {
  ARTICLE_LIST,
  COLLECTION_ARTICLE_LISTS,
  collectionArticleList,
  KIND_ARTICLE_LISTS,
  kindArticleList,
  SECTION_ARTICLE_LISTS,
  sectionArticleList,
  type CacheRules,
} from './cache-rules.js';
import { userError } from './errors.js';
import { countedConnection, decodeKeyCursor, encodeKeyCursor, isCursorId, isCursorTime, pageOptions } from './pagination.js';

// Enums the database defines take their values from Prisma's generated enums.
export const ArticleKind = builder.enumType(enums.ArticleKind, { name: 'ArticleKind' });
export const ArticleStatus = builder.enumType(enums.ArticleStatus, { name: 'ArticleStatus' });
export const BylineRole = builder.enumType(enums.BylineRole, { name: 'BylineRole' });
export const PopularityWindowEnum = builder.enumType(enums.PopularityWindow, {
  name: 'PopularityWindow',
  description: 'How far back read counts are summed.',
});
export const ArticleOrder = builder.enumType('ArticleOrder', {
  values: {
    NEWEST: { description: 'Newest published first.' },
    MOST_READ: { description: 'Most read in `window` first; lists only articles read in the window.' },
  } as const,
});

/** Parses the numeric part of a global id; anything else is a typed input error. */
export function parseIntId(id: string | number): number {
  const value = typeof id === 'number' ? id : /^\d{1,10}$/.test(id) ? Number(id) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 2_147_483_647) {
    throw userError(`"${id}" is not a valid id.`, 'INVALID_ID');
  }
  return value;
}

export const Correction = builder.prismaObject('Correction', {
  fields: (t) => ({
    text: t.exposeString('text'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const BylineEntry = builder.prismaObject('ArticleAuthor', {
  name: 'BylineEntry',
  description: 'One name in a byline, in the order printed.',
  fields: (t) => ({
    author: t.relation('author'),
    role: t.expose('role', { type: BylineRole }),
    position: t.exposeInt('position'),
  }),
});

export const Article = builder.prismaNode('Article', {
  id: { field: 'id' },
  // Select mode, so a list of cards never reads the bodies. The small columns come with every row
  // and are read by plain resolvers: an exposed column would cost a loader check per field and row.
  select: {
    id: true,
    slug: true,
    headline: true,
    summary: true,
    kind: true,
    status: true,
    dateline: true,
    publishedAt: true,
    updatedAt: true,
    scheduledAt: true,
    version: true,
  },
  nullable: true,
  // Loading by global id applies the same visibility rule as every other path.
  findUnique: (id, ctx) => {
    const key = parseIntId(id);
    return { id: key, AND: [visibleArticleWhere(ctx.viewer, ctx.previewed.has(key))] };
  },
  fields: (t) => ({
    slug: t.string({ resolve: (a) => a.slug }),
    headline: t.string({ description: 'Plain text: escape it when writing HTML.', resolve: (a) => a.headline }),
    summary: t.string({ nullable: true, description: 'Plain text (the dek).', resolve: (a) => a.summary }),
    kind: t.field({ type: ArticleKind, resolve: (a) => a.kind }),
    status: t.field({ type: ArticleStatus, resolve: (a) => a.status }),
    dateline: t.string({ nullable: true, resolve: (a) => a.dateline }),
    publishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.publishedAt }),
    updatedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The public "Updated" time: set by corrections and edits after publication.',
      resolve: (a) => a.updatedAt,
    }),
    section: t.relation('section'),
    byline: t.relation('bylines', { query: { orderBy: [{ position: 'asc' }, { authorId: 'asc' }] } }),
    heroMedia: t.relation('heroMedia', { nullable: true }),
    corrections: t.relation('corrections', { query: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } }),
    version: t.int({ description: 'Send it back with an update: a stale version is a conflict.', resolve: (a) => a.version }),
    scheduledAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.scheduledAt }),
  }),
});

/** At most this many related stories per article. */
export const MAX_RELATED = 20;

builder.prismaObjectField(Article, 'related', (t) =>
  t.field({
    type: [Article],
    description: `Published stories sharing tags (first) or the section, newest first among equals; at most ${MAX_RELATED}.`,
    args: { first: t.arg.int({ defaultValue: 5 }) },
    // Through the RelatedArticle view: loaded with the article itself, in the same statement. The
    // filter on its rank lets PostgreSQL build only the cards asked for, not all 50 candidates'.
    select: (args, _ctx, nestedSelection) => {
      const take = Math.min(Math.max(args.first ?? 5, 0), MAX_RELATED);
      return {
        relatedLinks: {
          where: { rank: { lte: take } },
          orderBy: [{ score: 'desc' }, { publishedAt: 'desc' }, { articleId: 'desc' }],
          take,
          select: { article: nestedSelection(true) },
        },
      };
    },
    resolve: (article, args) => {
      const first = args.first ?? 5;
      if (first < 0 || first > MAX_RELATED) {
        throw userError(`"first" must be between 0 and ${MAX_RELATED}.`, 'PAGE_SIZE_TOO_LARGE', { max: MAX_RELATED });
      }
      return article.relatedLinks.map((link) => link.article);
    },
  }),
);

export const ArticleFilterInput = builder.inputType('ArticleFilter', {
  description: 'All given conditions must hold. Unknown slugs match nothing.',
  fields: (t) => ({
    section: t.string({ description: 'Section slug; includes its subsections.' }),
    author: t.string({ description: 'Author slug (anyone in the byline).' }),
    tag: t.string({ description: 'Tag slug.' }),
    kind: t.field({ type: [ArticleKind] }),
    edition: t.string({ description: 'Edition slug: articles placed in that edition.' }),
    publishedAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    publishedBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

export const ArticleConnection = countedConnection(Article, 'Article', 'How many articles the list holds across all pages.');

type ArticleListArgs = DefaultConnectionArguments & {
  filter?: ArticleFilter | null;
  orderBy?: 'NEWEST' | 'MOST_READ' | null;
  window?: PopularityWindow | null;
};

/** The arguments every article list takes (top-level and below sections, authors, tags). */
export const articleListArgs = builder.args((t) => ({
  filter: t.field({ type: ArticleFilterInput }),
  orderBy: t.field({ type: ArticleOrder, defaultValue: 'NEWEST' }),
  window: t.field({ type: PopularityWindowEnum, defaultValue: 'DAY', description: 'For MOST_READ.' }),
}));

/**
 * Resolves any article list: one statement for the page, one more only if totalCount is asked.
 * A tag's, an author's or a section's list (`parent`, its filter in `fixed`) in the newest order
 * without a filter of the client's is batched with the same list of every other parent in the
 * operation: two statements for all their pages, one for all their counts (parent-pages.ts).
 */
export async function resolveArticleList(
  ctx: Context,
  info: GraphQLResolveInfo,
  args: ArticleListArgs,
  fixed: ArticleFilter = {},
  parent?: ArticleParent & { via: ParentKind },
) {
  const options = pageOptions(args);
  const where = await articleWhere(ctx, { ...args.filter, ...fixed });
  const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as { select: Prisma.ArticleSelect };
  if (args.orderBy === 'MOST_READ') {
    const window = args.window ?? 'DAY';
    const connection = await resolveOffsetConnection(options, ({ offset, limit }) =>
      mostReadPage(ctx, query, where, window, { offset, limit }),
    );
    return { ...connection, totalCount: () => mostReadCount(ctx, where, window) };
  }
  const toKey = (cursor: string) => {
    const [publishedAt, id] = decodeKeyCursor('newest', cursor);
    // Out of range values would reach the database as a failed statement.
    if (!isCursorTime(publishedAt) || !isCursorId(id)) throw userError('Invalid cursor.', 'INVALID_CURSOR');
    return { publishedAt: new Date(publishedAt), id };
  };
  const batched = parent && !hasFilter(args.filter) ? { ...parent, where } : undefined;
  const connection = await resolveCursorConnection(
    {
      ...options,
      toCursor: (a: { publishedAt: Date | null; id: number }) => encodeKeyCursor('newest', [a.publishedAt?.getTime() ?? 0, a.id]),
    } as never,
    ({ after, before, limit, inverted }) => {
      // The cursor is (publishedAt, id), whatever the client selected.
      const withKey = { select: { ...query.select, publishedAt: true } };
      const page = { after: after ? toKey(after) : undefined, before: before ? toKey(before) : undefined, limit, inverted };
      return batched ? newestPageOf(ctx, withKey, batched, page) : newestPage(ctx, withKey, where, page);
    },
  );
  return {
    ...connection,
    totalCount: () => (batched ? articleCountOf(ctx, batched) : ctx.prisma.article.count({ where })),
  };
}

/** Whether the client narrowed a list (an empty list of kinds does not). */
const hasFilter = (filter: ArticleListArgs['filter']) =>
  filter != null && Object.values(filter).some((value) => value != null && !(Array.isArray(value) && value.length === 0));

builder.queryFields((t) => ({
  article: t.prismaField({
    type: 'Article',
    nullable: true,
    description: 'One article by global id or slug; null when there is none the viewer may read.',
    args: {
      id: t.arg.globalID({ for: [Article] }),
      slug: t.arg.string(),
      preview: t.arg.boolean({
        defaultValue: false,
        description: 'With an API key: also drafts, scheduled and unpublished articles you may edit. Without: ignored.',
      }),
    },
    resolve: (query, _root, args, ctx) => {
      if ((args.id == null) === (args.slug == null)) throw userError('Give exactly one of "id" and "slug".');
      const key = args.id ? { id: parseIntId(String(args.id.id)) } : { slug: args.slug! };
      const visible = visibleArticleWhere(ctx.viewer, args.preview ?? false);
      return ctx.prisma.article.findUnique({ ...query, where: { ...key, AND: [visible] } }).then((article) => {
        if (article && args.preview) ctx.previewed.add(article.id);
        return article;
      });
    },
  }),
  articles: t.connection(
    {
      type: Article,
      description: 'Articles, newest first or most read in a window, filtered.',
      args: articleListArgs,
      resolve: (_root, args, ctx, info) => {
        // Keyed (cache-rules.ts): a list filtered by kind only by its kinds, any other by ArticleList.
        const kinds = args.filter?.kind;
        if (kinds?.length) {
          ctx.cacheKeys.add(KIND_ARTICLE_LISTS);
          for (const kind of kinds) ctx.cacheKeys.add(kindArticleList(kind));
        } else {
          ctx.cacheKeys.add(ARTICLE_LIST);
        }
        return resolveArticleList(ctx, info, args);
      },
    },
    ArticleConnection,
  ),
}));

export const articleCacheRules: CacheRules = {
  ttl: { ArticleConnection: 'list' },
  // Related stories and Most Popular are rankings a new story joins only after a while (shared
  // tags, reads): they live out their TTL, so a story's own page survives other stories' publishes.
  // Keyed lists, whose resolvers add narrower keys: a section's articles by the sections they
  // hold (section.ts: a story published in Asia purges World's and Asia's fronts, not the other
  // sections'), a collection's by the collection, a top-level list filtered by kind by its kinds.
  lists: [
    {
      key: ARTICLE_LIST,
      items: ['Article', 'ArticleEdge'],
      except: ['Article.related', 'Query.mostPopular'],
      keyed: ['Section.articles', 'Collection.articles', 'Query.articles'],
    },
  ],
  purge(event) {
    // A section, tag or author renamed or moved: lists filtered by its slug hold other articles.
    if (mayRefileArticles(event))
      return [
        { typename: ARTICLE_LIST },
        { typename: SECTION_ARTICLE_LISTS },
        { typename: COLLECTION_ARTICLE_LISTS },
        { typename: KIND_ARTICLE_LISTS },
        { typename: 'Article' },
        { typename: 'ArticleEdge' },
      ];
    if (event.articleId == null) return [];
    const article = { typename: 'Article', id: encodeGlobalID('Article', event.articleId) };
    if (!mayMoveArticle(event)) return [article];
    // Every result showing it goes. Any list of articles may gain or lose it (latest, tag and
    // author pages), so every result with such a list goes, and every empty list or null that
    // could now hold it. (A tag's or author's connection asked only for `totalCount` holds no
    // list: it lives out its list TTL; the keyed lists go whatever they were asked for.) Of the
    // sections' lists, a publish or unpublish changes only those holding its section (the event's
    // section is the article's at the time, and an edit while it was listed was an UPDATED
    // event); an edit may have moved it from any section: all of them.
    const listed = event.type === 'PUBLISHED' || event.type === 'UNPUBLISHED';
    const sections = listed && event.sectionId != null ? [sectionArticleList(event.sectionId)] : [SECTION_ARTICLE_LISTS];
    // A collection shows only its published items: a publish adds the story to the collections
    // holding it now (a later change of its items is a collection event, which purges the
    // collection). An unpublish or edit: every collection's list (the story's items may have
    // changed since, without an event while it was unpublished).
    const collections =
      event.type === 'PUBLISHED' && event.article ? event.article.collectionIds.map(collectionArticleList) : [COLLECTION_ARTICLE_LISTS];
    // Lists filtered by kind: a publish changes those of the story's kind; an unpublish or edit
    // (the kind may have changed since, or with it) every kind's.
    const kinds = event.type === 'PUBLISHED' && event.article ? [kindArticleList(event.article.kind)] : [KIND_ARTICLE_LISTS];
    return [
      article,
      { typename: ARTICLE_LIST },
      ...[...sections, ...collections, ...kinds].map((typename) => ({ typename })),
      { typename: 'Article' },
      { typename: 'ArticleEdge' },
    ];
  },
};
