// Modes a shape runs in. A mode names the server process to load and the extra environment it
// gets; the bench runs every (shape, mode) pair on a fresh server.
//
// HOOK for the response cache: when the gateway reads RESPONSE_CACHE (src/config.ts), the
// `cached` mode below already passes RESPONSE_CACHE=true to the server (and to the in-process
// gateway that counts statements, which then reports the statements of a repeated request).
// Set `implemented: true` and add 'cached' to DEFAULT_MODES; nothing else in the bench changes.

export type ServerKind = 'gateway' | 'baseline';

export type Mode = {
  server: ServerKind;
  /** Environment added for this mode (on top of the bench's own, before --env). */
  env: Record<string, string>;
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
    implemented: false,
    description: 'the gateway with its response cache on (RESPONSE_CACHE=true); not built yet',
  },
  baseline: {
    server: 'baseline',
    env: {},
    implemented: true,
    description: 'bench/baseline: plain graphql-js resolvers over the same SDL, one Prisma query per relation per parent',
  },
} satisfies Record<string, Mode>;

export type ModeName = keyof typeof MODES;

/** Modes run when --modes is not given (`--baseline` adds baseline). */
export const DEFAULT_MODES: readonly ModeName[] = ['uncached'];
