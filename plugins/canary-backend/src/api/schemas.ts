import { InputError } from '@backstage/errors';
import {
  PHASES,
  ROLLOUT_ACTIONS,
} from '@canary-release/backstage-plugin-canary-common';
import { z } from 'zod';
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

const reason = z.string().max(1000);

const isoTime = z.iso.datetime({ offset: true });

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

export const listQuerySchema = z.strictObject({
  entityRef: entityRef.optional(),
  phase: z.enum(PHASES).optional(),
  limit: limit(200, 20),
  cursor: z.string().max(500).optional(),
});

export const auditQuerySchema = z.strictObject({
  entityRef: entityRef.optional(),
  rolloutId: z.uuid().optional(),
  actor: z.string().max(255).optional(),
  action: z.string().max(64).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  format: z.enum(['json', 'csv']).default('json'),
  limit: limit(1000, 100),
  cursor: z.string().max(500).optional(),
});

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
