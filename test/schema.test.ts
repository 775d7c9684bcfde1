import { readdirSync, readFileSync } from 'node:fs';
import { parse, validate, type DefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { printedSchema, schemaFile } from '../src/schema/print.js';

describe('printed schema', () => {
  it('schema/schema.graphql is current (run `npm run schema:print` when this fails)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(printedSchema());
  });

  it('every example operation in schema/operations is valid against the schema', () => {
    const dir = new URL('../schema/operations/', import.meta.url);
    const definitions: DefinitionNode[] = readdirSync(dir)
      .filter((f) => f.endsWith('.graphql'))
      .flatMap((f) => parse(readFileSync(new URL(f, dir), 'utf8')).definitions);
    expect(definitions.length).toBeGreaterThan(4);
    expect(validate(schema, { kind: 'Document' as never, definitions })).toEqual([]);
  });
});
