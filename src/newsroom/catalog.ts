// What editors and admins manage around articles: sections and authors (ADMIN), tags, editions
// and collections (EDITOR). Each change is validated first and written in one transaction with
// its story event (events.ts lists them), so caches purge and subscribers hear of it, and a
// failure leaves neither the change nor the event. Each command takes an Actor (who, on which
// database, what to wake).
import { z } from 'zod';
import { Prisma } from '../generated/prisma/client.js';
import { AuthorKind, EditionKind, TagKind } from '../generated/prisma/enums.js';
import { requireRole } from './auth.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { type AppendStoryEvent, writeWithEvents } from './events.js';
import type { Actor } from './reader.js';
import { parseInput, slugSchema } from './validation.js';

const name = z.string().trim().min(1, 'must not be empty').max(200);
const text = z.string().trim().max(5000).nullish();

type Tx = Prisma.TransactionClient;

/**
 * One command's transaction, with its story event; after the commit the live hub has purged what
 * the change made stale (read-your-writes). Unique and restrict violations are conflicts the
 * client can act on; the rest stay errors.
 */
async function write<T>(actor: Actor, work: (tx: Tx, append: AppendStoryEvent) => Promise<T>): Promise<T> {
  try {
    return await writeWithEvents(actor, work, { timeout: 15_000 });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError) {
      if (error.code === 'P2002') throw new ConflictError('That slug (or date) is taken.');
      if (error.code === 'P2003' || error.code === 'P2014') throw new ConflictError('Other content still refers to this.');
      if (error.code === 'P2025') throw new NotFoundError('Record');
    }
    throw error;
  }
}

// The schemas hold no defaults: an update's `.partial()` must leave out what the client left out
// (zod applies a default there too, which reset a tag's kind on a rename). Creates add them.

// Sections ---------------------------------------------------------------------------------

const sectionSchema = z.object({
  slug: slugSchema,
  name,
  description: text,
  parentId: z.number().int().positive().nullish(),
  position: z.number().int().min(0).max(10_000),
});

/** A parent must exist: a foreign-key violation would only say "conflict". */
async function requireParent(tx: Tx, parentId: number | null | undefined) {
  if (parentId != null && !(await tx.section.findUnique({ where: { id: parentId }, select: { id: true } }))) {
    throw ValidationError.at(['parent'], 'no such section');
  }
}

const newSectionSchema = sectionSchema.extend({ position: sectionSchema.shape.position.default(0) });

export async function createSection(actor: Actor, raw: z.input<typeof newSectionSchema>) {
  requireRole(actor.viewer, 'ADMIN');
  const input = parseInput(newSectionSchema, raw);
  return write(actor, async (tx, append) => {
    await requireParent(tx, input.parentId);
    const section = await tx.section.create({ data: input });
    await append({ type: 'SECTION_CREATED', sectionId: section.id });
    return section;
  });
}

export async function updateSection(actor: Actor, id: number, raw: Partial<z.input<typeof sectionSchema>>) {
  requireRole(actor.viewer, 'ADMIN');
  const input = parseInput(sectionSchema.partial(), raw);
  requireChanges(input);
  return write(actor, async (tx, append) => {
    if (!(await tx.section.findUnique({ where: { id } }))) throw new NotFoundError('Section');
    await requireParent(tx, input.parentId);
    if (input.parentId != null) {
      // Walk up from the new parent: meeting this section would make the tree a loop.
      for (let at: number | null = input.parentId; at != null; ) {
        if (at === id) throw ValidationError.at(['parent'], 'a section cannot sit below itself');
        at = (await tx.section.findUnique({ where: { id: at }, select: { parentId: true } }))?.parentId ?? null;
      }
    }
    const section = await tx.section.update({ where: { id }, data: input });
    await append({ type: 'SECTION_UPDATED', sectionId: id });
    return section;
  });
}

export async function deleteSection(actor: Actor, id: number) {
  requireRole(actor.viewer, 'ADMIN');
  return write(actor, async (tx, append) => {
    const section = await tx.section.findUnique({ where: { id }, include: { _count: { select: { articles: true, children: true } } } });
    if (!section) throw new NotFoundError('Section');
    if (section._count.articles || section._count.children) {
      throw new ConflictError('Move its articles and subsections elsewhere first.');
    }
    const deleted = await tx.section.delete({ where: { id } });
    await append({ type: 'SECTION_DELETED', sectionId: id });
    return deleted;
  });
}

// Authors ----------------------------------------------------------------------------------

const authorSchema = z.object({
  slug: slugSchema,
  name,
  bio: text,
  kind: z.enum(AuthorKind),
  avatarUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullish(),
});

const newAuthorSchema = authorSchema.extend({ kind: authorSchema.shape.kind.default('STAFF') });

export async function createAuthor(actor: Actor, raw: z.input<typeof newAuthorSchema>) {
  requireRole(actor.viewer, 'ADMIN');
  const input = parseInput(newAuthorSchema, raw);
  return write(actor, async (tx, append) => {
    const author = await tx.author.create({ data: input });
    await append({ type: 'AUTHOR_CREATED', authorId: author.id });
    return author;
  });
}

export async function updateAuthor(actor: Actor, id: number, raw: Partial<z.input<typeof authorSchema>>) {
  requireRole(actor.viewer, 'ADMIN');
  const input = parseInput(authorSchema.partial(), raw);
  requireChanges(input);
  return write(actor, async (tx, append) => {
    await requireRow(tx.author.findUnique({ where: { id }, select: { id: true } }), 'Author');
    const author = await tx.author.update({ where: { id }, data: input });
    await append({ type: 'AUTHOR_UPDATED', authorId: id });
    return author;
  });
}

// Tags -------------------------------------------------------------------------------------

const tagSchema = z.object({ slug: slugSchema, name, kind: z.enum(TagKind) });

const newTagSchema = tagSchema.extend({ kind: tagSchema.shape.kind.default('TOPIC') });

export async function createTag(actor: Actor, raw: z.input<typeof newTagSchema>) {
  requireRole(actor.viewer, 'EDITOR');
  const input = parseInput(newTagSchema, raw);
  return write(actor, async (tx, append) => {
    const tag = await tx.tag.create({ data: input });
    await append({ type: 'TAG_CREATED', tagId: tag.id });
    return tag;
  });
}

export async function updateTag(actor: Actor, id: number, raw: Partial<z.input<typeof tagSchema>>) {
  requireRole(actor.viewer, 'EDITOR');
  const input = parseInput(tagSchema.partial(), raw);
  requireChanges(input);
  return write(actor, async (tx, append) => {
    await requireRow(tx.tag.findUnique({ where: { id }, select: { id: true } }), 'Tag');
    const tag = await tx.tag.update({ where: { id }, data: input });
    await append({ type: 'TAG_UPDATED', tagId: id });
    return tag;
  });
}

// Editions ---------------------------------------------------------------------------------

const editionSchema = z.object({
  kind: z.enum(EditionKind).default('DAILY'),
  date: z.date(),
  name,
  slug: slugSchema.optional(),
});

export async function createEdition(actor: Actor, raw: z.input<typeof editionSchema>) {
  requireRole(actor.viewer, 'EDITOR');
  const input = parseInput(editionSchema, raw);
  const slug = input.slug ?? `${input.kind.toLowerCase()}-${input.date.toISOString().slice(0, 10)}`;
  return write(actor, async (tx, append) => {
    const edition = await tx.edition.create({ data: { ...input, slug } });
    await append({ type: 'EDITION_CREATED', editionId: edition.id });
    return edition;
  });
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
  return write(actor, async (tx, append) => {
    await tx.$queryRaw`SELECT id FROM "Edition" WHERE id = ${editionId} FOR UPDATE`; // as for collections' items
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
  });
}

// Collections ------------------------------------------------------------------------------

const collectionSchema = z.object({ slug: slugSchema, name, description: text });

export async function createCollection(actor: Actor, raw: z.input<typeof collectionSchema>) {
  requireRole(actor.viewer, 'EDITOR');
  const input = parseInput(collectionSchema, raw);
  return write(actor, async (tx, append) => {
    const collection = await tx.collection.create({ data: input });
    await append({ type: 'COLLECTION_CREATED', collectionId: collection.id });
    return collection;
  });
}

export async function updateCollection(actor: Actor, id: number, raw: Partial<z.input<typeof collectionSchema>>) {
  requireRole(actor.viewer, 'EDITOR');
  const input = parseInput(collectionSchema.partial(), raw);
  requireChanges(input);
  return write(actor, async (tx, append) => {
    await requireRow(tx.collection.findUnique({ where: { id }, select: { id: true } }), 'Collection');
    const collection = await tx.collection.update({ where: { id }, data: input });
    await append({ type: 'COLLECTION_UPDATED', collectionId: id });
    return collection;
  });
}

const itemsSchema = z
  .array(z.number().int().positive())
  .max(200)
  .refine((ids) => new Set(ids).size === ids.length, 'names an article twice');

/** Replaces a collection's items with `articleIds` in that order. */
export async function setCollectionItems(actor: Actor, collectionId: number, raw: number[]) {
  requireRole(actor.viewer, 'EDITOR');
  const articleIds = parseInput(itemsSchema, raw);
  return write(actor, async (tx, append) => {
    // FOR UPDATE: two editors replacing the items at once take turns (else their inserts collide).
    await tx.$queryRaw`SELECT id FROM "Collection" WHERE id = ${collectionId} FOR UPDATE`;
    const collection = await tx.collection.findUnique({ where: { id: collectionId } });
    if (!collection) throw new NotFoundError('Collection');
    await requireArticles(tx, articleIds, 'articles');
    await tx.collectionItem.deleteMany({ where: { collectionId } });
    await tx.collectionItem.createMany({ data: articleIds.map((articleId, i) => ({ collectionId, articleId, position: i + 1 })) });
    await append({ type: 'COLLECTION_UPDATED', collectionId });
    return collection;
  });
}

async function requireArticles(tx: Prisma.TransactionClient, ids: number[], path: string) {
  const found = new Set((await tx.article.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((a) => a.id));
  const issues = ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: [path, String(i)], message: 'no such article' }]));
  if (issues.length) throw new ValidationError(issues);
}

/** An update that names no field changes nothing: refused, so every event stands for a change. */
function requireChanges(input: object) {
  if (Object.values(input).every((value) => value === undefined)) throw ValidationError.at([], 'nothing to change');
}

async function requireRow(row: Promise<unknown>, what: string) {
  if (!(await row)) throw new NotFoundError(what);
}
