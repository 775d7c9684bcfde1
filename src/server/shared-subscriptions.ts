// Identical subscriptions share one execution. Thousands of open homepages subscribe with the
// same document and variables; each story event is executed once per distinct subscription
// (and viewer) and the result is fanned out, instead of once per socket.
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

export function createSubscriptionSharing() {
  const groups = new Map<string, Promise<Group | ExecutionResult>>();

  async function pump(key: string, group: Group) {
    try {
      for (let next = await group.iterator.next(); !next.done; next = await group.iterator.next()) {
        for (const listener of group.listeners) listener.push(next.value);
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
