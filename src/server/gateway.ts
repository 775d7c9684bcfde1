// createGateway: the GraphQL gateway over one database, without listening on a port, so tests
// drive it in-process (`yoga.fetch`) or behind a real server.
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import { createContext, type Context } from '../context.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { authenticate } from '../newsroom/auth.js';
import { maskedError, toClientError } from '../schema/errors.js';
import { schema } from '../schema/index.js';

export type Gateway = {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  db: Database;
};

export function createGateway(options: { config: Config; db: Database; logger: Logger }): Gateway {
  const { config, db, logger } = options;
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: config.graphiql ? { title: 'Newsroom gateway', defaultQuery: exampleQuery } : false,
    logging: logger.child({ component: 'yoga' }),
    // A bad key fails the request with 401 (see toClientError); no key is an anonymous reader.
    context: async ({ request }) => createContext(db.prisma, await authenticate(db.prisma, request.headers.get('authorization'))),
    maskedErrors: {
      // Input errors keep their message and code; everything else becomes one opaque error,
      // logged here with its details and never sent to the client.
      maskError(error) {
        const clientError = toClientError(error);
        if (clientError) return clientError;
        logger.error({ err: error instanceof GraphQLError ? (error.originalError ?? error) : error }, 'unexpected error');
        return maskedError(error);
      },
    },
  });
  return { yoga, db };
}

const exampleQuery = /* GraphQL */ `# Try the day's e-paper and the newest stories.
{
  edition(date: "2025-03-01") { name placements { page position article { headline } } }
  articles(first: 5) { totalCount edges { node { headline publishedAt section { name } } } }
}
`;
