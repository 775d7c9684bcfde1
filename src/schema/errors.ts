// Errors a client can act on: a GraphQLError with a stable `extensions.code`. Anything else is
// masked by yoga, so no stack trace, SQL or file path ever reaches a client.
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';

export type ErrorCode = 'BAD_USER_INPUT' | 'PAGE_SIZE_TOO_LARGE' | 'INVALID_CURSOR' | 'INVALID_ID';

export function userError(message: string, code: ErrorCode = 'BAD_USER_INPUT', extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/** Pothos' own argument checks (global ids, connection arguments) are input errors, not 500s. */
export function toClientError(error: unknown): GraphQLError | undefined {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof GraphQLError && original.extensions?.code) return original;
  if (original instanceof PothosValidationError) {
    const code: ErrorCode = /global ID|ID:/i.test(original.message) ? 'INVALID_ID' : 'BAD_USER_INPUT';
    return new GraphQLError(original.message, { extensions: { code } });
  }
  return undefined;
}
