// Partner feeds and sitemaps, read back through a real server with real parsers: rss-parser for
// RSS and Atom, fast-xml-parser's validator for well-formed XML, JSON.parse for JSON Feed.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import RssParser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import type { EventSubject } from '../src/newsroom/events.js';
import { surrogateKeysToPurge } from '../src/schema/index.js';
import { createGateway } from '../src/server/gateway.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createTestDatabase, keyHeader, testConfig, type TestDatabase } from './helpers.js';

const SITE = 'https://news.example.org';
/** Markup, quotes, an ampersand and two ends of a CDATA section: escaped in every format. */
const TRICKY = 'Fish & chips <b>"cheap"</b> ]]> again ]]> and again';
const HOUR = 60 * 60 * 1000;

let db: TestDatabase;
let gateway: RunningGateway;
let origin: string;
const ids: Record<string, number> = {};
const parser = new RssParser();

beforeAll(async () => {
  db = await createTestDatabase();
  const { prisma } = db;
  const news = await prisma.section.create({ data: { slug: 'news', name: 'News' } });
  const world = await prisma.section.create({ data: { slug: 'world', name: 'World', parentId: news.id } });
  const sport = await prisma.section.create({ data: { slug: 'sport', name: 'Sport & Games' } });
  const alice = await prisma.author.create({ data: { slug: 'alice', name: 'Alice <Ace> Adams' } });
  const bob = await prisma.author.create({ data: { slug: 'bob', name: 'Bob Brown' } });
  // A control character (pasted into a name) that XML 1.0 cannot carry, even escaped.
  const climate = await prisma.tag.create({ data: { slug: 'climate', name: 'Cli\u0007mate' } });
  const football = await prisma.tag.create({ data: { slug: 'football', name: 'Football' } });
  Object.assign(ids, { news: news.id, world: world.id, sport: sport.id, alice: alice.id, climate: climate.id });
  const now = Date.now();
  const article = async (
    slug: string,
    data: { status: 'PUBLISHED' | 'DRAFT' | 'SCHEDULED' | 'UNPUBLISHED'; ago: number; section: number; author: number; tag: number },
    headline = `Headline of ${slug}`,
  ) => {
    const row = await prisma.article.create({
      data: {
        slug,
        headline,
        summary: `Summary of ${slug} & more`,
        status: data.status,
        sectionId: data.section,
        publishedAt: data.status === 'PUBLISHED' || data.status === 'UNPUBLISHED' ? new Date(now - data.ago) : null,
        bylines: { create: [{ authorId: data.author, position: 0 }] },
        tags: { create: [{ tagId: data.tag }] },
      },
    });
    ids[slug] = row.id;
  };
  await article('tricky', { status: 'PUBLISHED', ago: 1 * HOUR, section: world.id, author: alice.id, tag: climate.id }, TRICKY);
  await article('match-report', { status: 'PUBLISHED', ago: 2 * HOUR, section: sport.id, author: bob.id, tag: football.id });
  await article('home-news', { status: 'PUBLISHED', ago: 3 * HOUR, section: news.id, author: bob.id, tag: climate.id });
  await article('old-story', { status: 'PUBLISHED', ago: 72 * HOUR, section: sport.id, author: alice.id, tag: football.id });
  await article('secret-draft', { status: 'DRAFT', ago: 0, section: world.id, author: alice.id, tag: climate.id });
  await article('scheduled-story', { status: 'SCHEDULED', ago: 0, section: world.id, author: alice.id, tag: climate.id });
  await article('pulled-story', { status: 'UNPUBLISHED', ago: 1 * HOUR, section: world.id, author: alice.id, tag: climate.id });
  gateway = await serveGateway({
    config: testConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SCHEDULER_INTERVAL_MS: '0',
      POPULARITY_REFRESH_MS: '0',
      PUBLIC_SITE_URL: `${SITE}/`,
      RATE_LIMIT_PER_MINUTE: '1000',
    }),
    db,
    logger: createLogger('silent'),
  });
  origin = new URL(gateway.url).origin;
});

afterAll(async () => {
  await gateway?.stop();
  await db?.dispose();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${origin}${path}`, { headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A feed's body, checked to be well-formed XML first. */
async function xml(path: string) {
  const response = await get(path);
  expect(response.status, `${path}: ${response.body}`).toBe(200);
  expect(XMLValidator.validate(response.body)).toBe(true);
  // What XML 1.0 forbids, which the validator lets through.
  expect(response.body).not.toMatch(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
  return response;
}

const slugsOf = (links: (string | undefined)[]) => links.map((link) => link!.replace(`${SITE}/article/`, ''));
const PUBLISHED = ['tricky', 'match-report', 'home-news', 'old-story'];
const HIDDEN = ['secret-draft', 'scheduled-story', 'pulled-story', 'Headline of secret-draft'];

describe('site feeds', () => {
  it('RSS 2.0 lists the published stories newest first, with absolute links and escaped text', async () => {
    const response = await xml('/feeds/rss.xml');
    expect(response.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    for (const hidden of HIDDEN) expect(response.body).not.toContain(hidden);
    const feed = await parser.parseString(response.body);
    expect(slugsOf(feed.items.map((item) => item.link))).toEqual(PUBLISHED);
    expect(feed.items[0]!.title).toBe(TRICKY);
    expect(feed.items[0]!.guid).toBe(`${SITE}/article/tricky`);
    expect(feed.items[0]!.contentSnippet ?? feed.items[0]!.content).toContain('Summary of tricky & more');
    expect(feed.items[0]!.categories).toEqual(expect.arrayContaining(['World', 'Climate']));
    expect(feed.link).toBe(`${SITE}/`);
  });

  it('Atom lists the same stories, with their authors', async () => {
    const response = await xml('/feeds/atom.xml');
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = await parser.parseString(response.body);
    expect(slugsOf(feed.items.map((item) => item.link))).toEqual(PUBLISHED);
    expect(feed.items[0]!.title).toBe(TRICKY);
    expect(feed.items[0]!.author).toBe('Alice <Ace> Adams');
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(response.body);
    expect(parsed.feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(parsed.feed.id).toBe(`${SITE}/feeds/atom.xml`);
  });

  it('JSON Feed 1.1 lists the same stories with every name of the byline', async () => {
    const response = await get('/feeds/feed.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    const feed = JSON.parse(response.body);
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.feed_url).toBe(`${SITE}/feeds/feed.json`);
    expect(feed.language).toBe('en');
    expect(slugsOf(feed.items.map((item: { url: string }) => item.url))).toEqual(PUBLISHED);
    expect(feed.items[0]).toMatchObject({ title: TRICKY, id: `${SITE}/article/tricky`, authors: [{ name: 'Alice <Ace> Adams' }] });
    expect(feed.items[0].author).toBeUndefined();
    expect(feed.items[0].content_text).toBe('Summary of tricky & more');
    for (const hidden of HIDDEN) expect(response.body).not.toContain(hidden);
  });
});

describe('scoped feeds', () => {
  it('a section feed holds the section and its subsections only', async () => {
    const feed = await parser.parseString((await xml('/feeds/section/news/rss.xml')).body);
    expect(slugsOf(feed.items.map((item) => item.link))).toEqual(['tricky', 'home-news']);
    expect(feed.title).toBe('The Daily Gateway: News');
    const sport = await parser.parseString((await xml('/feeds/section/sport/atom.xml')).body);
    expect(slugsOf(sport.items.map((item) => item.link))).toEqual(['match-report', 'old-story']);
  });

  it('a tag feed and an author feed hold their stories only, drafts never', async () => {
    const tag = JSON.parse((await get('/feeds/tag/climate/feed.json')).body);
    expect(slugsOf(tag.items.map((item: { url: string }) => item.url))).toEqual(['tricky', 'home-news']);
    const author = await parser.parseString((await xml('/feeds/author/alice/rss.xml')).body);
    expect(slugsOf(author.items.map((item) => item.link))).toEqual(['tricky', 'old-story']);
    expect(author.title).toBe('The Daily Gateway: Alice <Ace> Adams');
  });

  it('an unknown section, tag or author is 404; an unknown path is not a feed', async () => {
    for (const path of ['/feeds/section/nope/rss.xml', '/feeds/tag/nope/atom.xml', '/feeds/author/nope/feed.json']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
    expect((await get('/feeds/rss.txt')).status).toBe(404);
    expect((await get('/sitemaps/news-2.xml')).status).toBe(404); // only one file's worth of stories
  });

  it('refuses other methods with 405', async () => {
    const response = await fetch(`${origin}/feeds/rss.xml`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('sitemaps', () => {
  it('the Google News sitemap lists the published stories of the last 48 hours', async () => {
    const response = await xml('/sitemaps/news.xml');
    expect(response.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const parsed = new XMLParser({ isArray: (name) => name === 'url' }).parse(response.body);
    const urls = parsed.urlset.url as { loc: string; 'news:news': Record<string, any> }[];
    expect(slugsOf(urls.map((url) => url.loc))).toEqual(['tricky', 'match-report', 'home-news']);
    const tricky = urls[0]!['news:news'];
    expect(tricky['news:title']).toBe(TRICKY);
    expect(tricky['news:publication']).toEqual({ 'news:name': 'The Daily Gateway', 'news:language': 'en' });
    expect(Date.parse(tricky['news:publication_date'])).toBeGreaterThan(Date.now() - 2 * HOUR);
    for (const hidden of [...HIDDEN, 'old-story']) expect(response.body).not.toContain(hidden);
  });

  it('the sitemap index points at the news sitemap files', async () => {
    const response = await xml('/sitemap.xml');
    const parsed = new XMLParser({ isArray: (name) => name === 'sitemap' }).parse(response.body);
    expect(parsed.sitemapindex.sitemap.map((entry: { loc: string }) => entry.loc)).toEqual([`${SITE}/sitemaps/news.xml`]);
  });
});

describe('HTTP caching', () => {
  it('sends ETag, Last-Modified, Cache-Control and surrogate keys, and answers If-None-Match with 304', async () => {
    const first = await xml('/feeds/section/news/atom.xml');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+, stale-while-revalidate=\d+$/);
    expect(Date.parse(first.headers.get('last-modified')!)).toBeGreaterThan(Date.now() - 2 * HOUR);
    const keys = first.headers.get('surrogate-key')!.split(' ');
    expect(keys).toEqual(
      expect.arrayContaining([
        'ArticleList',
        `Article:${ids.tricky}`,
        `Article:${ids['home-news']}`,
        `Section:${ids.news}`,
        `Section:${ids.world}`,
      ]),
    );
    expect(keys).not.toContain(`Article:${ids['secret-draft']}`);

    const again = await get('/feeds/section/news/atom.xml', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('surrogate-key')).toBe(first.headers.get('surrogate-key'));
    // Another feed's tag does not match.
    expect((await get('/feeds/rss.xml', { 'if-none-match': etag })).status).toBe(200);
  });

  it('the story events that purge GraphQL results name the keys the feeds carry', async () => {
    const feed = await get('/feeds/rss.xml');
    const keys = new Set(feed.headers.get('surrogate-key')!.split(' '));
    const event = (type: EventSubject['type'], articleId: number): EventSubject => ({
      type,
      articleId,
      editionId: null,
      sectionId: ids.world!,
      collectionId: null,
      tagId: null,
      authorId: null,
      postId: null,
    });
    // A correction purges the story itself; a new story purges every list of articles.
    for (const [type, id] of [
      ['CORRECTED', ids.tricky],
      ['PUBLISHED', ids['secret-draft']],
      ['UNPUBLISHED', ids.tricky],
    ] as const) {
      const purged = surrogateKeysToPurge(event(type, id!));
      expect(
        purged.some((key) => keys.has(key)),
        `${type}: ${purged.join(' ')}`,
      ).toBe(true);
    }
  });

  it('changes its ETag when a story is published', async () => {
    const before = (await get('/feeds/tag/climate/rss.xml')).headers.get('etag');
    await db.prisma.article.update({ where: { id: ids['secret-draft'] }, data: { status: 'PUBLISHED', publishedAt: new Date() } });
    try {
      const after = await get('/feeds/tag/climate/rss.xml', { 'if-none-match': before! });
      expect(after.status).toBe(200);
      expect(after.body).toContain('Headline of secret-draft');
    } finally {
      await db.prisma.article.update({ where: { id: ids['secret-draft'] }, data: { status: 'DRAFT', publishedAt: null } });
    }
  });
});

describe('front door', () => {
  it('a bad API key is 401 on a feed as on /graphql; a good one reads the public feed', async () => {
    const bad = await get('/feeds/rss.xml', { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
    expect(bad.body).not.toMatch(/at \w+ \(/); // no stack
    const editor = await keyHeader(db, 'EDITOR');
    const keyed = await get('/feeds/rss.xml', editor);
    expect(keyed.status).toBe(200);
    // Still the public feed: an editor's key shows no drafts here.
    for (const hidden of HIDDEN) expect(keyed.body).not.toContain(hidden);
  });

  it('counts feed requests against the rate limit and names them in /metrics', async () => {
    const limited = await serveGateway({
      config: testConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        SCHEDULER_INTERVAL_MS: '0',
        POPULARITY_REFRESH_MS: '0',
        RATE_LIMIT_PER_MINUTE: '3',
      }),
      db,
      logger: createLogger('silent'),
    });
    try {
      const url = `${new URL(limited.url).origin}/feeds/atom.xml`;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(url)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await fetch(url);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      const metrics = await (await fetch(`${new URL(limited.url).origin}/metrics`)).text();
      // The process's registry: the 429s are this gateway's only.
      expect(metrics).toMatch(
        /newsroom_http_request_duration_seconds_count\{operation_name="atom-feed",operation_type="feed",status="429"\} 2\n/,
      );
    } finally {
      await limited.stop();
    }
  });
});

describe('many stories (last: it adds 1,001)', () => {
  it('HEAD answers with the headers of GET and no body', async () => {
    const got = await get('/feeds/rss.xml');
    const head = await fetch(`${origin}/feeds/rss.xml`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(got.headers.get('etag'));
    expect(await head.text()).toBe('');
  });

  it('a feed costs the same statements for 4 stories as for 50; the news sitemap splits past 1,000', async () => {
    const statements = async (path: string) => {
      const before = db.statements.length;
      expect((await get(path)).status).toBe(200);
      // Without the live hub's outbox polls, which run meanwhile.
      return db.statements.slice(before).filter((sql) => !sql.includes('"StoryEvent"')).length;
    };
    // The section, the section tree, the articles with their bylines, tags and sections.
    const few = await statements('/feeds/section/sport/rss.xml');
    expect(few).toBe(3);
    const section = await db.prisma.section.findUniqueOrThrow({ where: { slug: 'sport' } });
    const start = Date.now() - 10 * HOUR;
    await db.prisma.article.createMany({
      data: Array.from({ length: 1001 }, (_, i) => ({
        slug: `bulk-${i}`,
        headline: `Bulk story ${i}`,
        status: 'PUBLISHED' as const,
        sectionId: section.id,
        publishedAt: new Date(start - i * 1000),
      })),
    });
    const bulk = await db.prisma.article.findMany({ where: { slug: { startsWith: 'bulk-' } }, select: { id: true } });
    await db.prisma.articleAuthor.createMany({ data: bulk.map((row) => ({ articleId: row.id, authorId: ids.alice! })) });
    const many = await statements('/feeds/section/sport/rss.xml');
    expect(many).toBe(few);
    const feed = await parser.parseString((await xml('/feeds/section/sport/rss.xml')).body);
    expect(feed.items).toHaveLength(50);

    // 3 + 1,001 stories of the last 48 h: two files, 1,000 and 4.
    const index = new XMLParser({ isArray: (name) => name === 'sitemap' }).parse((await xml('/sitemap.xml')).body);
    expect(index.sitemapindex.sitemap.map((entry: { loc: string }) => entry.loc)).toEqual([
      `${SITE}/sitemaps/news.xml`,
      `${SITE}/sitemaps/news-2.xml`,
    ]);
    const urlsOf = async (path: string) =>
      slugsOf(
        new XMLParser({ isArray: (name) => name === 'url' })
          .parse((await xml(path)).body)
          .urlset.url.map((url: { loc: string }) => url.loc),
      );
    const first = await urlsOf('/sitemaps/news.xml');
    expect(first).toHaveLength(1000);
    expect(first.slice(0, 4)).toEqual(['tricky', 'match-report', 'home-news', 'bulk-0']);
    expect(await urlsOf('/sitemaps/news-2.xml')).toEqual(['bulk-997', 'bulk-998', 'bulk-999', 'bulk-1000']);
    expect((await get('/sitemaps/news-3.xml')).status).toBe(404);
  });
});

describe('capacity', () => {
  it('feeds count among MAX_ANONYMOUS_OPERATIONS: beyond it 503 with Retry-After, and the place is given back', async () => {
    const busy = createGateway({ config: testConfig({ MAX_ANONYMOUS_OPERATIONS: '1' }), db, logger: createLogger('silent') });
    try {
      // In-process: all five reach the limit check before the first one's statements are answered.
      const responses = await Promise.all(Array.from({ length: 5 }, () => busy.yoga.fetch('http://gateway.test/feeds/rss.xml')));
      const statuses = responses.map((response) => response.status);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      const refused = responses.find((response) => response.status === 503)!;
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await busy.yoga.fetch('http://gateway.test/feeds/rss.xml')).status).toBe(200);
    } finally {
      busy.observability.close();
      await busy.frontDoor.close();
      await busy.live.stop();
    }
  });
});
