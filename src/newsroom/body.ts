// Structured bodies. Writers send Markdown (CommonMark, GFM tables and strikethrough, and three
// directives of ours); on write it is parsed once (remark: micromark + mdast) into typed blocks,
// stored with the article (and so with its revisions), together with its plain text and the
// media it shows. HTML is rendered from the blocks, never from the Markdown, and passes an
// allow-list sanitiser (hast-util-sanitize, the core of rehype-sanitize) on its way out.
//
// The syntax beyond CommonMark + GFM (docs: README "Article bodies"):
//   ![caption](media:12 "credit")            an image of the media library, alone in its paragraph;
//                                            caption and credit default to the library's
//   ::embed[caption]{url="https://…"}        an embed from an allowed provider (EMBED_PROVIDERS)
//   :::pullquote{by="Name"}                  a pull quote (one or more paragraphs), with attribution
//   text
//   :::
// Raw HTML is not part of the syntax: it is dropped, whatever it holds.
import type { Element, ElementContent, Root as HastRoot } from 'hast';
import { sanitize, defaultSchema, type Schema } from 'hast-util-sanitize';
import { toHtml } from 'hast-util-to-html';
import { h } from 'hastscript';
import type { Nodes as MdNodes, PhrasingContent, Root, RootContent, Definition } from 'mdast';
import remarkDirective from 'remark-directive';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { Prisma as PrismaNamespace, type Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { ValidationError, type Issue } from './errors.js';

// ── The stored shape ────────────────────────────────────────────────────────────────────────────

export type TextMark = 'EMPHASIS' | 'STRONG' | 'STRIKETHROUGH';
export type Link = { url: string; title: string | null };
export type Inline =
  | { type: 'text'; text: string; marks: TextMark[]; link: Link | null }
  | { type: 'code'; code: string; link: Link | null }
  | { type: 'break' };
export type ListItem = { inlines: Inline[]; level: number; checked: boolean | null };
export type TableAlign = 'LEFT' | 'CENTER' | 'RIGHT' | null;
export type Block =
  | { type: 'paragraph'; inlines: Inline[] }
  | { type: 'heading'; level: number; inlines: Inline[] }
  | { type: 'list'; ordered: boolean; start: number | null; items: ListItem[] }
  | { type: 'quote'; paragraphs: Inline[][] }
  | { type: 'pullquote'; paragraphs: Inline[][]; attribution: string | null }
  | { type: 'image'; mediaId: number; caption: string | null; credit: string | null }
  | { type: 'embed'; provider: EmbedProvider; url: string; caption: string | null }
  | { type: 'table'; align: TableAlign[]; header: Inline[][]; rows: Inline[][][] }
  | { type: 'code'; code: string; language: string | null }
  | { type: 'divider' };

/** Embeds come only from these providers (https, these hosts); anything else is a ValidationError. */
export const EMBED_PROVIDERS = {
  YOUTUBE: ['youtube.com', 'www.youtube.com', 'm.youtube.com', 'youtu.be', 'www.youtube-nocookie.com'],
  VIMEO: ['vimeo.com', 'player.vimeo.com'],
  X: ['x.com', 'twitter.com', 'www.twitter.com'],
  INSTAGRAM: ['instagram.com', 'www.instagram.com'],
  TIKTOK: ['tiktok.com', 'www.tiktok.com'],
  SPOTIFY: ['open.spotify.com'],
  SOUNDCLOUD: ['soundcloud.com'],
  DATAWRAPPER: ['datawrapper.dwcdn.net'],
  FLOURISH: ['public.flourish.studio', 'flo.uri.sh'],
} as const;
export type EmbedProvider = keyof typeof EMBED_PROVIDERS;
const PROVIDER_NAMES: Record<EmbedProvider, string> = {
  YOUTUBE: 'YouTube',
  VIMEO: 'Vimeo',
  X: 'X',
  INSTAGRAM: 'Instagram',
  TIKTOK: 'TikTok',
  SPOTIFY: 'Spotify',
  SOUNDCLOUD: 'SoundCloud',
  DATAWRAPPER: 'Datawrapper',
  FLOURISH: 'Flourish',
};

/** Longest Markdown source, in characters (over it: a ValidationError at ["body"]). */
export const MAX_BODY_LENGTH = 200_000;
/** Most blocks in one body. */
export const MAX_BLOCKS = 2_000;

// ── Parsing ─────────────────────────────────────────────────────────────────────────────────────

const processor = unified().use(remarkParse).use(remarkGfm).use(remarkDirective);

export type ParsedBody = {
  blocks: Block[];
  text: string;
  /** Library ids of the images the body shows, each once. */
  mediaIds: number[];
  /** What a write must refuse, each at ["body", "<block index>"]; empty when the body is fine. */
  issues: Issue[];
};

/** `media:12` (a library id) → 12; anything else → null. */
export function parseMediaRef(url: string): number | null {
  const match = /^media:(\d{1,10})$/.exec(url.trim());
  const id = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? id : null;
}

/** A link target readers may follow: http(s), mailto, tel, or a path/fragment on this site. */
export function safeLinkUrl(raw: string): string | null {
  const url = raw.trim();
  if (url === '') return null;
  if (/^[/#?]/.test(url) && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:', 'tel:'].includes(parsed.protocol) ? url : null;
  } catch {
    return null;
  }
}

/** The provider of an embed URL, or null when it is not https on an allowed host. */
export function embedProvider(raw: string): EmbedProvider | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  for (const [provider, hosts] of Object.entries(EMBED_PROVIDERS)) {
    if ((hosts as readonly string[]).includes(url.hostname)) return provider as EmbedProvider;
  }
  return null;
}

/**
 * Parses Markdown into blocks. Never throws on content: what a write must refuse is listed in
 * `issues` (and left out of the blocks), so old bodies can be migrated with the same parser.
 */
export function parseBody(markdown: string): ParsedBody {
  const tree = processor.parse(markdown) as Root;
  const definitions = new Map<string, Definition>();
  for (const node of tree.children) if (node.type === 'definition') definitions.set(node.identifier.toLowerCase(), node);
  const issues: Issue[] = [];
  const blocks: Block[] = [];
  const mediaIds = new Set<number>();
  let index = 0;
  const at = (node: { position?: { start: { line: number } } }) => (node.position ? `line ${node.position.start.line}: ` : '');

  /** Phrasing content → inline runs, with marks and links carried down. */
  const inlines = (nodes: PhrasingContent[], blockIndex: number, marks: TextMark[] = [], link: Link | null = null): Inline[] => {
    const out: Inline[] = [];
    const issue = (node: MdNodes, message: string) => issues.push({ path: ['body', String(blockIndex)], message: at(node) + message });
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          if (node.value) out.push({ type: 'text', text: node.value, marks, link });
          break;
        case 'emphasis':
        case 'strong':
        case 'delete': {
          const mark: TextMark = node.type === 'emphasis' ? 'EMPHASIS' : node.type === 'strong' ? 'STRONG' : 'STRIKETHROUGH';
          out.push(...inlines(node.children, blockIndex, marks.includes(mark) ? marks : [...marks, mark], link));
          break;
        }
        case 'inlineCode':
          out.push({ type: 'code', code: node.value, link });
          break;
        case 'break':
          out.push({ type: 'break' });
          break;
        case 'link':
        case 'linkReference': {
          const target = node.type === 'link' ? node : definitions.get(node.identifier.toLowerCase());
          const url = target ? safeLinkUrl(target.url) : null;
          if (target && !url) issue(node, `links must be http(s), mailto, tel or a path on this site, not "${target.url.slice(0, 80)}"`);
          const next = url ? { url, title: target?.title ?? null } : link;
          out.push(...inlines(node.children, blockIndex, marks, next));
          break;
        }
        case 'image':
        case 'imageReference':
          issue(node, 'an image stands alone in its paragraph: ![caption](media:ID "credit")');
          if (node.alt) out.push({ type: 'text', text: node.alt, marks, link });
          break;
        case 'textDirective': {
          // Not ours: "a:b" in prose parses as a directive; give the writer their text back.
          out.push({ type: 'text', text: `:${node.name}`, marks, link });
          out.push(...inlines(node.children, blockIndex, marks, link));
          break;
        }
        case 'html':
        case 'footnoteReference':
          break; // raw HTML is not part of the syntax; footnotes are not either
        default:
          break;
      }
    }
    return out;
  };

  /** The paragraphs of a container (quote, pull quote), flattening lists and headings into them. */
  const paragraphs = (nodes: RootContent[], blockIndex: number): Inline[][] =>
    nodes.flatMap((node): Inline[][] => {
      if (node.type === 'paragraph' || node.type === 'heading') return [inlines(node.children, blockIndex)];
      if (node.type === 'blockquote' || node.type === 'listItem' || node.type === 'containerDirective') {
        return paragraphs(node.children as RootContent[], blockIndex);
      }
      if (node.type === 'list') return node.children.flatMap((item) => paragraphs(item.children, blockIndex));
      if (node.type === 'code') return [[{ type: 'code', code: node.value, link: null }]];
      return [];
    });

  const emit = (node: RootContent): void => {
    const blockIndex = index;
    const issue = (message: string) => issues.push({ path: ['body', String(blockIndex)], message: at(node) + message });
    const push = (block: Block) => {
      blocks.push(block);
      index += 1;
    };
    switch (node.type) {
      case 'paragraph': {
        const content = node.children.filter((c) => !(c.type === 'text' && c.value.trim() === '') && c.type !== 'html');
        const only = content.length === 1 ? content[0] : undefined;
        if (only && (only.type === 'image' || only.type === 'imageReference')) {
          const target = only.type === 'image' ? only : definitions.get(only.identifier.toLowerCase());
          const mediaId = target ? parseMediaRef(target.url) : null;
          if (mediaId === null) {
            issue('images come from the media library: ![caption](media:ID "credit")');
            index += 1;
            return;
          }
          mediaIds.add(mediaId);
          push({ type: 'image', mediaId, caption: only.alt?.trim() || null, credit: target?.title?.trim() || null });
          return;
        }
        const runs = inlines(node.children, blockIndex);
        if (runs.length) push({ type: 'paragraph', inlines: runs });
        return;
      }
      case 'heading':
        push({ type: 'heading', level: node.depth, inlines: inlines(node.children, blockIndex) });
        return;
      case 'thematicBreak':
        push({ type: 'divider' });
        return;
      case 'blockquote':
        push({ type: 'quote', paragraphs: paragraphs(node.children, blockIndex) });
        return;
      case 'code':
        push({ type: 'code', code: node.value, language: node.lang?.slice(0, 40) || null });
        return;
      case 'list': {
        const items: ListItem[] = [];
        const walk = (list: typeof node, level: number) => {
          for (const item of list.children) {
            const runs: Inline[] = [];
            for (const child of item.children) {
              if (child.type === 'list') continue;
              const more = paragraphs([child], blockIndex).flat();
              if (runs.length && more.length) runs.push({ type: 'break' });
              runs.push(...more);
            }
            items.push({ inlines: runs, level, checked: item.checked ?? null });
            for (const child of item.children) if (child.type === 'list') walk(child, level + 1);
          }
        };
        walk(node, 0);
        push({ type: 'list', ordered: node.ordered ?? false, start: node.ordered ? (node.start ?? 1) : null, items });
        return;
      }
      case 'table': {
        const [head, ...rows] = node.children;
        const cells = (row: typeof head) => (row?.children ?? []).map((cell) => inlines(cell.children, blockIndex));
        push({
          type: 'table',
          align: (node.align ?? []).map((a) => (a ? (a.toUpperCase() as TableAlign) : null)),
          header: cells(head),
          rows: rows.map(cells),
        });
        return;
      }
      case 'containerDirective':
        if (node.name === 'pullquote') {
          const by = node.attributes?.by ?? node.attributes?.attribution;
          push({ type: 'pullquote', paragraphs: paragraphs(node.children, blockIndex), attribution: by?.trim() || null });
          return;
        }
        issue(`unknown block ":::${node.name}" (known: :::pullquote)`);
        index += 1;
        return;
      case 'leafDirective':
        if (node.name === 'embed') {
          const url = node.attributes?.url ?? '';
          const provider = embedProvider(url);
          if (!provider) {
            issue(`embeds come from ${Object.values(PROVIDER_NAMES).join(', ')} over https, not "${url.slice(0, 80)}"`);
            index += 1;
            return;
          }
          const caption = node.children.length ? plainText(inlines(node.children as PhrasingContent[], blockIndex)) : '';
          push({ type: 'embed', provider, url: url.trim(), caption: caption.trim() || null });
          return;
        }
        issue(`unknown block "::${node.name}" (known: ::embed)`);
        index += 1;
        return;
      case 'footnoteDefinition':
        for (const child of node.children) emit(child);
        return;
      default:
        return; // html (dropped), definitions (used above), yaml and the like
    }
  };
  for (const node of tree.children) emit(node);
  if (blocks.length > MAX_BLOCKS) issues.push({ path: ['body'], message: `at most ${MAX_BLOCKS} blocks` });
  return { blocks, text: bodyText(blocks), mediaIds: [...mediaIds], issues };
}

// ── Plain text ──────────────────────────────────────────────────────────────────────────────────

export function plainText(runs: Inline[]): string {
  return runs.map((r) => (r.type === 'text' ? r.text : r.type === 'code' ? r.code : '\n')).join('');
}

/** One block as plain text ('' for a divider). */
export function blockText(block: Block): string {
  switch (block.type) {
    case 'paragraph':
    case 'heading':
      return plainText(block.inlines);
    case 'list':
      return block.items.map((item) => plainText(item.inlines)).join('\n');
    case 'quote':
    case 'pullquote':
      return [...block.paragraphs.map(plainText), ...(block.type === 'pullquote' && block.attribution ? [block.attribution] : [])].join(
        '\n',
      );
    case 'image':
      return [block.caption, block.credit].filter(Boolean).join(' ');
    case 'embed':
      return block.caption ?? '';
    case 'table':
      return [block.header, ...block.rows].map((row) => row.map(plainText).join('\t')).join('\n');
    case 'code':
      return block.code;
    case 'divider':
      return '';
  }
}

/**
 * The whole body as plain text, blocks separated by blank lines: the running text for snippets,
 * feeds and search, so image captions and embeds are left out.
 */
export function bodyText(blocks: Block[]): string {
  return blocks
    .filter((block) => block.type !== 'image' && block.type !== 'embed')
    .map(blockText)
    .filter((t) => t.trim() !== '')
    .join('\n\n');
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────────────

/** What the HTML of an image needs from the media library (and the image service). */
export type ImageView = {
  src: string;
  srcset: string | null;
  width: number | null;
  height: number | null;
  alt: string | null;
  caption: string | null;
  credit: string | null;
};

/** GitHub's allow-list plus what our blocks render: figures, pull quotes, responsive images. */
export const htmlSchema: Schema = {
  ...defaultSchema,
  tagNames: [...(defaultSchema.tagNames ?? []), 'aside', 'figure', 'figcaption', 'cite'],
  attributes: {
    ...defaultSchema.attributes,
    a: [...(defaultSchema.attributes?.a ?? []), 'title', ['rel', 'nofollow', 'noopener', 'noreferrer']],
    aside: [['className', 'pull-quote']],
    figure: [['className', 'image', 'embed', /^embed-[a-z]+$/]],
    img: [...(defaultSchema.attributes?.img ?? []), 'srcSet', 'sizes', ['loading', 'lazy'], ['decoding', 'async']],
    span: [['className', 'credit']],
  },
  protocols: { href: ['http', 'https', 'mailto', 'tel'], src: ['http', 'https'] },
};

function inlineHast(runs: Inline[]): ElementContent[] {
  const out: ElementContent[] = [];
  let group: { link: Link; children: ElementContent[] } | null = null;
  const flush = () => {
    if (!group) return;
    const { url, title } = group.link;
    const external = /^https?:/i.test(url);
    out.push(h('a', { href: url, title: title ?? undefined, rel: external ? ['nofollow', 'noopener'] : undefined }, group.children));
    group = null;
  };
  for (const run of runs) {
    let node: ElementContent;
    if (run.type === 'break') node = h('br');
    else if (run.type === 'code') node = h('code', run.code);
    else {
      node = { type: 'text', value: run.text };
      // Children in an array: hastscript would read a lone node object as properties.
      for (const mark of run.marks) node = h(mark === 'EMPHASIS' ? 'em' : mark === 'STRONG' ? 'strong' : 'del', [node]);
    }
    const link = run.type === 'break' ? null : run.link;
    if (group && (!link || link.url !== group.link.url || link.title !== group.link.title)) flush();
    if (link) {
      group ??= { link, children: [] };
      group.children.push(node);
    } else out.push(node);
  }
  flush();
  return out;
}

function listHast(block: Extract<Block, { type: 'list' }>): Element {
  const make = () =>
    h(block.ordered ? 'ol' : 'ul', block.ordered && block.start !== 1 && block.start !== null ? { start: block.start } : {});
  const root = make();
  // Items carry their depth; rebuild the nesting (a deeper item goes into the previous item).
  const stack: Element[] = [root];
  for (const item of block.items) {
    const level = Math.min(item.level, stack.length);
    while (stack.length > level + 1) stack.pop();
    let list = stack[stack.length - 1]!;
    if (level === stack.length) {
      const parentItem = list.children.at(-1) as Element | undefined;
      const nested = make();
      if (parentItem) parentItem.children.push(nested);
      else list.children.push(h('li', nested));
      stack.push(nested);
      list = nested;
    }
    const checkbox = item.checked === null ? [] : [h('input', { type: 'checkbox', disabled: true, checked: item.checked }), ' '];
    list.children.push(h('li', [...checkbox, ...inlineHast(item.inlines)]));
  }
  return root;
}

function blockHast(block: Block, image: (mediaId: number) => ImageView | null): Element | null {
  switch (block.type) {
    case 'paragraph':
      return h('p', inlineHast(block.inlines));
    case 'heading':
      return h(`h${block.level}`, inlineHast(block.inlines));
    case 'list':
      return listHast(block);
    case 'quote':
      return h(
        'blockquote',
        block.paragraphs.map((p) => h('p', inlineHast(p))),
      );
    case 'pullquote':
      return h('aside', { className: ['pull-quote'] }, [
        h(
          'blockquote',
          block.paragraphs.map((p) => h('p', inlineHast(p))),
        ),
        ...(block.attribution ? [h('cite', block.attribution)] : []),
      ]);
    case 'image': {
      const view = image(block.mediaId);
      if (!view) return null;
      const caption = block.caption ?? view.caption;
      const credit = block.credit ?? view.credit;
      return h('figure', { className: ['image'] }, [
        h('img', {
          src: view.src,
          srcSet: view.srcset ?? undefined,
          sizes: view.srcset ? '(min-width: 720px) 720px, 100vw' : undefined,
          alt: view.alt ?? caption ?? '',
          width: view.width ?? undefined,
          height: view.height ?? undefined,
          loading: 'lazy',
        }),
        ...(caption || credit
          ? [h('figcaption', [...(caption ? [caption] : []), ...(credit ? [' ', h('span', { className: ['credit'] }, credit)] : [])])]
          : []),
      ]);
    }
    case 'embed':
      return h('figure', { className: ['embed', `embed-${block.provider.toLowerCase()}`] }, [
        h('a', { href: block.url, rel: ['nofollow', 'noopener'] }, `View on ${PROVIDER_NAMES[block.provider]}`),
        ...(block.caption ? [h('figcaption', block.caption)] : []),
      ]);
    case 'table': {
      const align = (i: number) => block.align[i]?.toLowerCase() ?? undefined;
      return h('table', [
        h(
          'thead',
          h(
            'tr',
            block.header.map((cell, i) => h('th', { align: align(i) }, inlineHast(cell))),
          ),
        ),
        h(
          'tbody',
          block.rows.map((row) =>
            h(
              'tr',
              row.map((cell, i) => h('td', { align: align(i) }, inlineHast(cell))),
            ),
          ),
        ),
      ]);
    }
    case 'code':
      return h('pre', h('code', block.language ? { className: [`language-${block.language.replace(/[^\w+-]/g, '')}`] } : {}, block.code));
    case 'divider':
      return h('hr');
  }
}

/**
 * The blocks as HTML. Built as a tree from typed blocks (text is always text, links and image
 * sources were checked on write), then passed through the allow-list sanitiser all the same, so
 * a bug here or an old row cannot put a script on a reader's page.
 */
export function renderHtml(blocks: Block[], image: (mediaId: number) => ImageView | null): string {
  const tree: HastRoot = { type: 'root', children: [] };
  for (const block of blocks) {
    const element = blockHast(block, image);
    if (element) tree.children.push(element, { type: 'text', value: '\n' });
  }
  tree.children.pop();
  return toHtml(sanitize(tree, htmlSchema) as HastRoot);
}

/** The blocks as rendered before sanitising: tests check the sanitiser finds nothing to remove. */
export function renderHtmlUnsanitised(blocks: Block[], image: (mediaId: number) => ImageView | null): string {
  const tree: HastRoot = { type: 'root', children: [] };
  for (const block of blocks) {
    const element = blockHast(block, image);
    if (element) tree.children.push(element, { type: 'text', value: '\n' });
  }
  tree.children.pop();
  return toHtml(tree);
}

// ── Writing ─────────────────────────────────────────────────────────────────────────────────────

type Tx = Prisma.TransactionClient;

/**
 * Parses a body for a write: its issues, and images missing from the media library, are a
 * ValidationError with the block's path. Returns the columns to store.
 */
export async function prepareBody(
  tx: Tx,
  markdown: string,
): Promise<{ body: string; bodyBlocks: Block[]; bodyText: string; mediaIds: number[] }> {
  if (markdown.length > MAX_BODY_LENGTH) throw ValidationError.at(['body'], `at most ${MAX_BODY_LENGTH} characters`);
  const parsed = parseBody(markdown);
  const issues = [...parsed.issues];
  if (parsed.mediaIds.length) {
    const found = new Set((await tx.media.findMany({ where: { id: { in: parsed.mediaIds } }, select: { id: true } })).map((m) => m.id));
    parsed.blocks.forEach((block, i) => {
      if (block.type === 'image' && !found.has(block.mediaId)) {
        issues.push({ path: ['body', String(i)], message: `media:${block.mediaId} is not in the media library` });
      }
    });
  }
  if (issues.length) throw new ValidationError(issues);
  return { body: markdown, bodyBlocks: parsed.blocks, bodyText: parsed.text, mediaIds: parsed.mediaIds };
}

/** The columns of a prepared body, for an article's create or update. */
export function bodyColumns(prepared: Awaited<ReturnType<typeof prepareBody>>, mode: 'create' | 'update') {
  const links = prepared.mediaIds.map((mediaId) => ({ mediaId }));
  return {
    body: prepared.body,
    bodyBlocks: prepared.bodyBlocks as unknown as Prisma.InputJsonValue,
    bodyText: prepared.bodyText,
    bodyMedia: mode === 'create' ? { create: links } : { deleteMany: {}, create: links },
  };
}

/**
 * Parses the bodies of articles stored before bodies had blocks (`bodyBlocks` null), in
 * batches; run after migrating. Old bodies are not refused: what a write would refuse (an
 * external image, an unknown embed, a `javascript:` link) is left out, and images whose media
 * are gone too. Returns how many articles it parsed.
 */
export async function backfillBodies(prisma: PrismaClient, batch = 200): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await prisma.article.findMany({
      where: { bodyBlocks: { equals: PrismaNamespace.DbNull } },
      select: { id: true, body: true },
      orderBy: { id: 'asc' },
      take: batch,
    });
    if (rows.length === 0) return done;
    await prisma.$transaction(async (tx) => {
      const parsed = rows.map((row) => ({ id: row.id, ...parseBody(row.body) }));
      const wanted = [...new Set(parsed.flatMap((p) => p.mediaIds))];
      const present = new Set(
        wanted.length ? (await tx.media.findMany({ where: { id: { in: wanted } }, select: { id: true } })).map((m) => m.id) : [],
      );
      for (const p of parsed) {
        const blocks = p.blocks.filter((b) => b.type !== 'image' || present.has(b.mediaId));
        // Raw, so the internal last-write time (the desk's order) stays as it was.
        await tx.$executeRaw`UPDATE "Article" SET "bodyBlocks" = ${JSON.stringify(blocks)}::jsonb, "bodyText" = ${bodyText(blocks)} WHERE id = ${p.id}`;
        const mediaIds = p.mediaIds.filter((id) => present.has(id));
        if (mediaIds.length) {
          await tx.articleBodyMedia.createMany({ data: mediaIds.map((mediaId) => ({ articleId: p.id, mediaId })), skipDuplicates: true });
        }
      }
    });
    done += rows.length;
  }
}
