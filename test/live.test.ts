// Live story updates with real clients: graphql-ws over a real server on port 0, SSE over
// fetch, two gateways joined by the machine's Redis, resume after reconnect, the scheduler.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LiveStoriesDocument, MustReadDocument } from '../src/generated/graphql/graphql.js';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, wsClient, globalId, keyHeader, testConfig, type TestGateway } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
let demo: TestGateway;
let editor: Record<string, string>;
let reutersId: string;
let worldId: string;
let sportId: string;
const running: RunningGateway[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  demo = await createDemoGateway();
  editor = await keyHeader(demo.db, 'EDITOR');
  const id = async (model: 'author' | 'section', slug: string, type: string) =>
    globalId(type, ((await (demo.db.prisma[model] as any).findUniqueOrThrow({ where: { slug } })) as { id: number }).id);
  reutersId = await id('author', 'reuters', 'Author');
  worldId = await id('section', 'asia', 'Section');
  sportId = await id('section', 'sport', 'Section');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await demo?.db.dispose();
});

async function serve(overrides: Record<string, string> = {}) {
  const gateway = await serveGateway({
    config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', OUTBOX_POLL_MS: '200', ...overrides }),
    db: demo.db,
    logger: createLogger('silent'),
  });
  running.push(gateway);
  return gateway;
}

/** Subscribes and collects results until `count` arrived (or the timeout). */
function collect(client: Client, query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>) {
  const results: any[] = [];
  let error: unknown;
  const iterator = client.iterate({ query, variables, extensions });
  const done = (async () => {
    try {
      for await (const result of iterator) results.push(result);
    } catch (e) {
      error = e;
    }
  })();
  return {
    results,
    error: () => error,
    async waitFor(count: number, timeout = 5000) {
      await expect.poll(() => results.length + (error ? 1000 : 0), { timeout, interval: 20 }).toBeGreaterThanOrEqual(count);
      return results;
    },
    async stop() {
      await iterator.return?.();
      await done;
    },
  };
}

/** Waits until the gateway's hub has this many live subscriptions open. */
const subscribed = (gateway: RunningGateway, count: number) =>
  expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(count);

let counter = 0;
async function publishStory(gateway: RunningGateway | TestGateway, section = worldId, body?: string) {
  counter += 1;
  const headline = `Live story ${counter} ${Date.now()}`;
  const fetch = 'yoga' in gateway ? gateway.yoga.fetch : undefined;
  const call = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch!('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...editor },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    expect(body.errors).toBeUndefined();
    return Object.values(body.data)[0] as any;
  };
  const draft = await call(
    `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id slug } } } }`,
    { input: { headline, section, body, byline: [{ author: reutersId, role: 'AGENCY' }] } },
  );
  await call(`mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id: draft.data.id });
  return { id: draft.data.id as string, slug: draft.data.slug as string, headline };
}

const PUBLISHED = `subscription($section: String, $after: ID) {
  storiesPublished(section: $section, after: $after) { eventId type article { slug headline status section { slug } } }
}`;

/** A subscriber that saw one story and went away: the event id it saw, and the two stories published after. */
async function seenOneThenMissedTwo(gateway: Awaited<ReturnType<typeof serve>>) {
  const first = collect(wsClient(clients, gateway), PUBLISHED);
  await subscribed(gateway, 1);
  await publishStory(gateway);
  const [seen] = await first.waitFor(1);
  await first.stop();
  const missed = [await publishStory(gateway), await publishStory(gateway)];
  return { after: seen.data.storiesPublished.eventId as string, missed };
}

describe('graphql-ws', () => {
  it('pushes a story the moment it is published, with its event id, filtered by section', async () => {
    const gateway = await serve();
    const all = collect(wsClient(clients, gateway), PUBLISHED);
    const sport = collect(wsClient(clients, gateway), PUBLISHED, { section: 'sport' });
    const world = collect(wsClient(clients, gateway), PUBLISHED, { section: 'world' });
    await subscribed(gateway, 3);
    const story = await publishStory(gateway);
    const [first] = await all.waitFor(1);
    expect(first.data.storiesPublished).toMatchObject({
      type: 'PUBLISHED',
      article: { slug: story.slug, headline: story.headline, status: 'PUBLISHED' },
    });
    expect(first.extensions.eventId).toBe(first.data.storiesPublished.eventId);
    await world.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(sport.results).toHaveLength(0);
    const sportStory = await publishStory(gateway, sportId);
    const [sportEvent] = await sport.waitFor(1);
    expect(sportEvent.data.storiesPublished.article.slug).toBe(sportStory.slug);
  });

  it('resumes after a reconnect: missed events first, in order, no duplicates, then live', async () => {
    const gateway = await serve();
    const { after, missed } = await seenOneThenMissedTwo(gateway);
    const resumed = collect(wsClient(clients, gateway), PUBLISHED, { after });
    await resumed.waitFor(2);
    const live = await publishStory(gateway);
    const results = await resumed.waitFor(3);
    expect(results.map((r) => r.data.storiesPublished.article.slug)).toEqual([...missed, live].map((s) => s.slug));
    const ids = results.map((r) => Number(r.data.storiesPublished.eventId));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids[0]).toBeGreaterThan(Number(after));
  });

  it('two clients resuming from the same event id, one after the other, each get every missed event', async () => {
    const gateway = await serve();
    const { after, missed } = await seenOneThenMissedTwo(gateway);
    const early = collect(wsClient(clients, gateway), PUBLISHED, { after });
    await early.waitFor(2);
    // Same document and variables as `early`, whose replay is over: it must replay for itself.
    const late = collect(wsClient(clients, gateway), PUBLISHED, { after });
    await late.waitFor(2);
    const live = await publishStory(gateway);
    for (const resumed of [early, late]) {
      const results = await resumed.waitFor(3);
      expect(results.map((r) => r.data.storiesPublished.article.slug)).toEqual([...missed, live].map((s) => s.slug));
    }
  });

  it('a resume longer than one page of the outbox delivers every missed event', async () => {
    const gateway = await serve();
    const main = await demo.db.prisma.article.findUniqueOrThrow({ where: { slug: 'china-tells-ai-leaders-to-avoid-us-travel' } });
    const start = (await demo.db.prisma.storyEvent.findFirst({ orderBy: { id: 'desc' } }))?.id ?? 0;
    await demo.db.prisma.storyEvent.createMany({
      data: Array.from({ length: 1100 }, () => ({ type: 'UPDATED' as const, articleId: main.id, sectionId: main.sectionId })),
    });
    gateway.live.notify();
    const resumed = collect(
      wsClient(clients, gateway),
      `subscription($id: ID!, $after: ID) { storyUpdated(id: $id, after: $after) { eventId type } }`,
      {
        id: globalId('Article', main.id),
        after: String(start),
      },
    );
    const results = await resumed.waitFor(1100, 15_000);
    const ids = results.map((r) => Number(r.data.storyUpdated.eventId));
    expect(ids).toHaveLength(1100);
    expect(new Set(ids).size).toBe(1100);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('never pushes a pulled story to anonymous readers; an editor key unlocks preview', async () => {
    const gateway = await serve();
    const story = await publishStory(gateway);
    const query = `subscription($id: ID!) { storyUpdated(id: $id, preview: true) { type article { status headline } } }`;
    const anonymous = collect(wsClient(clients, gateway), query, { id: story.id });
    const staff = collect(wsClient(clients, gateway, { authorization: editor.authorization }), query, { id: story.id });
    await subscribed(gateway, 2);
    const response = await demo.yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...editor },
      body: JSON.stringify({ query: `mutation($id: ID!) { unpublishArticle(id: $id) { __typename } }`, variables: { id: story.id } }),
    });
    expect((await response.json()).data.unpublishArticle.__typename).toBe('MutationUnpublishArticleSuccess');
    gateway.live.notify();
    const [a] = await anonymous.waitFor(1);
    const [s] = await staff.waitFor(1);
    expect(a.data.storyUpdated).toEqual({ type: 'UNPUBLISHED', article: null });
    expect(s.data.storyUpdated).toEqual({ type: 'UNPUBLISHED', article: { status: 'UNPUBLISHED', headline: story.headline } });
  });

  it('refuses a bad key and limits subscriptions per connection', async () => {
    const gateway = await serve({ SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const bad = collect(wsClient(clients, gateway, { authorization: 'Bearer nrk_nope' }), PUBLISHED);
    await expect.poll(() => (bad.error() as { code?: number } | undefined)?.code, { timeout: 5000 }).toBe(4403);
    const client = wsClient(clients, gateway);
    const a = collect(client, PUBLISHED);
    const b = collect(client, PUBLISHED);
    const c = collect(client, PUBLISHED);
    await expect.poll(() => JSON.stringify(c.error() ?? ''), { timeout: 5000 }).toContain('SUBSCRIPTION_LIMIT');
    expect(a.error()).toBeUndefined();
    expect(b.error()).toBeUndefined();
  });

  it("with PERSISTED_OPERATIONS=only runs the manifest's subscriptions (as text or by hash) and refuses others", async () => {
    const gateway = await serve({ PERSISTED_OPERATIONS: 'only' });
    const adHoc = collect(wsClient(clients, gateway), PUBLISHED);
    await expect.poll(() => JSON.stringify(adHoc.error() ?? ''), { timeout: 5000 }).toContain('PERSISTED_QUERY_ONLY');
    const hash = (LiveStoriesDocument.__meta__!.hash as string).replace(/^sha256:/, '');
    const unknown = collect(wsClient(clients, gateway), '', {}, { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } });
    await expect.poll(() => JSON.stringify(unknown.error() ?? ''), { timeout: 5000 }).toContain('PERSISTED_QUERY_NOT_IN_LIST');
    const asText = collect(wsClient(clients, gateway), LiveStoriesDocument.toString());
    const byHash = collect(wsClient(clients, gateway), '', {}, { persistedQuery: { version: 1, sha256Hash: hash } });
    // Another subscription by hash, with the same (empty) text and variables: it runs its own document.
    const mustReadHash = (MustReadDocument.__meta__!.hash as string).replace(/^sha256:/, '');
    const mustRead = collect(wsClient(clients, gateway), '', {}, { persistedQuery: { version: 1, sha256Hash: mustReadHash } });
    await subscribed(gateway, 3);
    // The editors' tool writes through a gateway that accepts its mutations; this one only serves readers.
    const story = await publishStory(demo);
    for (const subscriber of [asText, byHash]) {
      const [event] = await subscriber.waitFor(1);
      expect(event.errors).toBeUndefined();
      expect(event.data.storiesPublished.article.slug).toBe(story.slug);
    }
    expect(mustRead.results).toEqual([]);
    expect(mustRead.error()).toBeUndefined();
  });

  it('a subscriber that stops reading does not hold up the others', async () => {
    const gateway = await serve();
    // A raw socket that subscribes and then stops reading (its TCP buffers fill up).
    const slow = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => slow.once('open', resolve));
    slow.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: PUBLISHED } }));
    const fast = collect(wsClient(clients, gateway), PUBLISHED);
    await subscribed(gateway, 2);
    slow.pause();
    const stories = [];
    for (let i = 0; i < 5; i += 1) stories.push(await publishStory(gateway));
    const results = await fast.waitFor(5, 10_000);
    expect(results.map((r) => r.data.storiesPublished.article.slug)).toEqual(stories.map((s) => s.slug));
    slow.terminate();
  });

  it('a subscriber that stops reading is closed with 1013 once 4 MB wait for it, on the path that writes straight to its socket', async () => {
    const gateway = await serve();
    // Each story's message to this subscriber is about 5 MB: 25 copies of a 190 KB body.
    const heavy = `subscription { storiesPublished { eventId article { slug ${Array.from({ length: 25 }, (_, i) => `b${i}: body { html }`).join(' ')} } } }`;
    const slow = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws');
    const nexts: string[] = [];
    slow.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'next') nexts.push(message.payload.data.storiesPublished.article.slug);
    });
    const closed = new Promise<number>((resolve) => slow.once('close', resolve));
    await new Promise((resolve) => slow.once('open', resolve));
    slow.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: heavy } }));
    const fast = collect(wsClient(clients, gateway), PUBLISHED);
    await subscribed(gateway, 2);
    slow.pause();
    const body = 'word '.repeat(38_000);
    const stories = [];
    for (let i = 0; i < 4; i += 1) stories.push(await publishStory(gateway, worldId, body));
    const results = await fast.waitFor(4, 10_000);
    expect(results.map((r) => r.data.storiesPublished.article.slug)).toEqual(stories.map((s) => s.slug));
    // What was written before the limit arrives, in order, then the close.
    slow.resume();
    expect(await closed).toBe(1013);
    expect(nexts.length).toBeGreaterThanOrEqual(1);
    expect(nexts.length).toBeLessThan(4);
    expect(nexts).toEqual(stories.slice(0, nexts.length).map((s) => s.slug));
    await subscribed(gateway, 1);
  });

  it('subscribers sharing one execution each get their own messages; one that completes stops receiving, the others go on', async () => {
    const gateway = await serve();
    // Two subscriptions of one socket with the same document share one execution with a client's.
    const raw = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws');
    const messages: { id?: string; type: string; payload?: any }[] = [];
    raw.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init' }));
    await expect.poll(() => messages.some((m) => m.type === 'connection_ack')).toBe(true);
    for (const id of ['a', 'b"\\']) raw.send(JSON.stringify({ id, type: 'subscribe', payload: { query: PUBLISHED, variables: {} } }));
    const other = collect(wsClient(clients, gateway), PUBLISHED);
    await subscribed(gateway, 3);
    const slugsOf = (id: string) =>
      messages.filter((m) => m.id === id && m.type === 'next').map((m) => m.payload.data.storiesPublished.article.slug);
    const first = await publishStory(gateway);
    await expect.poll(() => [slugsOf('a'), slugsOf('b"\\')]).toEqual([[first.slug], [first.slug]]);
    raw.send(JSON.stringify({ id: 'a', type: 'complete' }));
    await subscribed(gateway, 2);
    const second = await publishStory(gateway);
    await expect.poll(() => slugsOf('b"\\')).toEqual([first.slug, second.slug]);
    const results = await other.waitFor(2);
    expect(results.map((r) => r.data.storiesPublished.article.slug)).toEqual([first.slug, second.slug]);
    expect(results[1].extensions.eventId).toBe(results[1].data.storiesPublished.eventId);
    expect(slugsOf('a')).toEqual([first.slug]);
    expect(messages.filter((m) => m.type !== 'next' && m.type !== 'connection_ack')).toEqual([]);
    raw.terminate();
  });

  it('keep-alive: a socket that stops answering pings is terminated; one that answers stays', async () => {
    const gateway = await serve({ WS_KEEPALIVE_MS: '1000' });
    const open = async (autoPong: boolean) => {
      const socket = new WebSocket(gateway.url.replace('http', 'ws'), 'graphql-transport-ws', { autoPong });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await new Promise((resolve) => socket.once('message', resolve));
      return socket;
    };
    const [deaf, alive] = await Promise.all([open(false), open(true)]);
    let pings = 0;
    alive.on('ping', () => (pings += 1));
    const closed = new Promise<number>((resolve) => deaf.once('close', resolve));
    // Pinged after a second, terminated when the next ping finds the first unanswered.
    expect(await closed).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(alive.readyState).toBe(WebSocket.OPEN);
    alive.terminate();
  });

  it('LIVE_TRACE_FILE: a line when an event is read and one when its fan-out ended, with the subscribers it reached', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'live-trace-')), 'trace.jsonl');
    const gateway = await serve({ LIVE_TRACE_FILE: file });
    const subscriber = collect(wsClient(clients, gateway), PUBLISHED);
    await subscribed(gateway, 1);
    await publishStory(gateway);
    const [result] = await subscriber.waitFor(1);
    const eventId = result.data.storiesPublished.eventId as string;
    const lines = () =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    await expect.poll(() => lines().some((l) => l.kind === 'fanout')).toBe(true);
    const read = lines().find((l) => l.kind === 'read');
    const fanOut = lines().find((l) => l.kind === 'fanout');
    expect(read.ids).toContain(Number(eventId));
    expect(read.at).toBeGreaterThanOrEqual(read.startedAt);
    expect(fanOut).toMatchObject({ eventId, direct: 1, pushed: 0 });
    expect(fanOut.slices).toEqual([[expect.any(Number), 1]]);
    expect(fanOut.start).toBeGreaterThanOrEqual(read.at);
  });

  it('delivers stories the scheduler publishes', async () => {
    const gateway = await serve({ SCHEDULER_INTERVAL_MS: '200' });
    const subscriber = collect(wsClient(clients, gateway), PUBLISHED);
    await subscribed(gateway, 1);
    const draft = await demo.db.prisma.article.create({
      data: {
        slug: `scheduled-live-${Date.now()}`,
        headline: 'Scheduled to go live',
        status: 'SCHEDULED',
        scheduledAt: new Date(Date.now() + 300),
        sectionId: (await demo.db.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } })).id,
      },
    });
    const [event] = await subscriber.waitFor(1, 8000);
    expect(event.data.storiesPublished.article.slug).toBe(draft.slug);
  });

  it('closes sockets with 1001 Going Away when the gateway stops', async () => {
    const gateway = await serve();
    const closed = new Promise<number>((resolve) => {
      const client = createClient({
        url: gateway.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(client);
      client.subscribe({ query: PUBLISHED }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    await expect.poll(() => gateway.sockets.connections()).toBe(1);
    await gateway.stop();
    running.splice(running.indexOf(gateway), 1);
    expect(await closed).toBe(1001);
  });
});

describe('SSE', () => {
  async function sse(gateway: RunningGateway, query: string, headers: Record<string, string> = {}) {
    const controller = new AbortController();
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify({ query }),
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: { id?: string; data: any }[] = [];
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (/^event: next$/m.test(block) && data) events.push({ id, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
    })();
    return { events, close: () => controller.abort() };
  }

  it('streams events with SSE ids, and Last-Event-ID resumes after a reconnect', async () => {
    const gateway = await serve();
    const first = await sse(gateway, `subscription { storiesPublished { eventId article { slug } } }`);
    await subscribed(gateway, 1);
    const story = await publishStory(gateway);
    await expect.poll(() => first.events.length, { timeout: 5000 }).toBe(1);
    expect(first.events[0]!.data.data.storiesPublished.article.slug).toBe(story.slug);
    expect(first.events[0]!.id).toBe(first.events[0]!.data.data.storiesPublished.eventId);
    first.close();
    const missed = await publishStory(gateway);
    const again = await sse(gateway, `subscription { storiesPublished { eventId article { slug } } }`, {
      'last-event-id': first.events[0]!.id!,
    });
    await expect.poll(() => again.events.length, { timeout: 5000 }).toBe(1);
    expect(again.events[0]!.data.data.storiesPublished.article.slug).toBe(missed.slug);
    again.close();
  });
});

describe('across gateways', () => {
  it('a story published on one gateway reaches subscribers of another through Redis at once', async () => {
    // Polling is slowed to a minute: only Redis can deliver within the test's few seconds.
    const a = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000' });
    const b = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000' });
    const onB = collect(wsClient(clients, b), PUBLISHED);
    await subscribed(b, 1);
    const started = Date.now();
    const story = await publishStory(a);
    const [event] = await onB.waitFor(1, 5000);
    expect(event.data.storiesPublished.article.slug).toBe(story.slug);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('while Redis wakes a gateway its outbox poll is only a safety net: every OUTBOX_POLL_WITH_REDIS_MS, not every OUTBOX_POLL_MS', async () => {
    const woken = await serve({ REDIS_URL, OUTBOX_POLL_MS: '50', OUTBOX_POLL_WITH_REDIS_MS: '600000' });
    const polling = await serve({ REDIS_URL: 'redis://127.0.0.1:1', OUTBOX_POLL_MS: '50' });
    // Without Redis: a read of the outbox every 50 ms. With it: none while nothing is committed.
    let from = polling.live.reads;
    await expect.poll(() => polling.live.reads, { timeout: 5000 }).toBeGreaterThan(from + 1);
    const [before, wakeUps] = [woken.live.reads, woken.live.wakeUps];
    from = polling.live.reads;
    await expect.poll(() => polling.live.reads, { timeout: 5000 }).toBeGreaterThan(from + 4);
    // (Other test files' gateways share the Redis channel: their commits may wake it meanwhile.)
    expect(woken.live.reads - before).toBeLessThanOrEqual(woken.live.wakeUps - wakeUps);
    // A commit on another gateway still reaches it at once, through Redis.
    const writer = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000' });
    const onWoken = collect(wsClient(clients, woken), PUBLISHED);
    await subscribed(woken, 1);
    const story = await publishStory(writer);
    const [event] = await onWoken.waitFor(1, 5000);
    expect(event.data.storiesPublished.article.slug).toBe(story.slug);
  });

  it('deployments sharing a Redis under different REDIS_KEY_PREFIX do not wake each other', async () => {
    const reader = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000' });
    const elsewhere = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000', REDIS_KEY_PREFIX: `other-deployment-${Date.now()}:` });
    const onReader = collect(wsClient(clients, reader), PUBLISHED);
    await subscribed(reader, 1);
    const wakeUps = reader.live.wakeUps;
    const unseen = await publishStory(elsewhere);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a wake-up through Redis takes milliseconds
    expect(reader.live.wakeUps).toBe(wakeUps);
    expect(onReader.results).toHaveLength(0);
    // One of its own deployment wakes it: it then reads the outbox, both stories in order.
    const own = await serve({ REDIS_URL, OUTBOX_POLL_MS: '60000' });
    const story = await publishStory(own);
    const events = await onReader.waitFor(2, 5000);
    expect(events.map((e) => e.data.storiesPublished.article.slug)).toEqual([unseen.slug, story.slug]);
    expect(reader.live.wakeUps).toBeGreaterThan(wakeUps);
  });

  it('without Redis, gateways still deliver what is committed by polling the outbox', async () => {
    const a = await serve({ REDIS_URL: 'redis://127.0.0.1:1', OUTBOX_POLL_MS: '200' });
    const b = await serve({ REDIS_URL: 'redis://127.0.0.1:1', OUTBOX_POLL_MS: '200' });
    const onB = collect(wsClient(clients, b), PUBLISHED);
    await subscribed(b, 1);
    const story = await publishStory(a);
    const [event] = await onB.waitFor(1, 5000);
    expect(event.data.storiesPublished.article.slug).toBe(story.slug);
  });
});
