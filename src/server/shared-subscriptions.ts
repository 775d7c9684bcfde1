// Identical subscriptions share one execution. Thousands of open homepages subscribe with the
// same document and variables; each story event is executed once per distinct subscription
// (and viewer), serialised once, and the same text is written to every socket, instead of
// executing and serialising once per socket.
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import { createChannel, fellBehind, type Channel } from '../newsroom/channel.js';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
type Group = { listeners: Set<Channel<ExecutionResult>>; iterator: AsyncIterator<ExecutionResult> };

/**
 * Results one socket may lag behind before it is cut off (it can resume by event id). A resume
 * replays the outbox in pages as fast as the database reads it, so this must hold several pages.
 */
const LISTENER_BUFFER = 10_000;

/**
 * Subscribers handed a result per turn of the event loop. Between slices the process answers
 * other requests (an editor's publish, readers' queries) instead of queueing them behind 15,000
 * socket writes.
 */
const FAN_OUT_SLICE = 500;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A result's `next` payload, serialised once. */
class SharedPayload {
  constructor(readonly text: string) {}
}
const serialised = new WeakMap<ExecutionResult, SharedPayload>();

/**
 * The `next` payload of a result, serialised on first use and shared by every socket that sends
 * the same result object (all subscribers of one shared execution). Errors are written as
 * graphql-ws writes them.
 */
export function sharedPayload(result: ExecutionResult): object {
  let payload = serialised.get(result);
  if (!payload) {
    const { errors, ...rest } = result;
    payload = new SharedPayload(JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest));
    serialised.set(result, payload);
  }
  return payload;
}

// How the shared text gets into each socket's message without serialising it again. graphql-ws
// builds a message with JSON.stringify(message, replacer) and hands the string to socket.send in
// the same synchronous step; the replacer writes a placeholder for the payload and remembers
// its text, and the socket's send puts the text in place of the placeholder. (JSON.rawJSON
// would do this in one step but takes primitives only; graphql-ws has no hook for raw text.)
const PLACEHOLDER = '\u0000';
const PLACEHOLDER_JSON = JSON.stringify(PLACEHOLDER);
let pendingText: string | undefined;

/** graphql-ws' `jsonMessageReplacer`. */
export function sharedPayloadReplacer(_key: string, value: unknown): unknown {
  if (!(value instanceof SharedPayload)) return value;
  pendingText = value.text;
  return PLACEHOLDER;
}

/** Wraps a socket's send to put the remembered text in place of the placeholder. */
export function sendSharedPayloads(socket: { send: (data: any, ...rest: any[]) => void }) {
  const send = socket.send;
  socket.send = function (this: unknown, data: any, ...rest: any[]) {
    if (pendingText !== undefined && typeof data === 'string') {
      const at = data.lastIndexOf(PLACEHOLDER_JSON);
      if (at >= 0) data = data.slice(0, at) + pendingText + data.slice(at + PLACEHOLDER_JSON.length);
      pendingText = undefined;
    }
    return send.call(this, data, ...rest);
  };
}

export function createSubscriptionSharing() {
  const groups = new Map<string, Promise<Group | ExecutionResult>>();

  async function pump(key: string, group: Group) {
    try {
      for (let next = await group.iterator.next(); !next.done; next = await group.iterator.next()) {
        let handed = 0;
        for (const listener of [...group.listeners]) {
          listener.push(next.value);
          if (++handed % FAN_OUT_SLICE === 0) await nextTurn();
        }
      }
      for (const listener of group.listeners) listener.close();
    } catch (error) {
      for (const listener of group.listeners) listener.close(error);
    } finally {
      groups.delete(key);
    }
  }

  /** `start` runs for the first subscriber of `key`; later ones join its stream. */
  return async function share(key: string, start: () => Promise<Result> | Result): Promise<Result> {
    let pending = groups.get(key);
    if (!pending) {
      pending = (async () => {
        const result = await start();
        if (!isAsyncIterable(result)) return result;
        const group: Group = { listeners: new Set(), iterator: result[Symbol.asyncIterator]() };
        void pump(key, group);
        return group;
      })();
      groups.set(key, pending);
    }
    const group = await pending;
    if (!('listeners' in group)) {
      groups.delete(key);
      return group; // an error result: every subscriber gets its own
    }
    const listener: Channel<ExecutionResult> = createChannel<ExecutionResult>({
      capacity: LISTENER_BUFFER,
      overflowError: fellBehind,
      onClose: () => {
        group.listeners.delete(listener);
        if (group.listeners.size === 0 && groups.get(key) === pending) {
          groups.delete(key);
          void group.iterator.return?.();
        }
      },
    });
    group.listeners.add(listener);
    return listener;
  };
}
