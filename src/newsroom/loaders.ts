// Per-request batching for what Pothos' prisma plan does not cover: articles by id (search hits)
// and the section tree. One instance per request, so nothing leaks between viewers; the section
// tree (the same for every viewer) comes from the gateway's SectionTree when there is one.
import DataLoader from 'dataloader';
import type { Article, PrismaClient } from '../generated/prisma/client.js';
import type { Viewer } from './auth.js';
import { readSections, type SectionRow, type SectionTree } from './section-tree.js';
import { visibleArticleWhere } from './visibility.js';

export type { SectionRow };

export function createLoaders(prisma: PrismaClient, viewer: Viewer, sectionTree?: SectionTree) {
  let sections: Promise<SectionRow[]> | undefined;
  const articles = new Map<string, DataLoader<number, Article | undefined>>();
  const batches = new Map<string, DataLoader<any, any, unknown>>();
  return {
    /**
     * Visible articles by id, loaded with a planned Prisma query (its include/select): every
     * field asking for the same shape in one tick shares one statement.
     */
    articles(query: object) {
      const key = JSON.stringify(query);
      let loader = articles.get(key);
      if (!loader) {
        loader = new DataLoader(async (ids: readonly number[]) => {
          const rows = await prisma.article.findMany({
            ...query,
            where: { AND: [visibleArticleWhere(viewer), { id: { in: [...ids] } }] },
          });
          const byId = new Map(rows.map((row) => [row.id, row]));
          return ids.map((id) => byId.get(id));
        });
        articles.set(key, loader);
      }
      return loader;
    },
    /**
     * A loader of this request for `key`: what the domain batches beyond the above (lists of many
     * tags, authors or sections, articles.ts). The same key gets the same loader.
     */
    batch<K, V>(key: string, load: (keys: readonly K[]) => Promise<V[]>, cacheKeyFn: (key: K) => unknown): DataLoader<K, V, unknown> {
      let loader = batches.get(key);
      if (!loader) batches.set(key, (loader = new DataLoader(load, { cacheKeyFn })));
      return loader;
    },
    /**
     * All sections (a small table), to expand a section to its subtree: the gateway's tree, or
     * read once per request without one.
     */
    sections: () => (sections ??= sectionTree ? sectionTree.read(prisma) : readSections(prisma)),
    /** What later loaders of this request's operation share (a subscription makes them per event). */
    sectionTree,
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Ids of the section with this slug and all sections below it; empty when the slug is unknown. */
export async function sectionSubtreeIds(loaders: Loaders, slug: string): Promise<number[]> {
  const all = await loaders.sections();
  const root = all.find((s) => s.slug === slug);
  if (!root) return [];
  const ids = [root.id];
  for (let i = 0; i < ids.length; i += 1) {
    for (const s of all) if (s.parentId === ids[i]) ids.push(s.id);
  }
  return ids;
}
