// Webhook endpoints and their deliveries (ADMIN only, on every path: lists, node/nodes, mutations).
// The secret is returned only by createWebhookEndpoint and rotateWebhookSecret.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import type { Prisma } from '../generated/prisma/client.js';
import * as enums from '../generated/prisma/enums.js';
import { hasRole, requireRole, type Viewer } from '../newsroom/auth.js';
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointInput,
  listEndpoints,
  replayDelivery,
  rotateSecret,
  updateEndpoint,
} from '../newsroom/webhooks.js';
import { parseIntId } from './article.js';
import { builder } from './builder.js';
import type { Context } from '../context.js';
import { countedConnection, pageOptions } from './pagination.js';
import { Section } from './section.js';
import { nonEmpty } from './selection.js';
import { StoryEventTypeEnum } from './subscription.js';

/** Nothing for anyone but an ADMIN: an endpoint's id reads like one that does not exist. */
const adminOnly = (viewer: Viewer) => (hasRole(viewer, 'ADMIN') ? {} : { id: { in: [] as number[] } });
const targets = (ctx: Context) => ctx.webhooks ?? { allowPrivateTargets: false, retryWindowMs: 86_400_000 };

const DeliveryStatus = builder.enumType(enums.WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: queued or being retried; DELIVERED: a 2xx answer; FAILED: retries ran out (replayable).',
});

export const WebhookEndpoint = builder.prismaNode('WebhookEndpoint', {
  id: { field: 'id' },
  nullable: true,
  description: 'A receiver of signed story events (ADMIN only). Its secret is shown once, at creation or rotation.',
  findUnique: (id, ctx) => ({ id: parseIntId(id), AND: [adminOnly(ctx.viewer)] }),
  fields: (t) => ({
    url: t.exposeString('url'),
    description: t.exposeString('description'),
    eventTypes: t.field({ type: [StoryEventTypeEnum], resolve: (e) => e.eventTypes }),
    section: t.field({
      type: Section,
      nullable: true,
      description: 'Only events of this section; null for every section.',
      select: { sectionId: true },
      resolve: (e, _args, ctx) => (e.sectionId == null ? null : ctx.prisma.section.findUnique({ where: { id: e.sectionId } })),
    }),
    enabled: t.exposeBoolean('enabled'),
    secretPrefix: t.string({
      description: 'The first characters of the secret, to tell secrets apart.',
      select: { secret: true },
      resolve: (e) => `${e.secret.slice(0, 10)}…`,
    }),
    previousSecretExpiresAt: t.expose('previousSecretExpiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'After a rotation, deliveries carry a second signature with the old secret until then.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    deliveries: t.relatedConnection(
      'deliveries',
      {
        cursor: 'id',
        description: 'Newest first.',
        args: { status: t.arg({ type: DeliveryStatus }) },
        query: (args) => ({ where: args.status ? { status: args.status } : {}, orderBy: { id: 'desc' } }),
        totalCount: true,
      },
      {},
    ),
  }),
});

export const WebhookDelivery = builder.prismaNode('WebhookDelivery', {
  id: { field: 'id' },
  nullable: true,
  description: 'One story event for one endpoint (ADMIN only).',
  findUnique: (id, ctx) => ({ id: parseIntId(id), endpoint: adminOnly(ctx.viewer) }),
  fields: (t) => ({
    endpoint: t.relation('endpoint'),
    eventId: t.exposeInt('eventId', { description: 'The story event, also sent as the `webhook-id` header.' }),
    eventType: t.expose('eventType', { type: StoryEventTypeEnum }),
    status: t.expose('status', { type: DeliveryStatus }),
    attempts: t.exposeInt('attempts'),
    responseStatus: t.exposeInt('responseStatus', { nullable: true, description: "The last attempt's HTTP status." }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true, description: "The last attempt's time to an answer (or to failing)." }),
    lastError: t.exposeString('lastError', { nullable: true }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    nextAttemptAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it is tried next (PENDING only; behind earlier deliveries of its endpoint).',
      select: { status: true, nextAttemptAt: true },
      resolve: (d) => (d.status === 'PENDING' ? d.nextAttemptAt : null),
    }),
    giveUpAt: t.expose('giveUpAt', { type: 'DateTime', description: 'Retries stop (FAILED) after this.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    payload: t.exposeString('body', { description: 'The JSON body exactly as sent.' }),
  }),
});

const WebhookDeliveryConnection = countedConnection(WebhookDelivery, 'WebhookDeliveryList');

type WithSecret = { endpoint: { id: number }; secret: string };
const EndpointWithSecret = builder.objectRef<WithSecret>('WebhookEndpointWithSecret').implement({
  fields: (t) => ({
    endpoint: t.prismaField({
      type: 'WebhookEndpoint',
      resolve: (query, created, _args, ctx) =>
        ctx.prisma.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: created.endpoint.id } }),
    }),
    secret: t.exposeString('secret', {
      description: 'whsec_… (Standard Webhooks): verify signatures with it. Shown only now: store it in the receiver.',
    }),
  }),
});

const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'http(s)://…; private, loopback and link-local targets are refused unless configured.' }),
    eventTypes: t.field({ type: [StoryEventTypeEnum], required: true }),
    section: t.globalID({ for: [Section], description: 'Only events of this section.' }),
    description: t.string(),
    enabled: t.boolean({ defaultValue: true }),
    secret: t.string({ description: 'Your own whsec_… secret (24 to 64 bytes); one is generated when omitted.' }),
  }),
});

const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string(),
    eventTypes: t.field({ type: [StoryEventTypeEnum] }),
    section: t.globalID({ for: [Section], description: 'null: every section.' }),
    description: t.string(),
    enabled: t.boolean({ description: 'false stops deliveries; true again starts from the newest event.' }),
  }),
});

function toEndpointInput(input: {
  url?: string | null;
  eventTypes?: string[] | null;
  section?: { id: string } | null;
  description?: string | null;
  enabled?: boolean | null;
  secret?: string | null;
}): EndpointInput {
  const { section, url, ...rest } = input;
  return {
    ...rest,
    ...(url != null ? { url } : {}),
    ...(section !== undefined ? { sectionId: section ? parseIntId(section.id) : null } : {}),
  };
}

builder.queryFields((t) => ({
  webhookEndpoints: t.prismaField({
    type: ['WebhookEndpoint'],
    description: 'ADMIN. Every endpoint, newest first.',
    resolve: (query, _root, _args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return listEndpoints(ctx.prisma, query);
    },
  }),
  webhookDeliveries: t.connection(
    {
      type: WebhookDelivery,
      description: 'ADMIN. Deliveries, newest first: of one endpoint, or of all.',
      args: {
        endpoint: t.arg.globalID({ for: [WebhookEndpoint] }),
        status: t.arg({ type: DeliveryStatus }),
      },
      resolve: async (_root, args, ctx, info) => {
        requireRole(ctx.viewer, 'ADMIN');
        const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] }) as Prisma.WebhookDeliveryFindManyArgs;
        const where: Prisma.WebhookDeliveryWhereInput = {
          ...(args.endpoint ? { endpointId: parseIntId(args.endpoint.id) } : {}),
          ...(args.status ? { status: args.status } : {}),
        };
        const connection = await resolveOffsetConnection(pageOptions(args), ({ offset, limit }) =>
          ctx.prisma.webhookDelivery.findMany({ ...query, where, orderBy: { id: 'desc' }, skip: offset, take: limit }),
        );
        return { ...connection, totalCount: () => ctx.prisma.webhookDelivery.count({ where }) };
      },
    },
    WebhookDeliveryConnection,
  ),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: EndpointWithSecret,
    errors: {},
    description: 'ADMIN. It receives events committed from now on.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return createEndpoint(ctx.prisma, toEndpointInput(args.input), targets(ctx));
    },
  }),
  updateWebhookEndpoint: t.prismaField({
    type: 'WebhookEndpoint',
    errors: {},
    description: 'ADMIN. Changes what is given.',
    args: { id: t.arg.globalID({ required: true, for: [WebhookEndpoint] }), input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return updateEndpoint(ctx.prisma, parseIntId(args.id.id), toEndpointInput(args.input), targets(ctx), nonEmpty(query));
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: 'ID',
    errors: {},
    description: 'ADMIN. The endpoint and its deliveries are gone; returns its id.',
    args: { id: t.arg.globalID({ required: true, for: [WebhookEndpoint] }) },
    resolve: async (_root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      await deleteEndpoint(ctx.prisma, parseIntId(args.id.id), { select: { id: true } });
      return args.id.id;
    },
  }),
  rotateWebhookSecret: t.field({
    type: EndpointWithSecret,
    errors: {},
    description: 'ADMIN. A new secret, shown only now; the old one signs too (a second signature) for 24 hours.',
    args: { id: t.arg.globalID({ required: true, for: [WebhookEndpoint] }) },
    resolve: async (_root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return rotateSecret(ctx.prisma, parseIntId(args.id.id), { select: { id: true } });
    },
  }),
  replayWebhookDelivery: t.prismaField({
    type: 'WebhookDelivery',
    errors: {},
    description: 'ADMIN. Sends a FAILED delivery again: same body and webhook-id, a new retry window.',
    args: { id: t.arg.globalID({ required: true, for: [WebhookDelivery] }) },
    resolve: async (query, _root, args, ctx) => {
      requireRole(ctx.viewer, 'ADMIN');
      return replayDelivery(ctx.prisma, parseIntId(args.id.id), targets(ctx).retryWindowMs, nonEmpty(query));
    },
  }),
}));
