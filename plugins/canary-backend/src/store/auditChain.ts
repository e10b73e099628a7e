import { createHash, createHmac } from 'node:crypto';

/**
 * The audit trail's chain: one sequence over every event of every rollout. Each event's MAC
 * (HMAC-SHA256, keyed with `canary.audit.secret`) covers its sequence number, the MAC of the event
 * before it and its columns exactly as stored, so changing, removing, reordering or inserting an
 * event breaks the chain there, and only the key's holder can compute a MAC that holds.
 */

/** An audit row as stored, without its id, sequence number and MACs. */
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

/** An audit row as read back. */
export interface StoredAuditRow extends StoredAuditColumns {
  id: number | string;
  seq: number | string | null;
  mac: string | null;
  prev_hash: string | null;
  hash: string | null;
}

/** A place in the chain: an event's sequence number and MAC. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

/** Where the chain starts: before the first event. */
export const GENESIS: ChainPoint = { seq: 0, hash: '' };

/** The first link of the chain that does not hold. */
export interface BrokenLink {
  /** The event, when the problem is one event's. */
  id?: number;
  seq?: number;
  rolloutId?: string;
  problem: string;
}

/** "event 7 is missing (removed)", "events 7 to 9 are missing (removed)". */
export function missingEvents(from: number, to: number): string {
  return from === to
    ? `event ${from} of the sequence is missing (removed)`
    : `events ${from} to ${to} of the sequence are missing (removed)`;
}

/** An event's columns as stored, in the order both chains cover them. */
function storedColumns(row: StoredAuditColumns): unknown[] {
  return [
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
  ];
}

/** The secret every MAC and seal is keyed with. */
export class AuditKey {
  constructor(private readonly secret: string) {}

  /** An event's MAC, given the MAC of the event before it. */
  eventMac(seq: number, previous: string, row: StoredAuditColumns): string {
    return this.mac(['event', seq, previous, ...storedColumns(row)]);
  }

  /** Seals a stored pointer into the chain (the head, the last verified event). */
  seal(name: string, point: ChainPoint): string {
    return this.mac(['pointer', name, point.seq, point.hash]);
  }

  private mac(parts: unknown[]): string {
    return createHmac('sha256', this.secret)
      .update(JSON.stringify(parts))
      .digest('hex');
  }
}

/** Checks events in sequence order, from `start` on. Call `check` for each, then read the result. */
export class ChainVerifier {
  checked = 0;
  broken?: BrokenLink;
  last: ChainPoint;

  constructor(private readonly key: AuditKey, start: ChainPoint) {
    this.last = start;
  }

  /** False once a link does not hold (then later rows are not checked). */
  check(row: StoredAuditRow): boolean {
    if (this.broken) return false;
    const seq = Number(row.seq);
    const fail = (problem: string) => {
      this.broken = {
        id: Number(row.id),
        seq,
        rolloutId: row.rollout_id,
        problem,
      };
      return false;
    };
    if (seq !== this.last.seq + 1) {
      return fail(`${missingEvents(this.last.seq + 1, seq - 1)} before it`);
    }
    this.checked += 1;
    const problem = linkProblem(this.key, row, this.last.hash);
    if (problem) return fail(problem);
    this.last = { seq, hash: row.mac! };
    return true;
  }
}

/**
 * What is wrong with an event's link to the event before it (whose MAC is `before`; undefined when
 * that event is missing), if anything.
 */
export function linkProblem(
  key: AuditKey,
  row: StoredAuditRow,
  before: string | null | undefined,
): string | undefined {
  const seq = Number(row.seq);
  if (before === undefined)
    return `${missingEvents(seq - 1, seq - 1)} before it`;
  if (before === null) return `the event before it (${seq - 1}) has no MAC`;
  if (row.mac === null) return 'it has no MAC';
  if (key.eventMac(seq, before, row) !== row.mac) {
    return 'its content does not match its MAC (the event was changed, or sealed without the key)';
  }
  return undefined;
}

/**
 * The per-rollout sha256 chains of earlier versions, checked once when their events are adopted
 * into the keyed chain: each event stored the hash of its rollout's previous event and its own
 * hash; events from before those chains existed have no hash.
 */
export class LegacyChainVerifier {
  private readonly lastHash = new Map<string, string>();
  checked = 0;
  broken?: BrokenLink;

  check(row: StoredAuditRow) {
    if (this.broken) return;
    this.checked += 1;
    const last = this.lastHash.get(row.rollout_id);
    const fail = (problem: string) => {
      this.broken = { id: Number(row.id), rolloutId: row.rollout_id, problem };
    };
    if (row.hash === null) {
      if (last !== undefined)
        fail('an event without a hash follows hashed events');
      return;
    }
    const expectedPrevious = last ?? '';
    if ((row.prev_hash ?? '') !== expectedPrevious) {
      fail(
        'its previous-hash does not match the event before it (an event was removed, added or reordered)',
      );
      return;
    }
    if (legacyHash(expectedPrevious, row) !== row.hash) {
      fail('its content does not match its hash (the event was changed)');
      return;
    }
    this.lastHash.set(row.rollout_id, row.hash);
  }
}

/** The hash of the per-rollout sha256 chains of earlier versions. */
export function legacyHash(previous: string, row: StoredAuditColumns): string {
  const content = JSON.stringify([previous, ...storedColumns(row)]);
  return createHash('sha256').update(content).digest('hex');
}
