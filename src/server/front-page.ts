// The live demo front page at `/`: one HTML page and its script, src/front/app.ts (TypeScript and
// the graphql-ws client) bundled for the browser. `npm run build` bundles it into dist beside the
// compiled server (dist/src/front/app.js); run from source (dev, tests) it is bundled with esbuild
// at the first request, so production needs no esbuild.
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

export function useFrontPage(): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET') return;
      if (url.pathname === '/') {
        endResponse(new fetchAPI.Response(page, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } }));
      } else if (url.pathname === '/app.js') {
        endResponse(
          new fetchAPI.Response(await script(), {
            headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
          }),
        );
      }
    },
  };
}

const page = /* HTML */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Daily Gateway</title>
<style>
  body { font: 16px/1.45 Georgia, serif; margin: 0; color: #1a1a1a; background: #fafaf7; }
  header { border-bottom: 3px double #1a1a1a; padding: 1rem 2rem; display: flex; justify-content: space-between; align-items: baseline; }
  header h1 { margin: 0; font-size: 2rem; }
  header small { font-family: system-ui, sans-serif; color: #555; }
  main { display: grid; grid-template-columns: 2fr 1fr 1fr; gap: 2rem; padding: 1rem 2rem; }
  h2 { font: 600 0.8rem system-ui, sans-serif; text-transform: uppercase; letter-spacing: .08em; border-bottom: 1px solid #ccc; }
  ol, ul { list-style: none; padding: 0; margin: 0; }
  li { padding: .5rem 0; border-bottom: 1px solid #eee; }
  li.fresh { background: #fff6cc; transition: background 4s; }
  h3 { margin: .1rem 0; font-size: 1.1rem; }
  .section, .meta, .rank { font: 0.75rem system-ui, sans-serif; color: #666; }
  .rank { font-size: 1.2rem; margin-right: .6rem; color: #b00; }
  .summary { margin: .2rem 0 0; color: #333; }
  #status { font: 0.75rem system-ui, sans-serif; }
</style>
</head>
<body>
<header><h1>The Daily Gateway</h1><small><span id="edition-name"></span> · <span id="status">connecting…</span> · <a href="/graphql">GraphiQL</a></small></header>
<main>
  <section><h2>Latest Stories</h2><ul id="latest"></ul></section>
  <section><h2>Most Popular</h2><ol id="popular"></ol></section>
  <section><h2>Today's E-Paper</h2><ul id="edition"></ul></section>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
