// Splitting a query into its root fields, so the HTTP cache can keep each root field's answer as
// its own entry: a page asks for its story, Latest, Most Popular, Must Read, editorials and the
// edition in one request, but a publish makes only the shared lists stale, and those are shared
// by every page that shows them. Each part is the original operation with one root field, the
// variables that field uses and the fragments it spreads; answered apart, the parts' `data`
// members joined in the original order are the original answer (root fields of a query resolve
// independently in graphql-js). graphql-js has no such helper; this is a walk over its AST.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';

export type RootFieldPart = {
  /** The field's key in `data` (its alias or name). */
  responseKey: string;
  /** The operation with only this root field, printed. */
  query: string;
  /** The variables it uses. */
  variableNames: string[];
};

export type RootFieldPlan = { operationName: string | undefined; parts: RootFieldPart[] };

/**
 * The parts of a query operation with two or more plain root fields, or null when it cannot be
 * split (not a query, unparsable, one root field, root fragments or directives, a response key
 * used twice): such requests are cached whole.
 */
export function planRootFields(query: string, operationName: string | undefined): RootFieldPlan | null {
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (operation?.operation !== 'query' || operation.directives?.length) return null;
  const selections = operation.selectionSet.selections;
  if (selections.length < 2) return null;
  const fields: FieldNode[] = [];
  const keys = new Set<string>();
  for (const selection of selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length || selection.name.value.startsWith('__')) return null;
    const key = selection.alias?.value ?? selection.name.value;
    if (keys.has(key)) return null;
    keys.add(key);
    fields.push(selection);
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const parts = fields.map((field): RootFieldPart => {
    const used = new Set<string>();
    const variables = new Set<string>();
    const walk = (node: FieldNode | FragmentDefinitionNode) =>
      visit(node, {
        Variable: (variable) => void variables.add(variable.name.value),
        FragmentSpread(spread) {
          const name = spread.name.value;
          const fragment = fragments.get(name);
          if (used.has(name) || !fragment) return;
          used.add(name);
          walk(fragment);
        },
      });
    walk(field);
    const definitions = [
      {
        ...operation,
        variableDefinitions: operation.variableDefinitions?.filter((d) => variables.has(d.variable.name.value)),
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
      } satisfies OperationDefinitionNode,
      ...[...fragments.values()].filter((fragment) => used.has(fragment.name.value)),
    ];
    return {
      responseKey: field.alias?.value ?? field.name.value,
      query: print({ kind: Kind.DOCUMENT, definitions }),
      variableNames: [...variables],
    };
  });
  return { operationName: operation.name?.value, parts };
}
