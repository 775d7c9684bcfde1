// The demo newspaper: a small site read from the gateway's own API. The server answers every
// page address with one HTML shell (masthead, landmarks, styles); src/front/app.ts (TypeScript
// and the graphql-ws client, bundled for the browser) renders the page for the address from
// persisted-operation GETs, and keeps "Latest" live over the WebSocket. Pages are real
// addresses (`/article/{slug}` is also what feeds and sitemaps link to), so links work without
// script and every page can be bookmarked. `npm run build` bundles the script into dist beside
// the compiled server (dist/src/front/app.js); run from source (dev, tests) it is bundled with
// esbuild at the first request, so production needs no esbuild.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

const frontDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../front');
const entry = path.join(frontDir, 'app.ts');
/** Where the build puts the bundle; in src/front there is only app.ts. */
export const prebuiltScript = path.join(frontDir, 'app.js');

/** The browser bundle of src/front/app.ts (used by `npm run build` and, from source, at the first request). */
export async function bundleFrontScript(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    target: 'es2022',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

let bundle: Promise<string> | undefined;
function script(): Promise<string> {
  bundle ??= (existsSync(prebuiltScript) ? readFile(prebuiltScript, 'utf8') : bundleFrontScript()).catch((error: unknown) => {
    bundle = undefined; // try again on the next request
    throw error;
  });
  return bundle;
}

/** The site's pages: `/` and one kind of page per prefix; the slug is read by the script. */
const PAGE = /^\/(?:(?:article|section|author|tag|live)\/[A-Za-z0-9][A-Za-z0-9_-]{0,199}\/?|authors\/?|topics\/?)?$/;

export function useFrontPage(options: { siteName?: string; timeZone?: string } = {}): Plugin {
  const html = shell(options.siteName ?? 'The Daily Gateway', options.timeZone ?? 'Asia/Karachi');
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const reply = (body: string, type: string, cache = 'no-cache') =>
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            headers: { 'content-type': type, 'cache-control': cache },
          }),
        );
      if (PAGE.test(url.pathname)) reply(html, 'text/html; charset=utf-8');
      else if (url.pathname === '/app.js') reply(await script(), 'text/javascript; charset=utf-8');
      else if (url.pathname === '/favicon.svg' || url.pathname === '/favicon.ico') reply(favicon, 'image/svg+xml', 'public, max-age=86400');
    },
  };
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A folded newspaper: a dark square with a serif "N" (no file to ship: it is served from here). */
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="5" fill="#1a1a1a"/><text x="16" y="24" font-family="Georgia,serif" font-size="22" font-weight="700" fill="#fafaf7" text-anchor="middle">N</text></svg>`;

const shell = (siteName: string, timeZone: string) => /* HTML */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(siteName)}</title>
<meta name="paper-time-zone" content="${escapeHtml(timeZone)}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  *, *::before, *::after { box-sizing: border-box; }
  body { font: 17px/1.5 Georgia, 'Times New Roman', serif; margin: 0; color: #1a1a1a; background: #fafaf7; overflow-wrap: anywhere; }
  a { color: inherit; text-decoration: none; }
  a:hover, a:focus-visible { text-decoration: underline; }
  :focus-visible { outline: 2px solid #b00; outline-offset: 2px; }
  .skip { position: absolute; left: -999px; }
  .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
  .wrap { max-width: 1180px; margin: 0 auto; padding: 0 1rem; }
  .masthead { border-bottom: 3px double #1a1a1a; }
  .masthead .wrap { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: .25rem 1rem; padding-top: .75rem; padding-bottom: .5rem; }
  .site-name { margin: 0; font-size: clamp(1.6rem, 6vw, 2.6rem); font-weight: 700; letter-spacing: -.01em; }
  .ui, .masthead small, nav, .meta, .section-label, .rank, .credit, footer { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
  .masthead small { color: #555; font-size: .8rem; }
  #status { white-space: nowrap; }
  #edition-name:not(:empty)::after { content: ' · '; }
  nav { border-bottom: 1px solid #ccc; }
  nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: .5rem 0; font-size: .85rem; }
  main { padding-top: 1rem; padding-bottom: 2rem; }
  .layout { display: grid; grid-template-columns: minmax(0, 1fr); gap: 2rem; }
  @media (min-width: 900px) { .layout { grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); } }
  h1.headline { font-size: clamp(1.6rem, 5vw, 2.4rem); line-height: 1.15; margin: .25rem 0 .5rem; }
  h2.box { font: 600 .8rem system-ui, sans-serif; text-transform: uppercase; letter-spacing: .08em; border-bottom: 2px solid #1a1a1a; margin: 0 0 .25rem; padding-bottom: .25rem; }
  aside section, .block { margin-bottom: 2rem; }
  ol.list, ul.list { list-style: none; padding: 0; margin: 0; }
  .list li { padding: .55rem 0; border-bottom: 1px solid #e3e3dc; }
  .list li.fresh { background: #fff6cc; transition: background 4s; }
  h3 { margin: .1rem 0; font-size: 1.08rem; line-height: 1.25; }
  .section-label { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em; color: #b00; }
  .meta { font-size: .78rem; color: #555; margin: .15rem 0; }
  .summary { margin: .2rem 0 0; color: #333; }
  .rank { font-size: 1.3rem; font-weight: 700; color: #b00; min-width: 2.2rem; display: inline-block; }
  .popular li { display: flex; align-items: baseline; gap: .4rem; }
  .lead h2 { font-size: clamp(1.5rem, 4.5vw, 2.1rem); line-height: 1.15; margin: .2rem 0; }
  .lead { border-bottom: 1px solid #ccc; padding-bottom: 1rem; margin-bottom: 1rem; }
  figure { margin: 1rem 0; }
  figure img { display: block; width: 100%; height: auto; background: #dcdcd4; }
  figcaption { font-size: .85rem; color: #444; margin-top: .35rem; }
  .credit { font-size: .75rem; color: #666; }
  .body p { margin: 0 0 1rem; }
  .body img { max-width: 100%; height: auto; }
  .body table { display: block; overflow-x: auto; max-width: 100%; border-collapse: collapse; }
  .body blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 3px solid #b00; }
  .byline { font-weight: 600; }
  .tags { display: flex; flex-wrap: wrap; gap: .4rem; list-style: none; padding: 0; }
  .tags a { display: inline-block; border: 1px solid #ccc; border-radius: 1rem; padding: .1rem .6rem; font: .78rem system-ui, sans-serif; }
  .more { display: flex; gap: .75rem; font: .85rem system-ui, sans-serif; margin-top: 1rem; }
  .more a, button.more-button { border: 1px solid #1a1a1a; padding: .3rem .8rem; background: none; font: inherit; cursor: pointer; }
  .subsections { font: .85rem system-ui, sans-serif; }
  .index { columns: 16rem; column-gap: 2rem; }
  .posts li.key-event, #pinned li { border-left: 3px solid #b00; padding-left: .6rem; }
  .index li { break-inside: avoid; }
  .notice { padding: 2rem 0; }
  footer { border-top: 1px solid #ccc; font-size: .8rem; color: #555; padding: 1rem 0 2rem; }
  footer ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="masthead">
  <div class="wrap">
    <p class="site-name"><a href="/">${escapeHtml(siteName)}</a></p>
    <small><span id="edition-name"></span><span id="status" role="status">connecting…</span></small>
  </div>
</header>
<nav aria-label="Sections"><div class="wrap"><ul id="sections"></ul></div></nav>
<main id="main" class="wrap" tabindex="-1"><p class="notice ui">Loading…</p></main>
<footer><div class="wrap">
  <ul>
    <li><a href="/topics">Topics</a></li>
    <li><a href="/authors">Authors</a></li>
    <li><a href="/graphql">GraphiQL: the API behind this site</a></li>
    <li><a href="/feeds/rss.xml">RSS</a></li>
    <li>Sister sites: <a href="https://tv.example.com/" rel="noopener">News TV</a> · <a href="https://images.example.com/" rel="noopener">Images magazine</a></li>
  </ul>
</div></footer>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
