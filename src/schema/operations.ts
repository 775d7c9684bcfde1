// The example operations kept in schema/operations, as sendable documents: an operation file
// plus the fragments from fragments.graphql it spreads (transitively), and nothing unused, which
// GraphQL validation would reject. Tests and benchmarks send exactly what codegen types.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, visit, type FragmentDefinitionNode } from 'graphql';

export const operationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/operations');

function fragmentLibrary(): Map<string, string> {
  const source = readFileSync(path.join(operationsDir, 'fragments.graphql'), 'utf8');
  const library = new Map<string, string>();
  for (const definition of parse(source).definitions) {
    if (definition.kind === 'FragmentDefinition' && definition.loc) {
      library.set(definition.name.value, source.slice(definition.loc.start, definition.loc.end));
    }
  }
  return library;
}

/** Names of the operation files (without .graphql), fragments excluded. */
export function operationNames(): string[] {
  return readdirSync(operationsDir)
    .filter((file) => file.endsWith('.graphql') && file !== 'fragments.graphql')
    .map((file) => file.replace(/\.graphql$/, ''))
    .sort();
}

/** schema/operations/<name>.graphql with the fragments it needs appended. */
export function operationDocument(name: string): string {
  const library = fragmentLibrary();
  let document = readFileSync(path.join(operationsDir, `${name}.graphql`), 'utf8');
  for (;;) {
    const ast = parse(document);
    const defined = new Set(
      ast.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => d.name.value),
    );
    const missing = new Set<string>();
    visit(ast, { FragmentSpread: (node) => void (defined.has(node.name.value) || missing.add(node.name.value)) });
    if (missing.size === 0) return document;
    for (const fragment of missing) {
      const text = library.get(fragment);
      if (!text) throw new Error(`${name}.graphql spreads ...${fragment}, which fragments.graphql does not define`);
      document += `\n${text}\n`;
    }
  }
}
