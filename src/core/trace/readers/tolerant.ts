/**
 * zod building blocks for reading other tools' output: a field of the wrong type reads as absent
 * instead of failing the document, and a list keeps its well-formed items (at most `max`), so one
 * odd entry in a report of thousands loses that entry only. Every walk is bounded.
 */
import { z } from 'zod';

/** The first `max` items of a list; nothing when the value is not a list. */
export function items(v: unknown, max: number): unknown[] {
  return Array.isArray(v) ? (v as unknown[]).slice(0, max) : [];
}

/** A value as message text: strings as they are, anything else as nothing. */
export function prose(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A string, or undefined when the field is missing or not a string. */
export const text = z.string().optional().catch(undefined);

/** A line or column number: a positive integer (or its digits), else null. */
export const position = z.unknown().transform((v): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : null;
});

/** The items of a list that match `item`, at most `max`; a missing or non-list field is empty. */
export function list<T extends z.ZodType>(item: T, max: number) {
  return z
    .unknown()
    .transform((v) => items(v, max))
    .transform((items) =>
      items.flatMap((x) => {
        const parsed = item.safeParse(x);
        return parsed.success ? [parsed.data] : [];
      }),
    );
}
