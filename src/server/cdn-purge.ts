// CDN purge: the edge in front of the gateway (Varnish, Fastly or Cloudflare) caches anonymous
// GET answers tagged with the gateway's Surrogate-Key header; this purger follows the
// story-event outbox and asks the CDN to drop what each event made stale, by the same keys the
// gateway's own caches purge by. Without it a correction, or a story pulled for legal reasons,
// would stay at the edge for max-age plus stale-while-revalidate.
//
// - One purger per gateway, one shared cursor (OutboxCursor `cdn-purge`, under a lease): with
//   many gateways one of them purges, the others stand by; a purge is done at least once.
// - Woken by every commit this gateway sees (its live hub, so Redis wakes it for other
//   gateways' commits), and polled every OUTBOX_POLL_MS for what a wake-up missed.
// - Batched: up to BATCH events a run, their keys deduplicated and sent in as few requests as
//   the CDN's API allows (Fastly 256 keys, Cloudflare 100 tags, Varnish 256 keys a request).
// - Retried: network errors, timeouts, 5xx and 429 are tried again with exponential backoff and
//   full jitter (Retry-After honoured), CDN_PURGE_ATTEMPTS times; then the run stops without
//   advancing the cursor and the next run starts over from it. Nothing is skipped.
// - Measured on /metrics: lag from the event's commit to its purge done, failed requests, keys
//   per request.
//
// The HTTP calls are plain fetch: each API is one POST (or PURGE/BAN) whose shape is below, and
// the vendors' SDKs (fastly, cloudflare) would bring a whole API client for it.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CdnTarget, Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { LiveEvent, LiveHub } from '../newsroom/live.js';
import { outboxCursor } from '../newsroom/outbox-cursor.js';
import { metricsRegistry } from './observability.js';

/** Events read and purged per round. */
const BATCH = 500;
/** The cursor's lease: a gateway that stops renewing it (dead, hung) is replaced after this. */
const LEASE_MS = 30_000;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 10_000;
export const CURSOR_NAME = 'cdn-purge';

const purgeLag = new Histogram({
  name: 'newsroom_cdn_purge_lag_seconds',
  help: 'From a story event committed to the CDN purge of its keys done',
  labelNames: ['cdn'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});
const purgeFailures = new Counter({
  name: 'newsroom_cdn_purge_failures_total',
  help: 'CDN purge requests that failed (each failed try; `gave_up`: the last try of a batch, left for the next run)',
  labelNames: ['cdn', 'reason'] as const,
  registers: [metricsRegistry],
});
const purgeBatchKeys = new Histogram({
  name: 'newsroom_cdn_purge_batch_keys',
  help: 'Surrogate keys per CDN purge request',
  labelNames: ['cdn'] as const,
  buckets: [1, 2, 5, 10, 25, 50, 100, 256],
  registers: [metricsRegistry],
});
const purgedEvents = new Counter({
  name: 'newsroom_cdn_purge_events_total',
  help: 'Story events whose keys were purged at the CDN',
  labelNames: ['cdn'] as const,
  registers: [metricsRegistry],
});
const purgers = new Set<{ position: number }>();
new Gauge({
  name: 'newsroom_cdn_purge_position',
  help: 'Id of the newest story event this gateway purged at the CDN',
  registers: [metricsRegistry],
  collect() {
    this.set(Math.max(0, ...[...purgers].map((p) => p.position)));
  },
});

// ---------------------------------------------------------------------------------------------
// Adapters: one request purges up to maxKeys surrogate keys.

export type CdnAdapter = { kind: CdnTarget['kind']; maxKeys: number; purge(keys: string[], signal: AbortSignal): Promise<void> };

/** A purge request the CDN refused or failed; `retryable` for 5xx, 429 and network errors. */
export class PurgeError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'timed out' : String((error as Error).cause ?? (error as Error).message);
    throw new PurgeError(`${what}: ${reason}`, true);
  }
  if (response.ok) return response;
  const body = (await response.text().catch(() => '')).slice(0, 200);
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new PurgeError(
    `${what}: HTTP ${response.status} ${body}`.trim(),
    response.status >= 500 || response.status === 429,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
  );
}

/** Varnish with deploy/varnish/default.vcl: `PURGE` (xkey vmod) or `BAN`, keys space-separated in `xkey-purge`. */
function varnish(target: Extract<CdnTarget, { kind: 'varnish' }>): CdnAdapter {
  const method = target.mode === 'xkey' ? 'PURGE' : 'BAN';
  return {
    kind: 'varnish',
    // 256 keys of ~16 characters stay well inside Varnish's 8 KB request header limit.
    maxKeys: 256,
    async purge(keys, signal) {
      // Every server must drop them; a retry asks all again (purging is idempotent).
      await Promise.all(
        target.urls.map((url) => send(url, { method, headers: { 'xkey-purge': keys.join(' ') }, signal }, `${method} ${url}`)),
      );
    },
  };
}

/** Fastly: `POST /service/{id}/purge` with the keys in `Surrogate-Key` (at most 256 a request). */
function fastly(target: Extract<CdnTarget, { kind: 'fastly' }>): CdnAdapter {
  const url = `${target.apiUrl}/service/${encodeURIComponent(target.serviceId)}/purge`;
  return {
    kind: 'fastly',
    maxKeys: 256,
    async purge(keys, signal) {
      const headers: Record<string, string> = { 'fastly-key': target.token, 'surrogate-key': keys.join(' '), accept: 'application/json' };
      if (target.softPurge) headers['fastly-soft-purge'] = '1';
      await send(url, { method: 'POST', headers, signal }, 'Fastly purge');
    },
  };
}

/** Cloudflare: `POST /client/v4/zones/{zone}/purge_cache` with `{"tags": [...]}` (at most 100 a call). */
function cloudflare(target: Extract<CdnTarget, { kind: 'cloudflare' }>): CdnAdapter {
  const url = `${target.apiUrl}/client/v4/zones/${encodeURIComponent(target.zoneId)}/purge_cache`;
  return {
    kind: 'cloudflare',
    maxKeys: 100,
    async purge(keys, signal) {
      const response = await send(
        url,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tags: keys }),
          signal,
        },
        'Cloudflare purge',
      );
      // The API wraps every answer in { success, errors }: a 200 may still say it failed.
      const answer = (await response.json().catch(() => null)) as { success?: boolean; errors?: unknown } | null;
      if (answer?.success !== true)
        throw new PurgeError(`Cloudflare purge: ${JSON.stringify(answer?.errors ?? answer).slice(0, 200)}`, false);
    },
  };
}

export function cdnAdapter(target: CdnTarget): CdnAdapter | undefined {
  switch (target.kind) {
    case 'varnish':
      return varnish(target);
    case 'fastly':
      return fastly(target);
    case 'cloudflare':
      return cloudflare(target);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The purger.

export type CdnPurger = {
  /** Purges what was committed and not yet purged (if this gateway holds the cursor). */
  runOnce(): Promise<void>;
  /** The newest event this gateway purged. */
  readonly position: number;
  /** Resolves once this gateway purged every event up to `id`. */
  purgedUpTo(id: number): Promise<void>;
  /** Finishes the run in progress and gives the cursor up to another gateway. */
  stop(): Promise<void>;
};

export function startCdnPurger(options: {
  prisma: PrismaClient;
  live: LiveHub;
  adapter: CdnAdapter;
  /** The surrogate keys an event purges: `surrogateKeysToPurge`, the one mapping the gateway's own caches purge by. */
  keysOf: (event: LiveEvent) => string[];
  config: Pick<Config['cdnPurge'], 'attempts' | 'timeoutMs'>;
  pollMs: number;
  logger: Logger;
}): CdnPurger {
  const { prisma, live, adapter, keysOf, config, logger } = options;
  const cursor = outboxCursor(prisma, { name: CURSOR_NAME, holder: `${process.pid}-${randomUUID()}`, leaseMs: LEASE_MS });
  const cdn = adapter.kind;
  const state = { position: 0 };
  const waiters = new Set<{ id: number; resolve: () => void }>();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const stopping = new AbortController();

  function advanced(position: number) {
    state.position = position;
    for (const waiter of waiters)
      if (waiter.id <= position) {
        waiters.delete(waiter);
        waiter.resolve();
      }
  }

  async function purgeWithRetries(keys: string[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        await adapter.purge(keys, AbortSignal.any([AbortSignal.timeout(config.timeoutMs), stopping.signal]));
        purgeBatchKeys.labels(cdn).observe(keys.length);
        return;
      } catch (error) {
        const retryable = error instanceof PurgeError ? error.retryable : true;
        const last = !retryable || attempt >= config.attempts || stopped;
        purgeFailures.labels(cdn, last ? 'gave_up' : 'retried').inc();
        if (last) throw error;
        // Full jitter: gateways that failed together do not retry together.
        const backoff = Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        const wait = Math.min(BACKOFF_MAX_MS * 3, Math.max(backoff, (error as PurgeError).retryAfterMs ?? 0));
        logger.warn({ err: (error as Error).message, attempt, waitMs: Math.round(wait) }, 'CDN purge failed; retrying');
        // stop() cuts the wait short; the next try then sees `stopped` and gives up.
        await sleep(wait, undefined, { signal: stopping.signal, ref: false }).catch(() => {});
      }
    }
  }

  async function run() {
    let after = await cursor.claim();
    if (after === undefined) return; // another gateway purges
    if (after > state.position) advanced(after);
    for (;;) {
      const events = await live.load({ id: { gt: after } }, BATCH);
      if (events.length === 0) return;
      const keys = [...new Set(events.flatMap(keysOf))];
      for (let i = 0; i < keys.length; i += adapter.maxKeys) await purgeWithRetries(keys.slice(i, i + adapter.maxKeys));
      const done = Date.now();
      for (const event of events) purgeLag.labels(cdn).observe(Math.max(0, done - event.at.getTime()) / 1000);
      purgedEvents.labels(cdn).inc(events.length);
      after = events[events.length - 1]!.id;
      if (!(await cursor.advance(after))) return; // the lease ran out and another gateway took over
      advanced(after);
      if (events.length < BATCH || stopped) return;
    }
  }

  /** Runs until nothing new arrived meanwhile; one run at a time. */
  function kick(): Promise<void> {
    again = true;
    if (running) return running;
    running = (async () => {
      try {
        while (again && !stopped) {
          again = false;
          await run();
        }
      } catch (error) {
        // The next poll or commit tries again (from the stored cursor), not this loop at once.
        again = false;
        logger.error({ err: error instanceof PurgeError ? error.message : error }, 'CDN purge failed; the next run tries again');
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  // Every event this gateway's hub fans out wakes the purger; the timer catches the rest.
  let wakeups: AsyncIterableIterator<LiveEvent> | undefined;
  void (async () => {
    await live.ready();
    while (!stopped) {
      wakeups = live.subscribe();
      try {
        for await (const _ of wakeups) void kick();
        return; // the hub stopped
      } catch {
        // Fell behind (a burst of events while a purge was slow): the cursor has them all.
        void kick();
      }
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'CDN purger cannot follow story events; it polls'));
  const timer = setInterval(() => void kick(), options.pollMs);
  timer.unref();
  purgers.add(state);
  void kick();

  return {
    runOnce: kick,
    get position() {
      return state.position;
    },
    purgedUpTo(id) {
      if (id <= state.position) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.add({ id, resolve });
        void kick();
      });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await wakeups?.return?.();
      // A purge waiting out a backoff gives up now; the cursor stays where it was.
      stopping.abort();
      await running;
      purgers.delete(state);
      await cursor.release().catch((error: unknown) => logger.warn({ err: error }, 'could not release the CDN purge cursor'));
    },
  };
}

/** Cloudflare reads purge tags from Cache-Tag (comma-separated): copied from Surrogate-Key when it is the CDN. */
export function useCdnTags(target: CdnTarget): Plugin[] {
  if (target.kind !== 'cloudflare') return [];
  return [
    {
      onResponse({ response }) {
        const keys = response.headers.get('surrogate-key');
        if (keys) response.headers.set('cache-tag', keys.split(' ').join(','));
      },
    },
  ];
}
