// Writes before reads: anonymous readers run on a pool of their own (see db/client.ts), and at most
// MAX_ANONYMOUS_OPERATIONS of their operations execute at once per gateway. Beyond that a reader
// gets 503 SERVER_BUSY with Retry-After at once, instead of queueing for connections until every
// request is slow; editors, their mutations and background work never wait behind them.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';

/** How soon a refused reader may try again, in seconds. */
export const BUSY_RETRY_AFTER_S = 1;

export type AnonymousCapacity = {
  plugin: Plugin<Context>;
  /** Anonymous operations executing now. */
  active(): number;
  /** An anonymous read outside GraphQL (a feed) takes a place: false at the limit; else `leave()` when done. */
  enter(): boolean;
  leave(): void;
};

export function anonymousCapacity(limit: number): AnonymousCapacity {
  let active = 0;
  const plugin: Plugin<Context> = {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      if (limit === 0 || args.contextValue.viewer.kind !== 'anonymous') return;
      if (active >= limit) {
        setResultAndStopExecution({ errors: [serverBusy()] });
        return;
      }
      active += 1;
      // Released however execution ends, a thrown error included.
      setExecuteFn(async (executeArgs) => {
        try {
          return await executeFn(executeArgs);
        } finally {
          active -= 1;
        }
      });
    },
  };
  return {
    plugin,
    active: () => active,
    enter() {
      if (limit === 0) return true;
      if (active >= limit) return false;
      active += 1;
      return true;
    },
    leave() {
      if (limit > 0) active -= 1;
    },
  };
}

export function serverBusy(): GraphQLError {
  return new GraphQLError('The gateway is busy with other readers. Try again shortly.', {
    extensions: { code: 'SERVER_BUSY', http: { status: 503, headers: { 'Retry-After': String(BUSY_RETRY_AFTER_S) } } },
  });
}
