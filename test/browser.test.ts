// The demo newspaper and GraphiQL in a real browser (Chromium or Chrome via playwright-core, which
// downloads no browser of its own): one browser and one gateway for the file.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshenDemo } from '../prisma/seed.js';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, globalId, keyHeader, MAIN_STORY, onPostgres, testConfig, type TestGateway } from './helpers.js';

/**
 * Chromium's headless shell first: the old headless mode, which Playwright itself runs for headless
 * tests, costs this file a quarter less CPU and a third less wall time than the full browser (13–14
 * against 18 s of CPU, 16–18 against 23 s on a 2-core machine); the full browsers work as well.
 */
const BROWSERS = ['chromium-headless-shell', 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

const isExecutable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** CHROMIUM_PATH when set, else the first of BROWSERS on PATH. */
function findBrowser(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of BROWSERS) {
    for (const dir of dirs) if (isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

const executablePath = findBrowser();
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const notFound =
  `No Chromium or Chrome: set CHROMIUM_PATH, or put one of ${BROWSERS.join(', ')} on PATH ` +
  '(Debian/Ubuntu: apt-get install chromium-headless-shell, or chromium).';
// Outside CI a machine without a browser skips these tests, saying so; in CI they always run.
if (!executablePath && !inCI && !onPostgres) console.warn(`Skipping the browser tests. ${notFound}`);

const SAMPLE_HEADLINE = 'China tells its AI leaders to avoid US travel over security concerns: report';
/** Today in the paper's time zone (Asia/Karachi, +05:00), as the e-paper labels it: "December 01, 2026". */
const paperDay = new Intl.DateTimeFormat('en-US', { month: 'long', day: '2-digit', year: 'numeric', timeZone: 'Asia/Karachi' }).format(
  new Date(),
);

describe.skipIf(onPostgres || (!executablePath && !inCI))('in a real browser', () => {
  let demo: TestGateway;
  let gateway: RunningGateway;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    if (!executablePath) throw new Error(`${notFound} CI runs the browser tests.`);
    if (!isExecutable(executablePath)) throw new Error(`CHROMIUM_PATH=${executablePath} is not an executable file.`);
    demo = await createDemoGateway();
    // As production runs it: the response cache and the HTTP cache in front (live updates purge them).
    gateway = await serveGateway({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', OUTBOX_POLL_MS: '200', RESPONSE_CACHE: 'true' }),
      db: demo.db,
      logger: createLogger('silent'),
    });
    origin = new URL(gateway.url).origin;
    // What `npm start` does for the demo: today's e-paper, whatever day the template was seeded.
    await freshenDemo({ prisma: demo.db.prisma, live: gateway.live });
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await demo?.db.dispose();
  });

  /** A page at `width` px whose images (on the demo's made-up media host) load as a grey box. */
  async function open(path: string, width = 1280) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.route(/^https:\/\/media\.example\.com\//, (route) =>
      route.fulfill({
        contentType: 'image/svg+xml',
        body: '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="9"><rect width="16" height="9" fill="#ccc"/></svg>',
      }),
    );
    await page.goto(`${origin}${path}`);
    return page;
  }
  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

  it('front page → article page (every part of the sample page) → section page, by clicking', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('#latest li').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    // Landmarks, a favicon, alt text on every image.
    for (const role of ['banner', 'navigation', 'main', 'contentinfo', 'complementary'] as const) {
      expect(await page.getByRole(role).count(), role).toBeGreaterThan(0);
    }
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
    expect((await fetch(`${origin}/favicon.svg`)).headers.get('content-type')).toBe('image/svg+xml');
    expect(await page.locator('img:not([alt])').count()).toBe(0);
    // The front: lead story, Latest, Most Popular 01–09, Must Read, Editorials, today's e-paper.
    expect(await page.locator('article.lead h2 a').count()).toBe(1);
    expect(await texts(page, '#popular .rank')).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09']);
    expect(await page.locator('#must-read li').count()).toBeGreaterThan(2);
    expect(await page.locator('#editorials li').count()).toBe(6);
    expect(await page.locator('#edition li').count()).toBeGreaterThan(5);
    expect(await page.locator('#edition-name').textContent()).toBe(`E-Paper | ${paperDay}`);
    // Every headline links to its page.
    for (const href of await page.locator('main h2 a, main h3 a').evaluateAll((links) => links.map((a) => a.getAttribute('href')))) {
      expect(href).toMatch(/^\/(article|live)\/[a-z0-9-]+$/);
    }

    await page.locator('#popular li').first().getByRole('link').click();
    await page.waitForURL(`${origin}/article/${MAIN_STORY}`);
    const headline = page.getByRole('heading', { level: 1 });
    await expect.poll(() => headline.textContent(), { timeout: 10_000 }).toBe(SAMPLE_HEADLINE);
    expect(await page.title()).toContain(SAMPLE_HEADLINE);
    // Masthead with the edition label; the agency source line; both times, to the minute.
    expect(await page.locator('#edition-name').textContent()).toBe(`E-Paper | ${paperDay}`);
    expect(await page.locator('#source').textContent()).toBe('Reuters');
    expect(await page.locator('#times').textContent()).toBe('Published March 1, 2025 6:10am · Updated March 1, 2025 12:39pm');
    // Hero image with alt text, caption and credit.
    const hero = page.locator('article figure.hero');
    expect(await hero.locator('img').getAttribute('alt')).toBeTruthy();
    expect(await hero.locator('figcaption').textContent()).toContain('Reuters');
    // The body: a dozen short paragraphs relaying another outlet's report.
    expect(await page.locator('article .body p').count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator('article .body').textContent()).toContain('Wall Street Journal');
    // Topics, "Read more", and the four sidebars.
    expect(await texts(page, 'ul.tags a')).toEqual(expect.arrayContaining(['China', 'DeepSeek']));
    expect(await page.getByRole('heading', { name: 'Read more' }).count()).toBe(1);
    expect(await page.locator('#related li').count()).toBeGreaterThan(0);
    expect(await page.locator('#latest li').count()).toBeGreaterThan(5);
    expect(await page.locator('#popular li').count()).toBe(9);
    expect(await page.locator('#must-read li').count()).toBeGreaterThan(2);
    expect((await texts(page, '#editorials h3')).slice(0, 6)).toEqual([
      'Exceptional Assembly',
      'Haqqania bombing',
      'Blood and drugs',
      'No remorse',
      'Affordable Ramazan',
      'Grotesque vision',
    ]);
    for (const teaser of await texts(page, '#editorials .summary')) expect(teaser).toMatch(/\.\.\.$/);
    expect(await texts(page, '#editorials .meta')).toContain('Updated 01 Mar, 2025');

    await page.locator('article header .section-label').click();
    await page.waitForURL(`${origin}/section/asia`);
    await expect.poll(() => headline.textContent(), { timeout: 10_000 }).toBe('Asia');
    await expect.poll(() => page.locator('#latest li').count()).toBeGreaterThan(0);
    expect(await page.locator('#latest li h3 a', { hasText: SAMPLE_HEADLINE }).count()).toBe(1);
    await page.close();
  });

  it('the topic and author indexes link to their pages', async () => {
    const page = await open('/topics');
    await expect.poll(() => page.locator('#index li').count(), { timeout: 15_000 }).toBeGreaterThan(10);
    await page.locator('#index a', { hasText: /^China$/ }).click();
    await page.waitForURL(`${origin}/tag/china`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toBe('China');
    expect(await page.locator('#latest li h3 a', { hasText: SAMPLE_HEADLINE }).count()).toBe(1);
    await page.goto(`${origin}/authors`);
    await page.locator('#index a', { hasText: /^Reuters$/ }).click();
    await page.waitForURL(`${origin}/author/reuters`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toBe('Reuters');
    await page.close();
  });

  it('reads at 390 px without scrolling sideways', async () => {
    // One tab for all five pages: each new tab is a renderer process of its own to start.
    const page = await open('/', 390);
    for (const path of ['/', `/article/${MAIN_STORY}`, '/section/world', '/topics', '/live/live-budget-session-national-assembly']) {
      if (path !== '/') await page.goto(`${origin}${path}`);
      await expect.poll(() => page.locator('#latest li, #index li, #posts li').count(), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
    }
    await page.close();
  });

  it('a story published through the API appears at the top of Latest without a reload', async () => {
    const page = await open('/');
    await expect.poll(() => page.locator('#latest li').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('live');

    const editor = await keyHeader(demo.db, 'EDITOR');
    const section = await demo.db.prisma.section.findUniqueOrThrow({ where: { slug: 'asia' } });
    const reuters = await demo.db.prisma.author.findUniqueOrThrow({ where: { slug: 'reuters' } });
    const headline = `Browser sees this story ${Date.now()}`;
    const call = async (query: string, variables: Record<string, unknown>) => {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...editor },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()).data;
    };
    const draft = await call(
      `mutation($input: CreateDraftInput!) { createDraft(input: $input) { ... on MutationCreateDraftSuccess { data { id } } } }`,
      {
        input: { headline, section: globalId('Section', section.id), byline: [{ author: globalId('Author', reuters.id), role: 'AGENCY' }] },
      },
    );
    await call(`mutation($id: ID!) { publishArticle(id: $id) { __typename } }`, { id: draft.createDraft.data.id });
    await expect.poll(() => page.locator('#latest li').first().locator('h3').textContent(), { timeout: 10_000 }).toBe(headline);
    expect(await page.locator('#latest li').first().locator('h3 a').getAttribute('href')).toMatch(/^\/article\//);
    await page.close();
  });

  it('a live blog takes a post added through the API without a reload', async () => {
    const slug = 'live-budget-session-national-assembly';
    const page = await open(`/live/${slug}`);
    await expect.poll(() => page.locator('#posts li').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('live');
    const blog = await demo.db.prisma.article.findUniqueOrThrow({ where: { slug } });
    const text = `The Speaker adjourns the sitting ${Date.now()}`;
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await keyHeader(demo.db, 'EDITOR')) },
      body: JSON.stringify({
        query: `mutation($article: ID!, $input: LivePostInput!) { addLivePost(article: $article, input: $input) { __typename } }`,
        variables: { article: globalId('Article', blog.id), input: { body: text, summary: 'Adjourned', keyEvent: true } },
      }),
    });
    expect((await response.json()).data.addLivePost.__typename).toBe('MutationAddLivePostSuccess');
    await expect.poll(() => page.locator('#posts li').first().textContent(), { timeout: 10_000 }).toContain(text);
    expect(await page.locator('#posts li').first().locator('h3').textContent()).toBe('Adjourned');
    await page.close();
  });

  it('GraphiQL loads (assets served locally) and runs a query', async () => {
    const page = await browser.newPage();
    const query = `{ article(slug: "${MAIN_STORY}") { headline } }`;
    await page.goto(`${origin}/graphql?query=${encodeURIComponent(query)}`);
    const run = page.locator('.graphiql-execute-button');
    await run.waitFor({ timeout: 20_000 });
    await run.click();
    await expect
      // The response pane wraps long lines; compare with whitespace collapsed.
      .poll(async () => (await page.locator('.graphiql-response, .result-window').first().textContent())?.replace(/\s+/g, ' '), {
        timeout: 15_000,
      })
      .toContain('"headline": "China tells its AI leaders to avoid US travel over security concerns: report"');
    await page.close();
  });
});
