// graphql-ws (graphql-transport-ws protocol) on the HTTP server's /graphql path, through the
// same yoga instance: same schema, plugins, context and error masking as HTTP.
import type { Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { authenticate, type Viewer } from '../newsroom/auth.js';
import { maskedError, toClientError } from '../schema/errors.js';
import type { Gateway } from './gateway.js';
import { tooManyWebSocketsMessage } from './resource-limits.js';
import { liveMetrics } from './observability.js';
import { createSubscriptionSharing } from './shared-subscriptions.js';

/** Close code for a client that reads too slowly: graphql-ws clients retry it and resume. */
const SLOW_CONSUMER = 1013;
/** Bytes queued to one socket before it counts as too slow. */
const MAX_BUFFERED = 4 * 1024 * 1024;

type Extra = { socket: WebSocket; viewer?: Viewer; operations?: Set<string> };

export type LiveSockets = { connections(): number; close(): Promise<void> };

export function attachWebSockets(server: Server, gateway: Gateway, config: Config, logger: Logger): LiveSockets {
  const { yoga, db } = gateway;
  const limits = gateway.resourceLimits;
  const wss = new WebSocketServer({
    server,
    path: '/graphql',
    // A message over MAX_BODY_BYTES closes the socket with 1009 before it is parsed.
    maxPayload: config.maxBodyBytes,
    // Past WEBSOCKETS_PER_CLIENT the upgrade is refused with 429.
    verifyClient: ({ req }, done) =>
      limits.admitWebSocket(req) ? done(true) : done(false, 429, tooManyWebSocketsMessage(config.resources.websocketsPerClient)),
  });
  const share = createSubscriptionSharing();
  // A client breaking the protocol (a message over maxPayload, bad UTF-8...) is closed by ws itself
  // (1009, 1007...); its 'error' is the client's fault, logged without a stack, not passed on to
  // graphql-ws, which would log it as an internal error. Registered before useServer's listener.
  wss.on('connection', (socket) => {
    const emit = socket.emit;
    socket.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]) {
      const error = args[0] as { code?: unknown; message?: string } | undefined;
      if (event !== 'error' || typeof error?.code !== 'string' || !error.code.startsWith('WS_ERR_')) return emit.call(this, event, ...args);
      logger.info({ code: error.code, reason: error.message }, 'closed a WebSocket that broke the protocol');
      return true;
    } as WebSocket['emit'];
  });

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      // Identical subscriptions of the same viewer share one execution per event.
      subscribe: (args) => {
        const { subscribe, shareKey } = args.rootValue as { subscribe: (a: ExecutionArgs) => unknown; shareKey: string };
        return share(shareKey, () => subscribe(args) as never) as never;
      },
      // The key travels in connectionParams ({ authorization: "Bearer …" }): a bad one refuses the socket.
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await authenticate(db.prisma, typeof header === 'string' ? header : null);
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
        ctx.extra.operations = new Set();
        liveMetrics.connectionOpened();
        return true;
      },
      onDisconnect: (ctx) => {
        liveMetrics.connectionClosed();
        for (const _ of ctx.extra.operations ?? []) gateway.live.trackSubscription(-1);
        ctx.extra.operations?.clear();
      },
      onSubscribe: async (ctx, id, payload) => {
        const tooLarge = limits.checkVariables(payload.variables);
        if (tooLarge) return [tooLarge];
        const operations = ctx.extra.operations!;
        if (operations.size >= config.subscriptionsPerConnection) {
          return [
            new GraphQLError(`At most ${config.subscriptionsPerConnection} subscriptions per connection.`, {
              extensions: { code: 'SUBSCRIPTION_LIMIT' },
            }),
          ];
        }
        // Counted before anything is awaited, so a burst of messages cannot slip past the limit.
        operations.add(id);
        gateway.live.trackSubscription(+1);
        const refuse = (errors: readonly GraphQLError[]) => {
          if (operations.delete(id)) gateway.live.trackSubscription(-1);
          return [...errors];
        };
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          viewer: ctx.extra.viewer,
          params: payload,
        });
        let document: DocumentNode;
        try {
          // Persisted operations apply as over HTTP: a hash runs its document, `only` refuses others.
          document = parse(gateway.persistedOperations.documentFor(payload));
        } catch (error) {
          return refuse([error as GraphQLError]);
        }
        const errors = validate(schema, document);
        if (errors.length) return refuse(errors);
        const contextValue = await contextFactory();
        contextValue.transport = 'ws';
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: { execute, subscribe, shareKey: shareKeyOf(ctx.extra.viewer, payload) },
        };
      },
      onNext: (ctx) => {
        if (ctx.extra.socket.bufferedAmount > MAX_BUFFERED) {
          logger.warn('closing a WebSocket that reads too slowly');
          ctx.extra.socket.close(SLOW_CONSUMER, 'Reading too slowly: reconnect and resume');
        }
      },
      // An error ends the operation: it no longer counts against the connection's limit.
      onError: (ctx, id, _payload, errors) => {
        if (ctx.extra.operations?.delete(id)) gateway.live.trackSubscription(-1);
        return errors.map((error) => toClientError(error) ?? maskedError(error));
      },
      onComplete: (ctx, id) => {
        if (ctx.extra.operations?.delete(id)) gateway.live.trackSubscription(-1);
      },
    },
    wss,
    // Ping every interval; a socket that misses a pong is terminated.
    config.wsKeepAliveMs,
  );

  return {
    connections: () => wss.clients.size,
    /** Going Away (1001): clients reconnect, to another gateway behind the load balancer. */
    async close() {
      for (const socket of wss.clients) socket.close(1001, 'Server shutting down');
      await Promise.race([
        new Promise<void>((resolve) => {
          const check = () => (wss.clients.size === 0 ? resolve() : setTimeout(check, 25));
          check();
        }),
        new Promise((resolve) => setTimeout(resolve, Math.min(config.shutdownTimeoutMs, 5000))),
      ]);
      for (const socket of wss.clients) socket.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Same document, variables and viewer: the same results. */
function shareKeyOf(viewer: Viewer | undefined, payload: { query: string; variables?: unknown; operationName?: string | null }) {
  const who = viewer?.kind === 'key' ? `key:${viewer.keyId}` : 'anonymous';
  return JSON.stringify([who, payload.query, payload.operationName ?? null, payload.variables ?? null]);
}
