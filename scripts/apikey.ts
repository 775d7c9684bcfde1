// API keys from the command line (on the embedded database only while no gateway holds it; a
// gateway prints the first ADMIN key of a fresh one in its start-up log), e.g.:
//   npm run apikey -- create --role ADMIN --name "Newsroom admin" [--author some-author-slug]
//   npm run apikey -- list
//   npm run apikey -- revoke --id 3
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { ApiRole } from '../src/generated/prisma/enums.js';
import { issueApiKey, listApiKeys, revokeApiKey } from '../src/newsroom/api-keys.js';
import { ValidationError } from '../src/newsroom/errors.js';

const usage = `Usage: npm run apikey -- create --role ${Object.values(ApiRole).join('|')} --name NAME [--author SLUG] | list | revoke --id N`;

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: { role: { type: 'string' }, name: { type: 'string' }, author: { type: 'string' }, id: { type: 'string' } },
  });
  const db = await openDatabase(loadConfig().database);
  try {
    await applyMigrations(db.adapterFactory);
    if (command === 'create') {
      // The same rules as the createApiKey mutation (newsroom/api-keys.ts); the author by slug here.
      let authorId: number | null = null;
      if (values.author) {
        const author = await db.prisma.author.findUnique({ where: { slug: values.author } });
        if (!author) throw new Error(`No author with slug "${values.author}".`);
        authorId = author.id;
      }
      const { apiKey, key } = await issueApiKey(db.prisma, { name: values.name ?? '', role: values.role?.toUpperCase() ?? '', authorId });
      console.log(`Created ${apiKey.role} key #${apiKey.id} "${apiKey.name}". It is shown only now:\n\n  ${key}\n`);
      console.log(`Send it as: Authorization: Bearer ${apiKey.prefix}…`);
    } else if (command === 'list') {
      for (const k of await listApiKeys(db.prisma)) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : `last used ${k.lastUsedAt?.toISOString() ?? 'never'}`;
        console.log(`#${k.id}\t${k.role}\t${k.prefix}…\t${k.name}\t${state}`);
      }
    } else if (command === 'revoke') {
      const id = Number(values.id);
      if (!Number.isInteger(id)) throw new Error(`--id must be a key number.\n${usage}`);
      await revokeApiKey(db.prisma, id);
      console.log(`Key #${id} is revoked.`);
    } else {
      throw new Error(usage);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  // Input issues name the input fields, which are this script's options.
  if (error instanceof ValidationError) console.error(`${error.issues.map((i) => `--${i.path[0]}: ${i.message}`).join('\n')}\n${usage}`);
  else console.error(error.message);
  process.exit(1);
});
