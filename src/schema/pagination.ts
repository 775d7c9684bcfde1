// What every list shares: connection types with `totalCount`, connection arguments where a page
// size over the maximum is an error (never silently clamped), and cursors that do not parse are
// typed input errors.
import { decodeBase64, encodeBase64 } from '@pothos/core';
import type { ObjectRef } from '@pothos/core';
import type { DefaultConnectionArguments } from '@pothos/plugin-relay';
import { builder } from './builder.js';
import { userError } from './errors.js';

/**
 * `<name>Connection` and `<name>Edge` for `type`, with `totalCount`: the resolver's
 * `totalCount()` runs only when a client asks for it.
 */
export function countedConnection<T>(type: ObjectRef<typeof builder.$inferSchemaTypes, T>, name: string, totalCountDescription?: string) {
  const connection = builder.connectionObject({ type, name: `${name}Connection` }, { name: `${name}Edge` });
  builder.objectField(connection, 'totalCount', (t) => t.int({ description: totalCountDescription, resolve: (list) => list.totalCount() }));
  return connection;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function checkPageSize(args: { first?: number | null; last?: number | null }, max = MAX_PAGE_SIZE) {
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value == null) continue;
    if (value < 0) throw userError(`"${name}" must not be negative.`);
    if (value > max) {
      throw userError(`"${name}" is ${value}; the largest page is ${max}. Page with "after" instead.`, 'PAGE_SIZE_TOO_LARGE', { max });
    }
  }
}

export function pageOptions(args: DefaultConnectionArguments) {
  checkPageSize(args);
  for (const cursor of [args.after, args.before]) if (cursor != null) checkOffsetCursor(cursor);
  return { args, defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE };
}

/** An opaque cursor holding a keyset position: `kind` guards against mixing orderings. */
export function encodeKeyCursor(kind: string, values: (string | number)[]): string {
  return encodeBase64(`${kind}:${JSON.stringify(values)}`);
}

export function decodeKeyCursor(kind: string, cursor: string): unknown[] {
  try {
    const text = decodeBase64(cursor);
    if (text.startsWith(`${kind}:`)) {
      const values: unknown = JSON.parse(text.slice(kind.length + 1));
      if (Array.isArray(values)) return values;
    }
  } catch {
    // fall through to the typed error
  }
  throw userError(`Invalid cursor "${cursor}" for this list.`, 'INVALID_CURSOR');
}

const OFFSET_CURSOR_PREFIX = 'OffsetConnection:';
const MAX_INT4 = 2_147_483_647;

/** Pothos' offset cursors parse any number; one beyond what the database takes is the client's mistake. */
function checkOffsetCursor(cursor: string) {
  const invalid = () => userError(`Invalid cursor "${cursor}" for this list.`, 'INVALID_CURSOR');
  let text: string;
  try {
    text = decodeBase64(cursor);
  } catch {
    throw invalid();
  }
  if (!text.startsWith(OFFSET_CURSOR_PREFIX)) return; // another kind of cursor: its list decodes it
  const offset = text.slice(OFFSET_CURSOR_PREFIX.length);
  if (!/^\d{1,10}$/.test(offset) || Number(offset) > MAX_INT4) throw invalid();
}

const FIRST_TIME = Date.parse('0001-01-01T00:00:00Z');
const LAST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** A keyset time as our cursors hold it (milliseconds, years 1 to 9999: what PostgreSQL stores). */
export function isCursorTime(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= FIRST_TIME && (value as number) <= LAST_TIME;
}

/** A keyset id as our cursors hold it: a positive int4. */
export function isCursorId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_INT4;
}
