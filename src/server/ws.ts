// graphql-ws (graphql-transport-ws protocol) on the HTTP server's /graphql path, through the
// same yoga instance: same schema, plugins, context and error masking as HTTP.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { type DocumentNode, type ExecutionArgs, type ExecutionResult, GraphQLError, getOperationAST, Kind, type ValueNode } from 'graphql';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Viewer } from '../newsroom/auth.js';
import { maskedError, toClientError } from '../schema/errors.js';
import { withoutHttp } from './front-door.js';
import type { Gateway } from './gateway.js';
import { tooManyWebSocketsMessage } from './resource-limits.js';
import { databaseUnavailable, isDatabaseUnavailable, liveMetrics, requestIdFrom, type RequestOperation } from './observability.js';
import {
  createSubscriptionSharing,
  FanOutActivity,
  nextWriter,
  sendSharedPayloads,
  sharedPayload,
  sharedPayloadReplacer,
} from './shared-subscriptions.js';

/**
 * Close code for a connection to retry: a client that reads too slowly, or a key that cannot be
 * checked while the database is down. graphql-ws clients retry it (and resume); 4403 they do not.
 */
const TRY_AGAIN_LATER = 1013;
/** Bytes queued to one socket before it counts as too slow. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Close code for a refused key (graphql-ws' Forbidden): at connect, and when the key is revoked. */
const FORBIDDEN = 4403;

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  /** The reader's address (TRUST_PROXY applies): rate limits and failed key checks count by it. */
  address?: string;
  /** The key as the client sent it: checked again for every operation, never remembered as rights. */
  authorization?: unknown;
  /** Stops watching the socket's key for revocation. */
  unwatch?: () => void;
  operations?: Set<string>;
  /** Operations under way: their request id and start, for the one log line and histogram entry each gets. */
  started?: Map<string, { reqId: string; start: number; status?: number }>;
  /**
   * The context's clientGone of each query or mutation under way, by id: aborted when the client
   * completes it or the socket closes. One per operation, not one per socket: the executor leaves a
   * listener on the signal it is given.
   */
  abandon?: Map<string, AbortController>;
};

/** Each socket's `abandon` map, made when it connects (before graphql-ws' context exists). */
const operationsOf = new WeakMap<WebSocket, Map<string, AbortController>>();

export type LiveSockets = { connections(): number; close(): Promise<void> };

export function attachWebSockets(server: Server, gateway: Gateway, config: Config, logger: Logger): LiveSockets {
  const { yoga, frontDoor } = gateway;
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
  // The keep-alive sweep waits for a running fan-out to end (keepAlive below).
  const fanOuts = new FanOutActivity();
  const share = createSubscriptionSharing(gateway.liveTrace, fanOuts);
  // A client breaking the protocol (a message over maxPayload, bad UTF-8...) is closed by ws itself
  // (1009, 1007...); its 'error' is the client's fault, logged without a stack, not passed on to
  // graphql-ws, which would log it as an internal error. Registered before useServer's listener.
  wss.on('connection', (socket) => {
    sendSharedPayloads(socket);
    // A client completing a query it no longer wants (a search superseded by the next keystroke):
    // graphql-ws only drops its result, so the query is stopped here. Complete messages are short;
    // longer messages are not decoded twice.
    const abandon = new Map<string, AbortController>();
    operationsOf.set(socket, abandon);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary || data.length > 256 || abandon.size === 0) return;
      try {
        const message = JSON.parse(data.toString('utf8')) as { type?: unknown; id?: unknown };
        if (message.type === 'complete' && typeof message.id === 'string') abandon.get(message.id)?.abort();
      } catch {} // graphql-ws answers a malformed message itself
    });
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
      jsonMessageReplacer: sharedPayloadReplacer,
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      // Identical subscriptions of the same viewer share one execution per event, and its results
      // are written to their sockets by the shared execution itself (shared-subscriptions.ts).
      subscribe: (args) => {
        const { subscribe, shareKey, write } = args.rootValue as SubscriptionRoot;
        return share(shareKey, () => subscribe(args) as never, write) as never;
      },
      // The key travels in connectionParams ({ authorization: "Bearer …" }): a bad one (or one that
      // is not a string) refuses the socket; a revoked one closes it within KEY_RECHECK_MS.
      onConnect: async (ctx) => {
        const { extra } = ctx;
        extra.address = frontDoor.addressOf(extra.request);
        extra.authorization = ctx.connectionParams?.authorization;
        try {
          const viewer = await frontDoor.identify(extra.authorization, extra.address);
          extra.unwatch = frontDoor.watch(viewer, () => extra.socket.close(FORBIDDEN, 'Forbidden: the API key was revoked'));
        } catch (error) {
          // A key that cannot be checked now is not a refused key.
          if (isDatabaseUnavailable(error)) extra.socket.close(TRY_AGAIN_LATER, 'The database is unavailable: try again shortly');
          return false; // otherwise graphql-ws closes with 4403 Forbidden
        }
        extra.operations = new Set();
        extra.started = new Map();
        extra.abandon = operationsOf.get(extra.socket);
        liveMetrics.connectionOpened();
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.unwatch?.();
        // The client is gone: its operations leave the line, its queries stop (database-capacity.ts).
        for (const gone of ctx.extra.abandon?.values() ?? []) gone.abort();
        ctx.extra.abandon?.clear();
      },
      onDisconnect: (ctx) => {
        liveMetrics.connectionClosed();
        for (const _ of ctx.extra.operations ?? []) gateway.live.trackSubscription(-1);
        ctx.extra.operations?.clear();
      },
      onSubscribe: async (ctx, id, payload) => {
        // Each message gets a request id, a log line and a histogram entry like an HTTP request.
        const began: { reqId: string; start: number; status?: number } = { reqId: requestIdFrom(null), start: performance.now() };
        ctx.extra.started!.set(id, began);
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
        // Every message passes the front door like an HTTP request: the key checked again, one
        // operation off the client's budget (the same count as its HTTP requests).
        let viewer: Awaited<ReturnType<typeof frontDoor.admit>>;
        try {
          viewer = await frontDoor.admit(ctx.extra.authorization, ctx.extra.address);
        } catch (error) {
          // The key could not be checked (the database is away): 503's error, the socket stays.
          if (!(error instanceof GraphQLError)) return refuse([withoutHttp(databaseUnavailable(error) ?? maskedError(error))]);
          if (error.extensions.code === 'UNAUTHENTICATED') ctx.extra.socket.close(FORBIDDEN, 'Forbidden: the API key was revoked');
          began.status = (error.extensions.http as { status?: number } | undefined)?.status;
          return refuse([withoutHttp(error)]);
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ viewer, params: payload });
        let text: string;
        let document: DocumentNode;
        try {
          // Persisted operations apply as over HTTP: a hash runs its document, `only` refuses others.
          text = gateway.persistedOperations.documentFor(payload);
          document = parse(text);
        } catch (error) {
          return refuse([error as GraphQLError]);
        }
        const errors = validate(schema, document);
        if (errors.length) return refuse(errors);
        const contextValue = await contextFactory();
        contextValue.transport = 'ws';
        // Queries and mutations only: a subscription ends with its stream when the client goes.
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
          const gone = new AbortController();
          ctx.extra.abandon!.set(id, gone);
          contextValue.clientGone = gone.signal;
        }
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          rootValue: {
            execute,
            subscribe,
            shareKey: shareKeyOf(viewer, text, document, payload),
            write: directWriter(ctx.extra.socket, id),
          },
        };
      },
      // The results graphql-ws sends itself: a query's, and a subscription's before it waits.
      onNext: (ctx, _id, _payload, _args, result) => {
        keepingUp(ctx.extra.socket);
        // Serialised once for every socket of a shared subscription (shared-subscriptions.ts).
        return sharedPayload(result) as ExecutionResult; // see sharedPayloadReplacer
      },
      // Executed (a query or mutation answered, a subscription begun): the operation's log line.
      onOperation: (ctx, id, payload, args) => {
        record(ctx.extra, id, 200, gateway.observability.describeOperation(args.document, payload.operationName));
      },
      // An error ends the operation: it no longer counts against the connection's limit.
      onError: (ctx, id, _payload, errors) => {
        if (ctx.extra.operations?.delete(id)) gateway.live.trackSubscription(-1);
        ctx.extra.abandon?.delete(id);
        record(ctx.extra, id, undefined, {});
        return errors.map((error) => toClientError(error) ?? maskedError(error));
      },
      onComplete: (ctx, id) => {
        if (ctx.extra.operations?.delete(id)) gateway.live.trackSubscription(-1);
        ctx.extra.abandon?.delete(id);
        ctx.extra.started?.delete(id);
      },
    },
    wss,
    0, // keep-alive below: one timer for every socket instead of graphql-ws' two per socket
  );
  const stopKeepAlive = keepAlive(wss, config.wsKeepAliveMs, fanOuts);

  /** False, and the socket closed to reconnect and resume, once it has fallen too far behind. */
  function keepingUp(socket: WebSocket): boolean {
    if (socket.bufferedAmount <= MAX_BUFFERED) return true;
    logger.warn('closing a WebSocket that reads too slowly');
    socket.close(TRY_AGAIN_LATER, 'Reading too slowly: reconnect and resume');
    return false;
  }

  /** Writes a subscription's results to its open socket while it keeps up. */
  function directWriter(socket: WebSocket, id: string) {
    const write = nextWriter(socket, id);
    return (result: ExecutionResult) => {
      if (socket.readyState === socket.OPEN && keepingUp(socket)) write(result);
    };
  }

  /** One log line and histogram entry per operation (observability.ts), as for HTTP requests; a refusal is 400 unless it said otherwise. */
  function record(extra: Extra, id: string, status: number | undefined, operation: RequestOperation) {
    const began = extra.started?.get(id);
    if (!began) return;
    extra.started!.delete(id);
    gateway.observability.recordRequest({
      reqId: began.reqId,
      method: 'WS',
      path: '/graphql',
      status: status ?? began.status ?? 400,
      ...operation,
      seconds: (performance.now() - began.start) / 1000,
    });
  }

  return {
    connections: () => wss.clients.size,
    /** Going Away (1001): clients reconnect, to another gateway behind the load balancer. */
    async close() {
      stopKeepAlive();
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

type SubscriptionRoot = {
  subscribe: (args: ExecutionArgs) => unknown;
  shareKey: string;
  write: (result: ExecutionResult) => void;
};

/** A ping frame without data (FIN, opcode 9, length 0), the same bytes for every socket. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/**
 * Pings a socket: the two bytes of an empty ping frame written straight to its TCP socket (ws
 * writes its frames there synchronously too, so frames keep their order), instead of ws' ping
 * (a frame built and written through cork and writev per socket). With permessage-deflate
 * negotiated (this server offers none) ws' own ping, which queues behind compressed frames.
 */
function ping(socket: WebSocket) {
  const raw = socket.extensions ? undefined : (socket as unknown as { _socket?: Socket })._socket;
  if (!raw) socket.ping();
  else if (raw.writable) raw.write(PING_FRAME);
}

/**
 * Pings every socket once per `intervalMs` and terminates one whose previous ping is still
 * unanswered, as graphql-ws does, but with one timer for all sockets: at 15,000 sockets its
 * interval, timeout and `pong` listener per socket and ping cost more than the pings. Each
 * socket is pinged `intervalMs` after it connected and then every `intervalMs`, so the pings
 * spread over the interval as the connections did. A sweep that falls due while a story is being
 * fanned out waits for its end (its pings, and the pongs they bring back, would sit between the
 * fan-out's slices), but never more than `intervalMs / 4`: pings are late, never skipped.
 */
export function keepAlive(wss: WebSocketServer, intervalMs: number, fanOuts = new FanOutActivity()): () => void {
  type Alive = { due: number; awaitingPong: boolean };
  const sockets = new Map<WebSocket, Alive>();
  /** The earliest time an open socket is due a ping: until then a tick has nothing to do. */
  let nextDue = Number.POSITIVE_INFINITY;
  wss.on('connection', (socket) => {
    const alive: Alive = { due: performance.now() + intervalMs, awaitingPong: false };
    sockets.set(socket, alive);
    nextDue = Math.min(nextDue, alive.due);
    socket.on('pong', () => {
      alive.awaitingPong = false;
    });
    socket.once('close', () => sockets.delete(socket));
  });
  let stopped = false;
  const sweep = () => {
    if (stopped) return;
    const now = performance.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const [socket, alive] of sockets) {
      if (socket.readyState !== socket.OPEN) continue; // closing: gone from the map when closed
      if (alive.due > now) {
        earliest = Math.min(earliest, alive.due);
        continue;
      }
      if (alive.awaitingPong) {
        socket.terminate();
        continue;
      }
      alive.awaitingPong = true;
      alive.due = now + intervalMs;
      earliest = Math.min(earliest, alive.due);
      ping(socket);
    }
    nextDue = earliest;
  };
  const maxDelayMs = intervalMs / 4;
  /** Since when a due sweep has waited for a fan-out (undefined: none waits). */
  let waitingSince: number | undefined;
  let queued = false;
  const timer = setInterval(
    () => {
      const now = performance.now();
      if (now < nextDue) return; // no socket is due a ping yet
      if (!fanOuts.busy || (waitingSince !== undefined && now - waitingSince >= maxDelayMs)) {
        waitingSince = undefined;
        sweep();
        return;
      }
      if (waitingSince !== undefined) return; // already queued behind the fan-out
      waitingSince = now;
      if (queued) return; // one wait for the fan-outs' end at a time
      queued = true;
      // On the event loop's next turn, not inside the fan-out's own code as it ends.
      fanOuts.whenIdle(() =>
        setImmediate(() => {
          queued = false;
          if (waitingSince === undefined) return; // swept meanwhile (the wait ran out)
          waitingSince = undefined;
          sweep();
        }),
      );
    },
    Math.max(50, intervalMs / 20),
  );
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

let resumes = 0;

/**
 * Same document (the one run: a persisted operation's, not the hash), variables and viewer: the
 * same results. A resume never joins a stream: it replays from its own event id.
 */
function shareKeyOf(
  viewer: Viewer,
  text: string,
  document: DocumentNode,
  payload: { variables?: Record<string, unknown> | null; operationName?: string | null },
) {
  if (resumesFromEvent(document, payload)) return `resume:${++resumes}`;
  // The role too: after a downgrade, a new subscription must not join one begun under the old role.
  const who = viewer.kind === 'key' ? `key:${viewer.keyId}:${viewer.role}` : 'anonymous';
  return JSON.stringify([who, text, payload.operationName ?? null, payload.variables ?? null]);
}

/** Whether a root field of the operation is given `after` (or the root holds fragments: unsure, so yes). */
function resumesFromEvent(document: DocumentNode, payload: { variables?: Record<string, unknown> | null; operationName?: string | null }) {
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return false;
  const given = (value: ValueNode): boolean => {
    if (value.kind !== Kind.VARIABLE) return value.kind !== Kind.NULL;
    const name = value.name.value;
    if (payload.variables?.[name] != null) return true;
    const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
    return payload.variables?.[name] === undefined && fallback !== undefined && fallback.kind !== Kind.NULL;
  };
  return operation.selectionSet.selections.some(
    (selection) => selection.kind !== Kind.FIELD || !!selection.arguments?.some((arg) => arg.name.value === 'after' && given(arg.value)),
  );
}
