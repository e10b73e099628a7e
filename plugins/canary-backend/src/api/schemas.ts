import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  PHASES,
  ROLLOUT_ACTIONS,
} from '@canary-release/backstage-plugin-canary-common';
import { z } from 'zod';
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

export const verifyQuerySchema = z.strictObject({
  rolloutId: z.uuid().optional(),
});

/** Parses `input` or throws an InputError that says what was wrong, field by field. */
export function parse<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(issue => {
      const path = issue.path.join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    throw new InputError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}
