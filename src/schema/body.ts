// Structured bodies in GraphQL: typed blocks all the way down (a union of block types, inline
// runs as types, not HTML strings), the HTML rendered from them, plain text, and the Markdown
// source for editors. The parsing and rendering rules live in src/newsroom/body.ts.
import type { Viewer } from '../newsroom/auth.js';
import {
  type Block,
  type EmbedProvider,
  EMBED_PROVIDERS,
  type ImageView,
  type Inline,
  type ListItem,
  blockText,
  parseBody,
  plainText,
  renderHtml,
} from '../newsroom/body.js';
import { type ImageServiceConfig, renditionUrl, srcset } from '../newsroom/media.js';
import type { Media as MediaRow } from '../generated/prisma/client.js';
import { Article } from './article.js';
import { builder } from './builder.js';
import { Media } from './media.js';

/** A body as resolved: its blocks and the library rows of the images they show. */
export type BodyView = {
  blocks: Block[];
  text: string;
  markdown: string;
  media: Map<number, MediaRow>;
  /** Whether the viewer may see the Markdown source (an API key). */
  editor: boolean;
  images: ImageServiceConfig;
};

/** Builds the view of a stored body; an old row not yet backfilled is parsed here (leniently). */
export function bodyView(
  row: { body: string; bodyBlocks: unknown; bodyText: string },
  media: MediaRow[],
  viewer: Viewer,
  images: ImageServiceConfig,
): BodyView {
  const stored = Array.isArray(row.bodyBlocks) ? (row.bodyBlocks as Block[]) : null;
  const parsed = stored ? null : parseBody(row.body);
  return {
    blocks: stored ?? parsed!.blocks,
    text: stored ? row.bodyText : parsed!.text,
    markdown: row.body,
    media: new Map(media.map((m) => [m.id, m])),
    editor: viewer.kind === 'key',
    images,
  };
}

/** The library image an HTML `<img>` shows: a rendition about a column wide, and a srcset. */
function imageView(body: BodyView, mediaId: number): ImageView | null {
  const media = body.media.get(mediaId);
  if (!media) return null;
  const { widths } = body.images;
  const fitting = widths.filter((w) => w <= Math.min(media.width ?? Number.POSITIVE_INFINITY, 1024));
  const width = body.images.urlTemplate ? (fitting.at(-1) ?? widths[0]) : undefined;
  return {
    src: width ? renditionUrl(body.images, media, { width }) : media.url,
    srcset: srcset(body.images, media),
    width: media.width,
    height: media.height,
    alt: media.altText,
    caption: media.caption,
    credit: media.credit,
  };
}

/** Rendered HTML by source and images, per image service: the sample page renders its body once, not per request. */
const renderedHtml = new WeakMap<ImageServiceConfig, Map<string, string>>();
const RENDERED_HTML_ENTRIES = 500;

function cachedHtml(body: BodyView): string {
  let cache = renderedHtml.get(body.images);
  if (!cache) renderedHtml.set(body.images, (cache = new Map()));
  // The blocks follow from the source; the images' rows can change without it.
  const media = [...body.media.values()].map((m) => [m.id, m.url, m.width, m.height, m.altText, m.caption, m.credit, m.focalX, m.focalY]);
  const key = `${body.markdown}\u0000${JSON.stringify(media)}`;
  let html = cache.get(key);
  if (html === undefined) {
    html = renderHtml(body.blocks, (id) => imageView(body, id));
    if (cache.size >= RENDERED_HTML_ENTRIES) cache.delete(cache.keys().next().value!);
  } else cache.delete(key);
  cache.set(key, html);
  return html;
}

// ── Inline runs ─────────────────────────────────────────────────────────────────────────────────

const TextMarkEnum = builder.enumType('TextMark', { values: ['EMPHASIS', 'STRONG', 'STRIKETHROUGH'] as const });

const LinkRef = builder.objectRef<{ url: string; title: string | null }>('Link').implement({
  description: 'A link target: http(s), mailto, tel, or a path on this site (nothing else passes a write).',
  fields: (t) => ({
    url: t.exposeString('url', { description: 'The target, as written.' }),
    title: t.exposeString('title', { nullable: true, description: 'The link title (`[text](url "title")`).' }),
  }),
});

type TextRunData = Extract<Inline, { type: 'text' }>;
type CodeRunData = Extract<Inline, { type: 'code' }>;
type BreakData = Extract<Inline, { type: 'break' }>;

const TextRun = builder.objectRef<TextRunData>('TextRun').implement({
  description: 'Text with its marks (emphasis, strong, strikethrough) and the link it is part of.',
  fields: (t) => ({
    text: t.exposeString('text', { description: 'Plain text, never HTML: escape it when writing HTML.' }),
    marks: t.field({
      type: [TextMarkEnum],
      description: 'Emphasis, strong, strikethrough; nested marks all apply.',
      resolve: (r) => r.marks,
    }),
    link: t.field({ type: LinkRef, nullable: true, description: 'The link this run is part of, if any.', resolve: (r) => r.link }),
  }),
});
const CodeRun = builder.objectRef<CodeRunData>('CodeRun').implement({
  description: 'A code span: `like this`.',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The code span, as written.' }),
    link: t.field({ type: LinkRef, nullable: true, description: 'The link this run is part of, if any.', resolve: (r) => r.link }),
  }),
});
const LineBreak = builder.objectRef<BreakData>('LineBreak').implement({
  description: 'A hard line break within a paragraph.',
  fields: (t) => ({ text: t.string({ description: 'Always "\\n".', resolve: () => '\n' }) }),
});

const InlineUnion = builder.unionType('Inline', {
  description: 'A run of a paragraph, heading, list item, quote or table cell.',
  types: [TextRun, CodeRun, LineBreak],
  resolveType: (run) => (run.type === 'text' ? TextRun : run.type === 'code' ? CodeRun : LineBreak),
});

// ── Blocks ──────────────────────────────────────────────────────────────────────────────────────

type Of<T extends Block['type']> = Extract<Block, { type: T }>;
type ImageData = Of<'image'> & { media: MediaRow | null };
type BlockData = Exclude<Block, { type: 'image' }> | ImageData;

const text = (description = 'The block as plain text.') => ({ description, resolve: (b: BlockData) => blockText(b) });

const ParagraphBlock = builder.objectRef<Of<'paragraph'>>('ParagraphBlock').implement({
  fields: (t) => ({
    inlines: t.field({
      type: [InlineUnion],
      description: 'Its runs: text with marks and links, code spans, line breaks.',
      resolve: (b) => b.inlines,
    }),
    text: t.string(text()),
  }),
});
const HeadingBlock = builder.objectRef<Of<'heading'>>('HeadingBlock').implement({
  fields: (t) => ({
    level: t.exposeInt('level', { description: '1–6, as written (`##` is 2).' }),
    inlines: t.field({
      type: [InlineUnion],
      description: 'Its runs: text with marks and links, code spans, line breaks.',
      resolve: (b) => b.inlines,
    }),
    text: t.string(text()),
  }),
});
const ListItemRef = builder.objectRef<ListItem>('ListItem').implement({
  fields: (t) => ({
    level: t.exposeInt('level', { description: 'Nesting depth: 0 for the outer list, 1 for a list inside an item, …' }),
    checked: t.exposeBoolean('checked', { nullable: true, description: 'Task lists (`- [x]`): checked or not; null otherwise.' }),
    inlines: t.field({
      type: [InlineUnion],
      description: 'Its runs: text with marks and links, code spans, line breaks.',
      resolve: (i) => i.inlines,
    }),
    text: t.string({ description: 'The item as plain text.', resolve: (i) => plainText(i.inlines) }),
  }),
});
const ListBlock = builder.objectRef<Of<'list'>>('ListBlock').implement({
  fields: (t) => ({
    ordered: t.exposeBoolean('ordered', { description: 'Numbered (`1.`) rather than bulleted (`-`).' }),
    start: t.exposeInt('start', { nullable: true, description: 'The first number of an ordered list.' }),
    items: t.field({
      type: [ListItemRef],
      description: 'In order; nested items follow their parent with a higher level.',
      resolve: (b) => b.items,
    }),
    text: t.string(text()),
  }),
});
const QuoteParagraph = builder.objectRef<Inline[]>('QuoteParagraph').implement({
  fields: (t) => ({
    inlines: t.field({
      type: [InlineUnion],
      description: 'Its runs: text with marks and links, code spans, line breaks.',
      resolve: (p) => p,
    }),
    text: t.string({ description: 'The paragraph as plain text.', resolve: (p) => plainText(p) }),
  }),
});
const QuoteBlock = builder.objectRef<Of<'quote'>>('QuoteBlock').implement({
  description: 'A block quotation (`> …`).',
  fields: (t) => ({
    paragraphs: t.field({ type: [QuoteParagraph], description: 'The quoted paragraphs, in order.', resolve: (b) => b.paragraphs }),
    text: t.string(text()),
  }),
});
const PullQuoteBlock = builder.objectRef<Of<'pullquote'>>('PullQuoteBlock').implement({
  description: 'A pull quote, set large beside the text (`:::pullquote{by="Name"}` … `:::`).',
  fields: (t) => ({
    paragraphs: t.field({ type: [QuoteParagraph], description: 'The quoted paragraphs, in order.', resolve: (b) => b.paragraphs }),
    attribution: t.exposeString('attribution', { nullable: true, description: 'Who said it (`by="…"`).' }),
    text: t.string(text()),
  }),
});
const ImageBlock = builder.objectRef<ImageData>('ImageBlock').implement({
  description: 'An image of the media library (`![caption](media:12 "credit")`).',
  fields: (t) => ({
    media: t.field({
      type: Media,
      nullable: true,
      description: 'The library image; null only if it was removed from the library.',
      resolve: (b) => b.media,
    }),
    caption: t.string({
      nullable: true,
      description: "As written in the body, else the library's caption.",
      resolve: (b) => b.caption ?? b.media?.caption ?? null,
    }),
    credit: t.string({
      nullable: true,
      description: "As written in the body, else the library's credit.",
      resolve: (b) => b.credit ?? b.media?.credit ?? null,
    }),
    text: t.string(text()),
  }),
});
const EmbedProviderEnum = builder.enumType('EmbedProvider', {
  description: 'The providers embeds may come from (https only, on their own hosts).',
  values: Object.fromEntries(Object.entries(EMBED_PROVIDERS).map(([name, hosts]) => [name, { description: hosts.join(', ') }])) as Record<
    EmbedProvider,
    { description: string }
  >,
});
const EmbedBlock = builder.objectRef<Of<'embed'>>('EmbedBlock').implement({
  description: 'Third-party content to embed (`::embed[caption]{url="https://…"}`); the `html` links to it, frontends embed it their way.',
  fields: (t) => ({
    provider: t.field({ type: EmbedProviderEnum, description: 'Whose content it is.', resolve: (b) => b.provider }),
    url: t.exposeString('url', { description: 'The https URL on the provider, as written.' }),
    caption: t.exposeString('caption', { nullable: true, description: 'The `[caption]` of the directive.' }),
    text: t.string(text()),
  }),
});
const TableAlignEnum = builder.enumType('TableAlign', { values: ['LEFT', 'CENTER', 'RIGHT'] as const });
const TableCell = builder.objectRef<Inline[]>('TableCell').implement({
  fields: (t) => ({
    inlines: t.field({
      type: [InlineUnion],
      description: 'Its runs: text with marks and links, code spans, line breaks.',
      resolve: (c) => c,
    }),
    text: t.string({ description: 'The cell as plain text.', resolve: (c) => plainText(c) }),
  }),
});
const TableRow = builder.objectRef<Inline[][]>('TableRow').implement({
  fields: (t) => ({ cells: t.field({ type: [TableCell], description: 'One per column.', resolve: (r) => r }) }),
});
const TableBlock = builder.objectRef<Of<'table'>>('TableBlock').implement({
  description: 'A GFM table.',
  fields: (t) => ({
    align: t.field({
      type: [TableAlignEnum],
      nullable: { list: false, items: true },
      description: 'Per column; null where not set.',
      resolve: (b) => b.align,
    }),
    header: t.field({ type: TableRow, description: 'The header row.', resolve: (b) => b.header }),
    rows: t.field({ type: [TableRow], description: 'The body rows, in order.', resolve: (b) => b.rows }),
    text: t.string(text('Rows on lines, cells separated by tabs.')),
  }),
});
const CodeBlock = builder.objectRef<Of<'code'>>('CodeBlock').implement({
  description: 'Preformatted code (a fenced block).',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The code, as written.' }),
    language: t.exposeString('language', { nullable: true, description: "The fence's info word (```js): a hint for highlighting." }),
    text: t.string(text()),
  }),
});
const DividerBlock = builder.objectRef<Of<'divider'>>('DividerBlock').implement({
  description: 'A section break (`---`).',
  fields: (t) => ({ text: t.string(text('Always empty.')) }),
});

const blockTypes = {
  paragraph: ParagraphBlock,
  heading: HeadingBlock,
  list: ListBlock,
  quote: QuoteBlock,
  pullquote: PullQuoteBlock,
  image: ImageBlock,
  embed: EmbedBlock,
  table: TableBlock,
  code: CodeBlock,
  divider: DividerBlock,
} as const;

export const BodyBlock = builder.unionType('BodyBlock', {
  description:
    'One block of a body. Every type has `text`; a frontend that does not know a type can show its text or skip it. New types may be added.',
  types: Object.values(blockTypes),
  resolveType: (block: BlockData) => blockTypes[block.type] as never,
});

export const Body = builder.objectRef<BodyView>('Body').implement({
  description: "A body (an article's, a live post's): parsed from the Markdown the writer sent into typed blocks.",
  fields: (t) => ({
    blocks: t.field({
      type: [BodyBlock],
      description: 'In order.',
      resolve: (body) =>
        body.blocks.map(
          (block): BlockData => (block.type === 'image' ? { ...block, media: body.media.get(block.mediaId) ?? null } : block),
        ),
    }),
    html: t.string({
      description:
        'HTML rendered from the blocks, passed through an allow-list sanitiser: no scripts, styles, event handlers or raw HTML from the Markdown. Images have renditions and srcset; embeds are links.',
      resolve: (body) => cachedHtml(body),
    }),
    text: t.string({
      description: 'Plain text, blocks separated by blank lines: for snippets, feeds and search.',
      resolve: (body) => body.text,
    }),
    markdown: t.string({
      nullable: true,
      description: 'The Markdown source, for editors: null without an API key.',
      resolve: (body) => (body.editor ? body.markdown : null),
    }),
  }),
});

builder.prismaObjectField(Article, 'body', (t) =>
  t.field({
    type: Body,
    description: 'The text of the story: typed blocks, HTML, plain text, and Markdown for editors.',
    select: { body: true, bodyBlocks: true, bodyText: true, bodyMedia: { select: { media: true } } },
    resolve: (article, _args, ctx) =>
      bodyView(
        article,
        article.bodyMedia.map((m) => m.media),
        ctx.viewer,
        ctx.images,
      ),
  }),
);
