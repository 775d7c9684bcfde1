// Writes schema/schema.graphql: the schema printed from the code, types and fields sorted.
// `--check` exits 1 when the file is stale instead of writing it.
import { readFile, writeFile } from 'node:fs/promises';
import { printedSchema, schemaFile } from '../src/schema/print.js';

const current = await readFile(schemaFile, 'utf8').catch(() => '');
if (process.argv.includes('--check')) {
  if (current !== printedSchema()) {
    console.error('schema/schema.graphql is stale: run `npm run schema:print`.');
    process.exit(1);
  }
} else if (current !== printedSchema()) {
  await writeFile(schemaFile, printedSchema());
  console.log('Wrote schema/schema.graphql');
}
