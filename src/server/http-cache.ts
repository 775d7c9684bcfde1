// An HTTP cache in front of yoga, in the node:http request handler, the way a CDN or Varnish
// would sit in front of the gateway: anonymous reads whose response the response cache marked
// `public` are stored as bytes and answered from memory without entering yoga (no whatwg
// Request/Response, no plugins, no hashing of the document, no JSON work).
//
// - Only anonymous reads: GET and JSON POST to /graphql, no Authorization, no SSE. Everything
//   else goes to yoga untouched. The key: method and URL, the raw POST body, and the request
//   headers the stored response depends on (Accept decides its media type, Origin its CORS headers).
// - Stored: 200s with `Cache-Control: public` (the response cache's headers) of queries, with
//   their headers, ETag, surrogate keys and the operation (for logs and metrics).
// - Purged with the response cache: every purge of it (a story event) purges the copies whose
//   Surrogate-Key holds a purged key, and a dropped response cache drops them all. A response
//   computed while a purge happened is not stored (generation counter).
// - Coalescing: concurrent misses of a key known to be a query wait for the first one's response.
// - Stale-while-revalidate: an expired copy within its stale-while-revalidate window is served
//   while one background request through yoga refreshes it. Purged copies are never served.
// - Bounded: RESPONSE_CACHE_MAX_ENTRIES copies and RESPONSE_CACHE_MAX_BYTES bytes, least recently used go
//   first; the pages remembered whole (below) count against the bytes and go before any copy.
// - What yoga's plugins do for every request still happens on a hit: the front door's rate limit
//   (the same count; a client over it goes to yoga for its 429), the request id, the log line and
//   the duration histogram (observability.recordRequest). CORS headers are part of the stored response.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { YogaServerInstance } from 'graphql-yoga';
import { Counter } from 'prom-client';
import type { Logger } from '../logger.js';
import type { FrontDoor } from './front-door.js';
import { CSRF_HEADERS } from './http-policy.js';
import { planRootFields, type RootFieldPlan } from './root-fields.js';
import {
  metricsRegistry,
  PART_OF_REQUEST,
  requestIdFrom,
  summedGauge,
  type Observability,
  type RequestOperation,
} from './observability.js';
import type { Purge, ResponseCache } from './response-cache.js';

const GRAPHQL_PATH = '/graphql';
/** POST bodies up to this many bytes are read here and keyed by; larger ones go to yoga untouched. */
export const MAX_KEYED_BODY_BYTES = 64 * 1024;
/** V8 hashes only the first 16k characters of a string (longer ones by length): longer keys are hashed here. */
const MAX_PLAIN_KEY = 16_000;
/** Vary tokens the key covers (Authorization: keyed requests never get here). */
const VARY_COVERED = new Set(['origin', 'accept', 'authorization']);
/** Response headers that belong to one response, never replayed. */
const NOT_REPLAYED = new Set(['x-request-id', 'date', 'age', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

type CacheResult = 'hit' | 'stale' | 'coalesced' | 'miss';

const cacheRequests = new Counter({
  name: 'newsroom_http_cache_requests_total',
  help: 'Anonymous GraphQL reads seen by the HTTP cache in front of yoga: hit (fresh copy), stale (copy served while it is refreshed), coalesced (waited for an identical request), miss (answered by yoga)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});
const counters: Record<CacheResult, { inc(): void }> = {
  hit: cacheRequests.labels('hit'),
  stale: cacheRequests.labels('stale'),
  coalesced: cacheRequests.labels('coalesced'),
  miss: cacheRequests.labels('miss'),
};
type Counts = { entryCount(): number; byteCount(): number };
/** Every HTTP cache of the process (tests build several): the gauges sum them. */
const caches = new Set<Counts>();
summedGauge('newsroom_http_cache_entries', 'Responses held by the HTTP cache in front of yoga', caches, (counts) => counts.entryCount());
summedGauge('newsroom_http_cache_bytes', 'Bytes of the responses held by the HTTP cache in front of yoga', caches, (counts) =>
  counts.byteCount(),
);

/** What a background refresh needs to ask yoga the same question again. */
type StoredRequest = { method: string; url: string; accept?: string; origin?: string; body?: Buffer };

type Entry = {
  key: string;
  /** undefined: purged or expired. The key stays known as a query, so its misses coalesce. */
  body: Buffer | undefined;
  /** Flat [name, value, …] list replayed on a 200 (Content-Length included) and on a 304. */
  headers: string[];
  notModifiedHeaders: string[];
  etag: string | undefined;
  /** When the response was computed (ms): now - Age when stored. */
  born: number;
  freshUntil: number;
  staleUntil: number;
  surrogateKeys: Set<string>;
  operation: RequestOperation;
  request: StoredRequest;
  bytes: number;
  refreshing: boolean;
  maxAge: number;
  staleWhileRevalidate: number;
  /** A root field's answer (see splitting below): its key in `data` and the JSON of its value. */
  part?: { responseKey: string; value: Buffer };
};

/** A request split into its root fields: the plan, each part's `"key":` prefix and request body, and the request's own body. */
type Split = { plan: RootFieldPlan; prefixes: Buffer[]; bodies: string[]; body: Buffer; keys?: string[] };
/** The parts' answers joined: the entries it was joined from, and its headers without x-request-id, Age and Content-Length. */
type Joined = Answer & { parts: Entry[]; chunks: Buffer[] };
/**
 * What `serve` sends: the 200's headers (with Content-Length when there is a `body`; else the
 * `chunks` are measured and written per answer) and the 304's, as old as `born`.
 */
type Answer = Pick<Entry, 'headers' | 'notModifiedHeaders' | 'etag' | 'born' | 'operation'> & { body?: Buffer; chunks?: Buffer[] };
type Page = { key: string; split: Split; joined: Joined; bytes: number };

/** What a remembered page holds: its key, request, part bodies and keys, headers and joined answer. */
function pageBytes({ key, split, joined }: Page): number {
  let total = key.length + split.body.length + 256;
  for (const body of split.bodies) total += body.length;
  for (const partKey of split.keys ?? []) total += partKey.length;
  for (const header of joined.headers) total += 2 * header.length; // and the 304's
  for (const chunk of joined.chunks) total += chunk.length;
  return total;
}

type Waiter = { req: IncomingMessage; res: ServerResponse; body: Buffer | undefined; start: number; generation: number };

type Captured = { status: number; headers: [string, string][]; body: Buffer };

const READING = Symbol('http-cache reading');
/** A POST whose body is being read: where it goes once complete. */
type Reading = IncomingMessage & { [READING]?: { res: ServerResponse; start: number; arrived: number; chunks: Buffer[] } };

export type HttpCache = {
  /** The node:http request listener: serves what it can, hands everything else to yoga. */
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Responses held (purged keys kept for coalescing not counted) and their bytes. */
  readonly size: number;
  readonly bytes: number;
  /** Stops storing and refreshing and forgets everything; requests in flight complete. */
  close(): void;
};

export type HttpCacheOptions = {
  yoga: YogaServerInstance<Record<string, unknown>, any>;
  observability: Pick<Observability, 'recordRequest' | 'operationOf'>;
  /** Every request passes the front door: a hit spends its client's budget like a miss. */
  frontDoor: Pick<FrontDoor, 'admitAnonymous'>;
  responseCache: Pick<ResponseCache, 'onPurge'>;
  maxEntries: number;
  maxBytes: number;
  maxBodyBytes: number;
  logger: Logger;
};

export function httpCache(options: HttpCacheOptions): HttpCache {
  const { yoga, observability, frontDoor, logger, maxEntries, maxBytes } = options;
  const maxKeyedBody = Math.min(MAX_KEYED_BODY_BYTES, options.maxBodyBytes);
  /** In least-recently-used order: the first is evicted first. */
  const entries = new Map<string, Entry>();
  /** Keys whose first miss is with yoga, and the requests waiting for its response. */
  const inflight = new Map<string, Waiter[]>();
  let bytes = 0;
  let live = 0; // entries with a body
  let generation = 0;
  let closed = false;

  // ---------------------------------------------------------------------------------------------
  // Purges, in step with the response cache.

  const unsubscribe = options.responseCache.onPurge((purge: Purge) => {
    generation++;
    for (const entry of entries.values()) {
      if (entry.body === undefined) continue;
      if (purge === 'all') forget(entry);
      else
        for (const key of purge)
          if (entry.surrogateKeys.has(key)) {
            forget(entry);
            break;
          }
    }
  });

  /** Drops an entry's response; its key stays known as a query. */
  function forget(entry: Entry) {
    if (entry.body === undefined) return;
    const tombstone = entry.key.length + 64;
    bytes -= entry.bytes - tombstone;
    entry.bytes = tombstone;
    entry.body = undefined;
    entry.headers = entry.notModifiedHeaders = [];
    entry.surrogateKeys = new Set();
    entry.request = { method: entry.request.method, url: '' };
    live--;
  }

  function remove(entry: Entry) {
    entries.delete(entry.key);
    bytes -= entry.bytes;
    if (entry.body !== undefined) live--;
  }

  function put(entry: Entry) {
    const old = entries.get(entry.key);
    if (old) remove(old);
    entries.set(entry.key, entry);
    bytes += entry.bytes;
    live++;
    evict();
  }

  /**
   * Within the bounds, least recently used first. Remembered pages go first: they count their
   * joined bytes (which may hold parts already replaced) and cost one join to rebuild.
   */
  function evict() {
    while ((bytes > maxBytes || pages.size > maxEntries) && pages.size > 0) dropPage(pages.values().next().value!);
    while (entries.size > maxEntries || bytes > maxBytes) remove(entries.values().next().value!);
  }

  // ---------------------------------------------------------------------------------------------
  // Requests.

  function handler(req: IncomingMessage, res: ServerResponse): void {
    if (closed || !eligible(req)) {
      void yoga(req, res);
      return;
    }
    const start = performance.now();
    const arrived = generation;
    if (req.method === 'GET') {
      void admit(req, res, undefined, start, arrived);
      return;
    }
    // A JSON POST with a small Content-Length (eligible): read it, keep it for yoga on a miss.
    // (Listeners shared by all requests, the state on the request: nothing allocated per chunk.)
    (req as Reading)[READING] = { res, start, arrived, chunks: [] };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  }

  function onData(this: Reading, chunk: Buffer) {
    this[READING]!.chunks.push(chunk);
  }
  function onEnd(this: Reading) {
    const { res, start, arrived, chunks } = this[READING]!;
    this[READING] = undefined;
    admit(this, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), start, arrived);
  }
  function onError(this: Reading) {
    // An aborted upload has nobody to answer.
    this[READING]?.res.destroy();
    this[READING] = undefined;
  }

  /** Anonymous GET or JSON POST to /graphql, not SSE, with a small body. */
  function eligible(req: IncomingMessage): boolean {
    const url = req.url;
    if (
      url === undefined ||
      !url.startsWith(GRAPHQL_PATH) ||
      (url.length > GRAPHQL_PATH.length && url.charCodeAt(GRAPHQL_PATH.length) !== 63) /* ? */
    )
      return false;
    const headers = req.headers;
    if (headers.authorization !== undefined || headers.accept?.includes('text/event-stream')) return false;
    if (req.method === 'GET') {
      // Without parameters it is GraphiQL or a 400. Yoga refuses a GET without a CSRF header (or a
      // preflighted content type) with 403: those go to yoga, so they never meet a stored copy.
      return (
        url.length > GRAPHQL_PATH.length + 1 &&
        (CSRF_HEADERS.some((name) => headers[name] !== undefined) || isJson(headers['content-type']))
      );
    }
    if (req.method !== 'POST' || !isJson(headers['content-type']) || headers['transfer-encoding'] !== undefined) return false;
    const length = Number(headers['content-length']);
    return length > 0 && length <= maxKeyedBody;
  }

  function admit(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, start: number, arrived: number) {
    const admitted = frontDoor.admitAnonymous(req);
    if (admitted === true) return lookup(req, res, body, start, arrived);
    // Over the limit: yoga answers the 429 (its limiter reuses this count), logs and counts it.
    if (admitted === false) return toYoga(req, res, body);
    admitted.then(
      (ok) => (ok ? lookup(req, res, body, start, arrived) : toYoga(req, res, body)),
      () => toYoga(req, res, body),
    );
  }

  function lookup(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, start: number, arrived: number) {
    const key = keyOf(req, body);
    if (body !== undefined) {
      const page = pages.get(key);
      if (page !== undefined && servePage(req, res, page, start)) return;
      const split = page?.split ?? splitOf(body);
      if (split) return lookupParts(req, res, key, split, start, arrived);
    }
    const entry = entries.get(key);
    if (entry !== undefined) {
      if (entry.body !== undefined) {
        const now = Date.now();
        if (now < entry.freshUntil) return serve(req, res, touch(entry), now, start, 'hit');
        if (now < entry.staleUntil) {
          refresh(entry);
          return serve(req, res, touch(entry), now, start, 'stale');
        }
        forget(entry);
      }
      if (entry.operation.operationType === 'query') {
        // A query: identical misses wait for the first one instead of running it too.
        const waiting = inflight.get(key);
        if (waiting) {
          waiting.push({ req, res, body, start, generation: arrived });
          return;
        }
        inflight.set(key, []);
        return miss(req, res, body, key, arrived, true);
      }
    }
    // Never seen (it may be a mutation, e.g. recordRead): it simply goes through.
    miss(req, res, body, key, arrived, false);
  }

  function touch(entry: Entry): Entry {
    entries.delete(entry.key);
    entries.set(entry.key, entry);
    return entry;
  }

  function serve(req: IncomingMessage, res: ServerResponse, answer: Answer, now: number, start: number, result: CacheResult) {
    const incoming = req.headers['x-request-id'];
    const id = requestIdFrom(typeof incoming === 'string' ? incoming : null);
    const age = String(Math.max(0, Math.floor((now - answer.born) / 1000)));
    let status = 200;
    if (answer.etag !== undefined && etagMatches(req.headers['if-none-match'], answer.etag)) {
      status = 304;
      const headers = answer.notModifiedHeaders.slice();
      headers.push('x-request-id', id, 'age', age);
      res.writeHead(304, headers);
      res.end();
    } else {
      const headers = answer.headers.slice();
      const { body, chunks } = answer;
      // A joined page goes out as its parts' own bytes, corked into one write. Joining them per
      // answer (a new ~40 KB Buffer each) made V8 count ~130 MB/s of external memory in the
      // storm's all-hits run and start a major GC every 0.6 s, 20 ms each: the read p99.
      if (body === undefined) headers.push('content-length', String(chunks!.reduce((length, chunk) => length + chunk.length, 0)));
      headers.push('x-request-id', id, 'age', age);
      res.writeHead(200, headers);
      if (body !== undefined) {
        res.end(body);
      } else {
        res.cork();
        for (let i = 0; i < chunks!.length - 1; i += 1) res.write(chunks![i]);
        res.end(chunks!.at(-1)); // end() uncorks
      }
    }
    counters[result].inc();
    observability.recordRequest({
      reqId: id,
      method: req.method!,
      path: GRAPHQL_PATH,
      status,
      operationName: answer.operation.operationName,
      operationType: answer.operation.operationType,
      seconds: (performance.now() - start) / 1000,
      cache: result,
    });
  }

  function toYoga(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) {
    // @whatwg-node/server takes an already-read body from `req.body` (as body parsers leave it).
    if (body) (req as { body?: unknown }).body = body;
    void yoga(req, res);
  }

  /** To yoga, keeping a copy of its response when it may be stored. */
  function miss(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, key: string, arrived: number, leader: boolean) {
    counters.miss.inc();
    capture(res, (captured) => {
      let entry: Entry | undefined;
      if (captured && arrived === generation) {
        entry = build(key, captured, observability.operationOf(req), storedRequest(req, body), Date.now());
        if (entry && !closed) put(entry);
      }
      if (leader) settle(key, entry);
    });
    toYoga(req, res, body);
  }

  /** The first miss of a key is answered: its waiters get its copy, or go to yoga themselves. */
  function settle(key: string, entry: Entry | undefined) {
    const waiters = inflight.get(key);
    inflight.delete(key);
    if (!waiters) return;
    for (const waiter of waiters) {
      // A waiter that arrived after a purge must not get what the purge removed.
      if (entry && waiter.generation === generation) serve(waiter.req, waiter.res, entry, Date.now(), waiter.start, 'coalesced');
      else miss(waiter.req, waiter.res, waiter.body, key, waiter.generation, false);
    }
  }

  /** One background request through yoga for an expired copy within stale-while-revalidate. */
  function refresh(entry: Entry) {
    if (entry.refreshing || closed) return;
    entry.refreshing = true;
    const started = generation;
    const { method, url, accept, origin, body } = entry.request;
    const headers: Record<string, string> = {};
    if (accept !== undefined) headers.accept = accept;
    if (origin !== undefined) headers.origin = origin;
    if (body) headers['content-type'] = 'application/json';
    else headers['graphql-preflight'] = '1';
    void (async () => {
      try {
        const response = await yoga.fetch(`http://localhost${url}`, { method, headers, body: body ? new Uint8Array(body) : undefined });
        const bytes = Buffer.from(await response.arrayBuffer());
        const pairs: [string, string][] = [];
        response.headers.forEach((value, name) => void pairs.push([name, value]));
        // Purged meanwhile (its result may predate the purge), or replaced: the refresh is void.
        if (closed || started !== generation || entries.get(entry.key) !== entry) return;
        const fresh = build(
          entry.key,
          { status: response.status, headers: pairs, body: bytes },
          entry.operation,
          entry.request,
          Date.now(),
          entry.part?.responseKey,
        );
        if (fresh) put(fresh);
      } catch (error) {
        logger.warn({ err: error }, 'refreshing a cached response failed; the copy runs out');
      } finally {
        entry.refreshing = false;
      }
    })();
  }

  function build(
    key: string,
    captured: Captured,
    operation: RequestOperation | undefined,
    request: StoredRequest,
    now: number,
    responseKey?: string,
  ): Entry | undefined {
    if (captured.status !== 200 || operation?.operationType !== 'query') return undefined;
    let cacheControl: string | undefined;
    let contentType: string | undefined;
    let etag: string | undefined;
    let surrogateKey = '';
    let age = 0;
    const headers: string[] = [];
    const notModifiedHeaders: string[] = [];
    let headerBytes = 0;
    for (const [name, value] of captured.headers) {
      switch (name) {
        case 'set-cookie':
          return undefined;
        case 'vary':
          if (value.split(',').some((token) => !VARY_COVERED.has(token.trim().toLowerCase()))) return undefined;
          break;
        case 'cache-control':
          cacheControl = value;
          break;
        case 'content-type':
          contentType = value;
          break;
        case 'etag':
          etag = value;
          break;
        case 'surrogate-key':
          surrogateKey = value;
          break;
        case 'age':
          age = Number(value) || 0;
          break;
      }
      if (NOT_REPLAYED.has(name)) continue;
      headers.push(name, value);
      if (name !== 'content-type') notModifiedHeaders.push(name, value);
      headerBytes += name.length + value.length;
    }
    if (!cacheControl || !/^public\b/i.test(cacheControl) || /\b(no-store|no-cache|private)\b/i.test(cacheControl)) return undefined;
    if (!contentType || !/^application\/(graphql-response\+)?json\b/i.test(contentType)) return undefined;
    const maxAge = Number(/\bmax-age=(\d+)/i.exec(cacheControl)?.[1] ?? 0);
    const staleWhileRevalidate = Number(/\bstale-while-revalidate=(\d+)/i.exec(cacheControl)?.[1] ?? 0);
    const born = now - age * 1000;
    const entryBytes = captured.body.length + key.length + headerBytes + (request.body?.length ?? 0) + 256;
    if (maxAge + staleWhileRevalidate <= age || entryBytes > maxBytes) return undefined;
    headers.push('content-length', String(captured.body.length));
    let part: Entry['part'];
    if (responseKey !== undefined) {
      const value = partValue(captured.body, responseKey);
      if (!value) return undefined;
      part = { responseKey, value };
    }
    return {
      key,
      body: captured.body,
      headers,
      notModifiedHeaders,
      etag,
      born,
      freshUntil: born + maxAge * 1000,
      staleUntil: born + (maxAge + staleWhileRevalidate) * 1000,
      surrogateKeys: new Set(surrogateKey.split(' ').filter(Boolean)),
      operation: { operationName: operation.operationName, operationType: operation.operationType },
      request,
      bytes: entryBytes,
      refreshing: false,
      maxAge,
      staleWhileRevalidate,
      part,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Root fields apart: a POSTed query with several root fields (a page) is answered from one
  // entry per root field (root-fields.ts), so what a change makes stale is only the parts that
  // hold it, and a part many pages share (Latest, Most Popular, the edition) is one entry,
  // computed once per change. A missing part is one request through yoga (coalesced with the
  // same part of concurrent pages); the answer is the parts' JSON joined, never parsed again.

  /**
   * Pages (requests split into parts) by their key, least recently used first: how the request
   * splits, and the answer last joined from its parts. A repeat whose parts are still those entries
   * and fresh is answered from here: no JSON parse, no part keys, no header work.
   */
  const pages = new Map<string, Page>();
  /** Plans by operation name and query text; null: cached whole. */
  const plans = new Map<string, { plan: RootFieldPlan; prefixes: Buffer[] } | null>();
  /** Parts being computed, and the purge generation they started in. */
  const partFlights = new Map<string, { generation: number; promise: Promise<Entry | undefined> }>();

  function splitOf(body: Buffer): Split | undefined {
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined; // yoga answers what it cannot parse
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
    const { query, variables, operationName, ...rest } = params as Record<string, unknown>;
    if (typeof query !== 'string' || Object.keys(rest).length > 0) return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    const planKey = operationName ? `${operationName}\n${query}` : query;
    let known = plans.get(planKey);
    if (known === undefined) {
      const plan = planRootFields(query, operationName ?? undefined);
      known = plan && { plan, prefixes: plan.parts.map((part, i) => Buffer.from(`${i ? ',' : ''}${JSON.stringify(part.responseKey)}:`)) };
      if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value!);
      plans.set(planKey, known);
    }
    if (!known) return undefined;
    const values = (variables ?? {}) as Record<string, unknown>;
    const bodies = known.plan.parts.map((part) => {
      const own: Record<string, unknown> = {};
      for (const name of part.variableNames) if (name in values) own[name] = values[name];
      return JSON.stringify(operationName ? { query: part.query, operationName, variables: own } : { query: part.query, variables: own });
    });
    return { ...known, bodies, body };
  }

  function lookupParts(req: IncomingMessage, res: ServerResponse, pageKey: string, split: Split, start: number, arrived: number) {
    const operation: RequestOperation = { operationName: split.plan.operationName, operationType: 'query' };
    let waiting = false;
    // The parts' keys follow from the page's (same URL, Accept and Origin): worked out once per page.
    const keys = (split.keys ??= split.bodies.map((partBody) => keyOf(req, Buffer.from(partBody))));
    const parts = split.bodies.map((partBody, i) => {
      const part = partEntry(req, keys[i]!, partBody, split.plan.parts[i]!.responseKey, operation, arrived);
      if (part instanceof Promise) waiting = true;
      return part;
    });
    if (!waiting) return serveParts(req, res, pageKey, split, parts as Entry[], start, 'hit');
    void Promise.all(parts).then((done) => {
      if (done.every((part) => part !== undefined)) return serveParts(req, res, pageKey, split, done, start, 'miss');
      // A part that cannot be stored (an error, a private answer): the whole request goes to yoga.
      counters.miss.inc();
      toYoga(req, res, split.body);
    });
  }

  /**
   * A page asked before whose parts are all still the entries it was last joined from, and fresh:
   * its joined headers again, without parsing the request or keying its parts.
   */
  function servePage(req: IncomingMessage, res: ServerResponse, page: Page, start: number): boolean {
    const joined = page.joined;
    const now = Date.now();
    for (const part of joined.parts) if (part.body === undefined || now >= part.freshUntil || entries.get(part.key) !== part) return false;
    for (const part of joined.parts) touch(part);
    touchPage(page);
    serve(req, res, joined, now, start, 'hit');
    return true;
  }

  function touchPage(page: Page) {
    pages.delete(page.key);
    pages.set(page.key, page);
  }

  function dropPage(page: Page) {
    pages.delete(page.key);
    bytes -= page.bytes;
  }

  function partEntry(
    req: IncomingMessage,
    key: string,
    partBody: string,
    responseKey: string,
    operation: RequestOperation,
    arrived: number,
  ): Entry | Promise<Entry | undefined> {
    const entry = entries.get(key);
    if (entry?.body !== undefined) {
      if (entry.part === undefined) {
        // Stored by a request that asked for this root field alone.
        const value = partValue(entry.body, responseKey);
        if (value) entry.part = { responseKey, value };
      }
      if (entry.part !== undefined) {
        const now = Date.now();
        if (now < entry.freshUntil) return touch(entry);
        if (now < entry.staleUntil) {
          refresh(entry);
          return touch(entry);
        }
        forget(entry);
      }
    }
    // A part computing since before a purge may hold what the purge removed: not for this request.
    const flight = partFlights.get(key);
    if (flight && flight.generation === arrived) return flight.promise;
    const request: StoredRequest = {
      method: 'POST',
      url: req.url!,
      accept: req.headers.accept,
      origin: req.headers.origin,
      body: Buffer.from(partBody),
    };
    const promise = fetchPart(key, request, responseKey, operation, arrived);
    partFlights.set(key, { generation: arrived, promise });
    void promise.finally(() => {
      if (partFlights.get(key)?.promise === promise) partFlights.delete(key);
    });
    return promise;
  }

  async function fetchPart(
    key: string,
    request: StoredRequest,
    responseKey: string,
    operation: RequestOperation,
    arrived: number,
  ): Promise<Entry | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (request.accept !== undefined) headers.accept = request.accept;
    if (request.origin !== undefined) headers.origin = request.origin;
    try {
      // A part of a request, not one: logged and counted once, as the request it is part of.
      const response = await yoga.fetch(
        `http://localhost${request.url}`,
        { method: 'POST', headers, body: new Uint8Array(request.body!) },
        { [PART_OF_REQUEST]: true },
      );
      const bytes = Buffer.from(await response.arrayBuffer());
      const pairs: [string, string][] = [];
      response.headers.forEach((value, name) => void pairs.push([name, value]));
      const entry = build(key, { status: response.status, headers: pairs, body: bytes }, operation, request, Date.now(), responseKey);
      // Computed after the request arrived, so it may answer it; stored only if no purge came since.
      if (entry && !closed && arrived === generation) put(entry);
      return entry;
    } catch (error) {
      logger.warn({ err: error }, 'computing a root field of a cached page failed; the page goes to yoga whole');
      return undefined;
    }
  }

  function serveParts(
    req: IncomingMessage,
    res: ServerResponse,
    pageKey: string,
    split: Split,
    parts: Entry[],
    start: number,
    result: CacheResult,
  ) {
    const joined = join(parts, split.prefixes);
    // Remembered only when every part is the stored entry (not one computed across a purge).
    if (parts.every((part) => part.body !== undefined && entries.get(part.key) === part)) {
      const old = pages.get(pageKey);
      if (old) dropPage(old);
      const page: Page = { key: pageKey, split: old?.split ?? split, joined, bytes: 0 };
      page.bytes = pageBytes(page);
      pages.set(pageKey, page);
      bytes += page.bytes;
      evict();
    }
    serve(req, res, joined, Date.now(), start, result);
  }

  /** The parts' answers as one: as fresh as its parts (the shortest max-age, the oldest part's Age). */
  function join(parts: Entry[], prefixes: Buffer[]): Joined {
    let maxAge = Number.POSITIVE_INFINITY;
    let stale = Number.POSITIVE_INFINITY;
    let born = Number.POSITIVE_INFINITY;
    const keys = new Set<string>();
    const tags = createHash('sha256');
    const chunks: Buffer[] = [OPEN_DATA];
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i]!;
      maxAge = Math.min(maxAge, part.maxAge);
      stale = Math.min(stale, part.staleWhileRevalidate);
      born = Math.min(born, part.born);
      for (const key of part.surrogateKeys) keys.add(key);
      tags.update(part.etag ?? part.key);
      chunks.push(prefixes[i]!, part.part!.value);
    }
    chunks.push(CLOSE_DATA);
    const etag = tags.digest('hex');
    const headers: string[] = [];
    const first = parts[0]!.headers;
    for (let i = 0; i + 1 < first.length; i += 2) if (!COMBINED.has(first[i]!)) headers.push(first[i]!, first[i + 1]!);
    headers.push(
      'cache-control',
      `public, max-age=${maxAge}, stale-while-revalidate=${stale}`,
      'etag',
      etag,
      'surrogate-key',
      [...keys].sort().join(' '),
    );
    const operation: RequestOperation = { operationName: parts[0]!.operation.operationName, operationType: 'query' };
    return { parts, chunks, etag, headers, notModifiedHeaders: withoutContentType(headers), born, operation };
  }

  const cache: HttpCache = {
    handler,
    get size() {
      return live;
    },
    get bytes() {
      return bytes;
    },
    close() {
      closed = true;
      unsubscribe();
      entries.clear();
      pages.clear();
      bytes = 0;
      live = 0;
      caches.delete(counts);
    },
  };
  const counts: Counts = { entryCount: () => live, byteCount: () => bytes };
  caches.add(counts);
  return cache;
}

/** Documents whose root-field plan is remembered (the frontends send a few dozen). */
const MAX_PLANS = 1000;
const OPEN_DATA = Buffer.from('{"data":{');
const CLOSE_DATA = Buffer.from('}}');
/** Headers of a joined answer that are its own, not its first part's. */
const COMBINED = new Set(['cache-control', 'etag', 'surrogate-key', 'content-length', 'last-modified']);

function withoutContentType(headers: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i] !== 'content-type') out.push(headers[i]!, headers[i + 1]!);
  return out;
}

/**
 * The JSON of `data.<responseKey>` in a part's answer, when the answer is exactly
 * `{"data":{"<responseKey>":…}}` (no errors, no extensions): checked once, when it is stored.
 */
function partValue(body: Buffer, responseKey: string): Buffer | undefined {
  const prefix = `{"data":{${JSON.stringify(responseKey)}:`;
  if (body.length < prefix.length + 2 || body.toString('latin1', 0, prefix.length) !== prefix) return undefined;
  if (body[body.length - 1] !== 0x7d || body[body.length - 2] !== 0x7d) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const keys = Object.keys(parsed);
    if (keys.length !== 1 || keys[0] !== 'data') return undefined;
    const data = parsed.data as Record<string, unknown> | null;
    if (data === null || typeof data !== 'object' || Object.keys(data).length !== 1) return undefined;
  } catch {
    return undefined;
  }
  return body.subarray(prefix.length, body.length - 2);
}

/** `method url`, Accept, Origin, and the raw body (latin1: one character per byte, so distinct bodies stay distinct). */
function keyOf(req: IncomingMessage, body: Buffer | undefined): string {
  const headers = req.headers;
  let key = `${req.method} ${req.url}\n${headers.accept ?? ''}\n${headers.origin ?? ''}`;
  if (body) key += `\n${body.toString('latin1')}`;
  return key.length > MAX_PLAIN_KEY ? `sha256:${createHash('sha256').update(key, 'latin1').digest('base64')}` : key;
}

function storedRequest(req: IncomingMessage, body: Buffer | undefined): StoredRequest {
  return { method: req.method!, url: req.url!, accept: req.headers.accept, origin: req.headers.origin, body };
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === 'application/json') return true;
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

/**
 * If-None-Match holds this entity tag (or `*`), compared weakly as a GET's is. The one matcher of
 * every 304 the gateway sends (cached GraphQL answers, feeds): the response cache plugin's tags are
 * bare hex, the feeds' are quoted, clients may quote or weaken either.
 */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  const wanted = opaqueTag(etag);
  for (const part of ifNoneMatch.split(',')) {
    const tag = part.trim();
    if (tag === '*' || opaqueTag(tag) === wanted) return true;
  }
  return false;
}

function opaqueTag(tag: string): string {
  const strong = tag.startsWith('W/') ? tag.slice(2) : tag;
  return strong.length >= 2 && strong.startsWith('"') && strong.endsWith('"') ? strong.slice(1, -1) : strong;
}

/**
 * Copies what yoga writes to `res` (as compression middleware wraps it) and calls `done` once:
 * with the response when it ended, undefined when the connection closed first.
 */
function capture(res: ServerResponse, done: (captured: Captured | undefined) => void) {
  const { writeHead, write, end } = res;
  let status = 0;
  let headArgument: unknown;
  const chunks: Buffer[] = [];
  let finished = false;
  const collect = (chunk: unknown, encoding: unknown) => {
    if (chunk == null || typeof chunk === 'function') return;
    chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
        : Buffer.from(chunk as Uint8Array),
    );
  };
  const finish = (ended: boolean) => {
    if (finished) return;
    finished = true;
    if (!ended) return done(undefined);
    done({
      status: status || res.statusCode,
      headers: headerPairs(res, headArgument),
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
    });
  };
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    status = args[0] as number;
    headArgument = typeof args[1] === 'object' ? args[1] : args[2];
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    collect(args[0], args[1]);
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    collect(args[0], args[1]);
    const result = (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    finish(true);
    return result;
  } as ServerResponse['end'];
  res.once('close', () => finish(false));
}

/** The response's headers as lowercase name and string value, whether set one by one or given to writeHead. */
function headerPairs(res: ServerResponse, headArgument: unknown): [string, string][] {
  const pairs = new Map<string, string>();
  const add = (name: string, value: unknown) => {
    if (value === undefined) return;
    pairs.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
  };
  for (const [name, value] of Object.entries(res.getHeaders())) add(name, value);
  if (Array.isArray(headArgument)) {
    if (Array.isArray(headArgument[0])) for (const [name, value] of headArgument as [string, unknown][]) add(name, value);
    else for (let i = 0; i + 1 < headArgument.length; i += 2) add(String(headArgument[i]), headArgument[i + 1]);
  } else if (headArgument && typeof headArgument === 'object') {
    for (const [name, value] of Object.entries(headArgument)) add(name, value);
  }
  return [...pairs];
}
