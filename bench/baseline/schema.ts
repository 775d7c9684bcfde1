// The baseline the gateway is compared with: the SAME printed SDL (schema/schema.graphql) built
// with graphql-js' buildSchema, and plain hand-written resolvers, the way a schema is often first
// written. The rule, kept everywhere: a root field is one Prisma query (plus one for totalCount
// when asked), and every field that needs more than its parent row runs its own Prisma query for
// each parent object. No query planning from the selection set, no DataLoader, no batching.
// Root-level SQL (list pages, most read, search, related) is the same as the gateway's, so the
// difference measured is what the prisma plan and the loaders buy.
//
// Only what the five bench shapes need is resolved; other fields keep graphql-js' default
// resolver. It is a comparison, not a product: visibility is the anonymous reader's
// (status = PUBLISHED), input checks are minimal.
import { readFileSync } from 'node:fs';
import { buildSchema, GraphQLError, GraphQLObjectType, GraphQLScalarType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';
import { createYoga } from 'graphql-yoga';
import { Prisma, type Article, type PrismaClient } from '../../src/generated/prisma/client.js';
import { RANKED_MATCHES } from '../../src/newsroom/search.js';

export type BaselineContext = { prisma: PrismaClient };

type Resolver = GraphQLFieldResolver<any, BaselineContext, any>;
type ArticleFilter = { section?: string | null; author?: string | null; tag?: string | null; kind?: string[] | null };

const PUBLISHED = { status: 'PUBLISHED' } as const;
const MAX_PAGE = 100;

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');
const cursorOf = (a: Article) => Buffer.from(`newest:${JSON.stringify([a.publishedAt?.getTime() ?? 0, a.id])}`).toString('base64');

function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (n < 0 || n > MAX_PAGE)
    throw new GraphQLError(`"first" must be between 0 and ${MAX_PAGE}.`, { extensions: { code: 'PAGE_SIZE_TOO_LARGE' } });
  return n;
}

/** The section with this slug and all below it (reads the section table each time it is asked). */
async function sectionSubtree(prisma: PrismaClient, slug: string): Promise<number[]> {
  const all = await prisma.section.findMany({ select: { id: true, slug: true, parentId: true } });
  const root = all.find((s) => s.slug === slug);
  if (!root) return [];
  const ids = [root.id];
  for (let i = 0; i < ids.length; i += 1) for (const s of all) if (s.parentId === ids[i]) ids.push(s.id);
  return ids;
}

async function articleWhere(prisma: PrismaClient, filter: ArticleFilter = {}): Promise<Prisma.ArticleWhereInput> {
  const and: Prisma.ArticleWhereInput[] = [PUBLISHED];
  if (filter.section != null) and.push({ sectionId: { in: await sectionSubtree(prisma, filter.section) } });
  if (filter.author != null) and.push({ bylines: { some: { author: { slug: filter.author } } } });
  if (filter.tag != null) and.push({ tags: { some: { tag: { slug: filter.tag } } } });
  if (filter.kind?.length) and.push({ kind: { in: filter.kind as Prisma.EnumArticleKindFilter['in'] } });
  return { AND: and };
}

/** Loads articles by id and returns them in the ids' order (one query). */
async function articlesInOrder(prisma: PrismaClient, ids: number[]): Promise<Article[]> {
  if (ids.length === 0) return [];
  const rows = await prisma.article.findMany({ where: { id: { in: ids }, ...PUBLISHED } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** A newest-first page of articles: the page query, and a count only if totalCount is asked. */
async function articleConnection(
  prisma: PrismaClient,
  args: { first?: number | null; after?: string | null; filter?: ArticleFilter | null; orderBy?: string | null },
  fixed: ArticleFilter = {},
) {
  if (args.orderBy && args.orderBy !== 'NEWEST') throw new GraphQLError('The baseline only implements orderBy: NEWEST.');
  const first = pageSize(args.first);
  const where = await articleWhere(prisma, { ...args.filter, ...fixed });
  const and: Prisma.ArticleWhereInput[] = [where];
  if (args.after) {
    const [publishedAt, id] = JSON.parse(
      Buffer.from(args.after, 'base64')
        .toString('utf8')
        .replace(/^newest:/, ''),
    ) as [number, number];
    and.push({ OR: [{ publishedAt: { lt: new Date(publishedAt) } }, { publishedAt: new Date(publishedAt), id: { lt: id } }] });
  }
  const rows = await prisma.article.findMany({ where: { AND: and }, orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }], take: first + 1 });
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    // graphql-js calls a function-valued property: the count runs only when the field is asked.
    totalCount: () => prisma.article.count({ where }),
  };
}

// The gateway's related stories (the RelatedArticle view), for one article at a time.
async function relatedIds(prisma: PrismaClient, articleId: number, limit: number): Promise<number[]> {
  const rows = await prisma.relatedArticle.findMany({
    where: { sourceId: articleId },
    orderBy: [{ score: 'desc' }, { publishedAt: 'desc' }, { articleId: 'desc' }],
    take: limit,
    select: { articleId: true },
  });
  return rows.map((r) => r.articleId);
}

// The gateway's search SQL (src/newsroom/search.ts), section and kind filters only.
const HIGHLIGHT = 'StartSel=<mark>, StopSel=</mark>, HighlightAll=true';
const SNIPPET = 'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "';

async function searchWhere(prisma: PrismaClient, filter: ArticleFilter): Promise<Prisma.Sql> {
  const conditions = [Prisma.sql`a."status" = 'PUBLISHED'`];
  if (filter.section != null) conditions.push(Prisma.sql`a."sectionId" = ANY(${await sectionSubtree(prisma, filter.section)}::int[])`);
  if (filter.kind?.length) conditions.push(Prisma.sql`a.kind::text = ANY(${filter.kind}::text[])`);
  if (filter.author != null || filter.tag != null) throw new GraphQLError('The baseline search filters by section and kind only.');
  return Prisma.join(conditions, ' AND ');
}

async function search(
  prisma: PrismaClient,
  args: { query: string; filter?: ArticleFilter | null; first?: number | null; after?: string | null },
) {
  const text = args.query.trim();
  if (!text) throw new GraphQLError('"query" must not be empty.', { extensions: { code: 'BAD_USER_INPUT' } });
  const first = pageSize(args.first);
  const offset = args.after ? Number(Buffer.from(args.after, 'base64').toString('utf8').replace(/^\D+/, '')) + 1 : 0;
  const filter = args.filter ?? {};
  const where = await searchWhere(prisma, filter);
  const rows = await prisma.$queryRaw<{ id: number; rank: number; headline: string; snippet: string }[]>(Prisma.sql`
    WITH candidate AS (
      SELECT a.id, a."publishedAt" FROM "Article" a, websearch_to_tsquery('english', ${text}) q
      WHERE a."searchVector" @@ q AND ${where}
      ORDER BY a."publishedAt" DESC, a.id DESC
      LIMIT ${RANKED_MATCHES}
    )
    SELECT a.id, ts_rank_cd(a."searchVector", q, 1) AS rank,
      ts_headline('english', a.headline, q, ${HIGHLIGHT}) AS headline,
      ts_headline('english', coalesce(a.summary, '') || E'\n' || a.body, any_term, ${SNIPPET}) AS snippet
    FROM candidate c JOIN "Article" a ON a.id = c.id, websearch_to_tsquery('english', ${text}) q,
      to_tsquery('simple', replace(replace(q::text, '<->', '|'), '&', '|')) any_term
    ORDER BY rank DESC, c."publishedAt" DESC, c.id DESC
    OFFSET ${offset} LIMIT ${first + 1}`);
  const edges = rows.slice(0, first).map((row, i) => ({
    cursor: Buffer.from(`OffsetConnection:${offset + i}`).toString('base64'),
    node: { ...row, id: Number(row.id), rank: Number(row.rank) },
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: offset > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: async () => {
      const [row] = await prisma.$queryRaw<{ count: bigint }[]>(Prisma.sql`
        SELECT count(*) AS count FROM "Article" a, websearch_to_tsquery('english', ${text}) q
        WHERE a."searchVector" @@ q AND ${where}`);
      return Number(row?.count ?? 0);
    },
  };
}

const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    article: (_root, args: { id?: string | null; slug?: string | null }, { prisma }) => {
      if ((args.id == null) === (args.slug == null)) throw new GraphQLError('Give exactly one of "id" and "slug".');
      const key = args.slug != null ? { slug: args.slug } : { id: Number(Buffer.from(args.id!, 'base64').toString('utf8').split(':')[1]) };
      return prisma.article.findFirst({ where: { ...key, ...PUBLISHED } });
    },
    articles: (_root, args, { prisma }) => articleConnection(prisma, args),
    section: (_root, args: { slug: string }, { prisma }) => prisma.section.findUnique({ where: { slug: args.slug } }),
    edition: (
      _root,
      args: { slug?: string | null; date?: Date | null; kind?: 'DAILY' | 'PRINT' | 'REGIONAL' | 'SPECIAL' | null },
      { prisma },
    ) => {
      if ((args.slug == null) === (args.date == null)) throw new GraphQLError('Give exactly one of "slug" and "date".');
      return prisma.edition.findUnique({
        where: args.slug != null ? { slug: args.slug } : { kind_date: { kind: args.kind ?? 'DAILY', date: args.date! } },
      });
    },
    collection: (_root, args: { slug: string }, { prisma }) => prisma.collection.findUnique({ where: { slug: args.slug } }),
    mostPopular: async (
      _root,
      args: { window?: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | null; section?: string | null; first?: number | null },
      { prisma },
    ) => {
      // The gateway's precomputed ranking (PopularArticle).
      const groups = await prisma.popularArticle.findMany({
        where: { window: args.window ?? 'DAY', article: await articleWhere(prisma, { section: args.section }) },
        orderBy: [{ reads: 'desc' }, { articleId: 'desc' }],
        take: pageSize(args.first, 10),
        select: { articleId: true },
      });
      return articlesInOrder(
        prisma,
        groups.map((g) => g.articleId),
      );
    },
    search: (_root, args, { prisma }) => search(prisma, args),
  },
  Article: {
    id: (a: Article) => globalId('Article', a.id),
    section: (a: Article, _args, { prisma }) => prisma.section.findUnique({ where: { id: a.sectionId } }),
    byline: (a: Article, _args, { prisma }) =>
      prisma.articleAuthor.findMany({ where: { articleId: a.id }, orderBy: [{ position: 'asc' }, { authorId: 'asc' }] }),
    tags: (a: Article, _args, { prisma }) =>
      prisma.tag.findMany({ where: { articles: { some: { articleId: a.id } } }, orderBy: { id: 'asc' } }),
    heroMedia: (a: Article, _args, { prisma }) =>
      a.heroMediaId == null ? null : prisma.media.findUnique({ where: { id: a.heroMediaId } }),
    corrections: (a: Article, _args, { prisma }) =>
      prisma.correction.findMany({ where: { articleId: a.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    related: async (a: Article, args: { first?: number | null }, { prisma }) => {
      const first = args.first ?? 5;
      if (first < 0 || first > 20)
        throw new GraphQLError('"first" must be between 0 and 20.', { extensions: { code: 'PAGE_SIZE_TOO_LARGE' } });
      return articlesInOrder(prisma, await relatedIds(prisma, a.id, first));
    },
  },
  BylineEntry: {
    author: (entry: { authorId: number }, _args, { prisma }) => prisma.author.findUnique({ where: { id: entry.authorId } }),
  },
  Section: {
    id: (s: { id: number }) => globalId('Section', s.id),
    children: (s: { id: number }, _args, { prisma }) =>
      prisma.section.findMany({ where: { parentId: s.id }, orderBy: [{ position: 'asc' }, { id: 'asc' }] }),
    parent: (s: { parentId: number | null }, _args, { prisma }) =>
      s.parentId == null ? null : prisma.section.findUnique({ where: { id: s.parentId } }),
    articles: (s: { slug: string }, args, { prisma }) => articleConnection(prisma, args, { section: s.slug }),
  },
  Edition: {
    id: (e: { id: number }) => globalId('Edition', e.id),
    placements: (e: { id: number }, _args, { prisma }) =>
      prisma.editionPlacement.findMany({ where: { editionId: e.id, article: PUBLISHED }, orderBy: [{ page: 'asc' }, { position: 'asc' }] }),
  },
  EditionPlacement: {
    article: (p: { articleId: number }, _args, { prisma }) => prisma.article.findUnique({ where: { id: p.articleId } }),
  },
  Collection: {
    id: (c: { id: number }) => globalId('Collection', c.id),
    articles: async (c: { id: number }, _args, { prisma }) => {
      const items = await prisma.collectionItem.findMany({
        where: { collectionId: c.id, article: PUBLISHED },
        orderBy: [{ position: 'asc' }, { articleId: 'asc' }],
        include: { article: true },
      });
      return items.map((item) => item.article);
    },
  },
  SearchResult: {
    article: (hit: { id: number }, _args, { prisma }) => prisma.article.findUnique({ where: { id: hit.id } }),
  },
};

/** schema/schema.graphql with the resolvers above attached. */
export function createBaselineSchema(): GraphQLSchema {
  const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
  for (const [name, scalar] of [
    ['Date', DateResolver],
    ['DateTime', DateTimeResolver],
  ] as const) {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLScalarType)) throw new Error(`schema/schema.graphql has no scalar ${name}`);
    Object.assign(type, { serialize: scalar.serialize, parseValue: scalar.parseValue, parseLiteral: scalar.parseLiteral });
  }
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!(type instanceof GraphQLObjectType)) throw new Error(`schema/schema.graphql has no object type ${typeName}`);
    const fieldMap = type.getFields();
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = fieldMap[fieldName];
      if (!field) throw new Error(`schema/schema.graphql has no field ${typeName}.${fieldName}`);
      field.resolve = resolve;
    }
  }
  return schema;
}

/** The baseline served by graphql-yoga at /graphql, like the gateway (no GraphiQL, masked errors). */
export function createBaselineYoga(prisma: PrismaClient) {
  return createYoga<Record<string, unknown>, BaselineContext>({
    schema: createBaselineSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: 'warn',
    context: () => ({ prisma }),
  });
}
