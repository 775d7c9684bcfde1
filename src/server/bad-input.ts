// Bad input gets a typed error a client can act on, decided once for every door (HTTP, SSE,
// graphql-ws), never an INTERNAL_SERVER_ERROR from deep inside a resolver or the database:
// - a GET whose `variables` or `extensions` is not JSON is a 400 (GraphQL over HTTP), not a 200;
// - no string may hold U+0000 (PostgreSQL text cannot), in the document or in the variables;
// - with introspection off, no error says "Did you mean …?" (it would spell out the schema).
import { type ExecutionResult, GraphQLError, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

const NUL = '\u0000';
const nulMessage = 'Text must not contain the NUL character (U+0000).';

export function badInputPlugins(options: { suggestions: boolean }): Plugin[] {
  return [
    ...(options.suggestions ? [] : [hideSuggestions]),
    {
      // Yoga would JSON.parse these itself and turn a SyntaxError into an opaque error.
      onRequestParse({ request }) {
        if (request.method !== 'GET') return;
        const params = new URL(request.url).searchParams;
        for (const name of ['variables', 'extensions']) {
          const value = params.get(name);
          if (!value) continue;
          try {
            JSON.parse(value);
          } catch {
            throw createGraphQLError(`The "${name}" parameter is not valid JSON.`, {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
        }
      },
      // String literals in the document: a validation rule, so its verdict is cached with the document.
      onValidate({ addValidationRule }) {
        addValidationRule(noNulInStrings);
      },
      // Variables are values, not part of the document: checked for every operation.
      onExecute({ args, setResultAndStopExecution }) {
        if (holdsNul(args.variableValues)) setResultAndStopExecution({ errors: [nulError()] });
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        if (holdsNul(args.variableValues)) setResultAndStopExecution({ errors: [nulError()] });
      },
    },
  ];
}

// 400 whatever the Accept header, as graphql-js' own variable errors.
const nulError = () => new GraphQLError(nulMessage, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

const noNulInStrings: ValidationRule = (context) => ({
  StringValue(node) {
    if (node.value.includes(NUL))
      context.reportError(new GraphQLError(nulMessage, { nodes: node, extensions: { code: 'BAD_USER_INPUT' } }));
  },
});

/** Whether any string in a JSON value holds U+0000. Iterative: variables may nest deeper than the stack. */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.includes(NUL)) return true;
    } else if (next !== null && typeof next === 'object') {
      for (const item of Object.values(next)) pending.push(item);
    }
  }
  return false;
}

/**
 * graphql-js suggests names in validation errors (fields, arguments, types, enum values, input
 * fields) and in the errors of variables (enum values, input fields). graphql-armor's
 * block-field-suggestions misses "the enum value" and every variable error; this covers all of
 * them, over every transport. Names never hold "?", so the hint ends at the first one.
 */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

const withoutSuggestions = (error: Error) => {
  if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '').trim();
  return error;
};

const resultWithoutSuggestions = (result: ExecutionResult) => {
  result.errors?.forEach(withoutSuggestions);
};

const hideSuggestions: Plugin = {
  onValidate:
    () =>
    ({ result }) => {
      result.forEach(withoutSuggestions);
    },
  onExecute: () => ({
    onExecuteDone: ({ result }) => {
      if (Symbol.asyncIterator in result) return { onNext: ({ result: next }) => resultWithoutSuggestions(next) };
      resultWithoutSuggestions(result);
    },
  }),
  onSubscribe: () => ({
    onSubscribeResult: ({ result }) => {
      if (Symbol.asyncIterator in result) return { onNext: ({ result: next }) => resultWithoutSuggestions(next) };
      resultWithoutSuggestions(result);
    },
  }),
};
