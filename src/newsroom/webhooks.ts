// Webhooks as admins manage them (ADMIN only), and what is sent: the payload, its Standard
// Webhooks signature (https://www.standardwebhooks.com) and the check that a target is not a
// private address. Sending (cursor, queue, retries) is webhook-sender.ts.
import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { Prisma, PrismaClient, StoryEvent, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client.js';
import { StoryEventType } from '../generated/prisma/enums.js';
import { NotFoundError, ValidationError } from './errors.js';
import { parseInput } from './validation.js';

// ---------------------------------------------------------------------------------------------
// Secrets and signatures (Standard Webhooks v1). Signing is one HMAC: written here rather than
// taking the `standardwebhooks` package as a runtime dependency; the tests verify every
// delivery with that package, the spec's reference implementation.

const SECRET_PREFIX = 'whsec_';
/** How long deliveries are signed with the old secret too after a rotation, so receivers can switch over. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3600_000;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's base64-decoded bytes. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The three Standard Webhooks headers; several signatures (a rotation's grace period) are space-separated. */
export function signedHeaders(secrets: string[], id: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

/** The secrets a delivery is signed with now: the current one, and the previous one during its grace period. */
export function signingSecrets(endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now = new Date()) {
  const previous =
    endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now ? [endpoint.previousSecret] : [];
  return [endpoint.secret, ...previous];
}

// ---------------------------------------------------------------------------------------------
// Targets: private, loopback and link-local addresses are refused unless configuration allows
// them, when registering (literal addresses, `localhost`) and at every delivery (DNS answers,
// so a name cannot be re-pointed at the internal network after it was registered).

const PUBLIC_RANGE = 'unicast';

/** Why an address may not be sent to, or null when it may. */
export function refusedAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return `not an IP address: ${address}`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === PUBLIC_RANGE ? null : `${address} is a ${range} address`;
}

export type TargetPolicy = { allowPrivateTargets: boolean };

/**
 * Resolves a host and checks every address it has; returns the first address to connect to.
 * Throws with the reason when the target is refused.
 */
export async function resolveTarget(hostname: string, policy: TargetPolicy): Promise<{ address: string; family: number }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(host) ? [{ address: host, family: host.includes(':') ? 6 : 4 }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  if (!policy.allowPrivateTargets) {
    for (const { address } of addresses) {
      const refused = refusedAddress(address);
      if (refused) throw new Error(`refused target: ${refused} (set WEBHOOK_ALLOW_PRIVATE_TARGETS to allow)`);
    }
  }
  return addresses[0]!;
}

const urlSchema = z
  .string()
  .trim()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s):// URL without credentials or fragment');

function checkLiteralTarget(url: string, policy: TargetPolicy) {
  if (policy.allowPrivateTargets) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const refused =
    host === 'localhost' || host.endsWith('.localhost') ? `${host} is loopback` : ipaddr.isValid(host) ? refusedAddress(host) : null;
  if (refused) throw ValidationError.at(['url'], `refused target: ${refused} (set WEBHOOK_ALLOW_PRIVATE_TARGETS to allow)`);
}

// ---------------------------------------------------------------------------------------------
// Endpoints (ADMIN).

const secretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_ followed by base64')
  .refine((s) => {
    const bytes = Buffer.from(s.slice(SECRET_PREFIX.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must hold 24 to 64 bytes (base64)');

const endpointFields = {
  url: urlSchema,
  description: z.string().trim().max(500),
  eventTypes: z.array(z.enum(StoryEventType)).min(1, 'name at least one event type').max(50),
  sectionId: z.number().int().positive().nullable(),
  enabled: z.boolean(),
};
const createSchema = z.object({
  ...endpointFields,
  description: endpointFields.description.default(''),
  sectionId: endpointFields.sectionId.default(null),
  enabled: endpointFields.enabled.default(true),
  secret: secretSchema.optional(),
});
const updateSchema = z.object(endpointFields).partial();

export type EndpointInput = {
  url?: string;
  description?: string | null;
  eventTypes?: string[] | null;
  sectionId?: number | null;
  enabled?: boolean | null;
  secret?: string | null;
};

const dropNulls = (input: EndpointInput, keepNull: string[] = []) =>
  Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && (v !== null || keepNull.includes(k))));

async function checkSection(prisma: PrismaClient, sectionId: number | null | undefined) {
  if (sectionId != null && !(await prisma.section.findUnique({ where: { id: sectionId }, select: { id: true } }))) {
    throw new NotFoundError('Section');
  }
}

/** The newest event id: an endpoint receives what happens after it is registered (or enabled again). */
async function outboxHead(prisma: PrismaClient | Prisma.TransactionClient) {
  const newest = await prisma.storyEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return newest?.id ?? 0;
}

/** Registers an endpoint; returns it with its secret, which is shown only now. */
export async function createEndpoint(prisma: PrismaClient, raw: EndpointInput, policy: TargetPolicy, query: object = {}) {
  const input = parseInput(createSchema, dropNulls(raw));
  checkLiteralTarget(input.url, policy);
  await checkSection(prisma, input.sectionId);
  const secret = input.secret ?? generateSecret();
  const endpoint = await prisma.webhookEndpoint.create({
    ...query,
    data: { ...input, secret, cursor: await outboxHead(prisma) },
  });
  return { endpoint, secret };
}

async function existing(prisma: PrismaClient, id: number) {
  const endpoint = await prisma.webhookEndpoint.findUnique({ where: { id } });
  if (!endpoint) throw new NotFoundError('Webhook endpoint');
  return endpoint;
}

/** Changes what is given. Disabling stops deliveries; enabling again starts from the newest event. */
export async function updateEndpoint(prisma: PrismaClient, id: number, raw: EndpointInput, policy: TargetPolicy, query: object = {}) {
  const input = parseInput(updateSchema, dropNulls(raw, ['sectionId']));
  if (input.url) checkLiteralTarget(input.url, policy);
  const before = await existing(prisma, id);
  await checkSection(prisma, input.sectionId);
  const reenabled = input.enabled === true && !before.enabled;
  return prisma.webhookEndpoint.update({
    ...query,
    where: { id },
    data: { ...input, ...(reenabled ? { cursor: await outboxHead(prisma) } : {}) },
  });
}

export async function deleteEndpoint(prisma: PrismaClient, id: number, query: object = {}) {
  await existing(prisma, id);
  // Its deliveries go with it (cascade); a sender holding it finds it gone and drops the attempt's result.
  return prisma.webhookEndpoint.delete({ ...query, where: { id } });
}

/** A new secret, shown only now; the old one keeps signing (as a second signature) for a day. */
export async function rotateSecret(prisma: PrismaClient, id: number, query: object = {}) {
  const before = await existing(prisma, id);
  const secret = generateSecret();
  const endpoint = await prisma.webhookEndpoint.update({
    ...query,
    where: { id },
    data: { secret, previousSecret: before.secret, previousSecretExpiresAt: new Date(Date.now() + SECRET_ROTATION_GRACE_MS) },
  });
  return { endpoint, secret };
}

/** Sends a FAILED delivery again (same body and webhook-id), with a fresh retry window. */
export async function replayDelivery(
  prisma: PrismaClient,
  id: number,
  retryWindowMs: number,
  query: object = {},
): Promise<WebhookDelivery> {
  const delivery = await prisma.webhookDelivery.findUnique({ where: { id }, select: { status: true } });
  if (!delivery) throw new NotFoundError('Webhook delivery');
  if (delivery.status !== 'FAILED')
    throw ValidationError.at(['id'], `only a FAILED delivery can be replayed; this one is ${delivery.status}`);
  const now = new Date();
  return prisma.webhookDelivery.update({
    ...query,
    where: { id },
    data: { status: 'PENDING', attempts: 0, nextAttemptAt: now, giveUpAt: new Date(now.getTime() + retryWindowMs) },
  });
}

// ---------------------------------------------------------------------------------------------
// The payload: a stable, documented shape (README, "Webhooks"). Identifiers only, never content:
// a receiver that wants the story reads it through the API, where the usual visibility applies.

export type WebhookPayload = {
  /** `article.published`, `article.updated`, `article.corrected`, `article.unpublished`, `edition.updated`, … */
  type: string;
  /** When the change was committed (ISO 8601). */
  timestamp: string;
  data: {
    eventId: number;
    /** The outbox's own name of the event, e.g. PUBLISHED. */
    eventType: string;
    /** For each object the event names (article, section, edition, and what other events name): its ids and slug; an article its public URL. */
    [object: string]: unknown;
  };
};

const ARTICLE_EVENTS = new Set(['PUBLISHED', 'UPDATED', 'CORRECTED', 'UNPUBLISHED']);

/** `PUBLISHED` → `article.published`; `EDITION_UPDATED` → `edition.updated`; any later `THING_DONE` → `thing.done`. */
export function payloadType(type: string): string {
  if (ARTICLE_EVENTS.has(type)) return `article.${type.toLowerCase()}`;
  const [object, ...rest] = type.toLowerCase().split('_');
  return rest.length ? `${object}.${rest.join('_')}` : `event.${object}`;
}

/** Objects an event may name by `<model>Id`, and their GraphQL type (for global ids). */
const NAMED_OBJECTS: Record<string, string> = {
  article: 'Article',
  section: 'Section',
  edition: 'Edition',
  collection: 'Collection',
  tag: 'Tag',
  author: 'Author',
};

const globalId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

/**
 * Bodies for a batch of events, keyed by event id: one statement per kind of object named,
 * whatever the batch size. Events added later (collections, tags, …) are covered as long as
 * they name their objects by `<model>Id`.
 */
export async function buildPayloads(prisma: PrismaClient | Prisma.TransactionClient, events: StoryEvent[], siteUrl: string) {
  const ids = new Map<string, Set<number>>();
  for (const event of events) {
    for (const [key, value] of Object.entries(event)) {
      const object = key.endsWith('Id') ? key.slice(0, -2) : '';
      if (typeof value === 'number' && NAMED_OBJECTS[object]) {
        let set = ids.get(object);
        if (!set) ids.set(object, (set = new Set()));
        set.add(value);
      }
    }
  }
  const slugs = new Map<string, Map<number, string>>();
  for (const [object, set] of ids) {
    // Every named model has `id` and `slug`; the delegate is picked by name.
    const delegate = (prisma as unknown as Record<string, { findMany(args: object): Promise<{ id: number; slug: string }[]> }>)[object]!;
    const rows = await delegate.findMany({ where: { id: { in: [...set] } }, select: { id: true, slug: true } });
    slugs.set(object, new Map(rows.map((r) => [r.id, r.slug])));
  }
  const bodies = new Map<number, string>();
  for (const event of events) {
    const data: WebhookPayload['data'] = { eventId: event.id, eventType: event.type };
    for (const [key, value] of Object.entries(event)) {
      const object = key.endsWith('Id') ? key.slice(0, -2) : '';
      const type = NAMED_OBJECTS[object];
      // Only the objects the event names: the shape of an event type never changes.
      if (!type || typeof value !== 'number') continue;
      const slug = slugs.get(object)?.get(value) ?? null;
      data[object] = {
        id: globalId(type, value),
        databaseId: value,
        slug,
        ...(object === 'article' && slug ? { url: `${siteUrl}/article/${encodeURIComponent(slug)}` } : {}),
      };
    }
    const payload: WebhookPayload = { type: payloadType(event.type), timestamp: event.createdAt.toISOString(), data };
    bodies.set(event.id, JSON.stringify(payload));
  }
  return bodies;
}

/** Whether an endpoint wants an event: its type, and its section when the endpoint names one. */
export function matches(endpoint: Pick<WebhookEndpoint, 'eventTypes' | 'sectionId'>, event: Pick<StoryEvent, 'type' | 'sectionId'>) {
  return endpoint.eventTypes.includes(event.type) && (endpoint.sectionId == null || endpoint.sectionId === event.sectionId);
}

/** Endpoints, newest first. */
export function listEndpoints(prisma: PrismaClient, query: object = {}) {
  return prisma.webhookEndpoint.findMany({ ...query, orderBy: { id: 'desc' } });
}
