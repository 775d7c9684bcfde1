// API keys from the command line (on the embedded database only while no gateway holds it; a
// gateway prints the first ADMIN key of a fresh one in its start-up log), e.g.:
//   npm run apikey -- create --role ADMIN --name "Newsroom admin" [--author some-author-slug]
//   npm run apikey -- list
//   npm run apikey -- revoke --id 3
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrations.js';
import { createApiKey } from '../src/newsroom/auth.js';

const usage = 'Usage: npm run apikey -- create --role WRITER|EDITOR|ADMIN --name NAME [--author SLUG] | list | revoke --id N';

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
      const role = values.role?.toUpperCase();
      if (role !== 'WRITER' && role !== 'EDITOR' && role !== 'ADMIN') throw new Error(`--role must be WRITER, EDITOR or ADMIN.\n${usage}`);
      if (!values.name?.trim()) throw new Error(`--name is required.\n${usage}`);
      let authorId: number | null = null;
      if (values.author) {
        const author = await db.prisma.author.findUnique({ where: { slug: values.author } });
        if (!author) throw new Error(`No author with slug "${values.author}".`);
        authorId = author.id;
      }
      if (role === 'WRITER' && authorId === null) throw new Error('A WRITER key needs --author SLUG (the author it writes as).');
      const { apiKey, key } = await createApiKey(db.prisma, { name: values.name.trim(), role, authorId });
      console.log(`Created ${apiKey.role} key #${apiKey.id} "${apiKey.name}". It is shown only now:\n\n  ${key}\n`);
      console.log(`Send it as: Authorization: Bearer ${apiKey.prefix}…`);
    } else if (command === 'list') {
      for (const k of await db.prisma.apiKey.findMany({ orderBy: { id: 'asc' } })) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : `last used ${k.lastUsedAt?.toISOString() ?? 'never'}`;
        console.log(`#${k.id}\t${k.role}\t${k.prefix}…\t${k.name}\t${state}`);
      }
    } else if (command === 'revoke') {
      const id = Number(values.id);
      if (!Number.isInteger(id)) throw new Error(`--id must be a key number.\n${usage}`);
      const key = await db.prisma.apiKey.findUnique({ where: { id } });
      if (!key) throw new Error(`No key #${id}.`);
      await db.prisma.apiKey.update({ where: { id }, data: { revokedAt: key.revokedAt ?? new Date() } });
      console.log(`Key #${id} is revoked.`);
    } else {
      throw new Error(usage);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
