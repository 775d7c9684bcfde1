// API keys (ADMIN) and `viewer`: who the request's key belongs to. The rules for keys are the
// domain's (newsroom/api-keys.ts), shared with `npm run apikey`.
import { issueApiKey, listApiKeys, revokeApiKey } from '../newsroom/api-keys.js';
import { requireRole, type Role } from '../newsroom/auth.js';
import { visibleApiKeyWhere } from '../newsroom/visibility.js';
import { parseIntId } from './article.js';
import { Author } from './author.js';
import { builder } from './builder.js';
import { nonEmpty } from './selection.js';

export const ApiRole = builder.enumType('ApiRole', {
  values: {
    WRITER: { description: 'Creates drafts and edits their own (their author in the byline).' },
    EDITOR: { description: 'All content: edit, publish, schedule, correct; tags, editions, collections.' },
    ADMIN: { description: 'Everything, plus API keys, sections and authors.' },
  } as const satisfies Record<Role, { description: string }>,
});

export const ApiKey = builder.prismaNode('ApiKey', {
  id: { field: 'id' },
  nullable: true,
  description: "A key for editors' tools (ADMIN only). The key itself is shown once, at creation.",
  // By global id (`node`, `nodes`) too: null for anyone but an ADMIN, as for an unknown id.
  findUnique: (id, ctx) => ({ id: parseIntId(id), AND: [visibleApiKeyWhere(ctx.viewer)] }),
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.expose('role', { type: ApiRole }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to tell keys apart.' }),
    author: t.relation('author', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const Viewer = builder.objectRef<{ name: string; role: Role }>('Viewer').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.expose('role', { type: ApiRole }),
  }),
});

type CreatedKey = Awaited<ReturnType<typeof issueApiKey>>;
const CreatedApiKey = builder.objectRef<CreatedKey>('CreatedApiKey').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, resolve: (created) => created.apiKey }),
    key: t.exposeString('key', { description: 'Send as `Authorization: Bearer <key>`. Shown only now: it is stored hashed.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Who or what uses it, e.g. "CMS production".' }),
    role: t.field({ type: ApiRole, required: true }),
    author: t.globalID({ for: [Author], description: 'Required for WRITER keys: the author they write as.' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: Viewer,
    nullable: true,
    description: 'The key this request is made with; null for anonymous readers.',
    resolve: (_root, _args, ctx) => (ctx.viewer.kind === 'key' ? { name: ctx.viewer.name, role: ctx.viewer.role } : null),
  }),
  apiKeys: t.prismaField({
    type: ['ApiKey'],
    description: 'ADMIN. All keys, newest first, revoked ones included.',
    resolve: (query, _root, _args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return listApiKeys(ctx.prisma, query);
    },
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreatedApiKey,
    errors: {},
    description: 'ADMIN.',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return issueApiKey(ctx.prisma, {
        name: args.input.name,
        role: args.input.role,
        authorId: args.input.author ? parseIntId(args.input.author.id) : null,
      });
    },
  }),
  revokeApiKey: t.prismaField({
    type: 'ApiKey',
    errors: {},
    description: 'ADMIN. The key stops working at once; revoking twice keeps the first time.',
    args: { id: t.arg.globalID({ required: true, for: [ApiKey] }) },
    resolve: async (query, _root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return revokeApiKey(ctx.prisma, parseIntId(args.id.id), nonEmpty(query));
    },
  }),
}));
