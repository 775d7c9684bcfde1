import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../codegen.js';

describe('GraphQL Code Generator', () => {
  it('types every example operation from the printed schema, offline', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'codegen-'));
    try {
      const [target] = Object.values(config.generates);
      await generate({ ...config, silent: true, generates: { [`${out}/`]: target! } }, true);
      const types = await readFile(path.join(out, 'graphql.ts'), 'utf8');
      for (const name of [
        'ArticlePageDocument',
        'SectionFrontDocument',
        'EditionFrontDocument',
        'SearchDocument',
        'FrontPageDocument',
        'LiveStoriesDocument',
      ]) {
        expect(types).toContain(`export const ${name}`);
      }
      expect(types).toMatch(/export type ArticlePageQuery = /);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
