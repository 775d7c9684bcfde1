// Query.authors: the author index (an "our writers" page, an agency list) as a connection, and
// each author's count of published articles. Readers without a key see only authors with a
// published article: an author added for a story not yet out says nothing before it is.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { mayMoveArticle } from '../newsroom/live.js';
import { visibleAuthorWhere } from '../newsroom/visibility.js';
import type { Prisma } from '../generated/prisma/client.js';
import { Author, AuthorKind } from './author.js';
import { builder } from './builder.js';
import type { CacheRules } from './cache-rules.js';
import { countedConnection, pageOptions } from './pagination.js';

const AuthorConnection = countedConnection(Author, 'Author', 'How many authors the list holds across all pages.');

builder.prismaObjectField(Author, 'articleCount', (t) =>
  t.relationCount('bylines', {
    description: 'How many published articles have this author in the byline.',
    where: { article: { status: 'PUBLISHED' } },
  }),
);

builder.queryFields((t) => ({
  authors: t.connection(
    {
      type: Author,
      description: 'Authors by name (ties by id). Without an API key: only authors with a published article.',
      args: { kind: t.arg({ type: [AuthorKind], description: 'Any of these kinds; all when absent or empty.' }) },
      resolve: async (_root, args, ctx, info) => {
        const options = pageOptions(args);
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as Prisma.AuthorFindManyArgs;
        const where: Prisma.AuthorWhereInput = {
          AND: [args.kind?.length ? { kind: { in: args.kind } } : {}, visibleAuthorWhere(ctx.viewer)],
        };
        const connection = await resolveOffsetConnection(options, ({ offset, limit }) =>
          ctx.prisma.author.findMany({ ...query, where, orderBy: [{ name: 'asc' }, { id: 'asc' }], skip: offset, take: limit }),
        );
        return { ...connection, totalCount: () => ctx.prisma.author.count({ where }) };
      },
    },
    AuthorConnection,
  ),
}));

/** A story published or taken down may add an author to the list, drop one, or change a count. */
export const authorIndexCacheRules: CacheRules = {
  // Results with the index or a count carry 'AuthorIndex', an empty index 'AuthorEdge'; a story page
  // showing some (or none) does not.
  lists: [{ key: 'AuthorIndex', items: ['AuthorEdge'], fields: ['Author.articleCount'] }],
  purge: (event) => (mayMoveArticle(event) ? [{ typename: 'AuthorIndex' }, { typename: 'AuthorEdge' }] : []),
};
