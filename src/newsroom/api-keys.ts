// API keys as admins manage them, through GraphQL (ADMIN) or `npm run apikey`: one set of rules
// for both. Keys themselves (how they are made, hashed and checked) are in auth.ts.
import { z } from 'zod';
import type { ApiKey, PrismaClient } from '../generated/prisma/client.js';
import { ApiRole } from '../generated/prisma/enums.js';
import { createApiKey } from './auth.js';
import { NotFoundError } from './errors.js';
import { parseInput } from './validation.js';

const apiKeyInputSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    role: z.enum(ApiRole),
    authorId: z.number().int().positive().nullish(),
  })
  .refine((k) => k.role !== 'WRITER' || k.authorId != null, { path: ['author'], message: 'a WRITER key needs an author' });

/** Issue paths name the input fields: `name`, `role`, `author`. */
export type ApiKeyInput = { name: string; role: string; authorId?: number | null };

/** Checks the input and its author, then creates the key: returned with the only copy of its secret. */
export async function issueApiKey(prisma: PrismaClient, raw: ApiKeyInput) {
  const input = parseInput(apiKeyInputSchema, raw);
  if (input.authorId != null && !(await prisma.author.findUnique({ where: { id: input.authorId }, select: { id: true } }))) {
    throw new NotFoundError('Author');
  }
  return createApiKey(prisma, input);
}

/** Every key, revoked ones included, newest first; `query` is a Prisma select or include. */
export function listApiKeys(prisma: PrismaClient, query: object = {}): Promise<ApiKey[]> {
  return prisma.apiKey.findMany({ ...query, orderBy: { id: 'desc' } });
}

/** The key stops working at once; revoking twice keeps the first time. */
export async function revokeApiKey(prisma: PrismaClient, id: number, query: object = {}): Promise<ApiKey> {
  const key = await prisma.apiKey.findUnique({ where: { id }, select: { revokedAt: true } });
  if (!key) throw new NotFoundError('API key');
  return prisma.apiKey.update({ ...query, where: { id }, data: { revokedAt: key.revokedAt ?? new Date() } });
}
