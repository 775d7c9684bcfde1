// createGateway: the GraphQL gateway over one database, without listening on a port, so tests
// drive it in-process (`yoga.fetch`) or behind a real server.
import { GraphQLError } from 'graphql';
import { createYoga, type GraphiQLRenderer, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from '../config.js';
import { createContext, type Context } from '../context.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { anonymous, type Viewer } from '../newsroom/auth.js';
import { LiveHub } from '../newsroom/live.js';
import { maskedError, toClientError } from '../schema/errors.js';
import { cacheRules, schema } from '../schema/index.js';
import { badInputPlugins } from './bad-input.js';
import { SectionTree } from '../newsroom/section-tree.js';
import { useCdnTags } from './cdn-purge.js';
import { frontDoor, type FrontDoor } from './front-door.js';
import { bodyLimit, httpPolicy, type HttpPolicy } from './http-policy.js';
import { type AnonymousCapacity, anonymousCapacity, stopAbandonedQueries } from './database-capacity.js';
import { useFeeds } from './feeds.js';
import { useFrontPage } from './front-page.js';
import { useLiveEventIds } from './live-transport.js';
import { createLiveTrace, type LiveTrace } from './live-trace.js';
import { databaseUnavailable, observability, type Observability } from './observability.js';
import { persistedOperations, type PersistedOperations } from './persisted-operations.js';
import { resourceLimits, type ResourceLimits } from './resource-limits.js';
import { responseCache, type ResponseCache } from './response-cache.js';

export type Gateway = {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  db: Database;
  live: LiveHub;
  /** The section tree this gateway's requests expand sections with. */
  sectionTree: SectionTree;
  observability: Observability;
  httpPolicy: HttpPolicy;
  frontDoor: FrontDoor;
  responseCache: ResponseCache;
  persistedOperations: PersistedOperations;
  resourceLimits: ResourceLimits;
  /** Places and turns of anonymous operations (database-capacity.ts). */
  capacity: AnonymousCapacity;
  /** LIVE_TRACE_FILE's timeline of the live fan-out, when set. */
  liveTrace?: LiveTrace;
};

export function createGateway(options: { config: Config; db: Database; logger: Logger }): Gateway {
  const { config, db, logger } = options;
  const liveTrace = createLiveTrace(config.liveTraceFile);
  const live = new LiveHub(db.prisma, logger.child({ component: 'live' }), {
    redisUrl: config.redisUrl,
    redisKeyPrefix: config.redisKeyPrefix,
    pollMs: config.outboxPollMs,
    safetyPollMs: config.outboxPollWithRedisMs,
    // Before caches purge for new events: readers stay off replicas that have not replayed them.
    beforeFanOut: db.replicas && (() => db.replicas!.fence()),
    onRead: liveTrace?.eventsRead,
  });
  const obs = observability({ config, db, logger, live });
  // Expanding a section to its subtree reads this gateway's copy of the tree (dropped on section events).
  const sectionTree = new SectionTree(live, logger.child({ component: 'section-tree' }));
  const door = frontDoor(config, { prisma: db.prisma, logger });
  const policy = httpPolicy(config);
  // Caps per client count by the reader's address as the front door sees it (TRUST_PROXY).
  const resources = resourceLimits(config.resources, door.addressOf);
  // Persisted operations resolve the document before the response cache keys by it.
  const persisted = persistedOperations({ mode: config.persistedOperations, logger });
  const cache = responseCache({
    config: config.responseCache,
    live,
    rules: cacheRules,
    schema,
    logger: logger.child({ component: 'response-cache' }),
  });
  // Yoga logs every error maskError replaces, at error level with its stack; maskError logs each
  // one itself instead: the client's mistakes at info without a stack, failures at error.
  const handled = new WeakSet<object>();
  const yogaOwn = logger.child({ component: 'yoga' });
  const yogaLogger = {
    debug: (...args: unknown[]) => yogaOwn.debug(args[0] as string),
    info: (...args: unknown[]) => yogaOwn.info(args[0] as string),
    warn: (...args: unknown[]) => yogaOwn.warn(args[0] as string),
    error: (...args: unknown[]) => {
      if (typeof args[0] === 'object' && args[0] !== null && handled.has(args[0])) return;
      yogaOwn.error(args[0] as string);
    },
  };
  const capacity = anonymousCapacity(config.anonymousOperations);
  const yoga = createYoga<Record<string, unknown>, Context>({
    ...policy.yogaOptions,
    schema,
    graphqlEndpoint: '/graphql',
    extraParamNames: persisted.extraParamNames,
    landingPage: false,
    graphiql: config.graphiql ? { title: 'Newsroom gateway', defaultQuery: exampleQuery } : false,
    // GraphiQL's assets come bundled from npm, not from a CDN: it works offline and behind firewalls.
    renderGraphiQL,
    logging: yogaLogger,
    // The front door checked the key (a bad one is a 401) before the request got here; WebSocket
    // operations pass the viewer their own admission found.
    // Anonymous readers use their own connections; keyed requests use the reserved ones.
    context: (initial: { request?: Request; viewer?: Viewer }) => {
      const viewer = initial.viewer ?? door.viewerOf(initial.request) ?? anonymous;
      return createContext(viewer.kind === 'anonymous' ? db.readers : db.prisma, live, viewer, {
        resumeAfter: initial.request?.headers.get('last-event-id') ?? undefined,
        clientGone: initial.request?.signal,
        webhooks: config.webhooks,
        images: config.images,
        sectionTree,
      });
    },
    plugins: [
      ...obs.plugins,
      door.plugin,
      resources.plugin,
      ...policy.plugins,
      ...badInputPlugins({ suggestions: config.introspection }),
      useLiveEventIds(),
      useFrontPage({ siteName: config.site.name, timeZone: config.site.timeZone }),
      useFeeds({ config, db, frontDoor: door, capacity, observability: obs, logger: logger.child({ component: 'feeds' }) }),
      ...persisted.plugins,
      ...cache.plugins,
      capacity.plugin,
      stopAbandonedQueries(),
      ...useCdnTags(config.cdnPurge.target),
      ...obs.lastPlugins,
      // Where yoga's own body limit ran: after every plugin, so it wraps the parser yoga chose.
      bodyLimit(config.maxBodyBytes),
    ],
    maskedErrors: {
      // Input errors keep their message and code; everything else becomes one opaque error,
      // logged here with its details and never sent to the client.
      maskError(error) {
        if (typeof error === 'object' && error !== null) handled.add(error);
        const clientError = toClientError(error);
        if (clientError) {
          logger.info({ code: clientError.extensions.code, message: clientError.message.slice(0, 200) }, 'client error');
          return clientError;
        }
        const outage = databaseUnavailable(error);
        if (outage) {
          logger.warn({ code: outage.extensions.code, err: errorMessage(error) }, 'database unavailable');
          return outage;
        }
        logger.error({ err: error instanceof GraphQLError ? (error.originalError ?? error) : error }, 'unexpected error');
        return maskedError(error);
      },
    },
  });
  return {
    yoga,
    db,
    live,
    sectionTree,
    observability: obs,
    httpPolicy: policy,
    frontDoor: door,
    responseCache: cache,
    persistedOperations: persisted,
    resourceLimits: resources,
    capacity,
    liveTrace,
  };
}

const errorMessage = (error: unknown) =>
  String((error instanceof GraphQLError ? (error.originalError ?? error) : (error as Error))?.message ?? error);

/**
 * GraphiQL's page, its bundle (9 MB of JavaScript) imported at the first visit instead of at every
 * start: the import costs a process 0.4 s of CPU, and most processes never serve the IDE.
 */
const renderGraphiQL: GraphiQLRenderer = async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options);

const exampleQuery = /* GraphQL */ `# Try the day's e-paper and the newest stories.
{
  edition(date: "2025-03-01") { name placements { page position article { headline } } }
  articles(first: 5) { totalCount edges { node { headline publishedAt section { name } } } }
}
`;
