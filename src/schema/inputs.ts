// GraphQL inputs → the newsroom layer's inputs: decoded global ids become row ids under the
// names the domain uses (section → sectionId). Absent stays absent and null stays null, so
// partial updates change only what a client sent.
import { parseIntId } from './article.js';

const domainNames: Record<string, string> = {
  section: 'sectionId',
  parent: 'parentId',
  author: 'authorId',
  article: 'articleId',
  tags: 'tagIds',
};

type GlobalId = { typename: string; id: string };
const isGlobalId = (v: unknown): v is GlobalId => typeof v === 'object' && v !== null && 'typename' in v && 'id' in v;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function convert(value: unknown): unknown {
  if (isGlobalId(value)) return parseIntId(value.id);
  if (Array.isArray(value)) return value.map(convert);
  if (isPlainObject(value)) return toDomainInput(value);
  return value;
}

export function toDomainInput(input: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) out[domainNames[key] ?? key] = convert(value);
  }
  return out;
}
