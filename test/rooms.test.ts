// The rooms of src/ import one way: schema → newsroom → Prisma. The domain (src/newsroom) knows
// neither GraphQL nor the transports; the GraphQL layer knows no transport.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.join(import.meta.dirname, '..', 'src');

/** Every module a room's files import, as `file: specifier`. */
async function importsOf(room: string): Promise<string[]> {
  const files = (await readdir(path.join(src, room))).filter((f) => f.endsWith('.ts'));
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(src, room, file), 'utf8');
    for (const match of text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)) found.push(`${file}: ${match[1] ?? match[2]}`);
  }
  return found;
}

describe('rooms', () => {
  it('the domain imports nothing of GraphQL, the transports or the GraphQL context', async () => {
    const imports = await importsOf('newsroom');
    expect(imports.length).toBeGreaterThan(20);
    expect(imports.filter((i) => /: (\.\.\/(schema|server|context)\b|graphql|@pothos|graphql-yoga)/.test(i))).toEqual([]);
  });

  it('the GraphQL layer imports no transport', async () => {
    const imports = await importsOf('schema');
    expect(imports.length).toBeGreaterThan(20);
    expect(imports.filter((i) => /: \.\.\/server\b/.test(i))).toEqual([]);
  });
});
