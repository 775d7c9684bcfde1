// Resource limits over the real transports: SSE streams released when their client goes away,
// per-client caps on WebSockets and SSE streams, WebSocket message size, request bodies over the
// limit or too slow, and variables that would otherwise escape the document's limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, testConfig, type TestGateway } from './helpers.js';

let demo: TestGateway;
const running: RunningGateway[] = [];

beforeAll(async () => {
  demo = await createDemoGateway();
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await demo?.db.dispose();
});

async function serve(overrides: Record<string, string> = {}) {
  const gateway = await serveGateway({
    config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', POPULARITY_REFRESH_MS: '0', ...overrides }),
    db: demo.db,
    logger: createLogger('silent'),
  });
  running.push(gateway);
  return gateway;
}

const SUBSCRIPTION = 'subscription { storiesPublished { eventId article { slug } } }';

/** Opens an SSE stream with fetch; resolves once the response headers arrived. */
async function openSse(gateway: RunningGateway, query = SUBSCRIPTION) {
  const controller = new AbortController();
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  return { response, close: () => controller.abort() };
}

describe('SSE streams', () => {
  it('a stream whose client goes away releases its subscription at once', async () => {
    const gateway = await serve();
    const streams = await Promise.all(Array.from({ length: 20 }, () => openSse(gateway)));
    await expect.poll(() => gateway.live.subscriptions, { timeout: 5000, interval: 20 }).toBe(20);
    for (const s of streams) s.close();
    await expect.poll(() => gateway.live.subscriptions, { timeout: 3000, interval: 20 }).toBe(0);
  });
});
