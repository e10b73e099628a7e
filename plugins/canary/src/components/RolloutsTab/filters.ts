import {
  PHASES,
  type Phase,
} from '@canary-release/backstage-plugin-canary-common';
import type { ListRolloutsRequest, RolloutSortField } from '../../api';
import {
  asRecord,
  readOneOf,
  readSomeOf,
  readString,
  readTime,
} from '../../utils/query';
import { PAGE_SIZES } from '../CursorPagination';

export const SORT_FIELDS: Array<{ value: RolloutSortField; label: string }> = [
  { value: 'createdAt', label: 'Created' },
  { value: 'updatedAt', label: 'Updated' },
  { value: 'entityRef', label: 'Entity' },
  { value: 'phase', label: 'Phase' },
];

const ORDERS = ['desc', 'asc'] as const;

/** What the Rollouts tab shows: its filters, order and page size, kept in the URL. */
export interface RolloutFilters {
  phases: Phase[];
  owner?: string;
  system?: string;
  createdAfter?: string;
  createdBefore?: string;
  sort: RolloutSortField;
  order: 'asc' | 'desc';
  limit: number;
}

export const DEFAULT_ROLLOUT_FILTERS: RolloutFilters = {
  phases: [],
  sort: 'createdAt',
  order: 'desc',
  limit: 20,
};

/** The filters in a URL, checked; what is missing or malformed gets its default. */
export function parseRolloutFilters(raw: unknown): RolloutFilters {
  const query = asRecord(raw);
  return {
    phases: readSomeOf(query.phases, PHASES),
    owner: readString(query.owner),
    system: readString(query.system),
    createdAfter: readTime(query.createdAfter),
    createdBefore: readTime(query.createdBefore),
    sort:
      readOneOf(
        query.sort,
        SORT_FIELDS.map(f => f.value),
      ) ?? DEFAULT_ROLLOUT_FILTERS.sort,
    order: readOneOf(query.order, ORDERS) ?? DEFAULT_ROLLOUT_FILTERS.order,
    limit: readOneOf(query.limit, PAGE_SIZES) ?? DEFAULT_ROLLOUT_FILTERS.limit,
  };
}

/** The list request for the filters and a page's cursor. */
export function toListRequest(
  filters: RolloutFilters,
  cursor?: string,
): ListRolloutsRequest {
  const { phases, ...rest } = filters;
  return { ...rest, phase: phases, cursor };
}
