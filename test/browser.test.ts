// The live demo front page and GraphiQL in a real browser (Chromium or Chrome via playwright-core,
// which downloads no browser of its own).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { serveGateway, type RunningGateway } from '../src/server/start.js';
import { createDemoGateway, globalId, keyHeader, MAIN_STORY, onPostgres, testConfig, type TestGateway } from './helpers.js';

const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

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
  `No Chromium or Chrome: set CHROMIUM_PATH, or put one of ${BROWSERS.join(', ')} on PATH ` + '(Debian/Ubuntu: apt-get install chromium).';
// Outside CI a machine without a browser skips these tests, saying so; in CI they always run.
if (!executablePath && !inCI && !onPostgres) console.warn(`Skipping the browser tests. ${notFound}`);

describe.skipIf(onPostgres || (!executablePath && !inCI))('in a real browser', () => {
  let demo: TestGateway;
  let gateway: RunningGateway;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    if (!executablePath) throw new Error(`${notFound} CI runs the browser tests.`);
    if (!isExecutable(executablePath)) throw new Error(`CHROMIUM_PATH=${executablePath} is not an executable file.`);
    demo = await createDemoGateway();
    gateway = await serveGateway({
      config: testConfig({ PORT: '0', HOST: '127.0.0.1', SCHEDULER_INTERVAL_MS: '0', OUTBOX_POLL_MS: '200' }),
      db: demo.db,
      logger: createLogger('silent'),
    });
    origin = new URL(gateway.url).origin;
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

  it('the front page shows the news and a story published through the API appears live', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await expect.poll(() => page.locator('#latest li').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    expect(await page.locator('#popular li').count()).toBe(9);
    expect(await page.locator('#edition-name').textContent()).toContain('March 01, 2025');
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
