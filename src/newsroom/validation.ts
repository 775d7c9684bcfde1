// Input validation with zod, reported as a ValidationError whose issues name the input paths.
import { z } from 'zod';
import { ValidationError } from './errors.js';

export const slugSchema = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'use lower-case letters, digits and single hyphens');

/** Field names as clients send them, where the domain renamed them (sectionId ← section). */
const inputNames: Record<string, string> = { sectionId: 'section', tagIds: 'tags', authorId: 'author', parentId: 'parent' };

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: issue.path.map((p) => inputNames[String(p)] ?? String(p)),
      message: issue.message,
    })),
  );
}
