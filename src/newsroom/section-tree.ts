// The section tree (every section's id, slug and parent), kept by one gateway for all its requests.
// A list of a section includes its subsections, so every section front, section-filtered list,
// search and subscription expands a slug to its subtree; reading the small table for that cost
// each of them a statement. Sections change rarely and every change writes a story event
// (SECTION_CREATED/UPDATED/DELETED), so the tree is read once and dropped on those events, the way
// the response cache purges: this gateway drains the outbox before a writer's mutation answers
// (read-your-writes), and every other gateway drops its copy as soon as it drains the event.
// It never starts the live hub itself (the server does at start-up): until the hub runs, and
// while it catches up after falling behind, every call reads the table, as before.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { LiveHub } from './live.js';

export type SectionRow = { id: number; slug: string; parentId: number | null };

const SECTION_EVENTS: ReadonlySet<string> = new Set(['SECTION_CREATED', 'SECTION_UPDATED', 'SECTION_DELETED']);

export const readSections = (prisma: PrismaClient): Promise<SectionRow[]> =>
  prisma.section.findMany({ select: { id: true, slug: true, parentId: true } });

export class SectionTree {
  private rows: Promise<SectionRow[]> | undefined;
  private following = false;
  private subscribed: Promise<void> | undefined;
  /** Reads of the table so far (tests count them). */
  reads = 0;

  constructor(
    private readonly live: LiveHub,
    private readonly logger: Logger,
  ) {}

  /** Every section. `prisma` is the asking request's client (an anonymous reader's or an editor's). */
  read(prisma: PrismaClient): Promise<SectionRow[]> {
    if (this.following) {
      if (!this.rows) {
        // A read that fails is not kept; one that an event overtakes is dropped by the event.
        const rows = this.load(prisma);
        this.rows = rows;
        rows.catch(() => {
          if (this.rows === rows) this.rows = undefined;
        });
      }
      return this.rows;
    }
    if (!this.live.running) return this.load(prisma);
    // The hub runs (on a started server it is ready at once): follow it from now on, this read included.
    const subscribed = (this.subscribed ??= this.follow());
    return subscribed.then(
      () => (this.following ? this.read(prisma) : this.load(prisma)),
      () => this.load(prisma),
    );
  }

  private load(prisma: PrismaClient) {
    this.reads += 1;
    return readSections(prisma);
  }

  /** Follows the hub's events for good; resolves once it does (the hub is ready and subscribed). */
  private follow(): Promise<void> {
    const ready = this.live.ready();
    void (async () => {
      await ready;
      for (;;) {
        const events = this.live.subscribe();
        this.rows = undefined;
        this.following = true;
        try {
          for await (const event of events) if (SECTION_EVENTS.has(event.type)) this.rows = undefined;
          return; // the hub stopped
        } catch (error) {
          this.logger.warn({ err: error }, 'section tree fell behind the story events; reading it again');
        } finally {
          this.following = false;
          this.rows = undefined;
        }
      }
    })().catch((error: unknown) => this.logger.error({ err: error }, 'section tree cannot follow story events; read per request'));
    // The loop above awaited `ready` first, so it follows by the time this resolves.
    return ready;
  }
}
