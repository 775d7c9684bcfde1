// Image renditions: URLs of an image service (imgproxy, or anything with the same URL shape)
// built from a template in the configuration, signed the way imgproxy signs them when a key is
// configured, at widths from an allow-list only (each width a service renders is work and cache:
// an open range would let anyone make it render thousands). No library: imgproxy's own Node
// builder (@imgproxy/imgproxy-node) fixes the URL layout, while ours follows a template; the
// signature is one HMAC (node:crypto), checked in the tests against imgproxy's documented example.
import { createHmac } from 'node:crypto';
import { ValidationError } from './errors.js';

export type ImageFit = 'FIT' | 'FILL' | 'CROP';
export type ImageFormat = 'JPEG' | 'PNG' | 'WEBP' | 'AVIF';

export type ImageServiceConfig = {
  /**
   * The rendition URL with placeholders: `{signature}` (the part after it is what is signed),
   * `{width}`, `{height}` (0: keep the aspect ratio), `{fit}` (fit, fill, crop), `{gravity}`
   * (`fp:X:Y` from the focal point, else `ce`), `{format}` (jpg, png, webp, avif), `{source}`
   * (the original URL, percent-encoded) and `{source_b64}` (base64url). Unset: no image service,
   * renditions are the original URL.
   */
  urlTemplate: string | null;
  /** imgproxy's key and salt, hex; both or neither. Without them `{signature}` is `insecure`. */
  key: Buffer | null;
  salt: Buffer | null;
  /** The widths a rendition may have, ascending. */
  widths: number[];
  defaultFormat: ImageFormat;
};

export const defaultImageService: ImageServiceConfig = {
  urlTemplate: null,
  key: null,
  salt: null,
  widths: [320, 480, 640, 800, 1024, 1280, 1600, 2048],
  defaultFormat: 'WEBP',
};

/** What a rendition needs of a media row. */
export type MediaSource = { url: string; width: number | null; height: number | null; focalX: number | null; focalY: number | null };

export type Rendition = { width?: number | null; height?: number | null; fit?: ImageFit | null; format?: ImageFormat | null };

const EXTENSIONS: Record<ImageFormat, string> = { JPEG: 'jpg', PNG: 'png', WEBP: 'webp', AVIF: 'avif' };

/** imgproxy's URL signature: base64url(HMAC-SHA256(key, salt + path)), path from its leading '/'. */
export function imgproxySignature(key: Buffer, salt: Buffer, path: string): string {
  return createHmac('sha256', key).update(salt).update(path).digest('base64url');
}

/** Refuses sizes outside the allow-list: a typed error naming the allowed widths. */
function checkSize(service: ImageServiceConfig, rendition: Rendition) {
  if (rendition.width != null && !service.widths.includes(rendition.width)) {
    throw new ValidationError([{ path: ['width'], message: `must be one of ${service.widths.join(', ')}` }]);
  }
  if (rendition.height != null && !service.widths.includes(rendition.height)) {
    throw new ValidationError([{ path: ['height'], message: `must be one of ${service.widths.join(', ')}` }]);
  }
}

/** The URL of one rendition of an image. */
export function renditionUrl(service: ImageServiceConfig, media: MediaSource, rendition: Rendition = {}): string {
  checkSize(service, rendition);
  const template = service.urlTemplate;
  if (!template) return media.url;
  const focal = media.focalX != null && media.focalY != null ? `fp:${round(media.focalX)}:${round(media.focalY)}` : 'ce';
  const values: Record<string, string> = {
    width: String(rendition.width ?? 0),
    height: String(rendition.height ?? 0),
    fit: (rendition.fit ?? (rendition.width && rendition.height ? 'FILL' : 'FIT')).toLowerCase(),
    gravity: focal,
    format: EXTENSIONS[rendition.format ?? service.defaultFormat],
    source: encodeURIComponent(media.url),
    source_b64: Buffer.from(media.url).toString('base64url'),
  };
  const filled = template.replace(/\{(width|height|fit|gravity|format|source|source_b64)\}/g, (_, name: string) => values[name]!);
  const at = filled.indexOf('{signature}');
  if (at < 0) return filled;
  const signed = filled.slice(at + '{signature}'.length);
  const signature = service.key && service.salt ? imgproxySignature(service.key, service.salt, signed) : 'insecure';
  return filled.slice(0, at) + signature + signed;
}

const round = (n: number) => Math.min(1, Math.max(0, Math.round(n * 1000) / 1000));

/**
 * `srcset` over the allowed widths up to the original's (an image is not enlarged), each keeping
 * the aspect ratio; null without an image service (the original is the only URL there is).
 */
export function srcset(service: ImageServiceConfig, media: MediaSource, format?: ImageFormat | null): string | null {
  if (!service.urlTemplate || service.widths.length === 0) return null;
  const widths = service.widths.filter((w) => media.width == null || w <= media.width);
  if (widths.length === 0) widths.push(service.widths[0]!);
  return widths.map((width) => `${renditionUrl(service, media, { width, fit: 'FIT', format })} ${width}w`).join(', ');
}
