// The printed form of the schema that schema/schema.graphql holds and reviews see.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { sortedSchema } from './index.js';

export const schemaFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/schema.graphql');

export function printedSchema(): string {
  return `${printSchema(sortedSchema)}\n`;
}
