import { createHash } from 'node:crypto';

/**
 * The audit trail's hash chain, per rollout: every event's hash covers the previous event's hash
 * and the event's columns exactly as stored, so changing any stored value, or removing or
 * reordering an event, breaks the chain from there on.
 */

/** An audit row as stored, without its id and hashes. */
export interface StoredAuditColumns {
  rollout_id: string;
  entity_ref: string;
  at: string;
  actor: string;
  action: string;
  phase_before: string | null;
  phase_after: string;
  stage_index: number;
  weights_before: string | null;
  weights_after: string;
  reason: string;
  details: string;
}

/** The first hash of every chain has no predecessor. */
export const GENESIS = '';

export function auditHash(previous: string, row: StoredAuditColumns): string {
  const content = JSON.stringify([
    previous,
    row.rollout_id,
    row.entity_ref,
    row.at,
    row.actor,
    row.action,
    row.phase_before,
    row.phase_after,
    Number(row.stage_index),
    row.weights_before,
    row.weights_after,
    row.reason,
    row.details,
  ]);
  return createHash('sha256').update(content).digest('hex');
}

/** The result of checking the chains. */
export interface ChainVerification {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first event whose link does not hold. */
  firstBroken?: { id: number; rolloutId: string; problem: string };
}

/**
 * Checks rows in id order (one rollout's or all rollouts', interleaved). Call `check` for each
 * row, then `result()`.
 */
export class ChainVerifier {
  private readonly lastHash = new Map<string, string>();
  private checked = 0;
  private broken?: ChainVerification['firstBroken'];

  check(
    row: StoredAuditColumns & {
      id: number | string;
      prev_hash: string | null;
      hash: string | null;
    },
  ) {
    if (this.broken) return;
    this.checked += 1;
    const id = Number(row.id);
    const last = this.lastHash.get(row.rollout_id);
    const fail = (problem: string) => {
      this.broken = { id, rolloutId: row.rollout_id, problem };
    };
    if (row.hash === null) {
      // Written before the chain existed: only allowed before a rollout's first hashed event.
      if (last !== undefined)
        fail('an event without a hash follows hashed events');
      return;
    }
    const expectedPrevious = last ?? GENESIS;
    if ((row.prev_hash ?? GENESIS) !== expectedPrevious) {
      fail(
        'its previous-hash does not match the event before it (an event was removed, added or reordered)',
      );
      return;
    }
    if (auditHash(expectedPrevious, row) !== row.hash) {
      fail('its content does not match its hash (the event was changed)');
      return;
    }
    this.lastHash.set(row.rollout_id, row.hash);
  }

  result(): ChainVerification {
    return {
      ok: !this.broken,
      checked: this.checked,
      firstBroken: this.broken,
    };
  }
}
