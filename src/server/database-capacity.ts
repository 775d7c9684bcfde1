// Writes before reads: anonymous readers run on a pool of their own (see db/client.ts), and at most
// MAX_ANONYMOUS_OPERATIONS of their operations are in a gateway at once. Beyond that a reader gets
// 503 SERVER_BUSY with Retry-After at once, instead of queueing for connections until every request
// is slow; editors, their mutations and background work never wait behind them.
//
// Of the admitted ones, MAX_ANONYMOUS_EXECUTING (default: the pool's size) execute at once and the
// others wait their turn in arrival order. Fifty uncached pages started together interleave: each
// holds its rows and half-built result while its statements queue behind everyone else's, and all
// finish late. Taking them a pool's worth at a time, each finishes as soon as its own statements
// are done: on the 100k bench (sample page, 50 connections, 3 alternated pairs, all at once against
// 8 at a time) 83/73/78 -> 96/87/84 req/s, p99 903/1,166/1,108 -> 671/882/938 ms, gateway CPU
// 9.9/11.6/9.9 -> 8.5/9.0/8.7 ms a page (less garbage alive at once). A reader whose client goes
// away while it waits leaves the line and never runs. The HTTP cache asks yoga for a page's root
// fields one by one, each an operation with its own turn; none runs inside another that holds a
// turn, so waiting cannot deadlock.
//
// Nobody's work is done for a client that has gone (context.clientGone: its HTTP connection or
// its WebSocket closed): its operation leaves the line, and a query of any viewer stops where it
// is, so none of its later statements is sent.
import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';

/** How soon a refused reader may try again, in seconds. */
export const BUSY_RETRY_AFTER_S = 1;

export type AnonymousCapacity = {
  plugin: Plugin<Context>;
  /** Anonymous operations in the gateway now, executing or waiting. */
  active(): number;
  /**
   * An anonymous read outside GraphQL (a feed) takes a place: false at once at the limit, or when
   * `signal` aborts while it waits (it then holds nothing); else true when its turn to execute
   * comes, and `leave()` when done.
   */
  enter(signal?: AbortSignal): Promise<boolean>;
  leave(): void;
};

export function anonymousCapacity(limits: { max: number; executing: number }): AnonymousCapacity {
  let active = 0;
  let executing = 0;
  const waiting: (() => void)[] = [];
  const admit = () => {
    if (limits.max > 0 && active >= limits.max) return false;
    active += 1;
    return true;
  };
  /**
   * Resolves true when the admitted operation may execute, or false if `signal` aborts first (the
   * client went away while it waited): it leaves the line and never runs.
   */
  const turn = (signal?: AbortSignal): boolean | Promise<boolean> => {
    if (limits.executing === 0 || executing < limits.executing) {
      executing += 1;
      return true;
    }
    if (signal?.aborted) return false;
    return new Promise((resolve) => {
      const go = () => {
        signal?.removeEventListener('abort', abandon);
        resolve(true);
      };
      const abandon = () => {
        const place = waiting.indexOf(go);
        if (place !== -1) waiting.splice(place, 1);
        resolve(false);
      };
      waiting.push(go);
      signal?.addEventListener('abort', abandon, { once: true });
    });
  };
  const leave = (hadTurn = true) => {
    active -= 1;
    if (!hadTurn) return;
    const next = waiting.shift();
    // The turn passes straight to the next in line; `executing` counts it still.
    if (next) next();
    else executing -= 1;
  };
  const plugin: Plugin<Context> = {
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      if (args.contextValue.viewer.kind !== 'anonymous') return;
      if (!admit()) {
        setResultAndStopExecution({ errors: [serverBusy()] });
        return;
      }
      // Released however execution ends, a thrown error included.
      setExecuteFn(async (executeArgs) => {
        let hadTurn = false;
        try {
          hadTurn = await turn(args.contextValue.clientGone);
          if (!hadTurn) return { errors: [clientGone()] };
          return await executeFn(executeArgs);
        } finally {
          leave(hadTurn);
        }
      });
    },
  };
  return {
    plugin,
    active: () => active,
    async enter(signal) {
      if (!admit()) return false;
      if (await turn(signal)) return true;
      leave(false);
      return false;
    },
    leave: () => leave(),
  };
}

/**
 * A query whose client has gone stops at its next field (graphql-tools' executor checks the signal
 * before each one): no later statement is sent for it, and it answers CLIENT_CLOSED_REQUEST, which
 * nobody reads. It gives up its turn at once: a statement it had sent finishes on its connection
 * (PostgreSQL is not interrupted), so the next in line may wait a moment for that connection.
 * Mutations run to their end: their writes commit or roll back as a whole, and the client learns
 * which on its next read, whether or not it stayed. Subscriptions end with their stream (yoga over
 * HTTP, graphql-ws over WebSockets).
 */
export function stopAbandonedQueries(): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const gone = args.contextValue.clientGone;
      if (!gone || getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      setExecuteFn(async (executeArgs) => {
        if (gone.aborted) return { errors: [clientGone()] };
        // The executor reads its signal before every field: it gets a plain one. The node server's
        // request signal is a Proxy whose every read costs (2-3 ms a section front of 600 fields).
        const stop = new AbortController();
        const abort = () => stop.abort();
        gone.addEventListener('abort', abort, { once: true });
        try {
          const result = await executeFn({ ...executeArgs, signal: stop.signal } as typeof executeArgs);
          return stop.signal.aborted ? { errors: [clientGone()] } : result;
        } catch (error) {
          // The executor rejects with the signal's reason (an AbortError): not a failure of ours.
          if (stop.signal.aborted) return { errors: [clientGone()] };
          throw error;
        } finally {
          gone.removeEventListener('abort', abort);
        }
      });
    },
  };
}

/** The answer to an operation whose client left before it ran or finished (nobody reads it). */
function clientGone(): GraphQLError {
  return new GraphQLError('The request was cancelled by the client.', {
    extensions: { code: 'CLIENT_CLOSED_REQUEST', http: { status: 499 } },
  });
}

export function serverBusy(): GraphQLError {
  return new GraphQLError('The gateway is busy with other readers. Try again shortly.', {
    extensions: { code: 'SERVER_BUSY', http: { status: 503, headers: { 'Retry-After': String(BUSY_RETRY_AFTER_S) } } },
  });
}
