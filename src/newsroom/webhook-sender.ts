// Sends webhooks: follows the story-event outbox with one cursor per endpoint, turns matching
// events into stored deliveries, and sends each endpoint's deliveries in event order, one at a
// time, retrying with exponential backoff and jitter until the retry window closes (FAILED,
// replayable).
//
// Why not a job library: graphile-worker and pg-boss were evaluated. Both want a `pg` pool of
// their own (LISTEN/NOTIFY, their own schema and migrations outside Prisma's), so neither runs on
// the embedded PGlite the gateway defaults to, and neither gives "one at a time, in order, per
// endpoint, the head blocking only its own queue" without a queue per endpoint. The outbox
// already is an ordered, durable log, so the design here is the one the purger and the live hub
// use: a cursor stored per endpoint, rows claimed with FOR UPDATE SKIP LOCKED (fan-out) and a
// lease per endpoint (sending), so any number of gateways share the work and never send to one
// endpoint at once. A gateway that dies mid-request leaves its lease to expire; the next one
// sends the same delivery again, with the same webhook-id (at least once).
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import type { PrismaClient, WebhookDelivery } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { buildPayloads, matches, resolveTarget, signedHeaders, signingSecrets, type TargetPolicy } from './webhooks.js';

export type WebhookSettings = TargetPolicy & {
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  retryWindowMs: number;
};

export type AttemptOutcome = 'delivered' | 'retrying' | 'failed';
/** Told about every attempt (metrics). */
export type AttemptObserver = (outcome: AttemptOutcome, latencySeconds: number | null) => void;

export type WebhookSender = {
  /** One round: fan new events out to deliveries, start sending to endpoints with a delivery due. */
  runOnce(): Promise<void>;
  /** Resolves when nothing is in flight on this gateway (tests, the bench). */
  idle(): Promise<void>;
  /** Stops taking work and waits for requests in flight (each ends within WEBHOOK_TIMEOUT_MS). */
  stop(): Promise<void>;
  /** As if the process died: requests are cut, nothing more is written, leases are left to expire. */
  kill(): void;
};

const FAN_OUT_BATCH = 200;
/** Deliveries of one endpoint read at once. */
const PAGE = 50;
/** Time a lease leaves for bookkeeping after an attempt's deadline. */
const LEASE_MARGIN_MS = 2000;
/** Longest a success waits to be recorded (with the others of its page). */
const FLUSH_MS = 250;
/** Bytes of a receiver's answer read at most (it is discarded; only the status counts). */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 500;
/** Intervals between looks for an endpoint while none is enabled and story events wake the sender. */
export const IDLE_TICKS = 10;

/** Delay before attempt `attempts + 1`: doubling from the base, capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempts: number, settings: Pick<WebhookSettings, 'backoffBaseMs' | 'backoffMaxMs'>, random = Math.random) {
  const delay = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.min(attempts - 1, 40));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

export function startWebhookSender(options: {
  prisma: PrismaClient;
  logger: Logger;
  settings: WebhookSettings;
  siteUrl: string;
  /** Story events committed on this gateway or another (the live hub): each wakes the sender. */
  wakeUps?: () => AsyncIterableIterator<unknown>;
  observe?: AttemptObserver;
}): WebhookSender {
  const { prisma, logger, settings, siteUrl } = options;
  const owner = randomUUID();
  // A lease covers two attempts; it is renewed before an attempt it might not outlast (with the
  // bookkeeping margin), so a fast endpoint costs one renewal per WEBHOOK_TIMEOUT_MS, not one per delivery.
  const leaseMs = 2 * settings.timeoutMs + LEASE_MARGIN_MS;
  const inflight = new Map<number, Promise<void>>();
  const requests = new Set<http.ClientRequest>();
  const timers = new Set<NodeJS.Timeout>();
  const agentOptions = { keepAlive: true, maxSockets: 1, timeout: settings.timeoutMs };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  let stopped = false;
  let killed = false;
  let running: Promise<void> | undefined;
  let again = false;

  /** Writes only while alive: a killed sender leaves the stored state as a crash would. */
  const alive = () => !killed;

  async function fanOut() {
    for (;;) {
      const more = await prisma.$transaction(async (tx) => {
        const claimed = await tx.$queryRaw<{ id: number }[]>`
          SELECT id FROM "WebhookEndpoint" WHERE enabled ORDER BY id FOR UPDATE SKIP LOCKED`;
        if (claimed.length === 0) return false;
        const endpoints = await tx.webhookEndpoint.findMany({
          where: { id: { in: claimed.map((c) => c.id) } },
          select: { id: true, cursor: true, eventTypes: true, sectionId: true },
        });
        const from = Math.min(...endpoints.map((e) => e.cursor));
        const events = await tx.storyEvent.findMany({ where: { id: { gt: from } }, orderBy: { id: 'asc' }, take: FAN_OUT_BATCH });
        if (events.length === 0) return false;
        const last = events.at(-1)!.id;
        const wanted = events.filter((event) => endpoints.some((e) => event.id > e.cursor && matches(e, event)));
        const bodies = await buildPayloads(tx, wanted, siteUrl);
        const giveUpAt = new Date(Date.now() + settings.retryWindowMs);
        const rows = endpoints.flatMap((endpoint) =>
          wanted
            .filter((event) => event.id > endpoint.cursor && matches(endpoint, event))
            .map((event) => ({ endpointId: endpoint.id, eventId: event.id, eventType: event.type, body: bodies.get(event.id)!, giveUpAt })),
        );
        if (rows.length) await tx.webhookDelivery.createMany({ data: rows, skipDuplicates: true });
        await tx.webhookEndpoint.updateMany({
          where: { id: { in: endpoints.map((e) => e.id) }, cursor: { lt: last } },
          data: { cursor: last },
        });
        return events.length === FAN_OUT_BATCH;
      });
      if (!more || stopped) return;
    }
  }

  /** Endpoints whose oldest pending delivery is due, not held by any gateway, up to the free slots. */
  async function claimDue(now: Date): Promise<number[]> {
    const slots = settings.concurrency - inflight.size;
    if (slots <= 0) return [];
    const mine = [...inflight.keys(), 0];
    const candidates = await prisma.$queryRaw<{ id: number }[]>`
      SELECT e.id FROM "WebhookEndpoint" e
      WHERE e.enabled AND (e."leaseUntil" IS NULL OR e."leaseUntil" < ${now})
        AND e.id <> ALL(${mine})
        AND (SELECT d."nextAttemptAt" FROM "WebhookDelivery" d
             WHERE d."endpointId" = e.id AND d.status = 'PENDING' ORDER BY d.id LIMIT 1) <= ${now}
      ORDER BY e.id LIMIT ${slots}`;
    const claimed: number[] = [];
    for (const { id } of candidates) {
      // Another gateway may have taken it since: the update claims it only if it is still free.
      const taken = await prisma.$executeRaw`
        UPDATE "WebhookEndpoint" SET "leaseOwner" = ${owner}, "leaseUntil" = ${new Date(now.getTime() + leaseMs)}
        WHERE id = ${id} AND enabled AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now})`;
      if (taken === 1) claimed.push(id);
    }
    return claimed;
  }

  const release = (endpointId: number) =>
    prisma.$executeRaw`UPDATE "WebhookEndpoint" SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE id = ${endpointId} AND "leaseOwner" = ${owner}`;
  const renew = (endpointId: number) =>
    prisma.$executeRaw`UPDATE "WebhookEndpoint" SET "leaseUntil" = ${new Date(Date.now() + leaseMs)} WHERE id = ${endpointId} AND "leaseOwner" = ${owner} AND enabled`;

  /** Sends this endpoint's due deliveries in order while it holds the lease. */
  async function serve(endpointId: number, claimedAt: number) {
    let leaseUntil = claimedAt + leaseMs;
    // Successes are recorded a batch at a time (one statement for up to a page, or what
    // FLUSH_MS gathered): one lost in a crash is sent again, with the same webhook-id.
    const delivered: { id: number; at: number; status: number; latencyMs: number }[] = [];
    let gatheringSince = 0;
    const flush = async () => {
      if (delivered.length === 0 || !alive()) return;
      const rows = delivered.splice(0);
      await prisma.$executeRaw`
        UPDATE "WebhookDelivery" d SET status = 'DELIVERED', attempts = d.attempts + 1, "lastError" = NULL,
          "lastAttemptAt" = to_timestamp(v.at / 1000.0), "deliveredAt" = to_timestamp(v.at / 1000.0),
          "responseStatus" = v.status, "latencyMs" = v.latency
        FROM unnest(${rows.map((r) => r.id)}::int[], ${rows.map((r) => r.at)}::float8[],
                    ${rows.map((r) => r.status)}::int[], ${rows.map((r) => r.latencyMs)}::int[]) AS v(id, at, status, latency)
        WHERE d.id = v.id AND d.status = 'PENDING'`;
    };
    try {
      while (!stopped && alive()) {
        // A page at a time, and the endpoint with it (a rotated secret or a disabled endpoint
        // shows within a page, or at the next lease renewal).
        const endpoint = await prisma.webhookEndpoint.findUnique({ where: { id: endpointId } });
        if (!endpoint?.enabled) return;
        const page = await prisma.webhookDelivery.findMany({
          where: { endpointId, status: 'PENDING' },
          orderBy: { id: 'asc' },
          take: PAGE,
        });
        if (page.length === 0) return;
        for (const delivery of page) {
          if (stopped || !alive()) return;
          const now = Date.now();
          if (delivery.nextAttemptAt.getTime() > now) return schedule(delivery.nextAttemptAt.getTime() - now);
          // The lease must outlast this attempt; renewing also tells whether it is still ours.
          if (leaseUntil - now < settings.timeoutMs + LEASE_MARGIN_MS) {
            if ((await renew(endpointId)) !== 1) return;
            leaseUntil = now + leaseMs;
          }
          const result = await attempt(endpoint.url, signingSecrets(endpoint), delivery);
          if (!alive()) return;
          logger.debug({ endpointId, deliveryId: delivery.id, eventId: delivery.eventId, ...result }, 'webhook attempt');
          const finished = new Date();
          const common = {
            attempts: { increment: 1 },
            lastAttemptAt: finished,
            responseStatus: result.status,
            latencyMs: result.latencyMs,
            lastError: result.error,
          };
          if (result.ok) {
            if (delivered.length === 0) gatheringSince = Date.now();
            delivered.push({ id: delivery.id, at: finished.getTime(), status: result.status!, latencyMs: result.latencyMs });
            options.observe?.('delivered', result.latencyMs / 1000);
            if (Date.now() - gatheringSince >= FLUSH_MS) await flush();
            continue;
          }
          await flush();
          if (finished >= delivery.giveUpAt) {
            // Given up: the next event of this endpoint goes.
            await prisma.webhookDelivery.updateMany({
              where: { id: delivery.id, status: 'PENDING' },
              data: { ...common, status: 'FAILED' },
            });
            options.observe?.('failed', result.latencyMs / 1000);
            logger.warn(
              { endpointId, deliveryId: delivery.id, eventId: delivery.eventId, err: result.error },
              'webhook delivery failed for good',
            );
          } else {
            // Later events wait behind this one (order per endpoint).
            const delay = backoffMs(delivery.attempts + 1, settings);
            await prisma.webhookDelivery.updateMany({
              where: { id: delivery.id, status: 'PENDING' },
              data: { ...common, nextAttemptAt: new Date(finished.getTime() + delay) },
            });
            options.observe?.('retrying', result.latencyMs / 1000);
            return schedule(delay);
          }
        }
        await flush();
      }
    } catch (error) {
      if (alive()) logger.error({ err: error, endpointId }, 'webhook sending failed; retrying on the next round');
    } finally {
      if (alive()) {
        await flush().catch((error: unknown) =>
          logger.error({ err: error, endpointId }, 'recording webhook deliveries failed; they will be sent again'),
        );
        await release(endpointId).catch(() => {});
      }
    }
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void wake();
    }, delayMs);
    timer.unref();
    timers.add(timer);
  }

  /** One POST: resolves with the outcome, never throws. */
  function attempt(
    url: string,
    secrets: string[],
    delivery: WebhookDelivery,
  ): Promise<{ ok: boolean; status: number | null; latencyMs: number; error: string | null }> {
    const started = performance.now();
    const done = (status: number | null, error: string | null) => ({
      ok: status != null && status >= 200 && status < 300,
      status,
      latencyMs: Math.round(performance.now() - started),
      error: error?.slice(0, MAX_ERROR_LENGTH) ?? (status != null && (status < 200 || status >= 300) ? `HTTP ${status}` : null),
    });
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return resolve(done(null, 'invalid URL'));
      }
      // The address is resolved and checked here, and the connection goes to exactly that
      // address: a name re-pointed between the check and the connect (DNS rebinding) cannot win.
      const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
        resolveTarget(hostname, settings).then(
          ({ address, family }) =>
            lookupOptions.all
              ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }])
              : callback(null, address, family),
          (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
        );
      };
      const body = Buffer.from(delivery.body);
      const headers = {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': 'newsroom-gateway-webhooks/1',
        ...signedHeaders(secrets, String(delivery.eventId), delivery.body),
      };
      const client = target.protocol === 'https:' ? https : http;
      const request = client.request(target, {
        method: 'POST',
        headers,
        lookup,
        agent: target.protocol === 'https:' ? agents.https : agents.http,
      });
      requests.add(request);
      const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
      const finish = (result: ReturnType<typeof done>) => {
        clearTimeout(deadline);
        requests.delete(request);
        resolve(result);
      };
      request.on('response', (response) => {
        const status = response.statusCode ?? null;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('end', () => finish(done(status, null)));
        response.on('close', () => finish(done(status, null)));
        response.on('error', () => finish(done(status, null)));
      });
      request.on('error', (error) => finish(done(null, error.message)));
      request.end(body);
    });
  }

  // Whether the last round found no enabled endpoint, and when it looked.
  let noEndpoints = false;
  let lookedAt = 0;

  async function round() {
    if (stopped) return;
    // One statement when no endpoint is registered (most deployments, most of the time).
    lookedAt = Date.now();
    noEndpoints = !(await prisma.webhookEndpoint.findFirst({ where: { enabled: true }, select: { id: true } }));
    if (noEndpoints) return;
    await fanOut();
    if (stopped || !alive()) return;
    const claimedAt = Date.now();
    for (const endpointId of await claimDue(new Date(claimedAt))) {
      const serving = serve(endpointId, claimedAt).finally(() => {
        inflight.delete(endpointId);
        // A slot is free: an endpoint that waited for one may be due.
        if (!stopped) void wake();
      });
      inflight.set(endpointId, serving);
    }
  }

  /** Runs a round now, or once more after the one running (a wake-up during a round is not lost). */
  function wake(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await round();
      } while (again && !stopped);
    })()
      .catch((error: unknown) => {
        if (alive()) logger.error({ err: error }, 'webhook round failed; retrying on the next tick');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  const listening = options.wakeUps?.();
  // With no endpoint there is nothing to send until one is created (its first deliveries come
  // with story events, which wake the sender): while story events wake it, an idle sender looks
  // every IDLE_TICKS intervals instead of every one (a statement per tick on every gateway).
  const tick = () => {
    if (listening && noEndpoints && Date.now() - lookedAt < settings.intervalMs * IDLE_TICKS - settings.intervalMs / 2) return;
    void wake();
  };
  const interval = settings.intervalMs > 0 ? setInterval(tick, settings.intervalMs) : undefined;
  interval?.unref();
  if (listening) {
    void (async () => {
      try {
        for await (const _ of listening) void wake();
      } catch {
        // Fell behind or closed: the interval still finds every event.
      }
    })();
  }
  void wake();

  const quiet = () => {
    clearInterval(interval);
    for (const timer of timers) clearTimeout(timer);
    void listening?.return?.();
  };

  return {
    runOnce: wake,
    async idle() {
      while (running || inflight.size) await Promise.all([running, ...inflight.values()]);
    },
    async stop() {
      stopped = true;
      quiet();
      await running;
      await Promise.all(inflight.values());
      agents.http.destroy();
      agents.https.destroy();
    },
    kill() {
      killed = true;
      stopped = true;
      quiet();
      for (const request of requests) request.destroy(new Error('killed'));
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
