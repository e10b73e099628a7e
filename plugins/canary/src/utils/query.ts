/**
 * Readers of state parsed from a query string: user input, so each value is checked and
 * anything unexpected reads as absent.
 */

/** The object a query-string state parses to, or an empty one. */
export function asRecord(raw: unknown): Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : {};
}

/** A non-empty string of reasonable length. */
export function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() && value.length <= 500
    ? value.trim()
    : undefined;
}

/** A time, normalized to ISO 8601 UTC. */
export function readTime(value: unknown): string | undefined {
  const text = readString(value);
  const ms = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** One of the allowed values. */
export function readOneOf<T extends string | number>(
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  return allowed.find(a => String(a) === value || a === value);
}

/** The allowed values among a list (or a single value), in the order given, without repeats. */
export function readSomeOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
): T[] {
  const values = Array.isArray(value) ? value : [value];
  return allowed.filter(a => values.includes(a));
}
