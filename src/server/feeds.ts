// Partner feeds and sitemaps over HTTP, for aggregators and search engines:
//
//   /feeds/rss.xml, /feeds/atom.xml, /feeds/feed.json                 the whole site
//   /feeds/{section|tag|author}/{slug}/{rss.xml|atom.xml|feed.json}   one section (with its
//                                                                      subsections), tag or author
//   /sitemap.xml                                                       sitemap index
//   /sitemaps/news.xml, /sitemaps/news-2.xml, …                        Google News sitemap: the last
//                                                                      48 h, 1,000 stories a file
//
// Rendered by `feed` (RSS 2.0, Atom; its JSON Feed 1 raised to 1.1) and `sitemap`, from the
// domain's published-article query (src/newsroom/feeds.ts), as an anonymous reader. Links are
// absolute, on PUBLIC_SITE_URL; an article is `${PUBLIC_SITE_URL}/article/{slug}`.
//
// A yoga plugin, so each request passes the front door (rate limit per key or address, a bad key
// is 401), counts among MAX_ANONYMOUS_OPERATIONS (503 SERVER_BUSY beyond) and gets a request id,
// a log line and a histogram entry like every other request.
// Responses carry an ETag (answered with 304), Last-Modified, the list TTL as Cache-Control and a
// Surrogate-Key header with the names the GraphQL response cache uses (`Article`, `Article:12`,
// `Section:3` …), so the story events that purge GraphQL results purge feeds too.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Feed } from 'feed';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { SitemapIndexStream, SitemapStream, streamToPromise, type SitemapItemLoose } from 'sitemap';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../logger.js';
import { anonymous } from '../newsroom/auth.js';
import {
  countArticlesSince,
  type FeedArticle,
  type FeedScope,
  type FeedSubject,
  findFeedSubject,
  latestArticles,
} from '../newsroom/feeds.js';
import { createReader } from '../newsroom/reader.js';
import { domainCacheEntity } from '../schema/cache-rules.js';
import { type AnonymousCapacity, serverBusy } from './database-capacity.js';
import type { FrontDoor } from './front-door.js';
import { etagMatches } from './http-cache.js';
import { isDatabaseUnavailable, type Observability } from './observability.js';
import { surrogateKey } from './response-cache.js';

/** Items in an RSS, Atom or JSON feed. */
export const FEED_ITEMS = 50;
/** Google News reads stories of the last two days, at most 1,000 per sitemap file. */
export const NEWS_WINDOW_MS = 48 * 60 * 60 * 1000;
export const NEWS_PER_FILE = 1000;

type FeedFormat = 'rss' | 'atom' | 'json';
const FORMATS: Record<string, FeedFormat> = { 'rss.xml': 'rss', 'atom.xml': 'atom', 'feed.json': 'json' };
const CONTENT_TYPES: Record<FeedFormat | 'sitemap', string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
  sitemap: 'application/xml; charset=utf-8',
};

type Route = { kind: 'feed'; scope: FeedScope; format: FeedFormat } | { kind: 'sitemap-index' } | { kind: 'news-sitemap'; page: number };

/** The route of a path, or undefined when it is none of ours. */
export function routeOf(pathname: string): Route | undefined {
  if (pathname === '/sitemap.xml') return { kind: 'sitemap-index' };
  const news = /^\/sitemaps\/news(?:-([1-9]\d{0,5}))?\.xml$/.exec(pathname);
  if (news) return { kind: 'news-sitemap', page: news[1] ? Number(news[1]) : 1 };
  const site = /^\/feeds\/([a-z.]+)$/.exec(pathname);
  if (site && FORMATS[site[1]!]) return { kind: 'feed', scope: { kind: 'site' }, format: FORMATS[site[1]!]! };
  const scoped = /^\/feeds\/(section|tag|author)\/([^/]{1,200})\/([a-z.]+)$/.exec(pathname);
  if (scoped && FORMATS[scoped[3]!]) {
    let slug: string;
    try {
      slug = decodeURIComponent(scoped[2]!);
    } catch {
      return undefined;
    }
    return { kind: 'feed', scope: { kind: scoped[1] as 'section' | 'tag' | 'author', slug }, format: FORMATS[scoped[3]!]! };
  }
  return undefined;
}

/** What a route renders: its body, when it last changed, and the surrogate keys that purge it. */
type Document = { body: string; contentType: string; lastModified?: Date; keys: Set<string> };

export function useFeeds(options: {
  config: Config;
  db: Database;
  frontDoor: FrontDoor;
  /** Feeds read on the anonymous pool, so they count among MAX_ANONYMOUS_OPERATIONS. */
  capacity: AnonymousCapacity;
  observability: Observability;
  logger: Logger;
}): Plugin {
  const { config, db, frontDoor, capacity, observability, logger } = options;
  const site = config.site;
  const maxAge = Math.floor(config.responseCache.listTtlMs / 1000);
  const cacheControl = `public, max-age=${maxAge}, stale-while-revalidate=${maxAge}`;

  async function render(route: Route): Promise<Document | undefined> {
    // Feeds are public: whoever asks, they list what an anonymous reader sees.
    const reader = createReader(db.readers, anonymous);
    if (route.kind === 'feed') {
      const subject = await findFeedSubject(reader, route.scope);
      if (route.scope.kind !== 'site' && !subject) return undefined;
      const articles = await latestArticles(reader, route.scope, { limit: FEED_ITEMS });
      return renderFeed(route, subject, articles);
    }
    const since = new Date(Date.now() - NEWS_WINDOW_MS);
    const files = Math.max(1, Math.ceil((await countArticlesSince(reader, since)) / NEWS_PER_FILE));
    if (route.kind === 'sitemap-index') {
      const urls = Array.from({ length: files }, (_, i) => `${site.url}/sitemaps/${i === 0 ? 'news' : `news-${i + 1}`}.xml`);
      const body = await streamToPromise(Readable.from(urls).pipe(new SitemapIndexStream()));
      // The number of files changes as stories are published and unpublished.
      return { body: body.toString('utf8'), contentType: CONTENT_TYPES.sitemap, keys: new Set([key('article')]) };
    }
    if (route.page > files) return undefined;
    const articles = await latestArticles(
      reader,
      { kind: 'site' },
      { limit: NEWS_PER_FILE, offset: (route.page - 1) * NEWS_PER_FILE, since },
    );
    const items: SitemapItemLoose[] = articles.map((article) => ({
      url: articleUrl(article),
      lastmod: changedAt(article).toISOString(),
      news: {
        publication: { name: site.name, language: site.language },
        publication_date: article.publishedAt.toISOString(),
        title: xmlText(article.headline),
      },
    }));
    const stream = new SitemapStream({ xmlns: { news: true, image: false, video: false, xhtml: false } });
    const body = await streamToPromise(Readable.from(items).pipe(stream));
    return {
      body: body.toString('utf8'),
      contentType: CONTENT_TYPES.sitemap,
      lastModified: newest(articles),
      keys: new Set([key('article'), ...articles.map((article) => key('article', article.id))]),
    };
  }

  function renderFeed(route: Extract<Route, { kind: 'feed' }>, subject: FeedSubject | null, articles: FeedArticle[]): Document {
    const base = subject ? `${site.url}/feeds/${subject.kind}/${encodeURIComponent(subject.slug)}` : `${site.url}/feeds`;
    const lastModified = newest(articles);
    const feed = new Feed({
      id: `${base}/atom.xml`,
      title: xmlText(subject ? `${site.name}: ${subject.name}` : site.name),
      description: xmlText(subject?.description ?? (subject ? `The latest from ${subject.name}` : `The latest from ${site.name}`)),
      link: `${site.url}/`,
      language: site.language,
      // Without it the library stamps the current time, and every response would differ.
      updated: lastModified ?? new Date(0),
      generator: false,
      copyright: `© ${site.name}`,
      feedLinks: { rss: `${base}/rss.xml`, atom: `${base}/atom.xml`, json: `${base}/feed.json` },
    });
    const keys = new Set([key('article')]);
    if (subject) keys.add(key(subject.kind, subject.id));
    for (const article of articles) {
      feed.addItem({
        title: cdataText(article.headline),
        id: articleUrl(article),
        link: articleUrl(article),
        description: article.summary == null ? undefined : cdataText(article.summary),
        date: changedAt(article),
        published: article.publishedAt,
        author: article.authors.map((author) => ({ name: xmlText(author.name) })),
        category: [{ name: xmlText(article.section.name) }, ...article.tags.map((tag) => ({ name: xmlText(tag.name) }))],
      });
      keys.add(key('article', article.id)).add(key('section', article.section.id));
      for (const author of article.authors) keys.add(key('author', author.id));
      for (const tag of article.tags) keys.add(key('tag', tag.id));
    }
    const body = route.format === 'rss' ? feed.rss2() : route.format === 'atom' ? feed.atom1() : jsonFeed11(feed, articles, site.language);
    return { body, contentType: CONTENT_TYPES[route.format], lastModified, keys };
  }

  const articleUrl = (article: FeedArticle) => `${site.url}/article/${encodeURIComponent(article.slug)}`;

  async function respond(request: Request, req: IncomingMessage | undefined, route: Route): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(405, 'Method not allowed: use GET or HEAD.', { allow: 'GET, HEAD' });
    }
    observability.nameRequest(request, {
      operationName: route.kind === 'feed' ? `${route.format}-feed` : route.kind,
      operationType: 'feed',
    });
    try {
      // A partner's key spends its own budget; a bad key is a 401 as on every path.
      await frontDoor.admit(request.headers.get('authorization'), frontDoor.addressOf(req));
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      const http = error.extensions.http as { status?: number; headers?: Record<string, string> } | undefined;
      return plain(http?.status ?? 400, error.message, http?.headers);
    }
    // No place, or the reader left while waiting for its turn (then nobody reads this answer).
    if (!(await capacity.enter(request.signal))) {
      const busy = serverBusy();
      const http = busy.extensions.http as { status: number; headers: Record<string, string> };
      return plain(http.status, busy.message, http.headers);
    }
    let document: Document | undefined;
    try {
      document = await render(route);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        logger.warn({ err: errorMessage(error) }, 'database unavailable');
        return plain(503, 'The database is unavailable. Try again shortly.', { 'retry-after': '5' });
      }
      logger.error({ err: error }, 'rendering a feed failed');
      return plain(500, 'The feed could not be rendered.');
    } finally {
      capacity.leave();
    }
    if (!document) return plain(404, 'No such feed: unknown section, tag, author or sitemap file.');
    const etag = `"${createHash('sha256').update(document.body).digest('base64url').slice(0, 27)}"`;
    const headers: Record<string, string> = {
      etag,
      'cache-control': cacheControl,
      'surrogate-key': [...document.keys].sort().join(' '),
    };
    if (document.lastModified) headers['last-modified'] = document.lastModified.toUTCString();
    if (etagMatches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
    headers['content-type'] = document.contentType;
    return new Response(request.method === 'HEAD' ? null : document.body, { status: 200, headers });
  }

  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      const route = routeOf(url.pathname);
      if (!route) return;
      const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
      endResponse(await respond(request, req, route));
    },
  };
}

/** The surrogate key the GraphQL response cache gives this row (`Article:12`) or its type (`Article`). */
const key = (kind: Parameters<typeof domainCacheEntity>[0], id?: number) => surrogateKey(domainCacheEntity(kind, id));

const changedAt = (article: FeedArticle) => article.updatedAt ?? article.publishedAt;

function newest(articles: FeedArticle[]): Date | undefined {
  let latest: Date | undefined;
  for (const article of articles) if (!latest || changedAt(article) > latest) latest = changedAt(article);
  return latest;
}

/**
 * `feed` writes JSON Feed 1 (one `author`); 1.1 has `authors` (every name in the byline) and
 * `language`, and otherwise the same fields.
 */
function jsonFeed11(feed: Feed, articles: FeedArticle[], language: string): string {
  const json = JSON.parse(feed.json1()) as Record<string, unknown> & { items: Record<string, unknown>[] };
  json.version = 'https://jsonfeed.org/version/1.1';
  json.language = language;
  json.items.forEach((item, i) => {
    const article = articles[i]!;
    // The texts as they are (the items' were prepared for XML); the summary is plain text.
    item.title = article.headline;
    delete item.content_html;
    item.content_text = article.summary ?? '';
    if (article.summary != null) item.summary = article.summary;
    delete item.author;
    if (article.authors.length) item.authors = article.authors.map((author) => ({ name: author.name }));
  });
  return JSON.stringify(json, null, 2);
}

/** XML 1.0 forbids these characters anywhere, even escaped (control characters pasted into a headline): dropped. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const xmlText = (text: string) => text.replace(NOT_XML, '');

/**
 * `feed` writes titles and summaries as CDATA through xml-js, which splits only the first `]]>`
 * of a text (ending the section there); the others are split here the same way. The feeds test
 * reads a headline with two of them back.
 */
function cdataText(text: string): string {
  const clean = xmlText(text);
  const first = clean.indexOf(']]>');
  if (first < 0) return clean;
  return clean.slice(0, first + 3) + clean.slice(first + 3).replaceAll(']]>', ']]]]><![CDATA[>');
}

function plain(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
