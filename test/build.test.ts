// The production build: `npm run build` output runs with plain node and production's packages
// only, finds its migrations and front page script, and loads the demo only when seeding.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pristineDataDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The packages production installs (`npm ci --omit=dev --omit=optional`, as the Dockerfile does), by the lockfile. */
async function productionPackages(): Promise<string[]> {
  type Entry = { dev?: boolean; devOptional?: boolean; optional?: boolean };
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Entry> };
  return Object.entries(lock.packages)
    .filter(([key, entry]) => /^node_modules\/(@[^/]+\/)?[^/@]+$/.test(key) && !entry.dev && !entry.devOptional && !entry.optional)
    .map(([key]) => key.slice('node_modules/'.length));
}

// What is built is the same for both databases: run it once.
describe.skipIf(process.env.TEST_DB === 'postgres')('production build', () => {
  let dir: string;
  let dist: string;
  /** Children still running when a test times out (its `finally` never runs) are stopped here. */
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'newsroom-build-'));
    dist = path.join(dir, 'dist');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts', dist], { cwd: root });
    // Beside dist: package.json's module type and production's packages only (no tsx, esbuild,
    // Prisma CLI or TypeScript), linked from the clone's node_modules.
    await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    const packages = await productionPackages();
    expect(packages).toContain('graphql-yoga');
    expect(packages).not.toContain('tsx');
    for (const name of packages) {
      await mkdir(path.dirname(path.join(dir, 'node_modules', name)), { recursive: true });
      await symlink(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the demo content and the seeders out of the static import graph of the server', async () => {
    const { metafile } = await build({
      absWorkingDir: root,
      entryPoints: ['src/main.ts'],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      write: false,
      outdir: 'unused',
      metafile: true,
      logLevel: 'silent',
    });
    // main.ts loads the server once the configuration holds: its graph counts as the server's.
    const staticallyImported = new Set(['src/main.ts', 'src/server/start.ts']);
    const dynamicImports: string[] = [];
    for (const file of staticallyImported) {
      for (const edge of metafile.inputs[file]?.imports ?? []) {
        if (edge.external) continue;
        if (edge.kind === 'import-statement') staticallyImported.add(edge.path);
        else if (edge.kind === 'dynamic-import') dynamicImports.push(`${file} -> ${edge.path}`);
      }
    }
    expect(dynamicImports).toContain('src/main.ts -> src/server/start.ts');
    expect(staticallyImported).toContain('src/server/gateway.ts');
    expect([...staticallyImported].filter((file) => file.startsWith('prisma/'))).toEqual([]);
    // The one way in: src/db/seeding.ts, when seeding is asked for.
    expect(dynamicImports.filter((edge) => edge.includes('prisma/'))).toEqual(['src/db/seeding.ts -> prisma/seed.ts']);
    expect(metafile.inputs['prisma/demo-content.ts']).toBeDefined();
  });

  it('serves the demo with `node dist/main.js`: migrations, seeding and the prebuilt front page script from dist', async () => {
    const gateway = spawn(process.execPath, [path.join(dist, 'main.js')], {
      cwd: dir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: await pristineDataDir(dir),
        SCHEDULER_INTERVAL_MS: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(gateway);
    try {
      const log = await readyLog(gateway);
      expect(log.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['applied migrations', 'loaded the demo newsroom', 'gateway ready']),
      );
      const ready = log.find((line) => line.msg === 'gateway ready')!;
      const url = ready.url as string;
      const origin = new URL(url).origin;
      // The start-up log names the site and GraphiQL.
      expect(ready).toMatchObject({ site: `${origin}/`, graphiql: `${origin}/graphql` });

      const page = await fetch(`${origin}/`);
      expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
      const script = await fetch(`${origin}/app.js`);
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await script.text()).toBe(await readFile(path.join(dist, 'src/front/app.js'), 'utf8'));

      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ articles(first: 1) { totalCount } }' }),
      });
      const body = (await response.json()) as { data: { articles: { totalCount: number } } };
      expect(body.data.articles.totalCount).toBeGreaterThan(0);

      gateway.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => gateway.once('exit', (exitCode) => resolve(exitCode)));
      expect(code).toBe(0);
    } finally {
      if (gateway.exitCode === null) gateway.kill('SIGKILL');
    }
  }, 180_000);
});

/** The gateway's JSON log lines up to "gateway ready"; rejects with its output if it exits first. */
function readyLog(child: ChildProcess): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (line.msg === 'gateway ready') resolve(lines);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}${JSON.stringify(lines)}`)));
  });
}
