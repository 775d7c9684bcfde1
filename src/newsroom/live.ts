// Live story events. The committed outbox (StoryEvent) is the source of truth: every gateway
// drains it in id order and fans each event out to its own subscribers. A commit anywhere
// wakes every gateway at once (Redis, or in-process without REDIS_URL); a poll catches
// whatever a wake-up missed (a crash between commit and notify, Redis down), so nothing is
// lost, nothing is delivered twice, and order holds. While Redis wakes this gateway the poll is
// only that safety net, so it runs every `safetyPollMs` instead of every `pollMs` (one statement
// each, on every gateway: at 500 ms that was most of an idle gateway's SQL).
import { Redis } from 'ioredis';
import type { Prisma, PrismaClient, StoryEventType } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { createChannel, fellBehind, type Channel } from './channel.js';
import type { EventSubject } from './events.js';

/** An outbox event (see events.ts) as the hub fans it out, with what decides who receives it. */
export type LiveEvent = EventSubject & {
  id: number;
  type: StoryEventType;
  at: Date;
  /**
   * The article as it is now: status, kind, section, tags and the collections holding it decide
   * who gets the event.
   */
  article: { status: string; kind: string; sectionId: number; tagIds: number[]; collectionIds: number[] } | null;
};

/**
 * Whether an event may change which lists hold its article: publishing, unpublishing and edits
 * (section, tags, kind, headline) may; a correction changes the story itself, never its lists.
 */
export function mayMoveArticle(event: Pick<EventSubject, 'type' | 'articleId'>): boolean {
  // Live blog posts change the blog's posts, never the lists holding it.
  return event.articleId != null && event.type !== 'CORRECTED' && !event.type.startsWith('POST_');
}

/**
 * Whether an event may change which articles a list filtered by section, tag or author holds:
 * lists name them by slug (and a section's list includes its subsections), so a create, rename,
 * move or delete of one may refile articles among lists.
 */
export function mayRefileArticles(event: Pick<EventSubject, 'type'>): boolean {
  return /^(SECTION|TAG|AUTHOR)_/.test(event.type);
}

/** Events a subscriber may fall behind by before it is cut off (it can resume by id). */
const SUBSCRIBER_BUFFER = 5000;
const BATCH = 1000;
/**
 * The Redis channel that wakes every gateway of a deployment when story events were committed:
 * under its key prefix, so deployments sharing a Redis (staging beside production) do not wake
 * each other's gateways for nothing. The default prefix gives `newsroom:story-events`.
 */
export const wakeChannel = (redisKeyPrefix = 'newsroom:') => `${redisKeyPrefix}story-events`;

export class LiveHub {
  private lastDelivered = 0;
  private readonly subscribers = new Set<Channel<LiveEvent>>();
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private publisher: Redis | undefined;
  private listener: Redis | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Logger,
    private readonly options: {
      redisUrl?: string;
      /** REDIS_KEY_PREFIX: names the wake-up channel (`wakeChannel`). */
      redisKeyPrefix?: string;
      pollMs: number;
      /**
       * How often to poll while the Redis subscription is up (it wakes this gateway on every
       * commit); `pollMs` when Redis is not configured or not connected. Default: 10 × pollMs.
       */
      safetyPollMs?: number;
      /** Awaited when new events were read, before they are fanned out (read replicas fence on it). */
      beforeFanOut?: () => Promise<void>;
      /** Called with the ids of each batch of events read from the outbox and when the read began (LIVE_TRACE_FILE). */
      onRead?: (ids: number[], startedAt: number) => void;
    },
  ) {}

  private started: Promise<void> | undefined;
  private activeSubscriptions = 0;
  /** When the last drain started (a wake-up, a commit here or a poll). */
  private lastDrainAt = 0;
  /** Outbox reads so far, and wake-ups through Redis (tests count them). */
  reads = 0;
  wakeUps = 0;

  /** Resolves once the hub knows where the outbox stands; starts it on first use. */
  ready(): Promise<void> {
    return (this.started ??= this.start());
  }

  /** Whether something started the hub (the server does at start-up): following it then costs no extra reads. */
  get running(): boolean {
    return this.started !== undefined;
  }

  /**
   * Client subscriptions open on this gateway (WebSocket operations and SSE streams); metrics
   * read it when scraped.
   */
  get subscriptions() {
    return this.activeSubscriptions;
  }

  /** For transports that count their own clients' subscriptions (WebSockets, per operation). */
  trackSubscription(delta: 1 | -1) {
    this.activeSubscriptions += delta;
  }

  /** Starts at the newest committed event: history is for clients that resume with an id. */
  private async start() {
    const newest = await this.prisma.storyEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    this.lastDelivered = newest?.id ?? 0;
    if (this.options.redisUrl) {
      // Two connections: one in subscriber mode cannot publish. Errors are logged, never thrown:
      // without Redis the poll below still delivers, only later.
      const connect = () =>
        new Redis(this.options.redisUrl!, { maxRetriesPerRequest: 1 }).on('error', (error: Error) =>
          this.logger.warn({ err: error.message }, 'redis unavailable: live updates fall back to polling the outbox'),
        );
      this.publisher = connect();
      this.listener = connect();
      this.listener.on('message', () => {
        this.wakeUps += 1;
        void this.drain();
      });
      // Connected again (ioredis subscribes again): what was committed meanwhile woke nobody here.
      this.listener.on('ready', () => void this.drain());
      // Waits a little for the subscription, but with Redis down the gateway starts anyway;
      // ioredis subscribes again when it reconnects.
      const subscribed = this.listener.subscribe(wakeChannel(this.options.redisKeyPrefix)).catch(() => {});
      await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
    const safetyPollMs = this.options.safetyPollMs ?? this.options.pollMs * 10;
    this.pollTimer = setInterval(() => {
      // Redis wakes this gateway on every commit: the poll only catches a wake-up that was lost.
      if (this.redisWakesUs() && Date.now() - this.lastDrainAt < safetyPollMs) return;
      void this.drain();
    }, this.options.pollMs);
    this.pollTimer.unref();
  }

  /** Whether the Redis subscription is up, so every commit (here or on another gateway) wakes this one. */
  private redisWakesUs(): boolean {
    return this.listener?.status === 'ready';
  }

  /**
   * Call after committing story events: wakes every gateway (this one included). Resolves once
   * this gateway has fanned them out, so a writer that awaits it reads its own writes here: the
   * response cache has purged what the change made stale before the writer's next request.
   */
  async notify(): Promise<void> {
    if (!this.started) return; // nobody is listening here yet; other gateways poll or get woken below
    this.publisher?.publish(wakeChannel(this.options.redisKeyPrefix), '1').catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'could not wake other gateways; they will poll');
    });
    await this.drain();
  }

  /** The id of the newest event fanned out so far. */
  get position() {
    return this.lastDelivered;
  }

  /**
   * Live events from the moment of this call; buffered per subscriber, so a slow one never
   * stalls the others (one that falls too far behind is ended and can resume by id).
   */
  subscribe(): AsyncIterableIterator<LiveEvent> {
    const channel = createChannel<LiveEvent>({
      capacity: SUBSCRIBER_BUFFER,
      overflowError: fellBehind,
      onClose: () => {
        this.subscribers.delete(channel);
      },
    });
    this.subscribers.add(channel);
    return channel;
  }

  /**
   * Events a client follows: those after `after` it missed first, then live ones, each once and
   * in order, as far as `accept` takes them. The live stream is opened before the backlog is
   * read, so nothing falls between the two. `counted` counts it in `subscriptions` while it is
   * open (false where the transport counts its clients itself).
   */
  follow(after: number | null, accept: (e: LiveEvent) => boolean, options: { counted: boolean }): AsyncIterableIterator<LiveEvent> {
    const live = this.subscribe();
    const events = this.resume(live, after, accept, options.counted);
    // A generator waiting for its next event cannot run `return()` until one arrives: a client
    // that went away (an SSE stream cancelled, a WebSocket `complete`) would hold its subscription
    // until the next story. Ending the live channel first wakes the generator, which then finishes.
    const end = () => void live.return?.();
    return {
      next: () => events.next(),
      return: (value?: unknown) => {
        end();
        return events.return(value as never);
      },
      throw: (error?: unknown) => {
        end();
        return events.throw(error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private async *resume(
    live: AsyncIterableIterator<LiveEvent>,
    after: number | null,
    accept: (e: LiveEvent) => boolean,
    counted: boolean,
  ): AsyncGenerator<LiveEvent> {
    await this.ready();
    if (counted) this.trackSubscription(+1);
    try {
      let last = after ?? this.position;
      if (after != null) {
        // Page through what was missed up to where the live stream took over.
        const upto = this.position;
        for (let page = await this.backlog(after, upto); page.length; page = await this.backlog(last, upto)) {
          for (const e of page) {
            last = e.id;
            if (accept(e)) yield e;
          }
        }
      }
      for await (const e of live) {
        if (e.id <= last) continue;
        last = e.id;
        if (accept(e)) yield e;
      }
    } finally {
      if (counted) this.trackSubscription(-1);
      await live.return?.();
    }
  }

  /** Up to a page of committed events after `after` up to `upto`, oldest first. */
  private async backlog(after: number, upto: number): Promise<LiveEvent[]> {
    if (upto <= after) return [];
    return this.load({ id: { gt: after, lte: upto } }, BATCH);
  }

  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.lastDrainAt = Date.now();
    this.draining = (async () => {
      try {
        do {
          this.drainAgain = false;
          let events: LiveEvent[];
          do {
            const startedAt = this.options.onRead && performance.timeOrigin + performance.now();
            events = await this.load({ id: { gt: this.lastDelivered } }, BATCH);
            if (events.length && startedAt)
              this.options.onRead!(
                events.map((e) => e.id),
                startedAt,
              );
            if (events.length) await this.options.beforeFanOut?.();
            for (const event of events) {
              this.lastDelivered = event.id;
              for (const subscriber of this.subscribers) subscriber.push(event);
            }
          } while (events.length === BATCH);
        } while (this.drainAgain);
      } catch (error) {
        this.logger.error({ err: error }, 'reading the story-event outbox failed; retrying on the next poll');
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  /** Committed events as LiveEvents (the article as it is now), oldest first; for followers with a cursor of their own. */
  async load(where: Prisma.StoryEventWhereInput, take: number): Promise<LiveEvent[]> {
    this.reads += 1;
    const rows = await this.prisma.storyEvent.findMany({ where, orderBy: { id: 'asc' }, take });
    const articleIds = [...new Set(rows.flatMap((r) => (r.articleId ? [r.articleId] : [])))];
    const articles = articleIds.length
      ? await this.prisma.article.findMany({
          where: { id: { in: articleIds } },
          select: {
            id: true,
            status: true,
            kind: true,
            sectionId: true,
            tags: { select: { tagId: true } },
            collectionItems: { select: { collectionId: true } },
          },
        })
      : [];
    const byId = new Map(
      articles.map((a) => [
        a.id,
        {
          status: a.status,
          kind: a.kind,
          sectionId: a.sectionId,
          tagIds: a.tags.map((t) => t.tagId),
          collectionIds: a.collectionItems.map((c) => c.collectionId),
        },
      ]),
    );
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      at: r.createdAt,
      articleId: r.articleId,
      editionId: r.editionId,
      sectionId: r.sectionId,
      collectionId: r.collectionId,
      tagId: r.tagId,
      authorId: r.authorId,
      postId: r.postId,
      article: r.articleId ? (byId.get(r.articleId) ?? null) : null,
    }));
  }

  /** Ends every live stream (their clients see them complete) and stops listening. */
  async stop() {
    clearInterval(this.pollTimer);
    for (const subscriber of this.subscribers) subscriber.close();
    await this.draining;
    for (const client of [this.listener, this.publisher]) {
      if (client) await client.quit().catch(() => client.disconnect());
    }
  }
}
