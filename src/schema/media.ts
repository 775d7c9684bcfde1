// Media: the library's images, with caption, credit, size and focal point, and renditions from
// the configured image service (src/newsroom/media.ts). Reached through the articles that show
// them (hero, body images), so the articles' visibility rule covers them; `createMedia` adds one.
import { z } from 'zod';
import { requireRole } from '../newsroom/auth.js';
import { parseInput } from '../newsroom/validation.js';
import { renditionUrl, srcset } from '../newsroom/media.js';
import { builder } from './builder.js';

export const ImageFit = builder.enumType('ImageFit', {
  description: 'How a rendition fits width × height.',
  values: {
    FIT: { description: 'Inside the box, keeping the aspect ratio (the default with one side given).' },
    FILL: { description: 'Covers the box, cropped around the focal point (the default with both sides given).' },
    CROP: { description: 'Cut out of the original around the focal point, not scaled.' },
  } as const,
});

export const ImageFormat = builder.enumType('ImageFormat', {
  values: ['JPEG', 'PNG', 'WEBP', 'AVIF'] as const,
});

const FocalPoint = builder.objectRef<{ x: number; y: number }>('FocalPoint').implement({
  description: 'The point a crop keeps in view: 0–1 from the left edge and from the top edge.',
  fields: (t) => ({
    x: t.exposeFloat('x', { description: '0 at the left edge, 1 at the right.' }),
    y: t.exposeFloat('y', { description: '0 at the top edge, 1 at the bottom.' }),
  }),
});

// Include mode: every column comes with each row, so no field needs a selection of its own (a
// field `select` would make rows reached through a body's images load again, one by one).
export const Media = builder.prismaObject('Media', {
  description: 'An image of the media library, with the caption and credit printed under it.',
  fields: (t) => ({
    ref: t.string({
      description: 'How a body places this image in Markdown: `![caption](media:12 "credit")` uses the ref `media:12`.',
      resolve: (m) => `media:${m.id}`,
    }),
    url: t.string({
      description:
        'The original without arguments; with any, a rendition from the image service. `width` and `height` must be ' +
        'among the allowed widths (else VALIDATION_FAILED); with one side the other follows the aspect ratio.',
      args: {
        width: t.arg.int(),
        height: t.arg.int(),
        fit: t.arg({ type: ImageFit }),
        format: t.arg({ type: ImageFormat }),
      },
      resolve: (m, args, ctx) =>
        args.width == null && args.height == null && args.fit == null && args.format == null ? m.url : renditionUrl(ctx.images, m, args),
    }),
    srcset: t.string({
      nullable: true,
      description:
        'For `<img srcset>`: a rendition per allowed width up to the original width, keeping the aspect ratio. Null without an image service.',
      args: { format: t.arg({ type: ImageFormat }) },
      resolve: (m, args, ctx) => srcset(ctx.images, m, args.format),
    }),
    caption: t.exposeString('caption', { nullable: true, description: 'The library caption (a body image may give its own).' }),
    credit: t.exposeString('credit', { nullable: true, description: 'Photographer or agency (a body image may give its own).' }),
    altText: t.exposeString('altText', { nullable: true, description: 'For `alt`: what the image shows.' }),
    width: t.exposeInt('width', { nullable: true, description: 'Of the original, in pixels.' }),
    height: t.exposeInt('height', { nullable: true, description: 'Of the original, in pixels.' }),
    focalPoint: t.field({
      type: FocalPoint,
      nullable: true,
      description: 'Where crops centre; null: the centre of the image.',
      resolve: (m) => (m.focalX != null && m.focalY != null ? { x: m.focalX, y: m.focalY } : null),
    }),
  }),
});

const unit = z.number().min(0).max(1);
const mediaSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
    caption: z.string().trim().max(1000).nullish(),
    credit: z.string().trim().max(300).nullish(),
    altText: z.string().trim().max(1000).nullish(),
    width: z.number().int().positive().max(100_000).nullish(),
    height: z.number().int().positive().max(100_000).nullish(),
    focalPoint: z.object({ x: unit, y: unit }).nullish(),
  })
  .strict();

const FocalPointInput = builder.inputType('FocalPointInput', {
  fields: (t) => ({ x: t.float({ required: true }), y: t.float({ required: true }) }),
});

const CreateMediaInput = builder.inputType('CreateMediaInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'The original, http(s).' }),
    caption: t.string(),
    credit: t.string(),
    altText: t.string(),
    width: t.int(),
    height: t.int(),
    focalPoint: t.field({ type: FocalPointInput }),
  }),
});

builder.mutationFields((t) => ({
  createMedia: t.prismaField({
    type: 'Media',
    errors: {},
    description: 'Add an image to the media library (WRITER and up); place it in a body with its `ref`.',
    args: { input: t.arg({ type: CreateMediaInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      requireRole(ctx.viewer, 'WRITER');
      const { focalPoint, ...input } = parseInput(mediaSchema, args.input);
      return ctx.prisma.media.create({ ...query, data: { ...input, focalX: focalPoint?.x ?? null, focalY: focalPoint?.y ?? null } });
    },
  }),
}));
