import {
  AuditorService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { AuditKey, ChainPoint } from './auditChain';
import { AuditChainStart, AuditTrail } from './auditTrail';

/**
 * The audit key outside production when `canary.audit.secret` is not set (the embedded demo, tests
 * and benchmarks). It is public, so a chain keyed with it proves nothing; production refuses it.
 */
const DEVELOPMENT_AUDIT_SECRET =
  'development-only: public key of the canary audit chain; set canary.audit.secret';
export const developmentAuditKey = new AuditKey(DEVELOPMENT_AUDIT_SECRET);

/** Shorter secrets are refused: the key is what stops a database writer from resealing events. */
const MIN_SECRET_LENGTH = 32;

/**
 * The key of the audit chain from `canary.audit.secret`. Without it, production (NODE_ENV
 * `production`) refuses to start, and any other environment runs on the public development key.
 */
export function readAuditKey(
  config: RootConfigService,
  nodeEnv = process.env.NODE_ENV,
): { key: AuditKey; development: boolean } {
  const secret = config.getOptionalString('canary.audit.secret');
  const production = nodeEnv === 'production';
  if (secret === undefined || secret === DEVELOPMENT_AUDIT_SECRET) {
    if (production) {
      throw new Error(
        'canary.audit.secret is not set: in production the audit trail must be keyed with a secret of your own (e.g. canary.audit.secret: ${CANARY_AUDIT_SECRET}, a random value of at least 32 characters)',
      );
    }
    return { key: developmentAuditKey, development: true };
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `canary.audit.secret must be at least ${MIN_SECRET_LENGTH} characters long, not ${secret.length}`,
    );
  }
  return { key: new AuditKey(secret), development: false };
}

/** Tells the auditor service (and the log) that this backend started the keyed chain. */
export async function announceAuditStart(
  started: AuditChainStart,
  auditor: AuditorService,
  logger: LoggerService,
) {
  const { adopted, legacyBroken, head } = started;
  const summary = `Started the audit trail's keyed chain, sealing ${adopted} events written by earlier versions`;
  if (legacyBroken) {
    logger.error(
      `${summary}; their per-rollout hash chains were already broken before: ${JSON.stringify(
        legacyBroken,
      )}`,
    );
  } else {
    logger.info(summary);
  }
  const event = await auditor.createEvent({
    eventId: 'audit-chain-start',
    severityLevel: legacyBroken ? 'high' : 'medium',
    meta: {
      adopted,
      legacyBroken: legacyBroken ? { ...legacyBroken } : null,
      seq: head.seq,
      hash: head.hash,
    },
  });
  await event.success();
}

/**
 * Sends the chain's head to the auditor service, outside the database, and records it: events
 * removed or rewritten up to a sent head show against the auditor's log. Nothing is sent while
 * the head has not moved since the last checkpoint.
 */
export async function checkpointAudit(
  trail: AuditTrail,
  auditor: AuditorService,
  now: Date,
): Promise<ChainPoint | undefined> {
  const { sealed, ...head } = await trail.head();
  const last = await trail.lastCheckpoint();
  if (last && last.seq === head.seq && last.hash === head.hash)
    return undefined;
  const event = await auditor.createEvent({
    eventId: 'audit-checkpoint',
    severityLevel: sealed ? 'low' : 'high',
    meta: { seq: head.seq, hash: head.hash, sealed },
  });
  await event.success();
  await trail.recordCheckpoint(head, now.toISOString(), { sealed });
  return head;
}
