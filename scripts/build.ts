// `npm run build [-- OUTDIR]`: the production build in dist/, run with `node dist/main.js` (no tsx,
// no esbuild at run time).
//
// Each TypeScript file the gateway and its command-line scripts run is compiled on its own by
// esbuild (types are checked by `npm run typecheck`, not here), into the repository's own layout:
// dist/src, dist/prisma, dist/scripts. Paths that modules compute from their own location (the
// migrations and schema.prisma, persisted-documents.json) therefore hold in dist as they do in the
// clone, and the build copies those files beside the code. The front page's browser script is
// bundled here once instead of at the first request. dist needs only node_modules (`npm ci
// --omit=dev`) and package.json's `"type": "module"` beside it.
import { globSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleFrontScript } from '../src/server/front-page.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const inRoot = (pattern: string) => globSync(pattern, { cwd: root });

/** The code production runs: the server, the seeders (loaded only when seeding), the database and API-key scripts. */
const entryPoints = [
  ...inRoot('src/**/*.ts').filter((file) => file !== path.join('src', 'front', 'app.ts')),
  'prisma/seed.ts',
  'prisma/demo-content.ts',
  'prisma/generator.ts',
  'scripts/db.ts',
  'scripts/apikey.ts',
];
/** Files read at run time, relative to the modules that read them. */
const assets = ['prisma/schema.prisma', 'prisma/migrations', 'src/generated/graphql/persisted-documents.json'];

const started = Date.now();
await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  outbase: '.',
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'node22.12',
  sourcemap: true,
  logLevel: 'warning',
});
await mkdir(path.join(outdir, 'src/front'), { recursive: true });
await writeFile(path.join(outdir, 'src/front/app.js'), await bundleFrontScript());
for (const asset of assets) await cp(path.join(root, asset), path.join(outdir, asset), { recursive: true });
await writeFile(
  path.join(outdir, 'main.js'),
  '// The gateway: `node dist/main.js`. dist mirrors the repository (src/, prisma/, scripts/) so relative paths hold.\n' +
    "import './src/main.js';\n",
);
console.log(
  `Built ${entryPoints.length} modules and the front page script into ${path.relative(process.cwd(), outdir) || '.'} in ${Date.now() - started} ms`,
);
