// Modes a shape runs in. A mode names the server process to load and the extra environment it
// gets; the bench runs every (shape, mode) pair on a fresh server.
// The `cached` mode turns the response cache on (RESPONSE_CACHE=true) in the server and in the
// in-process gateway that counts statements, which then reports those of a repeated request.
// The `postgraphile` mode serves the same PostgreSQL data through PostGraphile v5 with its own
// query documents (bench/postgraphile, see lib/postgraphile.ts); shapes without one are skipped.

export type ServerKind = 'gateway' | 'baseline' | 'postgraphile';

export type Mode = {
  server: ServerKind;
  /** Environment added for this mode (on top of the bench's own, before --env). */
  env: Record<string, string>;
  /** How the requests are sent: JSON POSTs of the document (default), or GETs of the persisted operation. */
  request?: 'persisted-get';
  /** False while the feature the mode measures does not exist yet: the run is marked as such. */
  implemented: boolean;
  description: string;
};

export const MODES = {
  uncached: {
    server: 'gateway',
    env: { RESPONSE_CACHE: 'false' },
    implemented: true,
    description: 'the gateway (Pothos prisma plan + DataLoader), every request resolved against the database',
  },
  cached: {
    server: 'gateway',
    env: { RESPONSE_CACHE: 'true' },
    implemented: true,
    description: 'the gateway with its response cache on (RESPONSE_CACHE=true): repeated anonymous requests',
  },
  'cached-get': {
    server: 'gateway',
    env: { RESPONSE_CACHE: 'true' },
    request: 'persisted-get',
    implemented: true,
    description:
      'the gateway with its response cache on, asked as production frontends behind a CDN ask: GET of the persisted operation (documentId and variables in the URL)',
  },
  baseline: {
    server: 'baseline',
    env: {},
    implemented: true,
    description: 'bench/baseline: plain graphql-js resolvers over the same SDL, one Prisma query per relation per parent',
  },
  postgraphile: {
    server: 'postgraphile',
    env: {},
    implemented: true,
    description: 'PostGraphile v5 (bench/postgraphile) over the same PostgreSQL data, with equivalent query documents',
  },
} satisfies Record<string, Mode>;

export type ModeName = keyof typeof MODES;

/** Modes run when --modes is not given (`--baseline` adds baseline). */
export const DEFAULT_MODES: readonly ModeName[] = ['uncached', 'cached'];
