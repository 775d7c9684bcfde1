// Query.tags: the topic index (a "topics" page, places, people, organisations) as a connection, and
// each tag's count of published articles. Readers without a key see only tags with a
// published article: a tag added for a story not yet out says nothing before it is.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { mayMoveArticle } from '../newsroom/live.js';
import { visibleTagWhere } from '../newsroom/visibility.js';
import type { Prisma } from '../generated/prisma/client.js';
import { Tag, TagKind } from './tag.js';
import { builder } from './builder.js';
import type { CacheRules } from './cache-rules.js';
import { countedConnection, pageOptions } from './pagination.js';

const TagConnection = countedConnection(Tag, 'Tag', 'How many tags the list holds across all pages.');

builder.prismaObjectField(Tag, 'articleCount', (t) =>
  t.relationCount('articles', { description: 'How many published articles have this tag.', where: { article: { status: 'PUBLISHED' } } }),
);

builder.queryFields((t) => ({
  tags: t.connection(
    {
      type: Tag,
      description: 'Tags by name (ties by id). Without an API key: only tags with a published article.',
      args: { kind: t.arg({ type: [TagKind], description: 'Any of these kinds; all when absent or empty.' }) },
      resolve: async (_root, args, ctx, info) => {
        const options = pageOptions(args);
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as Prisma.TagFindManyArgs;
        const where: Prisma.TagWhereInput = { AND: [args.kind?.length ? { kind: { in: args.kind } } : {}, visibleTagWhere(ctx.viewer)] };
        const connection = await resolveOffsetConnection(options, ({ offset, limit }) =>
          ctx.prisma.tag.findMany({ ...query, where, orderBy: [{ name: 'asc' }, { id: 'asc' }], skip: offset, take: limit }),
        );
        return { ...connection, totalCount: () => ctx.prisma.tag.count({ where }) };
      },
    },
    TagConnection,
  ),
}));

/** A story published or taken down may add a tag to the list, drop one, or change a count. */
export const tagIndexCacheRules: CacheRules = {
  // Results with the index or a count carry 'TagIndex', an empty index 'TagEdge'; a story page
  // showing some (or none) does not.
  lists: [{ key: 'TagIndex', items: ['TagEdge'], fields: ['Tag.articleCount'] }],
  purge: (event) => (mayMoveArticle(event) ? [{ typename: 'TagIndex' }, { typename: 'TagEdge' }] : []),
};
