// Response cache for anonymous readers: yoga's response-cache plugin keeps whole query results in
// memory, keyed by document + variables, and serves repeats without touching the database.
// Requests with an API key bypass it entirely (never served from it, never stored in it).
//
// Purging: story events. Every gateway drains the committed outbox itself (LiveHub), so every
// instance purges its own cache on every event; nothing is shared between gateways and nothing
// has to be broadcast. Which entities an event purges and which results get which TTL, the
// schema says (`rules`, declared beside the types they name; `surrogateKeysToPurge` in
// src/schema/index.ts is the same mapping as surrogate keys). Every editorial object writes
// events (articles, editions, collections, sections, tags, authors); what events do not cover
// (read counts behind Most Popular) lives at most its TTL.
//
// HTTP: cached results carry `ETag` / `Last-Modified` (the plugin answers `If-None-Match` with
// 304), `Cache-Control: public, max-age, stale-while-revalidate`, `Age` on hits and a
// `Surrogate-Key` header listing the response's entities (`Article:12 Section:3 …`) so a CDN can
// purge by the same keys. Keyed responses are `private, no-store`; anything else `no-store`.
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { createInMemoryCache, useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import {
  type ExecutionResult,
  getNamedType,
  getNullableType,
  type GraphQLSchema,
  isListType,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { LiveHub } from '../newsroom/live.js';
import { type CacheRules, surrogateKey } from '../schema/cache-rules.js';

type Entity = { typename: string; id?: string | number };
type Headers = Record<string, string>;

// Declared beside the cache rules (the schema's side); re-exported for the transport's callers.
export { surrogateKey };

/** Surrogate keys purged by a story event, or `all` when the whole cache was dropped. */
export type Purge = ReadonlySet<string> | 'all';

export type ResponseCache = {
  plugins: Plugin[];
  /**
   * Calls `listener` on every purge of this cache, at the moment it happens (the HTTP cache in
   * front of yoga purges its copies with it). Returns a function that stops the calls.
   */
  onPurge(listener: (purge: Purge) => void): () => void;
};

export function responseCache(options: {
  config: Config['responseCache'];
  live: LiveHub;
  rules: Required<CacheRules>;
  schema: GraphQLSchema;
  logger: Logger;
}): ResponseCache {
  const { config, live, rules, schema, logger } = options;
  const createMemory = () => createInMemoryCache({ max: config.maxResults });
  let memory = createMemory();
  // The plugin's ETag is the cache key alone, which stays the same when a purge or an expiry brings
  // new content under it: a client revalidating after a correction would get a 304 and keep the
  // old story. Ours is `<cache key>.<content hash>`: it changes with the content, and a 304 is only
  // given while the stored result is the one the client holds.
  const find = (key: string) => {
    const dot = key.indexOf('.');
    if (dot < 0) return memory.get(key);
    const stored = memory.get(key.slice(0, dot)) as ExecutionResult | null | undefined;
    return stored && httpHeaders(stored).ETag === key ? stored : undefined;
  };
  const plugins: Plugin[] = [cacheHeaders(config.enabled ? find : undefined)];
  const listeners = new Set<(purge: Purge) => void>();
  const onPurge = (listener: (purge: Purge) => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  if (!config.enabled) return { plugins, onPurge };
  const purged = (purge: Purge) => {
    for (const listener of listeners) listener(purge);
  };

  // A result may only be stored if no purge happened while it was computed (else it could hold
  // what the purge just removed) and the purge loop was already listening when it started.
  let listening = false;
  let generation = 0;
  const startedAt = new WeakMap<object, number>();

  // The keys this cache purges by, which are also the Surrogate-Key header: each entity
  // (`Article:12`) and its type (`Section`), except the types of the rules' lists, whose bare key
  // marks only a null or empty field of it (`Article`); each type of a null or empty field; and
  // the rules' list keys (`ArticleList`) of the lists the document asks for. The memory cache
  // gets them as bare type names, so they mean there exactly what they mean in the header.
  const listed = new Set(rules.lists.flatMap((list) => list.items));
  const keysOf = (entity: Entity) =>
    entity.id == null ? [entity.typename] : listed.has(entity.typename) ? [surrogateKey(entity)] : [entity.typename, surrogateKey(entity)];
  const asEntities = (entities: Iterable<Entity>) => [...entities].map((entity) => ({ typename: surrogateKey(entity) }));
  const listKeys = documentListKeys(schema, rules.lists);
  /** The list keys of the result being computed for a cache key (set between keying and storing). */
  const listsOfKey = new Map<string, string[]>();
  /**
   * The keys resolvers added to the context of the result about to be stored: the plugin calls
   * onTtl with the context and then, synchronously, `set` without it.
   */
  let resolverKeys: Set<string> | undefined;

  const cache: Cache = {
    get: find,
    invalidate: (entities) => memory.invalidate(asEntities(entities)),
    set(key, result, entities, ttl) {
      const seconds = Math.floor(ttl / 1000);
      const keys = new Set([...entities].flatMap(keysOf));
      for (const list of listsOfKey.get(key) ?? []) keys.add(list);
      for (const added of resolverKeys ?? []) keys.add(added);
      resolverKeys = undefined;
      const sorted = [...keys].sort();
      // Stored with the result, so hits carry them too (the plugin adds Last-Modified).
      Object.assign(httpHeaders(result), {
        'Cache-Control': `public, max-age=${seconds}, stale-while-revalidate=${seconds}`,
        'Surrogate-Key': sorted.join(' '),
        ETag: `${key}.${createHash('sha256').update(JSON.stringify(result.data)).digest('hex').slice(0, 16)}`,
      });
      return memory.set(
        key,
        result,
        sorted.map((typename) => ({ typename })),
        ttl,
      );
    },
  };

  void (async () => {
    await live.ready();
    for (;;) {
      const events = live.subscribe();
      // Whatever was cached before (re)subscribing may have missed events.
      memory = createMemory();
      generation++;
      purged('all');
      listening = true;
      try {
        for await (const event of events) {
          generation++;
          const entities = rules.purge(event);
          memory.invalidate(asEntities(entities));
          if (entities.length) purged(new Set(entities.map(surrogateKey)));
        }
        return; // the hub stopped
      } catch (error) {
        logger.warn({ err: error }, 'response cache fell behind the story events; purged it and listening again');
      } finally {
        listening = false;
        generation++;
        // Nothing purges copies from now on until the loop listens again (and drops them anyway).
        purged('all');
      }
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'response cache cannot follow story events; nothing is cached'));

  const ttlPerSchemaCoordinate = Object.fromEntries(
    Object.entries(rules.ttl).map(([coordinate, ttl]) => [coordinate, ttl === 'list' ? config.listTtlMs : config.popularTtlMs]),
  );

  plugins.push(
    {
      onExecute({ args }) {
        if (listening) startedAt.set(args.contextValue, generation);
      },
    },
    useResponseCache({
      cache,
      ttl: config.ttlMs,
      ttlPerSchemaCoordinate,
      // Readers only: a request with an Authorization header (an API key, or a bad one that ends
      // in a 401) neither reads nor writes the cache. graphql-ws operations have no request.
      enabled: (request) => request != null && !request.headers.has('authorization'),
      session: () => null,
      buildResponseCacheKey: (params) => {
        const key = responseCacheKey(params);
        const lists = listKeys(params.documentString);
        if (lists.length > 0) {
          if (listsOfKey.size >= MAX_REMEMBERED) listsOfKey.delete(listsOfKey.keys().next().value!);
          listsOfKey.set(key, lists);
        }
        return key;
      },
      onTtl: ({ ttl, context }) => {
        resolverKeys = (context as { cacheKeys?: Set<string> }).cacheKeys;
        return listening && startedAt.get(context) === generation ? ttl : 0;
      },
      // Mutations are never stored: the plugin only purges the entities in a mutation's result
      // (for `recordRead`, a Boolean: nothing). Story events do the real purging.
      invalidateViaMutation: true,
      includeExtensionMetadata: false,
    }),
  );
  return { plugins, onPurge };
}

/** Cache keys and documents whose list keys are remembered. */
const MAX_REMEMBERED = 10_000;

/**
 * The rules' list keys of the lists a document asks for (a field returning a list of an item
 * type, not at an excepted coordinate), remembered per document text.
 */
function documentListKeys(schema: GraphQLSchema, lists: Required<CacheRules>['lists']): (document: string) => string[] {
  const byItem = new Map<string, { key: string; except: Set<string>; keyed: Set<string> }[]>();
  /** The type a keyed coordinate returns (`Section.articles` → `ArticleConnection`). */
  const keyedType = new Map<string, string>();
  const byField = new Map<string, string[]>();
  for (const list of lists) {
    // A keyed coordinate's resolver adds its own, narrower keys (cache-rules.ts).
    const except = new Set([...(list.except ?? []), ...(list.keyed ?? [])]);
    const keyed = new Set(list.keyed);
    for (const coordinate of keyed) {
      const [typeName, fieldName] = coordinate.split('.');
      const type = schema.getType(typeName!);
      const field =
        type && 'getFields' in type
          ? (type.getFields() as Record<string, { type: Parameters<typeof getNamedType>[0] }>)[fieldName!]
          : undefined;
      if (field) keyedType.set(coordinate, getNamedType(field.type)!.name);
    }
    for (const item of list.items) byItem.set(item, [...(byItem.get(item) ?? []), { key: list.key, except, keyed }]);
    for (const field of list.fields ?? []) byField.set(field, [...(byField.get(field) ?? []), list.key]);
  }
  const known = new Map<string, string[]>();
  return (document) => {
    let keys = known.get(document);
    if (keys) return keys;
    const found = new Set<string>();
    /** The coordinates of the fields enclosing the one visited (in an operation; a fragment's start afresh). */
    const fields: string[] = [];
    try {
      const typeInfo = new TypeInfo(schema);
      visit(
        parse(document, { noLocation: true }),
        visitWithTypeInfo(typeInfo, {
          Field: {
            enter() {
              const field = typeInfo.getFieldDef();
              const parent = typeInfo.getParentType();
              const enclosing = fields.at(-1);
              fields.push(field && parent ? `${parent.name}.${field.name}` : '');
              if (!field || !parent) return;
              for (const key of byField.get(`${parent.name}.${field.name}`) ?? []) found.add(key);
              const type = getNullableType(field.type);
              if (!isListType(type)) return;
              for (const list of byItem.get(getNamedType(type).name) ?? []) {
                if (list.except.has(`${parent.name}.${field.name}`)) continue;
                // The edges of a keyed connection (`Section.articles { edges }`): its resolver keys them.
                if (enclosing && list.keyed.has(enclosing) && keyedType.get(enclosing) === parent.name) continue;
                found.add(list.key);
              }
            },
            leave() {
              fields.pop();
            },
          },
        }),
      );
    } catch {
      // Not a valid document: yoga refuses it before anything is cached.
    }
    keys = [...found];
    if (known.size >= MAX_REMEMBERED) known.delete(known.keys().next().value!);
    known.set(document, keys);
    return keys;
  };
}

function httpHeaders(result: ExecutionResult): Headers {
  const extensions = (result as { extensions?: { http?: { headers?: Headers } } }).extensions ?? {};
  (result as { extensions?: unknown }).extensions = extensions;
  extensions.http ??= {};
  return (extensions.http.headers ??= {});
}

/** Cache headers for every GraphQL response; `lookup` finds the cached result a 304 stands for. */
function cacheHeaders(lookup?: (key: string) => unknown): Plugin {
  return {
    onResponse({ request, response }) {
      if (new URL(request.url).pathname !== '/graphql' || request.method === 'OPTIONS') return;
      const headers = response.headers;
      if (request.headers.has('authorization')) {
        headers.set('cache-control', 'private, no-store');
        return;
      }
      if (response.status === 304 && lookup) {
        // The plugin's 304 carries only ETag and Last-Modified; refresh the rest as a 200 would.
        const cached = lookup(headers.get('etag') ?? '') as ExecutionResult | null | undefined;
        const stored = cached && httpHeaders(cached);
        if (stored?.['Cache-Control']) headers.set('cache-control', stored['Cache-Control']);
        if (stored?.['Surrogate-Key']) headers.set('surrogate-key', stored['Surrogate-Key']);
      }
      if (headers.get('cache-control')?.startsWith('public')) {
        // A hit is as old as its copy: `Age` keeps downstream caches from restarting max-age.
        const modified = Date.parse(headers.get('last-modified') ?? '');
        if (!Number.isNaN(modified)) headers.set('age', String(Math.max(0, Math.floor((Date.now() - modified) / 1000))));
        // The same URL with an API key is a different (private) answer.
        headers.append('vary', 'Authorization');
      } else if (!headers.has('cache-control')) {
        headers.set('cache-control', 'no-store');
      }
    },
  };
}

/**
 * The plugin's default key (document, operation name, variables with sorted keys, session), hashed
 * with node:crypto: the default hashes through WebCrypto's asynchronous digest, a thread-pool job
 * per request that cost about 0.7 ms of CPU each in the storm profile.
 */
function responseCacheKey(params: {
  documentString: string;
  operationName?: string | null;
  variableValues?: unknown;
  sessionId?: string | null;
}) {
  const text = [
    params.documentString,
    params.operationName ?? '',
    stableStringify(params.variableValues ?? {}),
    params.sessionId ?? '',
  ].join('|');
  return createHash('sha256').update(text).digest('hex');
}
