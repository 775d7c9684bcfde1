// Persisted operations (yoga's plugin): clients send the SHA-256 of a document instead of the
// document, as `extensions.persistedQuery.sha256Hash` (Apollo's APQ shape) or `documentId`
// (`sha256:<hex>`), over POST or GET — a short, stable GET URL a CDN can cache.
//
// Trusted documents: codegen's client preset writes persisted-documents.json next to the typed
// operations (src/generated/graphql, from schema/operations); it is loaded at start.
// PERSISTED_OPERATIONS=allow (default): any document runs, and other clients may register theirs
// by hash (automatic persisted queries: hash alone → PersistedQueryNotFound, then hash + query
// registers it in an in-memory LRU of this gateway). PERSISTED_OPERATIONS=only: the manifest's
// operations and nothing else.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import * as typedDocuments from '../generated/graphql/graphql.js';

export const MANIFEST_FILE = new URL('../generated/graphql/persisted-documents.json', import.meta.url);
/** Documents registered by APQ clients, per gateway; the least recently used go first. */
const APQ_ENTRIES = 1000;

export type PersistedOperations = {
  plugins: Plugin[];
  /** `documentId` in a JSON body (yoga refuses parameters it does not know). */
  extraParamNames: string[];
  /**
   * The document a graphql-ws subscribe message runs, under the same rules as HTTP (WebSocket
   * operations do not pass yoga's HTTP plugins): a hash runs its document, `only` refuses any
   * other document. Throws a GraphQLError with the same code HTTP would answer.
   */
  documentFor(payload: OperationParams): string;
};

/** What names an operation in a request body, a GET's parameters or a graphql-ws message. */
type OperationParams = { query?: string | null; extensions?: unknown; documentId?: unknown };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const normalizeId = (id: string) => id.replace(/^sha256:/i, '').toLowerCase();

/** persisted-documents.json as hash (hex, no prefix) → document. */
export function loadManifest(file: URL | string = MANIFEST_FILE): Map<string, string> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(raw).map(([id, document]) => [normalizeId(id), document]));
}

/**
 * The exact text typed clients send for a trusted document (`FrontPageDocument.toString()` is
 * formatted, the manifest's copy is normalised, so their SHA-256s differ) → its manifest hash.
 */
function typedDocumentHashes(): Map<string, string> {
  const byText = new Map<string, string>();
  for (const value of Object.values(typedDocuments)) {
    const hash = (value as { __meta__?: { hash?: unknown } } | null)?.__meta__?.hash;
    if (value instanceof String && typeof hash === 'string') byText.set(value.toString(), normalizeId(hash));
  }
  return byText;
}

/** The persisted operation a request (or a graphql-ws message, which has none) names, if any. */
function requestedId(params: OperationParams, request?: Request): string | null {
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === 'string') return normalizeId(persisted.sha256Hash);
  // Yoga reads only query, variables, operationName and extensions from a GET's URL.
  const documentId = params.documentId ?? (request?.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : null);
  return typeof documentId === 'string' ? normalizeId(documentId) : null;
}

class Lru {
  private readonly entries = new Map<string, string>();
  constructor(private readonly max: number) {}
  get(key: string) {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: string, value: string) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

export function persistedOperations(options: {
  mode: Config['persistedOperations'];
  logger: Logger;
  manifest?: Map<string, string>;
}): PersistedOperations {
  const { mode, logger } = options;
  let manifest = options.manifest;
  if (!manifest) {
    try {
      manifest = loadManifest();
    } catch (error) {
      if (mode === 'only')
        throw new Error(`PERSISTED_OPERATIONS=only needs ${MANIFEST_FILE.pathname}: run \`npm run codegen\`.`, { cause: error });
      logger.warn({ err: error }, 'no persisted-documents.json (run `npm run codegen`): only automatic persisted queries work');
      manifest = new Map();
    }
  }
  const trusted = manifest;
  const byText = typedDocumentHashes();
  const registered = new Lru(APQ_ENTRIES);
  const hashOf = (query: string) => byText.get(query) ?? sha256(query);

  const apq: Plugin = {
    // Runs before the plugin below: checks and registers hash + query, and lets a trusted
    // document sent as text through `only` mode (it is that document, whatever the transport).
    onParams({ params, request, setParams }) {
      const { query } = params;
      if (!query) return; // a hash alone: the plugin looks it up
      const id = requestedId(params, request);
      if (id == null) {
        if (mode !== 'only') return;
        const hash = hashOf(query);
        if (trusted.has(hash))
          setParams({
            ...params,
            query: undefined,
            extensions: { ...params.extensions, persistedQuery: { version: 1, sha256Hash: hash } },
          });
        return;
      }
      if (hashOf(query) !== id) {
        throw createGraphQLError('provided sha does not match query', {
          extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH', http: { status: 400 } },
        });
      }
      if (trusted.has(id)) setParams({ ...params, query: undefined });
      else if (mode === 'allow') registered.set(id, query);
      // `only`: the plugin refuses the document below.
    },
  };

  const errors = {
    // APQ clients (e.g. Apollo's persisted-query link) match this message and retry with the
    // document; a 200 keeps them from switching APQ off (they do on 400 and 500).
    notFound:
      mode === 'allow'
        ? { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 200 } } }
        : {
            message: 'Unknown persisted operation: this server runs only the operations in its persisted-documents.json.',
            extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 400 } },
          },
    persistedQueryOnly: {
      message:
        'This server runs persisted operations only (PERSISTED_OPERATIONS=only): send extensions.persistedQuery.sha256Hash (or documentId) of an operation in persisted-documents.json instead of a document.',
      extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
    },
    keyNotFound: {
      message: 'Must provide a query string or a persisted operation (extensions.persistedQuery.sha256Hash or documentId).',
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    },
  };
  const persisted = usePersistedOperations({
    allowArbitraryOperations: mode === 'allow',
    extractPersistedOperationId: (params, request) => requestedId(params, request),
    getPersistedOperation: (id) => trusted.get(id) ?? (mode === 'allow' ? registered.get(id) : undefined) ?? null,
    customErrors: errors,
  });

  // The same message and code as over HTTP; a WebSocket has no status to set.
  const refuse = ({ message, extensions: { http: _status, ...extensions } }: { message: string; extensions: Record<string, unknown> }) =>
    createGraphQLError(message, { extensions });
  const documentFor = (payload: OperationParams): string => {
    const id = requestedId(payload);
    const { query } = payload;
    if (query) {
      if (id != null && hashOf(query) !== id) {
        throw createGraphQLError('provided sha does not match query', { extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } });
      }
      if (mode === 'allow') {
        if (id != null && !trusted.has(id)) registered.set(id, query);
        return query;
      }
      const document = trusted.get(id ?? hashOf(query));
      if (document === undefined) throw refuse(errors.persistedQueryOnly);
      return document;
    }
    if (id == null) throw refuse(errors.keyNotFound);
    const document = trusted.get(id) ?? (mode === 'allow' ? registered.get(id) : undefined);
    if (document === undefined) throw refuse(errors.notFound);
    return document;
  };

  return { plugins: [apq, persisted as Plugin], extraParamNames: ['documentId'], documentFor };
}
