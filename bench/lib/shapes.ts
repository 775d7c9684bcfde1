// Query shapes: the example operations in schema/operations (what the frontends ask, typed by
// codegen) plus the fragments they spread from schema/operations/fragments.graphql, and the
// variable sets each shape rotates through, chosen from the generated data.
import { parse } from 'graphql';
import { loadManifest } from '../../src/server/persisted-operations.js';
import { operationDocument } from '../../src/schema/operations.js';
import type { ServerKind } from './modes.js';
import { postgraphileDocument } from './postgraphile.js';

export const SHAPE_NAMES = ['article-page', 'section-front', 'article-by-slug', 'edition-front', 'search'] as const;
export type ShapeName = (typeof SHAPE_NAMES)[number];

/** The operation file (schema/operations/<name>.graphql) each shape sends. */
const operationFile: Record<ShapeName, string> = {
  'article-page': 'ArticlePage',
  'section-front': 'SectionFront',
  'article-by-slug': 'ArticleBySlug',
  'edition-front': 'EditionFront',
  search: 'Search',
};

/** Facts read once from the benchmark database (see data.ts pickData). */
export type Picked = {
  /** Recent published article slugs. */
  slugs: string[];
  /** Newest DAILY edition dates (YYYY-MM-DD), newest first. */
  editionDates: string[];
  /** Top-level section slugs in site order. */
  sections: string[];
  /** A common word and a section filter that finds plenty of it. */
  searches: { query: string; section: string }[];
};

export type Shape = {
  name: ShapeName;
  /** The operation with its fragments appended. */
  document: string;
  operationName: string;
  /** Variable sets, rotated across requests. */
  variables: Record<string, unknown>[];
  /** JSON request bodies, one per variable set. */
  bodies: string[];
};

const variablesFor: Record<ShapeName, (p: Picked) => Record<string, unknown>[]> = {
  'article-page': (p) => p.slugs.map((slug) => ({ slug, editionDate: p.editionDates[0] })),
  'section-front': (p) => p.sections.map((slug) => ({ slug, first: 20 })),
  'article-by-slug': (p) => p.slugs.map((slug) => ({ slug })),
  'edition-front': (p) => p.editionDates.map((date) => ({ date })),
  search: (p) => p.searches.map(({ query, section }) => ({ query, filter: { section }, first: 20 })),
};

/** The shape's operation with the fragments it spreads. */
export function loadDocument(name: ShapeName): { document: string; operationName: string } {
  const document = operationDocument(operationFile[name]);
  const operation = parse(document).definitions.find((d) => d.kind === 'OperationDefinition');
  const operationName = operation && operation.kind === 'OperationDefinition' ? operation.name?.value : undefined;
  if (!operationName) throw new Error(`schema/operations/${operationFile[name]}.graphql must hold one named operation`);
  return { document, operationName };
}

export function loadShape(name: ShapeName, picked: Picked): Shape {
  const { document, operationName } = loadDocument(name);
  const variables = variablesFor[name](picked);
  if (variables.length === 0) throw new Error(`No variables for shape ${name}: the database lacks the data it needs`);
  const bodies = variables.map((v) => JSON.stringify({ query: document, operationName, variables: v }));
  return { name, document, operationName, variables, bodies };
}

/** One request of a shape: a JSON POST, or a GET of a persisted operation (path with its query string). */
export type BenchRequest = { method: 'POST'; body: string } | { method: 'GET'; path: string };

/**
 * The requests a mode sends for the shape, one per variable set: the shape's own POSTs; for
 * PostGraphile its own document (bench/postgraphile/<shape>.graphql), null when it has none; for
 * `persisted-get` the codegen manifest's hash of the operation and the variables in a GET's URL,
 * as a production frontend behind a CDN asks.
 */
export function requestsFor(shape: Shape, mode: { server: ServerKind; request?: 'persisted-get' }): BenchRequest[] | null {
  if (mode.server === 'postgraphile') {
    const own = postgraphileDocument(shape.name);
    if (!own) return null;
    return shape.variables.map((v) => ({
      method: 'POST',
      body: JSON.stringify({ query: own.document, operationName: own.operationName, variables: v }),
    }));
  }
  if (mode.request === 'persisted-get') {
    const hash = manifestHash(shape.operationName);
    return shape.variables.map((v) => ({
      method: 'GET',
      path: `/graphql?documentId=${encodeURIComponent(hash)}&variables=${encodeURIComponent(JSON.stringify(v))}`,
    }));
  }
  return shape.bodies.map((body) => ({ method: 'POST', body }));
}

/** `sha256:<hash>` of the named operation in the codegen manifest (persisted-documents.json). */
function manifestHash(operationName: string): string {
  for (const [hash, document] of loadManifest()) {
    const named = parse(document).definitions.some((d) => d.kind === 'OperationDefinition' && d.name?.value === operationName);
    if (named) return `sha256:${hash}`;
  }
  throw new Error(`${operationName} is not in persisted-documents.json: run \`npm run codegen\``);
}

/** What a request needs besides its method: headers (a GET carries the CSRF header), body or path. */
export function requestInit(request: BenchRequest): { path: string; init: RequestInit & { headers: Record<string, string> } } {
  const accept = 'application/graphql-response+json, application/json';
  return request.method === 'GET'
    ? { path: request.path, init: { method: 'GET', headers: { accept, 'graphql-preflight': '1' } } }
    : { path: '/graphql', init: { method: 'POST', headers: { accept, 'content-type': 'application/json' }, body: request.body } };
}
