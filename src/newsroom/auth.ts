// API keys and roles. A key is shown once at creation; only its SHA-256 is stored, so a leaked
// database does not leak keys. Roles nest: WRITER < EDITOR < ADMIN.
import { createHash, randomBytes } from 'node:crypto';
import type { ApiRole, PrismaClient } from '../generated/prisma/client.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

export type Role = ApiRole;

/** Who is asking. Anonymous readers see published content only. */
export type Viewer = { kind: 'anonymous' } | { kind: 'key'; keyId: number; name: string; role: Role; authorId: number | null };

export const anonymous: Viewer = { kind: 'anonymous' };

const rank: Record<Role, number> = { WRITER: 1, EDITOR: 2, ADMIN: 3 };

export function hasRole(viewer: Viewer, role: Role): boolean {
  return viewer.kind === 'key' && rank[viewer.role] >= rank[role];
}

export function requireRole(viewer: Viewer, role: Role): asserts viewer is Extract<Viewer, { kind: 'key' }> {
  if (!hasRole(viewer, role)) {
    throw new ForbiddenError(
      viewer.kind === 'anonymous' ? `This needs an API key with role ${role}.` : `This needs role ${role}; your key is ${viewer.role}.`,
    );
  }
}

const KEY_PREFIX = 'nrk_';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key: 32 bytes of entropy, recognisable by its `nrk_` prefix. */
export function generateKey(): { key: string; prefix: string; secretHash: string } {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), secretHash: hashKey(key) };
}

/** Don't write last-used on every request: once a minute is enough to see which keys live. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** The viewer an `Authorization` header names; no header is an anonymous reader. */
export async function authenticate(prisma: PrismaClient, authorization: string | null): Promise<Viewer> {
  if (!authorization) return anonymous;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('The Authorization header must be "Bearer <API key>".');
  const key = await prisma.apiKey.findUnique({ where: { secretHash: hashKey(match[1]!) } });
  if (!key || key.revokedAt) throw new UnauthenticatedError('Unknown or revoked API key.');
  const now = Date.now();
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Not awaited: bookkeeping must not slow the request, and a lost update is harmless.
    prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return { kind: 'key', keyId: key.id, name: key.name, role: key.role, authorId: key.authorId };
}

/** Creates a key and returns it with the only copy of its secret. */
export async function createApiKey(prisma: PrismaClient, input: { name: string; role: Role; authorId?: number | null }) {
  const { key, prefix, secretHash } = generateKey();
  const apiKey = await prisma.apiKey.create({
    data: { name: input.name, role: input.role, authorId: input.authorId ?? null, prefix, secretHash },
  });
  return { apiKey, key };
}
