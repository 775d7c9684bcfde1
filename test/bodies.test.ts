// Structured bodies: Markdown in, typed blocks out (every kind round-trips), HTML that no XSS
// attempt reaches, plain text, Markdown for editors only, ValidationErrors with the block's path
// that change nothing, and the backfill of bodies stored before blocks existed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillBodies, parseBody, renderHtml, renderHtmlUnsanitised } from '../src/newsroom/body.js';
import { createDemoGateway, globalId, keyHeader, type TestGateway } from './helpers.js';

let gw: TestGateway;
let editor: Record<string, string>;
let section: string;
let mediaId: number;

beforeAll(async () => {
  gw = await createDemoGateway();
  editor = await keyHeader(gw.db, 'EDITOR');
  const world = await gw.db.prisma.section.findUniqueOrThrow({ where: { slug: 'world' } });
  section = globalId('Section', world.id);
  mediaId = (await gw.db.prisma.media.findFirstOrThrow({ orderBy: { id: 'asc' } })).id;
});
afterAll(() => gw?.db.dispose());

const BLOCKS = `
  blocks {
    __typename
    ... on ParagraphBlock { text inlines { ...Runs } }
    ... on HeadingBlock { level text }
    ... on ListBlock { ordered start items { level checked text } }
    ... on QuoteBlock { paragraphs { text } }
    ... on PullQuoteBlock { paragraphs { text } attribution }
    ... on ImageBlock { caption credit media { ref url altText } }
    ... on EmbedBlock { provider url caption }
    ... on TableBlock { align header { cells { text } } rows { cells { text inlines { ...Runs } } } }
    ... on CodeBlock { code language }
    ... on DividerBlock { text }
  }
  html text markdown`;
const RUNS = `fragment Runs on Inline {
  __typename
  ... on TextRun { text marks link { url title } }
  ... on CodeRun { code }
}`;

/** Creates a draft; on success reads it back with every block field (a query: a mutation's result would nest too deep). */
async function draft(body: string, headers = editor) {
  const response = await gw.query(
    `mutation($input: CreateDraftInput!) { createDraft(input: $input) {
      __typename
      ... on MutationCreateDraftSuccess { data { id version } }
      ... on ValidationError { issues { path message } }
    } }`,
    { input: { headline: `Body test ${Math.random()}`, section, body } },
    headers,
  );
  expect(response.errors).toBeUndefined();
  const result = response.data.createDraft;
  if (result.__typename !== 'MutationCreateDraftSuccess') return result;
  const read = await gw.query(
    `query($id: ID!) { article(id: $id, preview: true) { body { ${BLOCKS} } } } ${RUNS}`,
    { id: result.data.id },
    headers,
  );
  expect(read.errors).toBeUndefined();
  return { ...result, data: { ...result.data, body: read.data.article.body } };
}

const ALL_KINDS = (media: number) => `# A heading

A paragraph with *emphasis*, **strong**, ~~struck~~, \`code\` and a [link](https://example.com/a "Title").
A hard break follows\\
here.

- one
- two
  - nested
1. first

> A quotation.
>
> Its second paragraph.

:::pullquote{by="Ayesha Malik"}
Words worth repeating.
:::

![A caption of our own](media:${media} "Our credit")

::embed[The clip]{url="https://www.youtube.com/watch?v=M7lc1UVf-VE"}

| Left | Right |
| :-- | --: |
| a | *b* |

\`\`\`js
const x = 1;
\`\`\`

---

The end.`;

describe('structured bodies', () => {
  it('every block kind round-trips from Markdown to typed blocks, HTML and text', async () => {
    const result = await draft(ALL_KINDS(mediaId));
    expect(result.__typename).toBe('MutationCreateDraftSuccess');
    const body = result.data.body;
    expect(body.blocks.map((b: { __typename: string }) => b.__typename)).toEqual([
      'HeadingBlock',
      'ParagraphBlock',
      'ListBlock',
      'ListBlock',
      'QuoteBlock',
      'PullQuoteBlock',
      'ImageBlock',
      'EmbedBlock',
      'TableBlock',
      'CodeBlock',
      'DividerBlock',
      'ParagraphBlock',
    ]);
    const [heading, paragraph, list, ordered, quote, pull, image, embed, table, code] = body.blocks;
    expect(heading).toEqual({ __typename: 'HeadingBlock', level: 1, text: 'A heading' });
    expect(paragraph.inlines.slice(0, 11)).toEqual([
      { __typename: 'TextRun', text: 'A paragraph with ', marks: [], link: null },
      { __typename: 'TextRun', text: 'emphasis', marks: ['EMPHASIS'], link: null },
      { __typename: 'TextRun', text: ', ', marks: [], link: null },
      { __typename: 'TextRun', text: 'strong', marks: ['STRONG'], link: null },
      { __typename: 'TextRun', text: ', ', marks: [], link: null },
      { __typename: 'TextRun', text: 'struck', marks: ['STRIKETHROUGH'], link: null },
      { __typename: 'TextRun', text: ', ', marks: [], link: null },
      { __typename: 'CodeRun', code: 'code' },
      { __typename: 'TextRun', text: ' and a ', marks: [], link: null },
      { __typename: 'TextRun', text: 'link', marks: [], link: { url: 'https://example.com/a', title: 'Title' } },
      { __typename: 'TextRun', text: '.\nA hard break follows', marks: [], link: null },
    ]);
    expect(paragraph.inlines.map((r: { __typename: string }) => r.__typename)).toContain('LineBreak');
    expect(list).toMatchObject({
      ordered: false,
      start: null,
      items: [
        { level: 0, text: 'one' },
        { level: 0, text: 'two' },
        { level: 1, text: 'nested' },
      ],
    });
    expect(ordered).toMatchObject({ ordered: true, start: 1, items: [{ text: 'first' }] });
    expect(quote.paragraphs).toEqual([{ text: 'A quotation.' }, { text: 'Its second paragraph.' }]);
    expect(pull).toMatchObject({ paragraphs: [{ text: 'Words worth repeating.' }], attribution: 'Ayesha Malik' });
    expect(image).toMatchObject({ caption: 'A caption of our own', credit: 'Our credit', media: { ref: `media:${mediaId}` } });
    expect(embed).toEqual({
      __typename: 'EmbedBlock',
      provider: 'YOUTUBE',
      url: 'https://www.youtube.com/watch?v=M7lc1UVf-VE',
      caption: 'The clip',
    });
    expect(table.align).toEqual(['LEFT', 'RIGHT']);
    expect(table.header.cells.map((c: { text: string }) => c.text)).toEqual(['Left', 'Right']);
    expect(table.rows[0].cells[1].inlines[0]).toMatchObject({ text: 'b', marks: ['EMPHASIS'] });
    expect(code).toMatchObject({ code: 'const x = 1;', language: 'js' });

    expect(body.html).toContain('<h1>A heading</h1>');
    expect(body.html).toContain('<em>emphasis</em>');
    expect(body.html).toContain('<a href="https://example.com/a" title="Title" rel="nofollow noopener">link</a>');
    expect(body.html).toContain(
      '<aside class="pull-quote"><blockquote><p>Words worth repeating.</p></blockquote><cite>Ayesha Malik</cite></aside>',
    );
    expect(body.html).toMatch(/<figure class="image"><img src="https:\/\/[^"]+" alt="[^"]*"/);
    expect(body.html).toContain('<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>');
    expect(body.html).toContain('<td align="right"><em>b</em></td>');
    expect(body.html).toContain('<hr>');
    expect(body.text).toContain('A heading\n\nA paragraph with emphasis, strong, struck, code and a link.');
    expect(body.text).not.toMatch(/[*#`[\]]/);
    expect(body.markdown).toBe(ALL_KINDS(mediaId));
  });

  it('renders nothing the allow-list sanitiser would remove', () => {
    const { blocks } = parseBody(ALL_KINDS(1));
    const image = () => ({
      src: 'https://img.test/a.jpg',
      srcset: 'https://img.test/a-320.jpg 320w',
      width: 1600,
      height: 900,
      alt: 'Alt',
      caption: 'C',
      credit: 'R',
    });
    expect(renderHtml(blocks, image)).toBe(renderHtmlUnsanitised(blocks, image));
  });

  it('readers get the blocks, not the Markdown: `markdown` is for API keys', async () => {
    const story = await gw.query(
      `{ article(slug: "china-tells-ai-leaders-to-avoid-us-travel") { body { markdown text blocks { __typename } } } }`,
    );
    expect(story.data.article.body.markdown).toBeNull();
    expect(story.data.article.body.blocks.map((b: { __typename: string }) => b.__typename)).toEqual(
      expect.arrayContaining(['ParagraphBlock', 'PullQuoteBlock', 'ImageBlock']),
    );
    const keyed = await gw.query(`{ article(slug: "china-tells-ai-leaders-to-avoid-us-travel") { body { markdown } } }`, {}, editor);
    expect(keyed.data.article.body.markdown).toContain(':::pullquote');
  });
});

describe('unsafe input never reaches html', () => {
  const attempts = [
    '<script>alert(1)</script>',
    'Text <img src=x onerror="alert(1)"> more',
    '<a href="javascript:alert(1)">click</a>',
    '<div onclick="alert(1)">div</div>',
    '<iframe src="https://evil.test"></iframe>',
    '<style>body{display:none}</style>',
    '<svg onload=alert(1)>',
    '[`code`](https://ok.test) <b onmouseover="alert(1)">bold</b>',
  ];
  it('raw HTML is dropped (a write is accepted, nothing of it renders)', async () => {
    for (const markdown of attempts) {
      const result = await draft(`Before.\n\n${markdown}\n\nAfter.`);
      expect(result.__typename, markdown).toBe('MutationCreateDraftSuccess');
      const { html, text } = result.data.body;
      expect(html, markdown).not.toMatch(/<script|<iframe|<style|<svg|<div|onerror|onclick|onload|onmouseover|javascript:/i);
      expect(text, markdown).not.toMatch(/<script|onerror|javascript:/i);
    }
  });

  it('`javascript:` and other unsafe links are refused with the block path; stored old ones never render', async () => {
    for (const link of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'javascript&#58;alert(1)',
      'data:text/html;base64,PHNjcmlwdD4=',
      'vbscript:msgbox(1)',
    ]) {
      const result = await draft(`First.\n\nSecond with [a link](${link}).`);
      expect(result.__typename, link).toBe('ValidationError');
      expect(result.issues[0].path, link).toEqual(['body', '1']);
      expect(result.issues[0].message, link).toMatch(/line 3: links must be/);
    }
    const reference = await draft('[click][x]\n\n[x]: javascript:alert(1)');
    expect(reference.__typename).toBe('ValidationError');
    const autolink = await draft('<javascript:alert(1)>');
    // Not an autolink in CommonMark (no scheme allowed there is unsafe): plain text at most.
    if (autolink.__typename === 'MutationCreateDraftSuccess') expect(autolink.data.body.html).not.toMatch(/href="javascript/i);
    // The lenient parse (backfill) keeps the words and drops the link.
    const { blocks } = parseBody('[a link](javascript:alert(1))');
    expect(renderHtml(blocks, () => null)).toBe('<p>a link</p>');
  });
});

describe('validation errors name the block and change nothing', () => {
  it('an embed from an unknown provider, an image not in the library, an external image, a body over the limit', async () => {
    const before = await gw.db.prisma.article.count();
    const cases: [string, string[], RegExp][] = [
      ['Intro.\n\n::embed{url="https://evil.example/video"}', ['body', '1'], /embeds come from YouTube/],
      ['Intro.\n\n::embed{url="http://www.youtube.com/watch?v=x"}', ['body', '1'], /over https/],
      ['Intro.\n\nMore.\n\n![Nope](media:999999)', ['body', '2'], /media:999999 is not in the media library/],
      ['![Outside](https://elsewhere.test/a.jpg)', ['body', '0'], /images come from the media library/],
      ['::unknown{x=1}', ['body', '0'], /unknown block/],
      ['x'.repeat(200_001), ['body'], /at most 200000 characters/],
    ];
    for (const [markdown, path, message] of cases) {
      const result = await draft(markdown);
      expect(result.__typename, markdown.slice(0, 40)).toBe('ValidationError');
      expect(result.issues[0].path, markdown.slice(0, 40)).toEqual(path);
      expect(result.issues[0].message, markdown.slice(0, 40)).toMatch(message);
    }
    expect(await gw.db.prisma.article.count()).toBe(before);
  });

  it('an update with a bad body keeps the article as it was', async () => {
    const created = await draft('Fine text.');
    const id = created.data.id;
    const update = await gw.query(
      `mutation($id: ID!, $version: Int!, $body: String!) { updateArticle(id: $id, version: $version, input: { body: $body }) {
        __typename ... on ValidationError { issues { path message } } } }`,
      { id, version: created.data.version, body: 'Fine.\n\n::embed{url="https://evil.example/x"}' },
      editor,
    );
    expect(update.data.updateArticle.__typename).toBe('ValidationError');
    const after = await gw.query(`query($id: ID!) { article(id: $id, preview: true) { version body { text markdown } } }`, { id }, editor);
    expect(after.data.article).toEqual({ version: created.data.version, body: { text: 'Fine text.', markdown: 'Fine text.' } });
  });
});

describe('migrating stored bodies', () => {
  it('the backfill parses bodies stored before blocks, leaving out what a write would refuse', async () => {
    const created = await draft('placeholder');
    const id = Number(Buffer.from(created.data.id, 'base64').toString().split(':')[1]);
    const old = `Old **body** with [a bad link](javascript:alert(1)) and <b>html</b>.\n\n![x](media:${mediaId})\n\n![y](media:999999)`;
    await gw.db.prisma.$executeRaw`UPDATE "Article" SET body = ${old}, "bodyBlocks" = NULL, "bodyText" = '' WHERE id = ${id}`;
    await gw.db.prisma.articleBodyMedia.deleteMany({ where: { articleId: id } });
    // Before the backfill the row is parsed on read, so readers never see an empty body.
    const early = await gw.query(`query($id: ID!) { article(id: $id, preview: true) { body { text } } }`, { id: created.data.id }, editor);
    expect(early.data.article.body.text).toContain('Old body with a bad link and html.');
    expect(await backfillBodies(gw.db.prisma)).toBeGreaterThanOrEqual(1);
    const row = await gw.db.prisma.article.findUniqueOrThrow({ where: { id }, include: { bodyMedia: true } });
    expect(row.bodyText).toBe('Old body with a bad link and html.');
    expect((row.bodyBlocks as { type: string }[]).map((b) => b.type)).toEqual(['paragraph', 'image']);
    expect(row.bodyMedia.map((m) => m.mediaId)).toEqual([mediaId]);
    expect(await backfillBodies(gw.db.prisma)).toBe(0);
  });

  it('search and feeds read the plain text, not the Markdown', async () => {
    const hits = await gw.query(`{ search(query: "strategic", first: 5) { edges { node { snippet article { slug } } } } }`);
    expect(hits.errors).toBeUndefined();
    expect(hits.data.search.edges.length).toBeGreaterThan(0);
    for (const edge of hits.data.search.edges) expect(edge.node.snippet).not.toMatch(/:::|\]\(media:/);
  });
});
