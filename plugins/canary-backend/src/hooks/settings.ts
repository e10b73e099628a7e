import type { Config } from '@backstage/config';
import { PHASES, Phase } from '@canary-release/backstage-plugin-canary-common';
import { z } from 'zod';
import { parse } from '../api/schemas';

/** The phases whose owners hear of unless `canary.notifications.phases` says otherwise. */
export const DEFAULT_NOTIFIED_PHASES: Phase[] = [
  'RolledBack',
  'Failed',
  'AwaitingApproval',
  'Succeeded',
];

const notificationsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  phases: z.array(z.enum(PHASES)).default(DEFAULT_NOTIFIED_PHASES),
});

const webhooksSchema = z.strictObject({
  allowedUrlPrefixes: z
    .array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
    .default([]),
});

/** `canary.notifications` and `canary.webhooks`, validated, with their defaults. */
export interface HookSettings {
  notifications: z.output<typeof notificationsSchema>;
  /** Where webhooks of launch requests may point; empty: launch requests may not define any. */
  allowedUrlPrefixes: string[];
}

export function readHookSettings(config: Config): HookSettings {
  const notifications = parse(
    notificationsSchema,
    config.getOptional('canary.notifications') ?? {},
    'canary.notifications in app-config',
  );
  const webhooks = parse(
    webhooksSchema,
    config.getOptional('canary.webhooks') ?? {},
    'canary.webhooks in app-config',
  );
  return {
    notifications,
    allowedUrlPrefixes: webhooks.allowedUrlPrefixes,
  };
}
