// The demo newspaper in the browser (bundled by src/server/front-page.ts). Each page address
// renders from one persisted-operation GET (the typed documents of schema/operations, sent by
// their hash: short URLs that the gateway's HTTP cache and a CDN can keep), and a graphql-ws
// subscription puts each newly published story at the top of "Latest" without a reload.
// Everything is built with DOM calls and textContent: no text from the API is parsed as HTML,
// except the body's `html`, which the gateway renders from typed blocks and sanitises itself.
import { createClient } from 'graphql-ws';
import {
  ArticlePageDocument,
  AuthorFrontDocument,
  AuthorIndexDocument,
  FrontPageDocument,
  LiveBlogDocument,
  LiveBlogUpdatesDocument,
  LiveStoriesDocument,
  SectionFrontDocument,
  SiteSectionsDocument,
  TagFrontDocument,
  TopicIndexDocument,
  type ArticleCardFragment,
  type ArticlePageQuery,
  type FrontPageQuery,
  type LiveBlogUpdatesSubscription,
  type LivePostCardFragment,
  type LiveStoriesSubscription,
} from '../generated/graphql/graphql.js';

const endpoint = new URL('/graphql', location.href);
/** The paper's home time zone: editions are dated in it and times are printed in it. */
const timeZone = document.querySelector<HTMLMetaElement>('meta[name="paper-time-zone"]')?.content || 'Asia/Karachi';
const siteName = document.querySelector('.site-name')?.textContent ?? document.title;
const $ = (id: string) => document.getElementById(id);

// ── DOM ──────────────────────────────────────────────────────────────────────────────────────

type Child = Node | string | null | undefined | false;
/** An element with attributes and children; strings become text nodes, never markup. */
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | undefined> = {}, ...children: Child[]) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child) element.append(child);
  return element;
}
const link = (href: string, text: string, attrs: Record<string, string | undefined> = {}) => h('a', { href, ...attrs }, text);
const articleHref = (slug: string, kind?: string) => `/${kind === 'LIVE' ? 'live' : 'article'}/${encodeURIComponent(slug)}`;

// ── Times, in the paper's time zone ──────────────────────────────────────────────────────────

function parts(iso: string, options: Intl.DateTimeFormatOptions) {
  const map: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone, ...options }).formatToParts(new Date(iso))) map[p.type] = p.value;
  return map;
}
/** "March 1, 2025 12:39pm": to the minute, as the sample page prints "Updated". */
const longDateTime = (iso: string) => {
  const p = parts(iso, { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', hour12: true });
  return `${p.month} ${p.day}, ${p.year} ${p.hour}:${p.minute}${(p.dayPeriod ?? '').toLowerCase()}`;
};
/** "01 Mar, 2025" */
const shortDate = (iso: string) => {
  const p = parts(iso, { year: 'numeric', month: 'short', day: '2-digit' });
  return `${p.day} ${p.month}, ${p.year}`;
};
/** YYYY-MM-DD of a moment in the paper's time zone (the date editions carry). */
const paperDate = (date = new Date()) => {
  const p = parts(date.toISOString(), { year: 'numeric', month: '2-digit', day: '2-digit' });
  return `${p.year}-${p.month}-${p.day}`;
};
const time = (iso: string, text: string) => h('time', { datetime: iso }, text);
/** One sentence, cut short with "..." as the sample page's editorial teasers are. */
const teaser = (text: string | null | undefined, max = 110) => {
  if (!text) return '';
  const sentence = /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
  const cut = sentence.length > max ? sentence.slice(0, sentence.lastIndexOf(' ', max)) : sentence.replace(/[.!?]$/, '');
  return `${cut}...`;
};

// ── The API: persisted GETs ──────────────────────────────────────────────────────────────────

type Typed<R, V> = { __apiType?: (variables: V) => R; __meta__?: Record<string, unknown>; toString(): string };

/** Runs a typed document by its hash over GET (the gateway loads the hashes from codegen's manifest). */
async function query<R, V>(document: Typed<R, V>, variables: V): Promise<R> {
  const url = new URL(endpoint);
  url.searchParams.set('documentId', String(document.__meta__?.hash));
  url.searchParams.set('variables', JSON.stringify(variables));
  // The preflight header is what CSRF prevention asks of a GET.
  const response = await fetch(url, { headers: { accept: 'application/graphql-response+json', 'graphql-preflight': '1' } });
  const body = (await response.json()) as { data?: R; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

// ── Pieces ───────────────────────────────────────────────────────────────────────────────────

const bylineText = (article: Pick<ArticleCardFragment, 'byline'>) => article.byline.map((b) => b.author.name).join(', ');

function meta(article: ArticleCardFragment) {
  const items: (Node | string)[] = [];
  const by = bylineText(article);
  if (by) items.push(by);
  if (article.publishedAt) items.push(time(article.publishedAt, longDateTime(article.publishedAt)));
  if (article.updatedAt) items.push(h('span', {}, 'Updated ', time(article.updatedAt, longDateTime(article.updatedAt))));
  const line = h('p', { class: 'meta' });
  for (const [i, item] of items.entries()) line.append(...(i ? [' · ', item] : [item]));
  return line;
}

function storyItem(article: ArticleCardFragment, fresh = false) {
  const item = h(
    'li',
    { class: fresh ? 'fresh' : undefined, 'data-slug': article.slug },
    link(`/section/${article.section.slug}`, article.section.name, { class: 'section-label' }),
    h('h3', {}, link(articleHref(article.slug, article.kind), article.headline)),
    meta(article),
    article.summary ? h('p', { class: 'summary' }, article.summary) : null,
  );
  return item;
}

const box = (id: string, title: string, ...content: Child[]) => {
  const headingId = `${id}-heading`;
  return h('section', { 'aria-labelledby': headingId }, h('h2', { class: 'box', id: headingId }, title), ...content);
};

function latestBox(articles: ArticleCardFragment[], title = 'Latest Stories') {
  return box('latest', title, h('ul', { class: 'list', id: 'latest' }, ...articles.map((a) => storyItem(a))));
}

function popularBox(articles: { slug: string; headline: string }[]) {
  return box(
    'popular',
    'Most Popular',
    h(
      'ol',
      { class: 'list popular', id: 'popular' },
      ...articles.map((a, i) =>
        h(
          'li',
          {},
          h('span', { class: 'rank', 'aria-hidden': 'true' }, String(i + 1).padStart(2, '0')),
          link(articleHref(a.slug), a.headline),
        ),
      ),
    ),
  );
}

function mustReadBox(collection: { name: string; articles: { slug: string; headline: string }[] } | null | undefined) {
  if (!collection) return null;
  return box(
    'must-read',
    'Must Read',
    h(
      'ul',
      { class: 'list', id: 'must-read' },
      ...collection.articles.map((a) => h('li', {}, h('h3', {}, link(articleHref(a.slug), a.headline)))),
    ),
  );
}

type Editorial = { slug: string; headline: string; summary?: string | null; publishedAt?: string | null; updatedAt?: string | null };
function editorialsBox(editorials: Editorial[]) {
  return box(
    'editorials',
    'Opinion · Editorial',
    h(
      'ul',
      { class: 'list', id: 'editorials' },
      ...editorials.map((e) => {
        const when = e.updatedAt ?? e.publishedAt;
        return h(
          'li',
          {},
          h('h3', {}, link(articleHref(e.slug), e.headline)),
          when ? h('p', { class: 'meta' }, e.updatedAt ? 'Updated ' : '', time(when, shortDate(when))) : null,
          e.summary ? h('p', { class: 'summary' }, teaser(e.summary)) : null,
        );
      }),
    ),
  );
}

function setEditionLabel(name: string | null | undefined) {
  const label = $('edition-name');
  if (label) label.textContent = name ?? '';
}

function setTitle(title?: string) {
  document.title = title ? `${title} | ${siteName}` : siteName;
}

function renderSections(sections: { slug: string; name: string }[]) {
  $('sections')?.replaceChildren(...sections.map((s) => h('li', {}, link(`/section/${s.slug}`, s.name))));
}

function show(...children: Child[]) {
  $('main')!.replaceChildren(...children.filter((c): c is Node | string => Boolean(c)));
}

function notFound(what: string) {
  setTitle('Not found');
  show(h('div', { class: 'notice' }, h('h1', { class: 'headline' }, `${what} not found`), h('p', {}, link('/', 'Back to the front page'))));
}

// ── Pages ────────────────────────────────────────────────────────────────────────────────────

async function frontPage() {
  const data: FrontPageQuery = await query(FrontPageDocument, {});
  renderSections(data.sections);
  const edition = data.editions.edges[0]?.node;
  setEditionLabel(edition?.name);
  setTitle();
  const [lead, ...rest] = data.latest.edges.map((e) => e.node);
  const leadStory = lead
    ? h(
        'article',
        { class: 'lead', 'aria-labelledby': 'lead-heading' },
        link(`/section/${lead.section.slug}`, lead.section.name, { class: 'section-label' }),
        h('h2', { id: 'lead-heading' }, link(articleHref(lead.slug, lead.kind), lead.headline)),
        meta(lead),
        lead.heroMedia ? hero(lead.heroMedia) : null,
        lead.summary ? h('p', { class: 'summary' }, lead.summary) : null,
      )
    : null;
  const paper = edition
    ? box(
        'epaper',
        "Today's E-Paper",
        h('p', { class: 'meta' }, edition.name),
        h(
          'ol',
          { class: 'list', id: 'edition' },
          ...edition.placements.map((p) =>
            h('li', {}, h('span', { class: 'meta' }, `Page ${p.page} · `), link(articleHref(p.article.slug), p.article.headline)),
          ),
        ),
      )
    : null;
  show(
    h('h1', { class: 'skip' }, `${siteName}: front page`),
    h(
      'div',
      { class: 'layout' },
      h('div', {}, leadStory, latestBox(rest, 'Latest')),
      h(
        'aside',
        { 'aria-label': 'More stories' },
        popularBox(data.mostPopular),
        mustReadBox(data.mustRead),
        editorialsBox(data.editorials.edges.map((e) => e.node)),
        paper,
      ),
    ),
  );
  live();
}

function hero(media: NonNullable<ArticleCardFragment['heroMedia']>) {
  return h(
    'figure',
    { class: 'hero' },
    h('img', { src: media.url, alt: media.altText ?? '', loading: 'lazy', decoding: 'async', width: '1200', height: '675' }),
    media.caption || media.credit
      ? h(
          'figcaption',
          {},
          media.caption ?? '',
          media.caption && media.credit ? ' ' : '',
          media.credit ? h('span', { class: 'credit' }, media.credit) : null,
        )
      : null,
  );
}

/** The body: the gateway's HTML, rendered from its typed blocks and allow-list sanitised there. */
function body(article: NonNullable<ArticlePageQuery['article']>) {
  const element = h('div', { class: 'body' });
  element.innerHTML = article.body.html;
  return element;
}

async function articlePage(slug: string) {
  const data = await query(ArticlePageDocument, { slug, editionDate: paperDate() });
  setEditionLabel(data.edition?.name);
  const article = data.article;
  if (!article) return notFound('Story');
  setTitle(article.headline);
  const agencies = article.byline.filter((b) => b.author.kind === 'AGENCY' || b.role === 'AGENCY');
  const people = article.byline.filter((b) => !agencies.includes(b));
  const source = h(
    'p',
    { class: 'meta byline', id: 'source' },
    ...[...people, ...agencies].flatMap((b, i) => [i ? ', ' : '', link(`/author/${b.author.slug}`, b.author.name)]),
  );
  const times = h('p', { class: 'meta', id: 'times' });
  if (article.publishedAt) times.append('Published ', time(article.publishedAt, longDateTime(article.publishedAt)));
  if (article.updatedAt) times.append(' · Updated ', time(article.updatedAt, longDateTime(article.updatedAt)));
  const story = h(
    'article',
    { 'aria-labelledby': 'headline' },
    h(
      'header',
      {},
      link(`/section/${article.section.slug}`, article.section.name, { class: 'section-label' }),
      h('h1', { class: 'headline', id: 'headline' }, article.headline),
      article.summary ? h('p', { class: 'summary' }, article.summary) : null,
      article.byline.length ? source : null,
      times,
    ),
    article.heroMedia ? hero(article.heroMedia) : null,
    article.dateline ? h('p', { class: 'meta' }, article.dateline) : null,
    body(article),
    article.corrections.length
      ? h(
          'section',
          { class: 'block', 'aria-label': 'Corrections' },
          ...article.corrections.map((c) => h('p', { class: 'meta' }, `Correction: ${c.text}`)),
        )
      : null,
    article.tags.length
      ? h('ul', { class: 'tags', 'aria-label': 'Topics' }, ...article.tags.map((t) => h('li', {}, link(`/tag/${t.slug}`, t.name))))
      : null,
    box('read-more', 'Read more', h('ul', { class: 'list', id: 'related' }, ...article.related.map((a) => storyItem(a)))),
  );
  show(
    h(
      'div',
      { class: 'layout' },
      story,
      h(
        'aside',
        { 'aria-label': 'More stories' },
        latestBox(data.latest.edges.map((e) => e.node)),
        popularBox(data.mostPopular),
        mustReadBox(data.mustRead),
        editorialsBox(data.editorials.edges.map((e) => e.node)),
      ),
    ),
  );
  live();
}

type ListPage = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: ArticleCardFragment }[];
};

/** A list of stories with a "More stories" button that pages on with the connection's cursor. */
function pagedList(first: ListPage, next: (after: string) => Promise<ListPage | undefined>) {
  const list = h('ul', { class: 'list', id: 'latest' }, ...first.edges.map((e) => storyItem(e.node)));
  const more = h('div', { class: 'more' });
  let cursor = first.pageInfo.endCursor;
  const button = h('button', { class: 'more-button', type: 'button' }, 'More stories');
  button.addEventListener('click', async () => {
    if (!cursor) return;
    const page = await next(cursor);
    if (!page) return;
    list.append(...page.edges.map((e) => storyItem(e.node)));
    cursor = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) button.remove();
  });
  if (first.pageInfo.hasNextPage) more.append(button);
  return [h('p', { class: 'meta' }, `${first.totalCount} ${first.totalCount === 1 ? 'story' : 'stories'}`), list, more];
}

async function sectionPage(slug: string) {
  const data = await query(SectionFrontDocument, { slug });
  const section = data.section;
  if (!section) return notFound('Section');
  setTitle(section.name);
  show(
    h('h1', { class: 'headline' }, section.name),
    section.children.length
      ? h(
          'ul',
          { class: 'tags subsections', 'aria-label': 'Subsections' },
          ...section.children.map((c) => h('li', {}, link(`/section/${c.slug}`, c.name))),
        )
      : null,
    ...pagedList(section.articles, async (after) => (await query(SectionFrontDocument, { slug, after })).section?.articles),
  );
  live(slug);
}

async function tagPage(slug: string) {
  const data = await query(TagFrontDocument, { slug });
  if (!data.tag) return notFound('Topic');
  setTitle(data.tag.name);
  show(
    h('h1', { class: 'headline' }, data.tag.name),
    ...pagedList(data.tag.articles, async (after) => (await query(TagFrontDocument, { slug, after })).tag?.articles),
  );
}

async function authorPage(slug: string) {
  const data = await query(AuthorFrontDocument, { slug });
  const author = data.author;
  if (!author) return notFound('Author');
  setTitle(author.name);
  show(
    h('h1', { class: 'headline' }, author.name),
    author.bio ? h('p', { class: 'summary' }, author.bio) : null,
    ...pagedList(author.articles, async (after) => (await query(AuthorFrontDocument, { slug, after })).author?.articles),
  );
}

type IndexPage = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: { slug: string; name: string; articleCount: number } }[];
};

/** An index of topics or authors: each with its count of published stories, paged on by cursor. */
async function indexPage(title: string, prefix: string, load: (after?: string) => Promise<IndexPage>) {
  const first = await load();
  setTitle(title);
  const item = (node: IndexPage['edges'][number]['node']) =>
    h('li', {}, link(`${prefix}/${node.slug}`, node.name), h('span', { class: 'meta' }, ` ${node.articleCount}`));
  const list = h('ul', { class: 'list index', id: 'index' }, ...first.edges.map((e) => item(e.node)));
  const more = h('div', { class: 'more' });
  let cursor = first.pageInfo.endCursor;
  if (first.pageInfo.hasNextPage) {
    const button = h('button', { class: 'more-button', type: 'button' }, 'More');
    button.addEventListener('click', async () => {
      const page = await load(cursor ?? undefined);
      list.append(...page.edges.map((e) => item(e.node)));
      cursor = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) button.remove();
    });
    more.append(button);
  }
  show(h('h1', { class: 'headline' }, title), h('p', { class: 'meta' }, `${first.totalCount} in all`), list, more);
}

/** The gateway's HTML of a body (rendered from typed blocks and sanitised there). */
function html(markup: string) {
  const element = h('div', { class: 'body' });
  element.innerHTML = markup;
  return element;
}

function postItem(post: LivePostCardFragment, fresh = false) {
  const by = post.author ? ` · ${post.author.name}` : '';
  return h(
    'li',
    { 'data-post': post.id, class: [post.keyEvent ? 'key-event' : '', fresh ? 'fresh' : ''].join(' ').trim() || undefined },
    h('p', { class: 'meta' }, time(post.postedAt, longDateTime(post.postedAt)), by, post.keyEvent ? ' · Key event' : ''),
    post.summary ? h('h3', {}, post.summary) : null,
    html(post.body.html),
  );
}

/** A live blog: pinned posts, then the stream, newest first; new, edited and deleted posts arrive live. */
async function liveBlogPage(slug: string) {
  const data = await query(LiveBlogDocument, { slug });
  const blog = data.article;
  if (!blog) return notFound('Live blog');
  if (blog.kind !== 'LIVE') return articlePage(slug);
  setTitle(blog.headline);
  const posts = h('ol', { class: 'list posts', id: 'posts' }, ...blog.posts.edges.map((e) => postItem(e.node)));
  const more = h('div', { class: 'more' });
  let cursor = blog.posts.pageInfo.endCursor;
  if (blog.posts.pageInfo.hasNextPage) {
    const button = h('button', { class: 'more-button', type: 'button' }, 'Older posts');
    button.addEventListener('click', async () => {
      const page = (await query(LiveBlogDocument, { slug, after: cursor ?? undefined })).article?.posts;
      if (!page) return;
      posts.append(...page.edges.map((e) => postItem(e.node)));
      cursor = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) button.remove();
    });
    more.append(button);
  }
  show(
    h(
      'article',
      { 'aria-labelledby': 'headline' },
      h(
        'header',
        {},
        link(`/section/${blog.section.slug}`, blog.section.name, { class: 'section-label' }),
        h('p', { class: 'section-label' }, 'Live'),
        h('h1', { class: 'headline', id: 'headline' }, blog.headline),
        blog.summary ? h('p', { class: 'summary' }, blog.summary) : null,
        meta(blog),
      ),
      blog.heroMedia ? hero(blog.heroMedia) : null,
      html(blog.body.html),
      blog.pinnedPosts.length
        ? box('pinned', 'Pinned', h('ol', { class: 'list', id: 'pinned' }, ...blog.pinnedPosts.map((p) => postItem(p))))
        : null,
      box('stream', 'Latest updates', posts, more),
    ),
  );
  followBlog(slug, posts);
}

function followBlog(slug: string, posts: HTMLElement) {
  let lastEventId: string | undefined;
  const run = () =>
    liveClient().subscribe<LiveBlogUpdatesSubscription>(
      { query: LiveBlogUpdatesDocument.toString(), variables: { slug, after: lastEventId } },
      {
        next: ({ data }) => {
          const update = data?.liveBlogUpdated;
          if (!update) return;
          lastEventId = update.eventId;
          const existing = document.querySelectorAll(`[data-post="${CSS.escape(update.postId)}"]`);
          if (update.type === 'POST_DELETED' || !update.post) {
            for (const item of existing) item.remove();
          } else if (existing.length) {
            for (const item of existing) item.replaceWith(postItem(update.post, true));
          } else {
            posts.prepend(postItem(update.post, true));
          }
        },
        error: () => setTimeout(run, 1000),
        complete: () => setTimeout(run, 1000),
      },
    );
  run();
}

// ── Live ─────────────────────────────────────────────────────────────────────────────────────

let client: ReturnType<typeof createClient> | undefined;
/** One WebSocket per page for every subscription. */
function liveClient() {
  client ??= createClient({
    url: endpoint.href.replace(/^http/, 'ws'),
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: { connected: () => setStatus('live'), closed: () => setStatus('reconnecting…') },
  });
  return client;
}
const setStatus = (text: string) => {
  const status = $('status');
  if (status) status.textContent = text;
};

/** Puts each newly published story (of `section`, when given) at the top of "Latest". */
function live(section?: string) {
  let lastEventId: string | undefined;
  const run = () =>
    liveClient().subscribe<LiveStoriesSubscription>(
      // Resume after the last event seen, so a dropped connection misses nothing.
      { query: LiveStoriesDocument.toString(), variables: { after: lastEventId, section } },
      {
        next: ({ data }) => {
          const update = data?.storiesPublished;
          if (!update?.article) return;
          lastEventId = update.eventId;
          const list = $('latest');
          if (!list) return;
          list.querySelector(`[data-slug="${CSS.escape(update.article.slug)}"]`)?.remove();
          list.prepend(storyItem(update.article, true));
          while (list.children.length > 20) list.lastElementChild?.remove();
        },
        error: () => setTimeout(run, 1000),
        complete: () => setTimeout(run, 1000),
      },
    );
  run();
}

// ── Routing: the server answers every page address with the same shell ───────────────────────

async function route() {
  const [, kind, rawSlug] = /^\/(article|live|section|tag|author)\/([^/]+)\/?$/.exec(location.pathname) ?? [];
  const slug = rawSlug ? decodeURIComponent(rawSlug) : '';
  const index = /^\/(topics|authors)\/?$/.exec(location.pathname)?.[1];
  if (!kind && !index) return frontPage();
  // The navigation: the front page's request carries the sections, other pages ask beside theirs.
  query(SiteSectionsDocument, {}).then(
    (data) => renderSections(data.sections),
    () => {},
  );
  if (index === 'topics') return indexPage('Topics', '/tag', async (after) => (await query(TopicIndexDocument, { after })).tags);
  if (index === 'authors') return indexPage('Authors', '/author', async (after) => (await query(AuthorIndexDocument, { after })).authors);
  if (kind === 'live') return liveBlogPage(slug);
  if (kind === 'article') return articlePage(slug);
  if (kind === 'section') return sectionPage(slug);
  if (kind === 'tag') return tagPage(slug);
  return authorPage(slug);
}

route().catch((error: Error) => {
  setStatus('offline');
  show(h('p', { class: 'notice', role: 'alert' }, `Could not load this page: ${error.message}`));
});
