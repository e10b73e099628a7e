import { Knex } from 'knex';
import type { AuditEventDraft } from '../engine/types';
import {
  AuditKey,
  BrokenLink,
  ChainPoint,
  ChainVerifier,
  GENESIS,
  LegacyChainVerifier,
  linkProblem,
  missingEvents,
  StoredAuditColumns,
  StoredAuditRow,
} from './auditChain';

const EVENTS = 'canary_audit_events';
/** The sealed pointers `head` (the last event) and `verified` (the last event verified). */
const POINTERS = 'canary_audit_chain';
const CHECKPOINTS = 'canary_audit_checkpoints';

const OUTSIDE_THE_CHAIN =
  'it is outside the chain (no sequence number): written around the store, or its sequence number removed';

/** Rows read per query while verifying or adopting. */
const READ_PAGE = 1000;
/** At most this many events are checked by one verification call. */
export const MAX_VERIFY_LIMIT = 10_000;

/** What a verification call checks; see `AuditTrail.verify`. */
export interface AuditVerifyOptions {
  /** Only this rollout's events, from the one after `after` on. */
  rolloutId?: string;
  /** The whole chain from its start (or from the event after `after`), not from the last verified event. */
  full?: boolean;
  /** A sequence number: continue after it (a previous answer's `next`). */
  after?: number;
  /** Events checked at most; MAX_VERIFY_LIMIT when absent. */
  limit?: number;
}

/** The answer of a verification call. */
export interface AuditVerification {
  ok: boolean;
  /** The check reached the head (or the rollout's last event): nothing is left to check. */
  complete: boolean;
  /** Events checked by this call. */
  checked: number;
  /** The last event found intact: everything up to it holds (its sequence number and MAC). */
  verifiedThrough: ChainPoint;
  /** The head when the call began. */
  head: ChainPoint;
  /** When incomplete with `full` or `rolloutId`: pass it as `after` to continue. */
  next?: number;
  firstBroken?: BrokenLink;
}

/** What starting the keyed chain did (once per database). */
export interface AuditChainStart {
  /** Events written by earlier versions, now sealed into the keyed chain. */
  adopted: number;
  /** The first break of their per-rollout sha256 chains, found before they were adopted. */
  legacyBroken?: BrokenLink;
  head: ChainPoint;
}

interface StoredPointer extends ChainPoint {
  seal: string | null;
}

/**
 * The audit trail's keyed chain on the database: appends in the writer's transaction, the one-time
 * adoption of events from earlier versions, bounded verification and the head's checkpoints.
 */
export class AuditTrail {
  constructor(private readonly knex: Knex, private readonly key: AuditKey) {}

  /**
   * Appends events at the head in the caller's transaction. The head's row lock, taken first, is
   * held until commit, so appends of every writer (and every replica) are serialized and each
   * event gets the next sequence number; the unique sequence number refuses any fork.
   */
  async append(tx: Knex.Transaction, events: AuditEventDraft[]) {
    if (events.length === 0) return;
    const head = await lockHead(tx);
    if (head.seal === null && head.seq === 0) {
      throw new Error(
        'The audit chain was not started; RolloutStore.create starts it',
      );
    }
    // A head changed outside the store stays unsealed, so that /audit/verify keeps reporting it.
    const sealed = head.seal === this.key.seal('head', head);
    let point: ChainPoint = { seq: head.seq, hash: head.hash };
    for (const event of events) {
      const columns = toColumns(event);
      const seq = point.seq + 1;
      const mac = this.key.eventMac(seq, point.hash, columns);
      await tx(EVENTS).insert({ ...columns, seq, mac });
      point = { seq, hash: mac };
    }
    await tx(POINTERS)
      .where({ name: 'head' })
      .update({
        seq: point.seq,
        hash: point.hash,
        seal: sealed ? this.key.seal('head', point) : head.seal,
      });
  }

  /**
   * Starts the keyed chain, once per database, when the head has never been sealed: checks the
   * per-rollout sha256 chains of the events earlier versions wrote, then seals those events, in id
   * order, into the keyed chain and records the start. Undefined when it was started before.
   */
  async start(at: string): Promise<AuditChainStart | undefined> {
    return this.knex.transaction(async tx => {
      const head = await lockHead(tx);
      if (head.seal !== null) return undefined;
      const last = await tx(EVENTS)
        .whereNotNull('seq')
        .orderBy('seq', 'desc')
        .first();
      if (last) {
        // Chained events under an unsealed head: the head was reset outside the store. Appends go
        // on from the last event, and the head stays unsealed for /audit/verify to report.
        await tx(POINTERS)
          .where({ name: 'head' })
          .update({ seq: Number(last.seq), hash: last.mac ?? '' });
        return undefined;
      }
      const legacy = new LegacyChainVerifier();
      let point = GENESIS;
      for (;;) {
        const rows: StoredAuditRow[] = await tx(EVENTS)
          .whereNull('seq')
          .orderBy('id', 'asc')
          .limit(READ_PAGE);
        for (const row of rows) {
          legacy.check(row);
          const seq = point.seq + 1;
          const mac = this.key.eventMac(seq, point.hash, row);
          await tx(EVENTS).where({ id: row.id }).update({ seq, mac });
          point = { seq, hash: mac };
        }
        if (rows.length < READ_PAGE) break;
      }
      await tx(POINTERS)
        .where({ name: 'head' })
        .update({ ...point, seal: this.key.seal('head', point) });
      const started: AuditChainStart = {
        adopted: point.seq,
        legacyBroken: legacy.broken,
        head: point,
      };
      await tx(CHECKPOINTS).insert({
        kind: 'start',
        ...point,
        at,
        details: JSON.stringify({
          adopted: started.adopted,
          legacyBroken: started.legacyBroken ?? null,
        }),
      });
      return started;
    });
  }

  /**
   * Checks at most `limit` events and says how far it got. Without options: from the last event a
   * previous call verified (stored, sealed) to the head, then stores how far it got. `full`: from
   * the start, or after `after`, in pages. `rolloutId`: that rollout's events, each against the
   * event before it in the chain.
   */
  async verify(options: AuditVerifyOptions = {}): Promise<AuditVerification> {
    const limit = Math.min(options.limit ?? MAX_VERIFY_LIMIT, MAX_VERIFY_LIMIT);
    const head = await this.pointer('head');
    const headPoint = { seq: head.seq, hash: head.hash };
    if (options.rolloutId) {
      return this.verifyRollout(
        options.rolloutId,
        options.after ?? 0,
        limit,
        headPoint,
      );
    }
    const incremental = !options.full;
    const from = incremental
      ? await this.lastVerified()
      : await this.pointAt(options.after ?? 0);
    const verifier = new ChainVerifier(
      this.key,
      'point' in from ? from.point : GENESIS,
    );
    const answer = (): AuditVerification => {
      const complete = !verifier.broken && verifier.last.seq === head.seq;
      return {
        ok: !verifier.broken,
        complete,
        checked: verifier.checked,
        verifiedThrough: verifier.last,
        head: headPoint,
        next:
          !incremental && !complete && !verifier.broken
            ? verifier.last.seq
            : undefined,
        firstBroken: verifier.broken,
      };
    };
    if ('broken' in from) {
      verifier.broken = from.broken;
      return answer();
    }

    // Only up to the head as read: events appended meanwhile are the next call's.
    while (verifier.checked < limit && verifier.last.seq < head.seq) {
      const rows: StoredAuditRow[] = await this.knex(EVENTS)
        .where('seq', '>', verifier.last.seq)
        .where('seq', '<=', head.seq)
        .orderBy('seq', 'asc')
        .limit(Math.min(READ_PAGE, limit - verifier.checked));
      if (rows.length === 0 || !rows.every(row => verifier.check(row))) break;
    }
    if (verifier.broken) return answer();

    const unchained = await this.knex(EVENTS)
      .whereNull('seq')
      .orderBy('id')
      .first();
    if (unchained) {
      verifier.broken = {
        id: Number(unchained.id),
        rolloutId: unchained.rollout_id,
        problem: OUTSIDE_THE_CHAIN,
      };
    } else if (head.seal !== this.key.seal('head', headPoint)) {
      verifier.broken = {
        problem:
          "the head (the last event's sequence number and MAC) does not match its seal: it was changed outside the store, or canary.audit.secret changed",
      };
    } else if (verifier.last.seq < head.seq && verifier.checked < limit) {
      verifier.broken = {
        seq: verifier.last.seq + 1,
        problem: `${missingEvents(
          verifier.last.seq + 1,
          head.seq,
        )}: the end of the trail was removed`,
      };
    } else if (
      verifier.last.seq === head.seq &&
      verifier.last.hash !== head.hash
    ) {
      verifier.broken = {
        seq: head.seq,
        problem: 'the last event does not match the head',
      };
    }
    if (!verifier.broken && incremental)
      await this.storeVerified(verifier.last);
    return answer();
  }

  /** The head as stored, and whether its seal holds. */
  async head(): Promise<ChainPoint & { sealed: boolean }> {
    const head = await this.pointer('head');
    const point = { seq: head.seq, hash: head.hash };
    return { ...point, sealed: head.seal === this.key.seal('head', point) };
  }

  /** The head last sent to the auditor, if any. */
  async lastCheckpoint(): Promise<ChainPoint | undefined> {
    const row = await this.knex(CHECKPOINTS)
      .where({ kind: 'checkpoint' })
      .orderBy('id', 'desc')
      .first();
    return row ? { seq: Number(row.seq), hash: row.hash } : undefined;
  }

  /** Records a head sent to the auditor. */
  async recordCheckpoint(point: ChainPoint, at: string, details: object) {
    await this.knex(CHECKPOINTS).insert({
      kind: 'checkpoint',
      seq: point.seq,
      hash: point.hash,
      at,
      details: JSON.stringify(details),
    });
  }

  private async verifyRollout(
    rolloutId: string,
    after: number,
    limit: number,
    head: ChainPoint,
  ): Promise<AuditVerification> {
    const from = await this.pointAt(after);
    let checked = 0;
    let last: ChainPoint =
      'point' in from ? from.point : { seq: after, hash: '' };
    let broken: BrokenLink | undefined =
      'broken' in from ? from.broken : undefined;
    let more = true;
    const unchained = await this.knex(EVENTS)
      .where({ rollout_id: rolloutId })
      .whereNull('seq')
      .orderBy('id')
      .first();
    if (unchained && !broken) {
      broken = {
        id: Number(unchained.id),
        rolloutId,
        problem: OUTSIDE_THE_CHAIN,
      };
    }
    while (!broken && more && checked < limit) {
      const rows: StoredAuditRow[] = await this.knex(EVENTS)
        .where({ rollout_id: rolloutId })
        .where('seq', '>', last.seq)
        .orderBy('seq', 'asc')
        .limit(Math.min(READ_PAGE, limit - checked));
      more = rows.length === Math.min(READ_PAGE, limit - checked);
      if (rows.length === 0 && after === 0 && checked === 0) {
        broken = {
          rolloutId,
          problem: 'the rollout has no audit events: its trail was removed',
        };
      }
      // Each event is checked against the one before it in the chain, whichever rollout's.
      const previous = new Map<number, string | null>(
        (
          await this.knex(EVENTS)
            .whereIn(
              'seq',
              rows.map(row => Number(row.seq) - 1),
            )
            .select('seq', 'mac')
        ).map(row => [Number(row.seq), row.mac]),
      );
      previous.set(0, GENESIS.hash);
      for (const row of rows) {
        const seq = Number(row.seq);
        checked += 1;
        const problem = linkProblem(this.key, row, previous.get(seq - 1));
        if (problem) {
          broken = { id: Number(row.id), seq, rolloutId, problem };
          break;
        }
        last = { seq, hash: row.mac! };
      }
    }
    const complete = !broken && !more;
    return {
      ok: !broken,
      complete,
      checked,
      verifiedThrough: last,
      head,
      next: !broken && !complete ? last.seq : undefined,
      firstBroken: broken,
    };
  }

  /** Where an incremental verification starts: the last verified event, if it still holds. */
  private async lastVerified(): Promise<
    { point: ChainPoint } | { broken: BrokenLink }
  > {
    const verified = await this.pointer('verified');
    const point = { seq: verified.seq, hash: verified.hash };
    if (verified.seal === null && point.seq === 0) return { point: GENESIS };
    if (verified.seal !== this.key.seal('verified', point)) {
      return {
        broken: {
          problem:
            'the record of the last verified event does not match its seal: it was changed outside the store, or canary.audit.secret changed',
        },
      };
    }
    return this.pointAt(point.seq, point.hash);
  }

  /** The event with sequence number `seq` (the start for 0), if it is there and still `hash`. */
  private async pointAt(
    seq: number,
    hash?: string,
  ): Promise<{ point: ChainPoint } | { broken: BrokenLink }> {
    if (seq === 0) return { point: GENESIS };
    const row = await this.knex(EVENTS).where({ seq }).first();
    if (!row) {
      return {
        broken: { seq, problem: missingEvents(seq, seq) },
      };
    }
    if (hash !== undefined && row.mac !== hash) {
      return {
        broken: {
          id: Number(row.id),
          seq,
          rolloutId: row.rollout_id,
          problem:
            'its MAC changed since it was verified (the event was changed or replaced)',
        },
      };
    }
    return { point: { seq, hash: row.mac ?? '' } };
  }

  /** Moves the sealed record of the last verified event forward (never back: calls may race). */
  private async storeVerified(point: ChainPoint) {
    await this.knex(POINTERS)
      .where({ name: 'verified' })
      .where('seq', '<', point.seq)
      .update({ ...point, seal: this.key.seal('verified', point) });
  }

  private async pointer(name: string): Promise<StoredPointer> {
    return toPointer(await this.knex(POINTERS).where({ name }).first());
  }
}

/** Takes the head's row lock (a no-op update), then reads it. */
async function lockHead(tx: Knex.Transaction): Promise<StoredPointer> {
  await tx(POINTERS)
    .where({ name: 'head' })
    .update({ seq: tx.ref('seq') });
  return toPointer(await tx(POINTERS).where({ name: 'head' }).first());
}

function toPointer(row: {
  seq: number | string;
  hash: string;
  seal: string | null;
}): StoredPointer {
  return { seq: Number(row.seq), hash: row.hash, seal: row.seal };
}

function toColumns(e: AuditEventDraft): StoredAuditColumns {
  return {
    rollout_id: e.rolloutId,
    entity_ref: e.entityRef,
    at: e.at,
    actor: e.actor,
    action: e.action,
    phase_before: e.phaseBefore ?? null,
    phase_after: e.phaseAfter,
    stage_index: e.stageIndex,
    weights_before: e.weightsBefore ? JSON.stringify(e.weightsBefore) : null,
    weights_after: JSON.stringify(e.weightsAfter),
    reason: e.reason,
    details: JSON.stringify(e.details),
  };
}
