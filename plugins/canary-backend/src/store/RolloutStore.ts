import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  Arm,
  ArmSample,
  AuditEvent,
  MetricVerdict,
  Page,
  Phase,
  RolloutAnalysis,
  errorRate,
  histogramQuantile,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import { Knex } from 'knex';
import {
  auditHash,
  ChainVerification,
  ChainVerifier,
  GENESIS,
  StoredAuditColumns,
} from './auditChain';
import type {
  AuditEventDraft,
  LookRecord,
  RolloutRecord,
} from '../engine/types';

const migrationsDir = resolvePackagePath(
  '@canary-release/backstage-plugin-canary-backend',
  'migrations',
);

/** Filters of the rollout list. */
export interface RolloutQuery {
  entityRef?: string;
  phase?: Phase;
  limit: number;
  cursor?: string;
}

/** Filters of the audit trail. */
export interface AuditQuery {
  entityRef?: string;
  rolloutId?: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

const MEASURED_METRICS = [
  'requests',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
].map(column => column.replace('_', '-'));

const VERIFY_PAGE = 1000;

/** Thrown when a save lost the race against another writer. */
export class StaleRevisionError extends ConflictError {}

/** A key that is the same for every rollout acting on the same workload. */
export function targetKey(rollout: RolloutRecord): string {
  const t = rollout.target;
  return [t.workload, t.cluster ?? '', t.namespace, t.name].join('/');
}

/**
 * The single source of truth of the engine, on the plugin's database (SQLite or PostgreSQL).
 * Every change of a rollout is saved with its audit events and its look in one transaction,
 * conditional on the revision it was computed from.
 */
export class RolloutStore {
  static async create(database: DatabaseService): Promise<RolloutStore> {
    const knex = await database.getClient();
    if (!database.migrations?.skip) {
      await knex.migrate.latest({ directory: migrationsDir });
    }
    return new RolloutStore(knex);
  }

  constructor(private readonly knex: Knex) {}

  /** Inserts a new rollout; a ConflictError when its target already has an active one. */
  async insert(
    rollout: RolloutRecord,
    events: AuditEventDraft[],
  ): Promise<void> {
    await this.knex.transaction(async tx => {
      await this.assertTargetFree(tx, rollout);
      try {
        await tx('canary_rollouts').insert(toRow(rollout));
      } catch (error) {
        if (isUniqueViolation(error)) throw activeConflict(rollout);
        throw error;
      }
      await insertEvents(tx, events);
    });
  }

  /**
   * Saves `next` if the stored revision is still `next.revision - 1`, with its events and look.
   * Throws StaleRevisionError otherwise: another tick or request got there first.
   */
  async save(
    next: RolloutRecord,
    events: AuditEventDraft[],
    look?: LookRecord,
  ): Promise<void> {
    await this.knex.transaction(async tx => {
      const reactivated =
        !isFinalPhase(next.phase) && events.some(e => e.action === 'retry');
      if (reactivated) await this.assertTargetFree(tx, next);
      let updated: number;
      try {
        updated = await tx('canary_rollouts')
          .where({ id: next.id, revision: next.revision - 1 })
          .update(toRow(next));
      } catch (error) {
        if (isUniqueViolation(error)) throw activeConflict(next);
        throw error;
      }
      if (updated !== 1) {
        throw new StaleRevisionError(
          `Rollout ${next.id} was changed concurrently; try again`,
        );
      }
      await insertEvents(tx, events);
      if (look) await insertLook(tx, next.id, look);
    });
  }

  async get(id: string): Promise<RolloutRecord | undefined> {
    const row = await this.knex('canary_rollouts').where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** Rollouts that the engine still has work to do on. */
  async listActive(): Promise<RolloutRecord[]> {
    const rows = await this.knex('canary_rollouts')
      .whereNotNull('active_target')
      .orderBy('created_at', 'asc');
    return rows.map(fromRow);
  }

  /** Newest first, paged by an opaque cursor. */
  async list(query: RolloutQuery): Promise<Page<RolloutRecord>> {
    const q = this.knex('canary_rollouts')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.limit + 1);
    if (query.entityRef) q.where('entity_ref', query.entityRef);
    if (query.phase) q.where('phase', query.phase);
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, 2);
      q.where(inner =>
        inner
          .where('created_at', '<', createdAt)
          .orWhere(same =>
            same.where('created_at', createdAt).where('id', '<', id),
          ),
      );
    }
    const rows = await q;
    const items = rows.slice(0, query.limit).map(fromRow);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor([last.createdAt, last.id])
          : undefined,
    };
  }

  /** Oldest first (the order things happened), paged by an opaque cursor. */
  async listAudit(query: AuditQuery): Promise<Page<AuditEvent>> {
    const q = this.knex('canary_audit_events')
      .orderBy('id', 'asc')
      .limit(query.limit + 1);
    if (query.entityRef) q.where('entity_ref', query.entityRef);
    if (query.rolloutId) q.where('rollout_id', query.rolloutId);
    if (query.actor) q.where('actor', query.actor);
    if (query.action) q.where('action', query.action);
    if (query.from) q.where('at', '>=', query.from);
    if (query.to) q.where('at', '<', query.to);
    if (query.cursor)
      q.where('id', '>', Number(decodeCursor(query.cursor, 1)[0]));
    const rows = await q;
    const items = rows.slice(0, query.limit).map(auditFromRow);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor([String(last.id)])
          : undefined,
    };
  }

  /** Recomputes the audit hash chains (of one rollout, or all) and reports the first break. */
  async verifyAudit(rolloutId?: string): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let afterId = 0;
    for (;;) {
      const q = this.knex('canary_audit_events')
        .where('id', '>', afterId)
        .orderBy('id', 'asc')
        .limit(VERIFY_PAGE);
      if (rolloutId) q.where('rollout_id', rolloutId);
      const rows = await q;
      rows.forEach(row => verifier.check(row));
      if (rows.length < VERIFY_PAGE) break;
      afterId = Number(rows[rows.length - 1].id);
    }
    return verifier.result();
  }

  /** Every measurement and verdict of a rollout, as time series per metric and arm. */
  async analysis(rolloutId: string): Promise<RolloutAnalysis> {
    const measurements = await this.knex('canary_measurements')
      .where({ rollout_id: rolloutId })
      .orderBy('id', 'asc');
    const series = new Map<string, RolloutAnalysis['series'][number]>();
    for (const row of measurements) {
      for (const metric of MEASURED_METRICS) {
        const key = `${metric}:${row.arm}`;
        if (!series.has(key)) {
          series.set(key, { metric, arm: row.arm as Arm, points: [] });
        }
        series.get(key)!.points.push({
          at: row.taken_at,
          stageIndex: row.stage_index,
          value: row[metric.replace('-', '_')] ?? null,
        });
      }
    }
    const verdictRows = await this.knex('canary_verdicts')
      .where({ rollout_id: rolloutId })
      .orderBy('id', 'asc');
    const verdicts: RolloutAnalysis['verdicts'] = [];
    for (const row of verdictRows) {
      const lastLook = verdicts[verdicts.length - 1];
      const verdict = JSON.parse(row.data) as MetricVerdict;
      if (lastLook && lastLook.at === row.taken_at) {
        lastLook.verdicts.push(verdict);
      } else {
        verdicts.push({
          at: row.taken_at,
          stageIndex: row.stage_index,
          verdicts: [verdict],
        });
      }
    }
    return { rolloutId, series: [...series.values()], verdicts };
  }

  private async assertTargetFree(tx: Knex.Transaction, rollout: RolloutRecord) {
    const other = await tx('canary_rollouts')
      .where({ active_target: targetKey(rollout) })
      .whereNot({ id: rollout.id })
      .first('id');
    if (other) throw activeConflict(rollout, other.id);
  }
}

function activeConflict(rollout: RolloutRecord, otherId?: string) {
  return new ConflictError(
    `${rollout.target.namespace}/${
      rollout.target.name
    } already has an active rollout${
      otherId ? ` (${otherId})` : ''
    }; abort it or wait for it to finish`,
  );
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e?.code === '23505' || // PostgreSQL
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/.test(e?.message ?? '')
  );
}

function toRow(rollout: RolloutRecord) {
  return {
    id: rollout.id,
    entity_ref: rollout.entityRef,
    phase: rollout.phase,
    active_target: isFinalPhase(rollout.phase) ? null : targetKey(rollout),
    revision: rollout.revision,
    created_at: rollout.createdAt,
    updated_at: rollout.updatedAt,
    state: JSON.stringify(rollout),
  };
}

function fromRow(row: { state: string }): RolloutRecord {
  return JSON.parse(row.state);
}

/**
 * Appends events to the audit trail, each chained to the previous event of its rollout. Callers
 * hold the rollout's revision (or insert it new) in the same transaction, so no two writers
 * extend one rollout's chain at once.
 */
async function insertEvents(tx: Knex.Transaction, events: AuditEventDraft[]) {
  const lastHash = new Map<string, string>();
  for (const e of events) {
    if (!lastHash.has(e.rolloutId)) {
      const last = await tx('canary_audit_events')
        .where({ rollout_id: e.rolloutId })
        .whereNotNull('hash')
        .orderBy('id', 'desc')
        .first('hash');
      lastHash.set(e.rolloutId, last?.hash ?? GENESIS);
    }
    const columns: StoredAuditColumns = {
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
    const prevHash = lastHash.get(e.rolloutId)!;
    const hash = auditHash(prevHash, columns);
    await tx('canary_audit_events').insert({
      ...columns,
      prev_hash: prevHash,
      hash,
    });
    lastHash.set(e.rolloutId, hash);
  }
}

function auditFromRow(row: any): AuditEvent {
  return {
    id: Number(row.id),
    rolloutId: row.rollout_id,
    entityRef: row.entity_ref,
    at: row.at,
    actor: row.actor,
    action: row.action,
    phaseBefore: row.phase_before ?? undefined,
    phaseAfter: row.phase_after,
    stageIndex: row.stage_index,
    weightsBefore: row.weights_before
      ? JSON.parse(row.weights_before)
      : undefined,
    weightsAfter: JSON.parse(row.weights_after),
    reason: row.reason,
    details: JSON.parse(row.details),
  };
}

function measurementRow(
  rolloutId: string,
  look: LookRecord,
  arm: Arm,
  sample: ArmSample | undefined,
) {
  const quantile = (q: number) => histogramQuantile(q, sample?.latency) ?? null;
  return {
    rollout_id: rolloutId,
    stage_index: look.stageIndex,
    taken_at: look.look.window.end,
    window_start: look.look.window.start,
    window_end: look.look.window.end,
    arm,
    requests: sample?.requests ?? null,
    errors: sample?.errors ?? null,
    error_rate: sample ? errorRate(sample) ?? null : null,
    latency_p50: quantile(0.5),
    latency_p95: quantile(0.95),
    latency_p99: quantile(0.99),
    sample: sample ? JSON.stringify(sample) : null,
    error: look.look.error ?? null,
  };
}

async function insertLook(
  tx: Knex.Transaction,
  rolloutId: string,
  look: LookRecord,
) {
  await tx('canary_measurements').insert([
    measurementRow(rolloutId, look, 'baseline', look.look.baseline),
    measurementRow(rolloutId, look, 'canary', look.look.canary),
  ]);
  if (look.verdicts.length > 0) {
    await tx('canary_verdicts').insert(
      look.verdicts.map(v => ({
        rollout_id: rolloutId,
        stage_index: look.stageIndex,
        taken_at: look.look.window.end,
        metric: v.metric,
        rule: v.rule,
        verdict: v.verdict,
        data: JSON.stringify(v),
      })),
    );
  }
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeCursor(cursor: string, length: number): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (
      Array.isArray(parts) &&
      parts.length === length &&
      parts.every(p => typeof p === 'string')
    ) {
      return parts;
    }
  } catch {
    // fall through to the error below
  }
  throw new InputError('Invalid cursor');
}
