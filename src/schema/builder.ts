// The one SchemaBuilder: plugins, scalars and the Context type every module shares.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, isObjectType } from 'graphql';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';
import type { Context } from '../context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../newsroom/errors.js';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import { userError } from './errors.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: { list: false; items: false };
  DefaultNodeNullability: false;
  /** Every list resolver returns its count as a function: the statement runs only if asked. */
  Connection: { totalCount: () => Promise<number> };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
  };
}>({
  plugins: [ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  // Mutations declare `errors: {}` and return these as typed results (see schema/errors.ts).
  errors: { defaultTypes: [ValidationError, NotFoundError, ForbiddenError, ConflictError] },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: { list: false, items: false } },
    nodeFieldOptions: { nullable: false },
    nodeQueryOptions: {
      resolve: (_root, args, _ctx, info, resolveNode) => {
        assertNodeType(args.id, info);
        return resolveNode(args.id);
      },
    },
    nodesQueryOptions: {
      resolve: (_root, args, _ctx, info, resolveNodes) => {
        for (const id of args.ids) assertNodeType(id, info);
        return resolveNodes(args.ids);
      },
    },
  },
});

/** A well-formed global id of a type that has no ids (unknown, or not a Node) is the client's mistake. */
function assertNodeType(id: { typename: string }, info: GraphQLResolveInfo) {
  const type = info.schema.getType(id.typename);
  if (!isObjectType(type) || !type.getInterfaces().some((node) => node.name === 'Node')) {
    throw userError('This is not the id of anything here.', 'INVALID_ID');
  }
}

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('Date', DateResolver);

builder.queryType({ description: 'Published newsroom content. Anonymous readers see published articles only.' });
builder.mutationType({ description: 'Editorial changes (API key with a role) and recording reads (public).' });
