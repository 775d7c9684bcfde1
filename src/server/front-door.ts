// The front door: what every operation passes, whichever door it came through (an HTTP POST or
// GET, an answer of the HTTP cache in front of yoga, an SSE stream, each graphql-ws message):
//
// - the reader's address: the peer, or with TRUST_PROXY the X-Forwarded-For entry its proxies
//   vouch for (proxy-addr);
// - who is asking: the API key, checked on every operation (a socket remembers the header, not
//   the rights); a failed check counts against the address, and an address past
//   AUTH_FAILURES_PER_MINUTE failures gets 429 without its keys being looked up;
// - the rate limit of that client (rate-limiter-flexible: Redis shared by the gateways, memory
//   while Redis is away): the authenticated key, else the address;
// - keys held by long-lived connections are re-checked every KEY_RECHECK_MS with one statement:
//   a revoked key ends its WebSockets (4403) and subscriptions, a changed role ends the
//   subscriptions begun under the old one.
//
// Request ids, log lines and metrics live in observability.ts; the doors call them from here.
import type { IncomingMessage } from 'node:http';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { Redis } from 'ioredis';
import proxyaddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { anonymous, authenticate, type Role, type Viewer } from '../newsroom/auth.js';
import { UnauthenticatedError } from '../newsroom/errors.js';

const WINDOW_SECONDS = 60;

export type FrontDoorDeps = {
  prisma: PrismaClient;
  logger: Logger;
  /** A shared Redis connection; without one, REDIS_URL (when set) gets a connection of our own. */
  redis?: Redis;
};

/** What a change of a watched key means to its holder. */
export type KeyChange = 'revoked' | 'role changed';

export type FrontDoor = {
  /** The reader's address: the peer's, or the one TRUST_PROXY's proxies forwarded. Undefined in-process. */
  addressOf(req: IncomingMessage | undefined): string | undefined;
  /** Who is asking, without spending the rate limit (a WebSocket's connect). Throws a 401 or 429 GraphQLError. */
  identify(authorization: unknown, address: string | undefined): Promise<Viewer>;
  /** Who is asking, and one operation off that client's budget. Throws a 401 or 429 GraphQLError. */
  admit(authorization: unknown, address: string | undefined): Promise<Viewer>;
  /**
   * For the HTTP cache in front of yoga (anonymous requests only): spends the address's budget
   * and says whether it was within it. Yoga's plugin reuses the outcome (one request, one count)
   * and answers the 429 itself.
   */
  admitAnonymous(req: IncomingMessage): boolean | Promise<boolean>;
  /** The yoga plugin: admits every GraphQL request and ends keyed subscriptions when their key changes. */
  plugin: Plugin;
  /** The viewer the plugin admitted for this request (the context factory's). */
  viewerOf(request: Request | undefined): Viewer | undefined;
  /**
   * Calls `onChange` (once) when the key is revoked or, with `role`, when its role is no longer
   * `role`. Returns the function that stops watching.
   */
  watch(viewer: Viewer, onChange: (change: KeyChange) => void, role?: Role): () => void;
  /** Resolves once the rate limiter's Redis connection is up or has failed (then it counts in memory). */
  ready(): Promise<void>;
  /** Stops watching and closes the Redis connection this front door opened (not one it was given). */
  close(): Promise<void>;
};

export function frontDoor(config: Config, deps: FrontDoorDeps): FrontDoor {
  const { prisma } = deps;
  const logger = deps.logger.child({ component: 'rate-limit' });
  const trust = config.trustProxy === false ? undefined : trustFunction(config.trustProxy);
  const addressOf = (req: IncomingMessage | undefined): string | undefined => {
    if (!req?.socket) return undefined;
    return trust ? proxyaddr(req, trust) : req.socket.remoteAddress;
  };

  // --- Counting: rate-limiter-flexible, in Redis when configured, with memory as insurance.
  const ownRedis = !deps.redis && config.redisUrl ? openRedis(config.redisUrl) : undefined;
  const redis = deps.redis ?? ownRedis;
  const limiter = (name: string, points: number): RateLimiterAbstract | undefined => {
    if (points <= 0) return undefined;
    const options = { keyPrefix: name, points, duration: WINDOW_SECONDS };
    if (!redis) return new RateLimiterMemory(options);
    // Called only when a Redis command failed or Redis is not ready.
    const memory = new Insurance(options, () => degrade(new Error(`Redis connection is ${redis.status}`)));
    return new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.redisKeyPrefix}${name}`,
      points,
      duration: WINDOW_SECONDS,
      // Never wait for Redis: while it is away, each process counts on its own (fails open).
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const requests = limiter('ratelimit', config.rateLimitPerMinute);
  const failures = limiter('authfail', config.authFailuresPerMinute);

  // Logged once per outage (ioredis keeps reconnecting by itself).
  let degraded = false;
  function degrade(error: unknown) {
    if (degraded) return;
    degraded = true;
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'Redis unavailable: rate limits are counted per process until it is back',
    );
  }
  redis?.on('error', degrade);
  redis?.on('ready', () => {
    if (degraded) logger.info('Redis is back: rate limits are shared again');
    degraded = false;
  });

  /** One operation off `client`'s budget; throws the 429 past it. */
  async function spend(client: string): Promise<void> {
    if (!requests) return;
    try {
      await requests.consume(client);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw tooManyRequests(config.rateLimitPerMinute, error.msBeforeNext);
      logger.warn({ err: error }, 'rate limiter failed; the request is let through');
    }
  }

  async function identify(authorization: unknown, address: string | undefined): Promise<Viewer> {
    if (authorization === undefined || authorization === null || authorization === '') return anonymous;
    if (typeof authorization !== 'string') throw unauthenticated('The authorization must be a string: "Bearer <API key>".');
    const failed = failures && address ? `ip:${address}` : undefined;
    if (failed) {
      // The address's failures so far: past the limit its keys are not even looked up.
      const seen = await failures!.get(failed).catch(() => null);
      if (seen && seen.consumedPoints >= config.authFailuresPerMinute)
        throw tooManyFailures(config.authFailuresPerMinute, seen.msBeforeNext);
    }
    try {
      return await authenticate(prisma, authorization);
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      if (failed) await failures!.consume(failed).catch(() => undefined);
      // The failed request counts against its address, never against the key it named.
      if (address) await spend(`ip:${address}`);
      throw unauthenticated(error.message);
    }
  }

  async function admit(authorization: unknown, address: string | undefined): Promise<Viewer> {
    const viewer = await identify(authorization, address);
    const client = viewer.kind === 'key' ? `key:${viewer.keyId}` : address ? `ip:${address}` : undefined;
    // In-process calls (no socket, no key) are not limited.
    if (client) await spend(client);
    return viewer;
  }

  // --- The HTTP door: yoga's plugin, and the HTTP cache's count that yoga then reuses.
  const counted = new WeakMap<IncomingMessage, Promise<GraphQLError | undefined>>();
  const viewers = new WeakMap<Request, Viewer>();

  function admitAnonymous(req: IncomingMessage): boolean | Promise<boolean> {
    const address = addressOf(req);
    if (!requests || !address) return true;
    const outcome = spend(`ip:${address}`).then(
      () => undefined,
      (error: GraphQLError) => error,
    );
    counted.set(req, outcome);
    return outcome.then((error) => error === undefined);
  }

  const plugin: Plugin = {
    // onRequestParse runs for the GraphQL endpoint only, before the body is read.
    async onRequestParse({ request, serverContext }) {
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      const prior = req && counted.get(req);
      if (prior) {
        const refused = await prior;
        if (refused) throw refused;
        viewers.set(request, anonymous);
        return;
      }
      viewers.set(request, await admit(request.headers.get('authorization'), addressOf(req)));
    },
    // SSE streams and WebSocket subscriptions of a key end when the key is revoked or its role changes.
    onSubscribe({ args }) {
      const viewer = (args.contextValue as { viewer?: Viewer }).viewer;
      if (viewer?.kind !== 'key') return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endable(result, (end) => watch(viewer, (change) => end(keyChanged(change)), viewer.role)));
        },
      };
    },
  };

  // --- Long-lived connections: the keys they hold, re-checked with one statement per interval.
  type Watcher = { role?: Role; onChange(change: KeyChange): void };
  const watched = new Map<number, Set<Watcher>>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;
  let sweepFailing = false;

  function watch(viewer: Viewer, onChange: (change: KeyChange) => void, role?: Role): () => void {
    if (viewer.kind !== 'key') return () => {};
    const watcher: Watcher = { role, onChange };
    let holders = watched.get(viewer.keyId);
    if (!holders) watched.set(viewer.keyId, (holders = new Set()));
    holders.add(watcher);
    // The timer runs only while some key is held.
    timer ??= setInterval(() => void sweep(), config.keyRecheckMs).unref();
    return () => unwatch(viewer.keyId, watcher);
  }

  function unwatch(keyId: number, watcher: Watcher) {
    const holders = watched.get(keyId);
    if (!holders?.delete(watcher) || holders.size) return;
    watched.delete(keyId);
    if (watched.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  async function sweep() {
    if (sweeping || watched.size === 0) return;
    sweeping = true;
    try {
      const ids = [...watched.keys()];
      const live = await prisma.apiKey.findMany({ where: { id: { in: ids }, revokedAt: null }, select: { id: true, role: true } });
      const roles = new Map(live.map((key) => [key.id, key.role]));
      sweepFailing = false;
      for (const id of ids) {
        const role = roles.get(id);
        for (const watcher of [...(watched.get(id) ?? [])]) {
          const change: KeyChange | undefined =
            role === undefined ? 'revoked' : watcher.role !== undefined && watcher.role !== role ? 'role changed' : undefined;
          if (!change) continue;
          unwatch(id, watcher);
          watcher.onChange(change);
        }
      }
    } catch (error) {
      // The database is away: operations are refused anyway; the next sweep tries again.
      if (!sweepFailing) deps.logger.warn({ err: error, component: 'front-door' }, 're-checking the keys of open connections failed');
      sweepFailing = true;
    } finally {
      sweeping = false;
    }
  }

  return {
    addressOf,
    identify,
    admit,
    admitAnonymous,
    plugin,
    viewerOf: (request) => (request ? viewers.get(request) : undefined),
    watch,
    async ready() {
      if (!redis || redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        redis.once('ready', resolve);
        redis.once('error', () => resolve());
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      watched.clear();
      if (!ownRedis) return;
      if (ownRedis.status === 'ready') await ownRedis.quit().catch(() => ownRedis.disconnect());
      else ownRedis.disconnect();
    },
  };
}

/** The in-memory count that stands in while Redis is away; tells when it is used. */
class Insurance extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onUse: () => void,
  ) {
    super(options);
  }
  override consume(...args: Parameters<RateLimiterMemory['consume']>) {
    this.onUse();
    return super.consume(...args);
  }
  override get(...args: Parameters<RateLimiterMemory['get']>) {
    this.onUse();
    return super.get(...args);
  }
}

/** proxy-addr's trust: the nearest `hops` proxies, or the listed addresses and ranges. */
function trustFunction(trust: number | string[]): (address: string, hop: number) => boolean {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

function retryAfterSeconds(msBeforeNext: number) {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

function tooManyRequests(limit: number, msBeforeNext: number): GraphQLError {
  const retryAfter = retryAfterSeconds(msBeforeNext);
  return createGraphQLError(`Too many requests: the limit is ${limit} per minute. Retry in ${retryAfter} s.`, {
    extensions: { code: 'RATE_LIMITED', retryAfter, http: { status: 429, headers: { 'Retry-After': String(retryAfter) } } },
  });
}

function tooManyFailures(limit: number, msBeforeNext: number): GraphQLError {
  const retryAfter = retryAfterSeconds(msBeforeNext);
  return createGraphQLError(`Too many failed API key checks from your address (${limit} per minute). Retry in ${retryAfter} s.`, {
    extensions: {
      code: 'RATE_LIMITED',
      limit: 'auth-failures',
      retryAfter,
      http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
    },
  });
}

function unauthenticated(message: string): GraphQLError {
  return createGraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
  });
}

function keyChanged(change: KeyChange): GraphQLError {
  return change === 'revoked'
    ? new GraphQLError('The API key was revoked.', { extensions: { code: 'UNAUTHENTICATED' } })
    : new GraphQLError("The API key's role changed: subscribe again.", { extensions: { code: 'KEY_ROLE_CHANGED' } });
}

/** The same error without its HTTP status, for doors that are not HTTP (graphql-ws). */
export function withoutHttp(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}

/**
 * The subscription's results until `watch` calls its `end`: then one last result carrying the
 * error, and the source is returned. A pending `next` is answered at once, not at the next event.
 */
function endable(
  source: AsyncIterable<ExecutionResult> & Partial<AsyncIterator<ExecutionResult>>,
  watch: (end: (error: GraphQLError) => void) => () => void,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let ended: GraphQLError | undefined;
  let done = false;
  let interrupt: (() => void) | undefined;
  const unwatch = watch((error) => {
    ended = error;
    interrupt?.();
  });
  const finish = (): IteratorResult<ExecutionResult> => {
    if (done) return { done: true, value: undefined };
    done = true;
    unwatch();
    void iterator.return?.();
    return { done: false, value: { errors: [ended!] } };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      if (done) return Promise.resolve({ done: true, value: undefined });
      if (ended) return Promise.resolve(finish());
      return new Promise((resolve, reject) => {
        interrupt = () => resolve(finish());
        iterator.next().then(
          (step) => {
            interrupt = undefined;
            if (step.done && !done) {
              done = true;
              unwatch();
            }
            resolve(step);
          },
          (error) => {
            interrupt = undefined;
            reject(error);
          },
        );
      });
    },
    async return() {
      if (!done) {
        done = true;
        unwatch();
        await iterator.return?.();
      }
      return { done: true, value: undefined };
    },
    async throw(error) {
      if (!done) {
        done = true;
        unwatch();
        await iterator.return?.();
      }
      throw error;
    },
  };
}

function openRedis(url: string): Redis {
  return new Redis(url, {
    // A command never waits for a connection: without Redis we count in memory instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 2000,
  });
}
