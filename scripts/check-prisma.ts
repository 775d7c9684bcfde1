// `npm run check:prisma` (run by .ci/run): the Prisma packages installed belong to one release.
// The WASM schema engine (src/db/migrations.ts) is pinned by hand, so a Prisma upgrade would
// otherwise leave migrations on an older engine. Prisma names its engine in @prisma/engines-version;
// the WASM engine must be exactly that version, and client, adapter and CLI share one version.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The installed version of a package as `from` (a file) would find it: the first node_modules up
 * from there holding it (read directly: some packages do not export their package.json).
 */
function installed(name: string, from = import.meta.url): { version: string; file: string } {
  for (const dir of createRequire(from).resolve.paths(name) ?? []) {
    const file = path.join(dir, name, 'package.json');
    if (existsSync(file)) return { version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version, file };
  }
  throw new Error(`${name} is not installed`);
}

const prisma = installed('prisma');
const engines = installed('@prisma/engines', prisma.file);
const enginesVersion = installed('@prisma/engines-version', engines.file).version;
const problems: string[] = [];

const wasm = installed('@prisma/schema-engine-wasm').version;
if (wasm !== enginesVersion)
  problems.push(
    `@prisma/schema-engine-wasm is ${wasm}, but prisma ${prisma.version} uses engines ${enginesVersion}: ` +
      `npm install -E @prisma/schema-engine-wasm@${enginesVersion}`,
  );
for (const name of ['@prisma/client', '@prisma/adapter-pg', '@prisma/driver-adapter-utils']) {
  const { version } = installed(name);
  if (version !== prisma.version) problems.push(`${name} is ${version}, prisma is ${prisma.version}: install the same release`);
}

if (problems.length) {
  console.error(`Prisma packages do not match:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`Prisma ${prisma.version}, engines ${enginesVersion}: client, adapters and WASM schema engine match.`);
