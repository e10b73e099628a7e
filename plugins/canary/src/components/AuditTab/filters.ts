import {
  ROLLOUT_ACTIONS,
  TRANSITIONS,
} from '@canary-release/backstage-plugin-canary-common';
import type { AuditFilter } from '../../api';
import { asRecord, readOneOf, readString, readTime } from '../../utils/query';
import { PAGE_SIZES } from '../CursorPagination';

/**
 * The actions the audit trail records: launches, every event of the phase table (the engine's
 * transitions), users' commands, what the engine notes without a phase change, and the
 * notifications and webhook calls it made.
 */
export const AUDIT_ACTIONS: string[] = [
  ...new Set([
    'launch',
    ...Object.values(TRANSITIONS).flatMap(row => Object.keys(row)),
    ...ROLLOUT_ACTIONS,
    'traffic-shifted',
    'gate-confirmed',
    'gate-refused',
    'provider-fault',
    'provider-recovered',
    'notify',
    'webhook',
  ]),
].sort();

/** What the Audit tab shows: its filters and page size, kept in the URL. */
export interface AuditFilters extends AuditFilter {
  limit: number;
}

export const DEFAULT_AUDIT_FILTERS: AuditFilters = { limit: 50 };

/** The filters in a URL, checked; what is missing or malformed gets its default. */
export function parseAuditFilters(raw: unknown): AuditFilters {
  const query = asRecord(raw);
  return {
    entityRef: readString(query.entityRef),
    rolloutId: readString(query.rolloutId),
    actor: readString(query.actor),
    action: readString(query.action),
    from: readTime(query.from),
    to: readTime(query.to),
    limit: readOneOf(query.limit, PAGE_SIZES) ?? DEFAULT_AUDIT_FILTERS.limit,
  };
}

/** The filters alone, as the export takes them. */
export function toAuditFilter({ limit, ...filter }: AuditFilters): AuditFilter {
  return filter;
}
