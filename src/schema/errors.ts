// Errors a client can act on: a GraphQLError with a stable `extensions.code`. Anything else is
// masked by yoga, so no stack trace, SQL or file path ever reaches a client.
import { PothosError, PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { NewsroomError, UnauthenticatedError, ValidationError } from '../newsroom/errors.js';

export type ErrorCode = 'BAD_USER_INPUT' | 'PAGE_SIZE_TOO_LARGE' | 'INVALID_CURSOR' | 'INVALID_ID';

export function userError(message: string, code: ErrorCode = 'BAD_USER_INPUT', extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/**
 * The error a client may see, or undefined when it must be masked. Errors graphql-js and yoga
 * raise themselves (parse, validation, variable coercion) and our own GraphQLErrors pass through
 * with their location; Pothos' argument checks (global ids, connection arguments) become typed
 * input errors. Anything else is a bug or an outage: masked.
 */
export function toClientError(error: unknown): GraphQLError | undefined {
  if (error instanceof NewsroomError) return fromNewsroomError(error);
  if (!(error instanceof GraphQLError)) return undefined;
  const original = error.originalError;
  if (original instanceof NewsroomError) return fromNewsroomError(original, error);
  // PothosValidationError is itself a GraphQLError, so it is checked first.
  if (original instanceof PothosValidationError) {
    const code: ErrorCode = /global ID|ID:/i.test(original.message)
      ? 'INVALID_ID'
      : /cursor/i.test(original.message)
        ? 'INVALID_CURSOR'
        : 'BAD_USER_INPUT';
    return new GraphQLError(original.message, { nodes: error.nodes, path: error.path, extensions: { code } });
  }
  if (original instanceof PothosError) return undefined; // Pothos' internal failures are bugs
  if (!original || original instanceof GraphQLError) return error;
  return undefined;
}

/** What replaces a masked error: where it happened, but nothing of what it was. */
export function maskedError(error: unknown): GraphQLError {
  const located = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError('Unexpected error.', {
    nodes: located?.nodes,
    path: located?.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/** A newsroom error outside a typed result: a GraphQL error with its code (401 when unauthenticated). */
function fromNewsroomError(error: NewsroomError, located?: GraphQLError): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error instanceof ValidationError) extensions.issues = error.issues;
  if (error instanceof UnauthenticatedError) extensions.http = { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } };
  return new GraphQLError(error.message, { nodes: located?.nodes, path: located?.path, extensions });
}
