// The live demo front page (browser code, bundled by src/server/front-page.ts). It uses the
// operations typed by GraphQL Code Generator: a query for the page and a subscription that
// puts each newly published story at the top of "Latest Stories".
import { createClient } from 'graphql-ws';
import {
  FrontPageDocument,
  LiveStoriesDocument,
  type ArticleCardFragment,
  type FrontPageQuery,
  type FrontPageQueryVariables,
  type LiveStoriesSubscription,
} from '../generated/graphql/graphql.js';

const endpoint = new URL('/graphql', location.href);
const $ = (id: string) => document.getElementById(id)!;

function text(tag: string, content: string, className?: string) {
  const element = document.createElement(tag);
  element.textContent = content;
  if (className) element.className = className;
  return element;
}

const time = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en-GB', { day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';

function storyItem(article: ArticleCardFragment, fresh = false) {
  const item = document.createElement('li');
  item.dataset.slug = article.slug;
  if (fresh) item.className = 'fresh';
  item.append(text('span', article.section.name, 'section'), text('h3', article.headline));
  const by = article.byline.map((b) => b.author.name).join(', ');
  item.append(
    text(
      'p',
      [by, time(article.publishedAt), article.updatedAt ? `Updated ${time(article.updatedAt)}` : ''].filter(Boolean).join(' · '),
      'meta',
    ),
  );
  if (article.summary) item.append(text('p', article.summary, 'summary'));
  return item;
}

async function request<R, V>(document: { toString(): string }, variables: V): Promise<R> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json()) as { data?: R; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

async function load() {
  const data = await request<FrontPageQuery, FrontPageQueryVariables>(FrontPageDocument, {});
  $('latest').replaceChildren(...data.latest.edges.map((e) => storyItem(e.node)));
  $('popular').replaceChildren(
    ...data.mostPopular.map((a, i) => {
      const item = document.createElement('li');
      item.append(text('span', String(i + 1).padStart(2, '0'), 'rank'), text('span', a.headline));
      return item;
    }),
  );
  const edition = data.editions.edges[0]?.node;
  $('edition-name').textContent = edition?.name ?? 'No edition yet';
  $('edition').replaceChildren(...(edition?.placements ?? []).map((p) => text('li', `p${p.page}.${p.position} · ${p.article.headline}`)));
}

function subscribe() {
  let lastEventId: string | undefined;
  const client = createClient({
    url: endpoint.href.replace(/^http/, 'ws'),
    retryAttempts: Infinity,
    shouldRetry: () => true,
    on: { connected: () => ($('status').textContent = 'live'), closed: () => ($('status').textContent = 'reconnecting…') },
  });
  const run = () =>
    client.subscribe<LiveStoriesSubscription>(
      // Resume after the last event seen, so a dropped connection misses nothing.
      { query: LiveStoriesDocument.toString(), variables: { after: lastEventId } },
      {
        next: ({ data }) => {
          const update = data?.storiesPublished;
          if (!update?.article) return;
          lastEventId = update.eventId;
          const list = $('latest');
          list.querySelector(`[data-slug="${CSS.escape(update.article.slug)}"]`)?.remove();
          list.prepend(storyItem(update.article, true));
          while (list.children.length > 12) list.lastElementChild?.remove();
        },
        error: () => setTimeout(run, 1000),
        complete: () => setTimeout(run, 1000),
      },
    );
  run();
}

load().catch((error: Error) => ($('status').textContent = `could not load: ${error.message}`));
subscribe();
