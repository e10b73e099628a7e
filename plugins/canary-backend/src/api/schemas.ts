import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  PHASES,
  ROLLOUT_ACTIONS,
} from '@canary-release/backstage-plugin-canary-common';
import { z } from 'zod';
import { MAX_VERIFY_LIMIT } from '../store/auditTrail';
import { ROLLOUT_SORTS } from '../store/RolloutStore';
import { strategyInputSchema } from '../strategy/strategy';

/** Every route's input, validated here: unknown fields are errors, not silently dropped. */

/** Catalog names: letters and digits separated by single `-`, `_` or `.`, at most 63. */
const NAME = '[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*';
const ENTITY_REF = new RegExp(`^${NAME}:${NAME}/${NAME}$`);

const entityRef = z
  .string()
  .max(255)
  .refine(
    ref =>
      ENTITY_REF.test(ref) &&
      ref.split(/[:/]/).every(part => part.length <= 63),
    'must be a full entity ref, e.g. component:default/demo-shop',
  );

/** A version as it appears in an image tag. */
const version = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/,
    'must be a version or image tag: letters, digits, ".", "_", "+", "-", at most 128 characters',
  );

/** An owner or system ref, written the way the store holds it (lower case, like the catalog's). */
const relationRef = entityRef.transform(ref =>
  stringifyEntityRef(parseEntityRef(ref)),
);

const reason = z.string().max(1000);

/** An ISO 8601 time with an offset, turned into the UTC form the store holds and compares. */
const isoTime = z.iso
  .datetime({ offset: true })
  .transform(text => new Date(text).toISOString());

/** True when both ends of a time range are given and it is empty. */
const emptyRange = (from?: string, to?: string) =>
  from !== undefined && to !== undefined && from >= to;

/** One phase or a comma-separated list, e.g. `Progressing,Paused`. */
const phaseList = z
  .string()
  .max(500)
  .transform(text => [...new Set(text.split(','))])
  .pipe(z.array(z.enum(PHASES)));

const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

export const launchSchema = z.strictObject({
  entityRef,
  canaryVersion: version,
  stableVersion: version.optional(),
  preset: z.string().max(64).optional(),
  strategy: strategyInputSchema.optional(),
  reason: reason.optional(),
});

export const actionSchema = z.strictObject({
  action: z.enum(ROLLOUT_ACTIONS),
  reason: reason.optional(),
});

export const rolloutIdSchema = z.strictObject({ id: z.uuid() });

export const listQuerySchema = z
  .strictObject({
    entityRef: entityRef.optional(),
    owner: relationRef.optional(),
    system: relationRef.optional(),
    phase: phaseList.optional(),
    /** `true`: only rollouts in a non-final phase; `false`: only finished ones. */
    active: z.stringbool().optional(),
    createdAfter: isoTime.optional(),
    createdBefore: isoTime.optional(),
    sort: z.enum(ROLLOUT_SORTS).default('createdAt'),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: limit(200, 20),
    cursor: z.string().max(500).optional(),
  })
  .refine(q => !emptyRange(q.createdAfter, q.createdBefore), {
    message: 'must be before createdBefore',
    path: ['createdAfter'],
  });

/** What selects audit events, for a page and for an export. */
const auditFilters = {
  entityRef: entityRef.optional(),
  rolloutId: z.uuid().optional(),
  actor: z.string().max(255).optional(),
  action: z.string().max(64).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};
const auditRange: [
  (q: { from?: string; to?: string }) => boolean,
  { message: string; path: string[] },
] = [
  q => !emptyRange(q.from, q.to),
  { message: 'must be before to', path: ['from'] },
];

export const auditQuerySchema = z
  .strictObject({
    ...auditFilters,
    format: z.enum(['json', 'csv']).default('json'),
    limit: limit(1000, 100),
    cursor: z.string().max(500).optional(),
  })
  .refine(...auditRange);

export const auditExportQuerySchema = z
  .strictObject({
    ...auditFilters,
    format: z.enum(['csv', 'json']).default('csv'),
  })
  .refine(...auditRange);

/** `/audit/verify` (AuditTrail.verify): `after` continues a `full` or a rollout's verification. */
export const verifyQuerySchema = z
  .strictObject({
    rolloutId: z.uuid().optional(),
    full: z.stringbool().optional(),
    after: z.coerce
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional(),
    limit: limit(MAX_VERIFY_LIMIT, MAX_VERIFY_LIMIT),
  })
  .refine(q => !(q.full && q.rolloutId), {
    message:
      "a rollout's events are always verified from its first; page on with after instead of full",
    path: ['full'],
  })
  .refine(q => q.after === undefined || q.full || q.rolloutId, {
    message:
      "continues a full or a rollout's verification; without them, verification goes on from the last verified event",
    path: ['after'],
  });

/** At most this many problems are listed in one refusal; the rest are counted. */
const MAX_PROBLEMS = 20;

/** Each problem of a refusal is cut to this length: a refusal never echoes a large input. */
const MAX_PROBLEM_LENGTH = 200;

const clip = (text: string) =>
  text.length > MAX_PROBLEM_LENGTH
    ? `${text.slice(0, MAX_PROBLEM_LENGTH)}…`
    : text;

/** No request of this API nests deeper; deeper input is refused before anything walks it. */
const MAX_DEPTH = 32;

/**
 * What no schema should meet, checked without recursion: nesting deeper than MAX_DEPTH, and strings
 * with a NUL character, which PostgreSQL cannot store in text (and no name, reason or URL needs).
 * The problem with its path, or undefined.
 */
function structuralProblem(input: unknown): string | undefined {
  const pending: Array<{ value: unknown; path: string[] }> = [
    { value: input, path: [] },
  ];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    const where = path.join('.') || '(value)';
    if (typeof value === 'string' && value.includes('\u0000')) {
      return `${where}: must not contain the NUL character (\\u0000)`;
    }
    if (value && typeof value === 'object') {
      if (path.length >= MAX_DEPTH) {
        return `${where}: nested deeper than ${MAX_DEPTH} levels`;
      }
      for (const [key, child] of Object.entries(value)) {
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return undefined;
}

/** Parses `input` or throws an InputError that says what was wrong, field by field. */
export function parse<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.output<T> {
  const problem = structuralProblem(input);
  if (problem !== undefined) {
    throw new InputError(`Invalid ${what}: ${clip(problem)}`);
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues;
    const problems = issues.slice(0, MAX_PROBLEMS).map(issue => {
      const path = issue.path.join('.');
      return clip(path ? `${path}: ${issue.message}` : issue.message);
    });
    if (issues.length > MAX_PROBLEMS) {
      problems.push(`and ${issues.length - MAX_PROBLEMS} more`);
    }
    throw new InputError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}
