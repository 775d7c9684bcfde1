// Identical subscriptions share one execution. Thousands of open homepages subscribe with the
// same document and variables; each story event is executed once per distinct subscription
// (and viewer), serialised once, and the same text is written to every socket, instead of
// executing and serialising once per socket.
import type { Socket } from 'node:net';
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { WebSocket } from 'ws';
import { createChannel, fellBehind, type Channel } from '../newsroom/channel.js';
import type { FanOutTrace, LiveTrace } from './live-trace.js';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
/**
 * One subscriber: the channel graphql-ws reads (its protocol: results until it parks, then the
 * end, an error or a `complete`), and, for a socket, `write`, which sends a result's `next`
 * message straight to the socket while graphql-ws waits, bypassing its per-message async path.
 */
type Listener = { channel: Channel<ExecutionResult>; write?: (result: ExecutionResult) => void };
type Group = { listeners: Set<Listener>; iterator: AsyncIterator<ExecutionResult> };

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
  private bytes: Buffer | undefined;
  constructor(readonly text: string) {}
  /** The payload and the message's closing brace in UTF-8: the part of a `next` frame that every socket shares. */
  get tail(): Buffer {
    return (this.bytes ??= Buffer.from(`${this.text}}`));
  }
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

/**
 * Whether a fan-out is running, for work that can wait for its end: the keep-alive sweep
 * (ws.ts) pings when no story is being written, so that its pings and their pongs do not sit
 * between the slices of a fan-out, lengthening the story's tail.
 */
export class FanOutActivity {
  private running = 0;
  private waiting: (() => void)[] = [];
  get busy(): boolean {
    return this.running > 0;
  }
  begin() {
    this.running += 1;
  }
  end() {
    this.running -= 1;
    if (this.running === 0) for (const work of this.waiting.splice(0)) work();
  }
  /** Runs `work` now when no fan-out is running, else as soon as the last one ends. */
  whenIdle(work: () => void) {
    if (this.running === 0) work();
    else this.waiting.push(work);
  }
}

export function createSubscriptionSharing(trace?: LiveTrace, activity = new FanOutActivity()) {
  const groups = new Map<string, Promise<Group | ExecutionResult>>();

  async function pump(key: string, group: Group) {
    try {
      for (let next = await group.iterator.next(); !next.done; next = await group.iterator.next()) {
        activity.begin();
        try {
          await fanOut(group, next.value);
        } finally {
          activity.end();
        }
      }
      for (const listener of group.listeners) listener.channel.close();
    } catch (error) {
      for (const listener of group.listeners) listener.channel.close(error);
    } finally {
      groups.delete(key);
    }
  }

  /** Hands one result to every subscriber of the group, FAN_OUT_SLICE at a time. */
  async function fanOut(group: Group, result: ExecutionResult) {
    const timeline: FanOutTrace | undefined = trace && {
      eventId: (result.extensions as { eventId?: string } | undefined)?.eventId,
      start: trace.now(),
      cpu: process.cpuUsage(),
      slices: [],
      resumed: [],
      direct: 0,
      pushed: 0,
    };
    let handed = 0;
    for (const listener of [...group.listeners]) {
      // Straight to the socket only while graphql-ws waits on the subscription: everything it
      // was handed before is then written, so the order holds. Else (not yet started) through it.
      if (listener.write && listener.channel.parked) {
        listener.write(result);
        if (timeline) timeline.direct += 1;
      } else {
        listener.channel.push(result);
        if (timeline) timeline.pushed += 1;
      }
      if (++handed % FAN_OUT_SLICE === 0) {
        timeline?.slices.push([trace!.now(), handed]);
        await nextTurn();
        timeline?.resumed.push(trace!.now());
      }
    }
    if (timeline) {
      timeline.slices.push([trace!.now(), handed]);
      trace!.fanOut(timeline);
    }
  }

  /**
   * `start` runs for the first subscriber of `key`; later ones join its stream. With `write`, the
   * subscriber's results go straight to its socket once graphql-ws waits on the returned stream.
   */
  return async function share(
    key: string,
    start: () => Promise<Result> | Result,
    write?: (result: ExecutionResult) => void,
  ): Promise<Result> {
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
    const channel = createChannel<ExecutionResult>({
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
    const listener: Listener = { channel, write };
    group.listeners.add(listener);
    return channel;
  };
}

/**
 * A subscription's `next` messages written straight to its socket as text frames:
 * `{"id":…,"type":"next","payload":…}`. The payload is serialised once per result; the frame
 * (header, id, payload) is built per subscription id. graphql-ws clients name each subscription
 * with a random UUID, so most frames are a socket's own (one small copy); clients that number
 * their subscriptions ("1", "2"…) share theirs, up to SHARED_IDS ids per result.
 * The caller checks that the socket is open and keeping up.
 */
export function nextWriter(socket: WebSocket, id: string): (result: ExecutionResult) => void {
  // ws writes its own frames to the TCP socket synchronously too (it queues only while
  // compressing), so frames written beside it keep their order; with permessage-deflate
  // negotiated (this server offers none), ws' own send does it.
  const raw = socket.extensions ? undefined : (socket as unknown as { _socket?: Socket })._socket;
  const head = frameHead(id); // encoded once per subscription, not per delivery
  return (result) => {
    const frame = nextFrame(result, id, head);
    if (!raw) socket.send(frame.subarray(frameHeaderLength(frame)), { binary: false });
    else if (raw.writable) raw.write(frame);
  };
}

// The frames of the result being fanned out, by subscription id: a one-entry cache in front of
// the WeakMap, since a fan-out writes one result to thousands of sockets in a row. Only the first
// SHARED_IDS ids are kept: with random ids every frame is used once, and 15,000 of them kept
// until the result goes would only hold memory.
const SHARED_IDS = 16;
const frames = new WeakMap<ExecutionResult, Map<string, Buffer>>();
let lastResult: ExecutionResult | undefined;
let lastFrames: Map<string, Buffer> | undefined;

/** The part of a `next` message before the payload, `{"id":<id>,"type":"next","payload":`, in UTF-8. */
const frameHead = (id: string) => Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);

/** One unmasked, final text frame: `{"id":<id>,"type":"next","payload":<the shared payload>}`. */
export function nextFrame(result: ExecutionResult, id: string, head = frameHead(id)): Buffer {
  let byId = lastResult === result ? lastFrames : frames.get(result);
  if (!byId) frames.set(result, (byId = new Map()));
  lastResult = result;
  lastFrames = byId;
  let frame = byId.get(id);
  if (!frame) {
    const tail = (sharedPayload(result) as SharedPayload).tail;
    const length = head.length + tail.length;
    const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
    frame = Buffer.allocUnsafe(headerLength + length);
    frame[0] = 0x81; // FIN, text
    if (headerLength === 2) frame[1] = length;
    else if (headerLength === 4) {
      frame[1] = 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    // TypedArray#set: a plain memory copy, without Buffer#copy's argument handling (per delivery with random ids).
    frame.set(head, headerLength);
    frame.set(tail, headerLength + head.length);
    if (byId.size < SHARED_IDS) byId.set(id, frame);
  }
  return frame;
}

/** Where a frame built by nextFrame starts its payload. */
function frameHeaderLength(frame: Buffer): number {
  const length = frame[1]! & 0x7f;
  return length < 126 ? 2 : length === 126 ? 4 : 10;
}
