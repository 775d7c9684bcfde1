// Image renditions: URLs from the configured template, signed as imgproxy signs them (checked
// against imgproxy's documented example), widths from the allow-list only, srcset, focal points.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { defaultImageService, imgproxySignature, renditionUrl, srcset } from '../src/newsroom/media.js';
import { createTestGateway, createTestDatabase, keyHeader, testConfig, type TestGateway } from './helpers.js';

const TEMPLATE = 'https://img.example.com/{signature}/rs:{fit}:{width}:{height}:0/g:{gravity}/{source_b64}.{format}';
// A key and salt of our own for the gateway (hex), not imgproxy's example pair.
const KEY = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';

describe('imgproxy signatures', () => {
  it("match imgproxy's documented example (key `secret`, salt `hello`)", () => {
    // docs.imgproxy.net, "Signing a URL": the path after the signature, its signature.
    const path = '/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png';
    expect(imgproxySignature(Buffer.from('736563726574', 'hex'), Buffer.from('68656C6C6F', 'hex'), path)).toBe(
      'oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8',
    );
  });

  const media = { url: 'https://media.example.com/a.jpg', width: 1600, height: 900, focalX: 0.25, focalY: 0.4 };
  const service = { ...defaultImageService, urlTemplate: TEMPLATE, key: Buffer.from(KEY, 'hex'), salt: Buffer.from(SALT, 'hex') };

  it('sign the part of the URL after the signature, with the focal point as gravity', () => {
    const url = renditionUrl(service, media, { width: 640, height: 480, fit: 'FILL', format: 'AVIF' });
    const source = Buffer.from(media.url).toString('base64url');
    const path = `/rs:fill:640:480:0/g:fp:0.25:0.4/${source}.avif`;
    const expected = createHmac('sha256', Buffer.from(KEY, 'hex')).update(Buffer.from(SALT, 'hex')).update(path).digest('base64url');
    expect(url).toBe(`https://img.example.com/${expected}${path}`);
  });

  it('are `insecure` without a key; without a template the original is the only URL', () => {
    expect(renditionUrl({ ...service, key: null, salt: null }, media, { width: 320 })).toMatch(
      /^https:\/\/img\.example\.com\/insecure\/rs:fit:320:0:0\//,
    );
    expect(renditionUrl(defaultImageService, media, { width: 320 })).toBe(media.url);
    expect(srcset(defaultImageService, media)).toBeNull();
  });

  it('widths outside the allow-list are a ValidationError; srcset stops at the original width', () => {
    expect(() => renditionUrl(service, media, { width: 641 })).toThrow(/width: must be one of 320, 480/);
    expect(() => renditionUrl(service, media, { height: 7 })).toThrow(/height: must be one of/);
    const set = srcset(service, media)!;
    expect(set.split(', ').map((entry) => entry.split(' ')[1])).toEqual(['320w', '480w', '640w', '800w', '1024w', '1280w', '1600w']);
  });

  it('IMAGE_KEY and IMAGE_SALT go together; IMAGE_WIDTHS is validated', () => {
    expect(() => loadConfig({ IMAGE_KEY: KEY })).toThrow(/IMAGE_SALT/);
    expect(() => loadConfig({ IMAGE_WIDTHS: '320,abc' })).toThrow(/IMAGE_WIDTHS/);
    expect(loadConfig({ IMAGE_WIDTHS: '800, 320,800' }).images.widths).toEqual([320, 800]);
  });
});

describe('renditions over GraphQL', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = createTestGateway(
      await createTestDatabase({ demo: true }),
      testConfig({ IMAGE_URL_TEMPLATE: TEMPLATE, IMAGE_KEY: KEY, IMAGE_SALT: SALT }),
    );
  });
  afterAll(() => gw?.db.dispose());

  it('Media.url(width:), srcset and focal point; a width not allowed is VALIDATION_FAILED', async () => {
    const editor = await keyHeader(gw.db, 'EDITOR');
    const created = await gw.query(
      `mutation { createMedia(input: { url: "https://media.example.com/new.jpg", caption: "New", width: 1000, height: 500, focalPoint: { x: 0.1, y: 0.9 } }) {
        __typename ... on MutationCreateMediaSuccess { data { ref url focalPoint { x y } small: url(width: 320, format: JPEG) srcset } } } }`,
      {},
      editor,
    );
    const media = created.data.createMedia.data;
    expect(media.ref).toMatch(/^media:\d+$/);
    expect(media.url).toBe('https://media.example.com/new.jpg');
    expect(media.focalPoint).toEqual({ x: 0.1, y: 0.9 });
    expect(media.small).toMatch(/^https:\/\/img\.example\.com\/[A-Za-z0-9_-]{43}\/rs:fit:320:0:0\/g:fp:0\.1:0\.9\/[A-Za-z0-9_-]+\.jpg$/);
    expect(media.srcset.split(', ').map((s: string) => s.split(' ')[1])).toEqual(['320w', '480w', '640w', '800w']);

    const wrong = await gw.query(`{ article(slug: "china-tells-ai-leaders-to-avoid-us-travel") { heroMedia { url(width: 333) } } }`);
    expect(wrong.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(wrong.errors?.[0]?.message).toMatch(/width: must be one of/);

    const bad = await gw.query(
      `mutation { createMedia(input: { url: "javascript:alert(1)", focalPoint: { x: 2, y: 0 } }) { __typename ... on ValidationError { issues { path } } } }`,
      {},
      editor,
    );
    expect(bad.data.createMedia.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['focalPoint.x', 'url']);
    const anonymous = await gw.query(`mutation { createMedia(input: { url: "https://x.test/a.jpg" }) { __typename } }`);
    expect(anonymous.data.createMedia.__typename).toBe('ForbiddenError');
  });

  it('body HTML uses renditions and srcset from the image service', async () => {
    const story = await gw.query(`{ article(slug: "china-tells-ai-leaders-to-avoid-us-travel") { body { html } } }`);
    expect(story.data.article.body.html).toMatch(
      /<img src="https:\/\/img\.example\.com\/[A-Za-z0-9_-]{43}\/rs:fit:1024:0:0\/[^"]+" srcset="[^"]+ 320w, /,
    );
  });
});
