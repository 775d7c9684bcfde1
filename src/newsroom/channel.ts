// A bounded, eager push → async-iterator bridge. Eager matters: a subscriber is registered the
// moment it is created, not when first read (as with Repeater), so nothing published in
// between is lost. Bounded matters: a reader that falls too far behind is ended with an error
// instead of growing memory without limit.
/** What a subscriber that fell too far behind is told. */
export const fellBehind = () =>
  new Error('This subscription fell too far behind. Resubscribe with `after` set to the last event id you received.');

export type Channel<T> = AsyncIterableIterator<T> & {
  /** False once the channel is closed; an overflow closes it with `overflowError`. */
  push(value: T): boolean;
  close(error?: unknown): void;
  /** True while a reader waits in `next()` with nothing queued: everything pushed before has been taken. */
  readonly parked: boolean;
};

export function createChannel<T>(options: { capacity: number; overflowError: () => Error; onClose?: () => void }): Channel<T> {
  const queue: T[] = [];
  let closed = false;
  let failure: unknown;
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let failWaiting: ((error: unknown) => void) | undefined;

  const close = (error?: unknown) => {
    if (closed) return;
    closed = true;
    failure = error;
    options.onClose?.();
    if (waiting && queue.length === 0) {
      if (error) failWaiting!(error);
      else waiting({ done: true, value: undefined });
      waiting = failWaiting = undefined;
    }
  };

  const channel: Channel<T> = {
    push(value) {
      if (closed) return false;
      if (waiting) {
        const resolve = waiting;
        waiting = failWaiting = undefined;
        resolve({ done: false, value });
        return true;
      }
      if (queue.length >= options.capacity) {
        close(options.overflowError());
        return false;
      }
      queue.push(value);
      return true;
    },
    close,
    get parked() {
      return waiting !== undefined;
    },
    next() {
      if (queue.length) return Promise.resolve({ done: false, value: queue.shift()! });
      if (closed) {
        if (failure) {
          const error = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve({ done: true, value: undefined });
      }
      return new Promise((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
    return() {
      queue.length = 0;
      close();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return channel;
    },
  };
  return channel;
}
