// Query shapes: the example operations in schema/operations (what the frontends ask, typed by
// codegen) plus the fragments they spread from schema/operations/fragments.graphql, and the
// variable sets each shape rotates through, chosen from the generated data.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, visit, type FragmentDefinitionNode } from 'graphql';
import { repoRoot } from './common.js';

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

function fragmentsByName(): Map<string, string> {
  const source = readFileSync(path.join(repoRoot, 'schema/operations/fragments.graphql'), 'utf8');
  const out = new Map<string, string>();
  for (const def of parse(source).definitions) {
    if (def.kind === 'FragmentDefinition' && def.loc) out.set(def.name.value, source.slice(def.loc.start, def.loc.end));
  }
  return out;
}

/** The shape's operation plus every fragment it spreads (transitively) that it does not define. */
export function loadDocument(name: ShapeName): { document: string; operationName: string } {
  const file = `schema/operations/${operationFile[name]}.graphql`;
  const own = readFileSync(path.join(repoRoot, file), 'utf8');
  const library = fragmentsByName();
  let document = own;
  for (;;) {
    const ast = parse(document);
    const defined = new Set(ast.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => d.name.value));
    const missing = new Set<string>();
    visit(ast, { FragmentSpread: (node) => void (defined.has(node.name.value) || missing.add(node.name.value)) });
    if (missing.size === 0) break;
    for (const fragment of missing) {
      const text = library.get(fragment);
      if (!text) throw new Error(`${file} spreads ...${fragment}, which schema/operations/fragments.graphql does not define`);
      document += `\n${text}\n`;
    }
  }
  const operation = parse(document).definitions.find((d) => d.kind === 'OperationDefinition');
  const operationName = operation && operation.kind === 'OperationDefinition' ? operation.name?.value : undefined;
  if (!operationName) throw new Error(`${file} must hold one named operation`);
  return { document, operationName };
}

export function loadShape(name: ShapeName, picked: Picked): Shape {
  const { document, operationName } = loadDocument(name);
  const variables = variablesFor[name](picked);
  if (variables.length === 0) throw new Error(`No variables for shape ${name}: the database lacks the data it needs`);
  const bodies = variables.map((v) => JSON.stringify({ query: document, operationName, variables: v }));
  return { name, document, operationName, variables, bodies };
}
