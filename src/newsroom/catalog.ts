// What editors and admins manage around articles: sections and authors (ADMIN), tags, editions
// and collections (EDITOR). Each change is validated first and written in one transaction; each
// command takes an Actor (who, on which database, what to wake).
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import { AuthorKind, EditionKind, TagKind } from '../generated/prisma/enums.js';
import { requireRole } from './auth.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { writeWithEvents } from './events.js';
import type { Actor } from './reader.js';
import { parseInput, slugSchema } from './validation.js';

const name = z.string().trim().min(1, 'must not be empty').max(200);
const text = z.string().trim().max(5000).nullish();

/** Unique and restrict violations are conflicts the client can act on; the rest stay errors. */
async function write<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError) {
      if (error.code === 'P2002') throw new ConflictError('That slug (or date) is taken.');
      if (error.code === 'P2003' || error.code === 'P2014') throw new ConflictError('Other content still refers to this.');
      if (error.code === 'P2025') throw new NotFoundError('Record');
    }
    throw error;
  }
}

// Sections ---------------------------------------------------------------------------------

const sectionSchema = z.object({
  slug: slugSchema,
  name,
  description: text,
  parentId: z.number().int().positive().nullish(),
  position: z.number().int().min(0).max(10_000).default(0),
});

export async function createSection({ prisma, viewer }: Actor, raw: z.input<typeof sectionSchema>) {
  requireRole(viewer, 'ADMIN');
  const input = parseInput(sectionSchema, raw);
  return write(() => prisma.section.create({ data: input }));
}

export async function updateSection({ prisma, viewer }: Actor, id: number, raw: Partial<z.input<typeof sectionSchema>>) {
  requireRole(viewer, 'ADMIN');
  const input = parseInput(sectionSchema.partial(), raw);
  return write(() =>
    prisma.$transaction(async (tx) => {
      if (!(await tx.section.findUnique({ where: { id } }))) throw new NotFoundError('Section');
      if (input.parentId != null) {
        // Walk up from the new parent: meeting this section would make the tree a loop.
        for (let at: number | null = input.parentId; at != null; ) {
          if (at === id) throw ValidationError.at(['parent'], 'a section cannot sit below itself');
          at = (await tx.section.findUnique({ where: { id: at }, select: { parentId: true } }))?.parentId ?? null;
        }
      }
      return tx.section.update({ where: { id }, data: input });
    }),
  );
}

export async function deleteSection({ prisma, viewer }: Actor, id: number) {
  requireRole(viewer, 'ADMIN');
  return write(() =>
    prisma.$transaction(async (tx) => {
      const section = await tx.section.findUnique({ where: { id }, include: { _count: { select: { articles: true, children: true } } } });
      if (!section) throw new NotFoundError('Section');
      if (section._count.articles || section._count.children) {
        throw new ConflictError('Move its articles and subsections elsewhere first.');
      }
      return tx.section.delete({ where: { id } });
    }),
  );
}

// Authors ----------------------------------------------------------------------------------

const authorSchema = z.object({
  slug: slugSchema,
  name,
  bio: text,
  kind: z.enum(AuthorKind).default('STAFF'),
  avatarUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullish(),
});

export async function createAuthor({ prisma, viewer }: Actor, raw: z.input<typeof authorSchema>) {
  requireRole(viewer, 'ADMIN');
  const input = parseInput(authorSchema, raw);
  return write(() => prisma.author.create({ data: input }));
}

export async function updateAuthor({ prisma, viewer }: Actor, id: number, raw: Partial<z.input<typeof authorSchema>>) {
  requireRole(viewer, 'ADMIN');
  const input = parseInput(authorSchema.partial(), raw);
  return write(() => prisma.author.update({ where: { id }, data: input }));
}

// Tags -------------------------------------------------------------------------------------

const tagSchema = z.object({ slug: slugSchema, name, kind: z.enum(TagKind).default('TOPIC') });

export async function createTag({ prisma, viewer }: Actor, raw: z.input<typeof tagSchema>) {
  requireRole(viewer, 'EDITOR');
  const input = parseInput(tagSchema, raw);
  return write(() => prisma.tag.create({ data: input }));
}

export async function updateTag({ prisma, viewer }: Actor, id: number, raw: Partial<z.input<typeof tagSchema>>) {
  requireRole(viewer, 'EDITOR');
  const input = parseInput(tagSchema.partial(), raw);
  return write(() => prisma.tag.update({ where: { id }, data: input }));
}

// Editions ---------------------------------------------------------------------------------

const editionSchema = z.object({
  kind: z.enum(EditionKind).default('DAILY'),
  date: z.date(),
  name,
  slug: slugSchema.optional(),
});

export async function createEdition({ prisma, viewer }: Actor, raw: z.input<typeof editionSchema>) {
  requireRole(viewer, 'EDITOR');
  const input = parseInput(editionSchema, raw);
  const slug = input.slug ?? `${input.kind.toLowerCase()}-${input.date.toISOString().slice(0, 10)}`;
  return write(() => prisma.edition.create({ data: { ...input, slug } }));
}

const placementsSchema = z
  .array(
    z.object({
      articleId: z.number().int().positive(),
      page: z.number().int().min(1).max(1000),
      position: z.number().int().min(1).max(1000),
    }),
  )
  .max(500)
  .superRefine((placements, ctx) => {
    const slots = new Set<string>();
    const articles = new Set<number>();
    placements.forEach((p, i) => {
      const slot = `${p.page}/${p.position}`;
      if (slots.has(slot))
        ctx.addIssue({ code: 'custom', path: [i, 'position'], message: `page ${p.page} position ${p.position} is used twice` });
      if (articles.has(p.articleId)) ctx.addIssue({ code: 'custom', path: [i, 'article'], message: 'article placed twice' });
      slots.add(slot);
      articles.add(p.articleId);
    });
  });

/** Replaces an edition's placements; readers still see only the published articles among them. */
export async function setEditionPlacements(actor: Actor, editionId: number, raw: z.input<typeof placementsSchema>) {
  requireRole(actor.viewer, 'EDITOR');
  const placements = parseInput(placementsSchema, raw);
  return write(() =>
    writeWithEvents(actor, async (tx, append) => {
      const edition = await tx.edition.findUnique({ where: { id: editionId } });
      if (!edition) throw new NotFoundError('Edition');
      await requireArticles(
        tx,
        placements.map((p) => p.articleId),
        'placements',
      );
      await tx.editionPlacement.deleteMany({ where: { editionId } });
      await tx.editionPlacement.createMany({ data: placements.map((p) => ({ ...p, editionId })) });
      await append({ type: 'EDITION_UPDATED', editionId });
      return edition;
    }),
  );
}

// Collections ------------------------------------------------------------------------------

const collectionSchema = z.object({ slug: slugSchema, name, description: text });

export async function createCollection({ prisma, viewer }: Actor, raw: z.input<typeof collectionSchema>) {
  requireRole(viewer, 'EDITOR');
  const input = parseInput(collectionSchema, raw);
  return write(() => prisma.collection.create({ data: input }));
}

const itemsSchema = z
  .array(z.number().int().positive())
  .max(200)
  .refine((ids) => new Set(ids).size === ids.length, 'names an article twice');

/** Replaces a collection's items with `articleIds` in that order. */
export async function setCollectionItems({ prisma, viewer }: Actor, collectionId: number, raw: number[]) {
  requireRole(viewer, 'EDITOR');
  const articleIds = parseInput(itemsSchema, raw);
  return write(() =>
    prisma.$transaction(async (tx) => {
      const collection = await tx.collection.findUnique({ where: { id: collectionId } });
      if (!collection) throw new NotFoundError('Collection');
      await requireArticles(tx, articleIds, 'articles');
      await tx.collectionItem.deleteMany({ where: { collectionId } });
      await tx.collectionItem.createMany({ data: articleIds.map((articleId, i) => ({ collectionId, articleId, position: i + 1 })) });
      return collection;
    }),
  );
}

async function requireArticles(tx: Prisma.TransactionClient, ids: number[], path: string) {
  const found = new Set((await tx.article.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((a) => a.id));
  const issues = ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: [path, String(i)], message: 'no such article' }]));
  if (issues.length) throw new ValidationError(issues);
}
