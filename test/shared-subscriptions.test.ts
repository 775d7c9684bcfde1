// The shared execution's fan-out (src/server/shared-subscriptions.ts) without a server: many
// subscribers of one stream, results written straight to them (the direct path a WebSocket
// takes while graphql-ws waits) in slices with turns of the event loop between them.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createChannel } from '../src/newsroom/channel.js';
import { createSubscriptionSharing, FanOutActivity, nextFrame } from '../src/server/shared-subscriptions.js';
import { keepAlive } from '../src/server/ws.js';

/** A source stream the test pushes results into, and n subscribers waiting on it as graphql-ws does. */
async function fanOut(n: number, onWrite?: (subscriber: number, result: ExecutionResult) => void, activity?: FanOutActivity) {
  const source = createChannel<ExecutionResult>({ capacity: 100, overflowError: () => new Error('overflow') });
  const share = createSubscriptionSharing(undefined, activity);
  const written: ExecutionResult[][] = Array.from({ length: n }, () => []);
  const streams: AsyncIterator<ExecutionResult>[] = [];
  for (let i = 0; i < n; i += 1) {
    const stream = (await share(
      'same document',
      () => source,
      (result) => {
        written[i]!.push(result);
        onWrite?.(i, result);
      },
    )) as AsyncIterableIterator<ExecutionResult>;
    streams.push(stream);
    void stream.next(); // graphql-ws waits on it: results go straight to the writer
  }
  return { source, streams, written };
}

const story = (n: number): ExecutionResult => ({ data: { storiesPublished: { eventId: String(n) } } });

describe('shared subscriptions', () => {
  it('writes every result to every subscriber, in order, across slices of the fan-out', async () => {
    const { source, written } = await fanOut(1200);
    const results = [story(1), story(2), story(3)];
    for (const result of results) source.push(result); // back to back: the second arrives mid fan-out of the first
    await expect.poll(() => written.every((w) => w.length === 3)).toBe(true);
    for (const w of written) expect(w).toEqual(results);
  });

  it('a subscriber that goes away mid fan-out gets nothing more; the others get everything', async () => {
    let gone: AsyncIterator<ExecutionResult> | undefined;
    const { source, streams, written } = await fanOut(1200, (subscriber, result) => {
      // While the first result is being written (subscriber 10 is in the first slice), the
      // 1,100th subscriber (in the third slice) completes.
      if (subscriber === 10 && result === first) void gone!.return?.();
    });
    gone = streams[1100];
    const first = story(1);
    source.push(first);
    source.push(story(2));
    await expect.poll(() => written.filter((w) => w.length === 2).length).toBe(1199);
    expect(written[1100]).toEqual([]);
    expect(written[1199]!.map((r) => (r.data as any).storiesPublished.eventId)).toEqual(['1', '2']);
  });

  it('counts as busy while a result is being written, and runs work left for its end right after the last write', async () => {
    const activity = new FanOutActivity();
    const busyAtWrite: boolean[] = [];
    let written = 0;
    let writtenWhenIdle: number | undefined;
    const { source } = await fanOut(
      1200,
      () => {
        busyAtWrite.push(activity.busy);
        written += 1;
        // Left for the end while the first slice is written; the fan-out has two more slices to go.
        if (written === 10) activity.whenIdle(() => (writtenWhenIdle = written));
      },
      activity,
    );
    expect(activity.busy).toBe(false);
    source.push(story(1));
    await expect.poll(() => writtenWhenIdle).toBe(1200);
    expect(busyAtWrite.every(Boolean)).toBe(true);
    expect(activity.busy).toBe(false);
    let ranAtOnce = false;
    activity.whenIdle(() => (ranAtOnce = true));
    expect(ranAtOnce).toBe(true);
  });

  it('frames a result once per subscription id (the first 16 ids are kept): graphql-ws message shape', () => {
    const result = story(7);
    const frame = nextFrame(result, 'a"1');
    expect(nextFrame(result, 'a"1')).toBe(frame);
    expect(nextFrame(result, 'b')).not.toBe(frame);
    // Random ids (graphql-ws clients' UUIDs) are framed each time, not kept: the first 16 ids are.
    const ids = Array.from({ length: 40 }, (_, i) => `id-${i}`);
    for (const id of ids) nextFrame(result, id);
    expect(nextFrame(result, 'id-13')).toBe(nextFrame(result, 'id-13'));
    expect(nextFrame(result, 'id-39')).not.toBe(nextFrame(result, 'id-39'));
    expect(nextFrame(result, 'id-39').equals(nextFrame(result, 'id-39'))).toBe(true);
    expect(frame[0]).toBe(0x81); // FIN, text
    expect(frame[1]).toBe(frame.length - 2);
    expect(JSON.parse(frame.subarray(2).toString())).toEqual({ id: 'a"1', type: 'next', payload: result });
    const large: ExecutionResult = { data: { body: 'x'.repeat(70_000) } };
    const big = nextFrame(large, '1');
    expect(big[1]).toBe(127);
    expect(Number(big.readBigUInt64BE(2))).toBe(big.length - 10);
    expect(JSON.parse(big.subarray(10).toString())).toEqual({ id: '1', type: 'next', payload: large });
  });
});

describe('keep-alive beside the fan-out', () => {
  /** A WebSocket server on a free port with the gateway's keep-alive, and a client that answers pings. */
  async function pinged(intervalMs: number, activity: FanOutActivity) {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    const stop = keepAlive(wss, intervalMs, activity);
    const opened = performance.now(); // before the server's side of the connection
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const pings: number[] = [];
    client.on('ping', () => pings.push(performance.now()));
    await once(client, 'open');
    const close = async () => {
      stop();
      client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    };
    return { client, pings, opened, close };
  }

  it('a ping due while a story is being fanned out waits for its end, and at most a quarter of the interval', async () => {
    const activity = new FanOutActivity();
    activity.begin(); // a fan-out runs from before the first ping is due and does not end
    const { client, pings, opened, close } = await pinged(1000, activity);
    try {
      // Due 1,000 ms after the connection: kept waiting by the fan-out for 250 ms, then sent anyway.
      await expect.poll(() => pings.length, { timeout: 5000 }).toBe(1);
      expect(pings[0]! - opened).toBeGreaterThanOrEqual(1249);
      // The next is due 1,000 ms later; the fan-out ends 100 ms after that: the ping goes at once.
      await sleep(pings[0]! + 1100 - performance.now());
      const ended = performance.now();
      activity.end();
      await expect.poll(() => pings.length, { timeout: 5000 }).toBe(2);
      expect(pings[1]! - ended).toBeLessThan(140); // the wait would have run out 150 ms after the end
      // The raw ping frame is a ping the client answers (ws' autoPong): the socket stays open and
      // is pinged again (polled, not slept for: on a busy machine the timer may fire late).
      await expect.poll(() => pings.length, { timeout: 5000 }).toBe(3);
      expect(client.readyState).toBe(WebSocket.OPEN);
    } finally {
      await close();
    }
  });
});
