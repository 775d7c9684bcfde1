// What the HTTP endpoint accepts: GraphQL over HTTP as yoga implements it (no batching, no
// mutations over GET, a body size limit), CORS, CSRF prevention, query limits (graphql-armor),
// the introspection switch and per-client rate limits (Redis when configured, else in memory).
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { getNamedType, GraphQLError, isIntrospectionType, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin, type YogaServerOptions } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/** Not configurable: no operation of ours uses more than a handful. */
export const MAX_DIRECTIVES = 50;

/** Any of these headers makes a GET (or form/multipart POST) non-simple, so a browser preflights it. */
export const CSRF_HEADERS = ['graphql-preflight', 'apollo-require-preflight', 'x-graphql-yoga-csrf'];

const WINDOW_MS = 60_000;

export type HttpPolicyDeps = {
  logger: Logger;
  /** A shared Redis connection; without one, REDIS_URL (when set) gets a connection of our own. */
  redis?: Redis;
  /** Prefix of the rate-limit keys in Redis (tests use one per run). */
  redisKeyPrefix?: string;
};

export type HttpPolicy = {
  plugins: Plugin[];
  yogaOptions: Pick<YogaServerOptions<Record<string, unknown>, Record<string, unknown>>, 'cors' | 'batching' | 'maxRequestBodySize'>;
  /**
   * For the HTTP cache in front of yoga (http-cache.ts): counts a node request against its
   * client's budget and says whether it is within the limit. The count is kept with the request,
   * so if the request then goes to yoga, the limiter there reuses it (one request, one count) and
   * answers the 429 itself. Undefined when rate limits are off.
   */
  admit?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Resolves once the rate limiter's Redis connection is up or has failed (then it counts in memory). */
  ready(): Promise<void>;
  /** Closes the Redis connection this policy opened (not one it was given). */
  close(): Promise<void>;
};

export function httpPolicy(config: Config, deps: HttpPolicyDeps): HttpPolicy {
  const plugins: Plugin[] = [];
  const limiter = config.rateLimitPerMinute > 0 ? createRateLimiter(config, deps) : undefined;
  if (limiter) plugins.push(limiter.plugin);

  // Yoga's plugin: a GET or a "simple" POST must carry one of CSRF_HEADERS; JSON POSTs are preflighted anyway.
  const csrf = useCSRFPrevention({ requestHeaders: CSRF_HEADERS });
  plugins.push({
    onRequestParse(payload) {
      const { request } = payload;
      if (request.method !== 'GET' && request.method !== 'POST') return; // yoga answers 405
      // EventSource cannot send headers. A subscription stream is read-only (mutations over GET are
      // refused anyway) and never carries cookies, so it gains nothing from a preflight.
      if (request.method === 'GET' && request.headers.get('accept')?.includes('text/event-stream')) return;
      try {
        return csrf.onRequestParse?.(payload);
      } catch (error) {
        throw withCode(error, 'CSRF_HEADER_REQUIRED', `Add a "graphql-preflight: 1" header to GET requests (or send JSON with POST).`);
      }
    },
  });

  // graphql-js reports bad variables and unknown operation names without a code; give them one.
  plugins.push({
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (Symbol.asyncIterator in result || result.data !== undefined || !result.errors?.some((e) => !e.extensions?.code)) return;
        setResult({ ...result, errors: result.errors.map(withRequestErrorCode) });
      },
    }),
  });

  const { depth, aliases, tokens, cost } = config.limits;
  plugins.push(
    maxTokensPlugin({ n: tokens, propagateOnRejection: false, onReject: [rejectAs('tokens')] }),
    maxDepthPlugin({ n: depth, propagateOnRejection: false, onReject: [rejectAs('depth')] }),
    maxAliasesPlugin({ n: aliases, propagateOnRejection: false, onReject: [rejectAs('aliases')] }),
    maxDirectivesPlugin({ n: MAX_DIRECTIVES, propagateOnRejection: false, onReject: [rejectAs('directives')] }),
    costLimitPlugin({ maxCost: cost, propagateOnRejection: false, onReject: [rejectAs('cost')] }),
  );

  if (!config.introspection) {
    // "Did you mean …?" hints go too: see bad-input.ts.
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(noIntrospection) });
  }

  const anyOrigin = config.corsOrigins.includes('*');
  if (!anyOrigin) {
    // The answer depends on the Origin header, so caches must keep one copy per origin.
    plugins.push({
      onResponse({ response }) {
        if (!/\borigin\b/i.test(response.headers.get('vary') ?? '')) response.headers.append('vary', 'Origin');
      },
    });
  }
  const corsOptions = {
    origin: config.corsOrigins,
    // Keys travel in the Authorization header, never in cookies.
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  };

  return {
    plugins,
    yogaOptions: {
      // A disallowed origin gets no CORS headers at all, so the browser refuses the response.
      cors: (request) => {
        const origin = request.headers.get('origin');
        return anyOrigin || (origin !== null && config.corsOrigins.includes(origin)) ? corsOptions : false;
      },
      batching: false,
      // Yoga checks Content-Length and also counts the bytes actually streamed.
      maxRequestBodySize: config.maxBodyBytes,
    },
    admit: limiter?.admit,
    ready: async () => limiter?.ready(),
    close: async () => limiter?.close(),
  };
}

/** A limit error clients can act on: `QUERY_TOO_COMPLEX` with the limit that was hit. */
function rejectAs(limit: 'tokens' | 'depth' | 'aliases' | 'directives' | 'cost') {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const message = error.message.replace(/^Syntax Error: /, '');
    const limited = new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', limit } });
    // Validation rules report; the token limit runs inside the parser, which only stops by throwing.
    if (context) context.reportError(limited);
    else throw limited;
  };
}

/** graphql-js' NoSchemaIntrospectionCustomRule with a stable code and a message that names nothing. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const type = context.getType();
    if (type && isIntrospectionType(getNamedType(type))) {
      context.reportError(
        new GraphQLError('Introspection is disabled on this server.', { nodes: node, extensions: { code: 'INTROSPECTION_DISABLED' } }),
      );
    }
  },
});

function withRequestErrorCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  const code = /^Variable "\$/.test(error.message) ? 'BAD_USER_INPUT' : 'BAD_REQUEST';
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}

function withCode(error: unknown, code: string, hint: string): unknown {
  if (!(error instanceof GraphQLError)) return error;
  return createGraphQLError(`${error.message}. ${hint}`, { extensions: { ...error.extensions, code } });
}

// ---------------------------------------------------------------------------------------------
// Rate limits: a fixed one-minute window per client. The client is the API key's public prefix
// (the first 12 characters, as stored in ApiKey.prefix) when a Bearer token is sent, else the
// peer's IP address. In-process calls (yoga.fetch without a socket) have neither and are not limited.

export type RateLimitHit = { count: number; resetInMs: number };

/** The client a request counts against, or undefined when it has no identity (in-process). */
export function rateLimitClient(request: Request, serverContext: { req?: IncomingMessage }): string | undefined {
  return clientIdentity(request.headers.get('authorization'), serverContext.req?.socket?.remoteAddress);
}

/** The key's public prefix for a Bearer key, else the peer's IP address; undefined without either. */
export function clientIdentity(authorization: string | null | undefined, remoteAddress: string | undefined): string | undefined {
  if (authorization) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (bearer) return `key:${bearer[1]!.slice(0, 12)}`;
  }
  return remoteAddress ? `ip:${remoteAddress}` : undefined;
}

export class MemoryWindows {
  private windows = new Map<string, { count: number; resetAt: number }>();
  private nextSweep = 0;
  constructor(private readonly windowMs = WINDOW_MS) {}

  hit(client: string, now = Date.now()): RateLimitHit {
    if (now >= this.nextSweep) {
      // Forget finished windows once per window, so the map holds at most a window's clients.
      for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
      this.nextSweep = now + this.windowMs;
    }
    let window = this.windows.get(client);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(client, window);
    }
    window.count += 1;
    return { count: window.count, resetInMs: window.resetAt - now };
  }
}

// INCR and the expiry in one atomic step; a key that somehow lost its TTL gets it back.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

function createRateLimiter(config: Config, deps: HttpPolicyDeps) {
  const limit = config.rateLimitPerMinute;
  const logger = deps.logger.child({ component: 'rate-limit' });
  const memory = new MemoryWindows();
  const prefix = `${deps.redisKeyPrefix ?? 'newsroom:'}ratelimit:`;
  const ownRedis = !deps.redis && config.redisUrl ? openRedis(config.redisUrl) : undefined;
  const redis = deps.redis ?? ownRedis;

  // Fail open: while Redis is unreachable, each process counts on its own. Logged once per outage.
  let degraded = false;
  const degrade = (error: unknown) => {
    if (degraded) return;
    degraded = true;
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'Redis unavailable: rate limits are counted per process until it is back',
    );
  };
  redis?.on('error', degrade);
  redis?.on('ready', () => {
    if (degraded) logger.info('Redis is back: rate limits are shared again');
    degraded = false;
  });

  // In memory the count is synchronous: the HTTP cache's hits need no promise for it.
  function hit(client: string): RateLimitHit | Promise<RateLimitHit> {
    if (!redis) return memory.hit(client);
    if (redis.status !== 'ready') {
      if (redis.status !== 'connecting' && redis.status !== 'connect') degrade(new Error(`Redis connection is ${redis.status}`));
      return memory.hit(client);
    }
    const fallback = (error: unknown) => {
      degrade(error);
      return memory.hit(client);
    };
    try {
      return (redis.eval(HIT_SCRIPT, 1, prefix + client, WINDOW_MS) as Promise<[number, number]>).then(
        ([count, ttl]) => ({ count, resetInMs: ttl }),
        fallback,
      );
    } catch (error) {
      return fallback(error);
    }
  }

  // Requests counted before yoga saw them (by the HTTP cache in front): yoga's check reuses the count.
  const counted = new WeakMap<IncomingMessage, RateLimitHit | Promise<RateLimitHit>>();

  function admit(req: IncomingMessage): boolean | Promise<boolean> {
    const client = clientIdentity(req.headers.authorization, req.socket?.remoteAddress);
    if (!client) return true;
    const result = hit(client);
    counted.set(req, result);
    return result instanceof Promise ? result.then((r) => r.count <= limit) : result.count <= limit;
  }

  const plugin: Plugin = {
    // onRequestParse runs for the GraphQL endpoint only, before the body is read.
    async onRequestParse({ request, serverContext }) {
      const req = (serverContext as { req?: IncomingMessage }).req;
      const prior = req && counted.get(req);
      let result: RateLimitHit;
      if (prior) {
        result = await prior;
      } else {
        const client = rateLimitClient(request, serverContext as { req?: IncomingMessage });
        if (!client) return;
        result = await hit(client);
      }
      const { count, resetInMs } = result;
      if (count <= limit) return;
      const retryAfter = Math.max(1, Math.ceil(resetInMs / 1000));
      throw createGraphQLError(`Too many requests: the limit is ${limit} per minute. Retry in ${retryAfter} s.`, {
        extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: { 'Retry-After': String(retryAfter) } } },
      });
    },
  };

  return {
    plugin,
    admit,
    async ready() {
      if (!redis || redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        redis.once('ready', resolve);
        redis.once('error', () => resolve());
      });
    },
    async close() {
      if (!ownRedis) return;
      if (ownRedis.status === 'ready') await ownRedis.quit().catch(() => ownRedis.disconnect());
      else ownRedis.disconnect();
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
