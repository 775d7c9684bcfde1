// What the response cache needs to know about the schema, said in GraphQL type names by the
// module that declares each type: how long its results live, and which cached entities a story
// event may have made stale. index.ts collects the modules' rules into `surrogateKeysToPurge`,
// the one mapping from an outbox event to what it purges (the gateway's caches, the CDN purger).
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { EventSubject } from '../newsroom/events.js';

/**
 * A cached entity. The cache records, per result, each object with an id (`Article:<global id>`,
 * and its type `Article`) and the type of each null or empty field (`article(slug)` → null:
 * `Article`; `edges: []`: `ArticleEdge`). A bare type name purges every result holding one.
 */
export type CacheEntity = { typename: string; id?: string };

/**
 * What a purge rule is told: the event, and (when the follower read it, as the live hub does) its
 * article as it is now. Without `article` a rule purges what any state of it could touch.
 */
export type PurgedEvent = EventSubject & { article?: { kind: string; collectionIds: number[] } | null };

/** How long a schema coordinate's results live: `list` for lists, `popular` for Most Popular. */
export type CacheTtl = 'list' | 'popular';

export type CacheRules = {
  /** The entities of this module's types that a story event may have made stale. */
  purge?: (event: PurgedEvent) => CacheEntity[];
  /** TTLs by schema coordinate (`ArticleConnection`, `Query.mostPopular`); the rest get the default. */
  ttl?: Record<string, CacheTtl>;
  /**
   * Lists a change may add to. A result with a field that returns a list of one of `items` (but
   * not at an `except` coordinate: those live out their TTL) is marked with the bare key `key`,
   * which a purge names; the bare key of an `items` type then marks only a null or empty field of
   * that type, so a result that merely shows some of them (a story page and its related stories)
   * is not purged by every change to any of them. A result asking for one of `fields` (schema
   * coordinates, e.g. a count) gets `key` too. A list at a `keyed` coordinate does not get `key`:
   * its resolver adds narrower keys to the context's `cacheKeys` (a section's articles:
   * `ArticleList:Section` and `ArticleList:Section:<id>` of each section it holds), so a change
   * purges only the lists it can be in.
   */
  lists?: { key: string; items: string[]; except?: string[]; keyed?: string[]; fields?: string[] }[];
};

export function collectCacheRules(modules: CacheRules[]): Required<CacheRules> {
  return {
    purge: (event) => modules.flatMap((rules) => rules.purge?.(event) ?? []),
    ttl: Object.assign({}, ...modules.map((rules) => rules.ttl ?? {})),
    lists: modules.flatMap((rules) => rules.lists ?? []),
  };
}

/**
 * The surrogate key of an entity: `Article:12` for one with a Relay global id (or a plain id),
 * the bare type name (`Article`) for a type. Responses list these in `Surrogate-Key`.
 */
export function surrogateKey(entity: { typename: string; id?: string | number }): string {
  if (entity.id == null) return entity.typename;
  try {
    return `${entity.typename}:${decodeGlobalID(String(entity.id)).id}`;
  } catch {
    return `${entity.typename}:${entity.id}`;
  }
}

/**
 * The purge of an editorial object's event (collection, section, tag, author): the object, and
 * its whole type, since a cached "not found" (`tag(slug:)` → null) or empty list of it is
 * recorded under the bare type name and a create, rename or move may fill it.
 */
export function objectPurge(typename: string, id: number | null): CacheEntity[] {
  return id == null ? [{ typename }] : [{ typename }, { typename, id: encodeGlobalID(typename, id) }];
}

/** The key of results that list articles (latest, section, tag and author pages, collections, editions, search). */
export const ARTICLE_LIST = 'ArticleList';

/**
 * The keys of a section's list of articles (`Section.articles`, keyed by its resolver): every such
 * list has the first; the second names each section whose articles it holds (the section and its
 * subsections), so a story published or taken down in a section purges only the lists holding it.
 */
export const SECTION_ARTICLE_LISTS = 'ArticleList:Section';
export const sectionArticleList = (sectionId: number) => `${SECTION_ARTICLE_LISTS}:${sectionId}`;

/** Likewise for a collection's articles (`Collection.articles`): every one, and the collection's own. */
export const COLLECTION_ARTICLE_LISTS = 'ArticleList:Collection';
export const collectionArticleList = (collectionId: number) => `${COLLECTION_ARTICLE_LISTS}:${collectionId}`;

/** Likewise for `articles(filter: { kind })`: every list filtered by kind, and those of one kind. */
export const KIND_ARTICLE_LISTS = 'ArticleList:Kind';
export const kindArticleList = (kind: string) => `${KIND_ARTICLE_LISTS}:${kind}`;

const typeNames = { article: 'Article', section: 'Section', tag: 'Tag', author: 'Author' } as const;

/**
 * The cached entity a domain row is in GraphQL results (`{ typename: 'Article', id: <global id> }`),
 * or its whole type without an id (for articles: every list of them): for what is cached outside
 * GraphQL (feeds), so the same purges name it.
 */
export function domainCacheEntity(kind: keyof typeof typeNames, id?: number): CacheEntity {
  if (kind === 'article' && id === undefined) return { typename: ARTICLE_LIST };
  const typename = typeNames[kind];
  return id === undefined ? { typename } : { typename, id: encodeGlobalID(typename, id) };
}
