import type { ComponentType, ReactNode } from 'react';
import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import type {
  MetricVerdict,
  VerdictKind,
} from '@canary-release/backstage-plugin-canary-common';

const VERDICT_PRESENTATION: Record<
  VerdictKind,
  { label: string; Status: ComponentType<{ children?: ReactNode }> }
> = {
  pass: { label: 'Pass', Status: StatusOK },
  fail: { label: 'Fail', Status: StatusError },
  inconclusive: { label: 'Inconclusive', Status: StatusPending },
  nodata: { label: 'No data', Status: StatusWarning },
  error: { label: 'Error', Status: StatusError },
};

/** A metric verdict as a coloured status; an unknown kind (a newer backend's) as pending. */
export const VerdictStatus = ({ verdict }: { verdict: VerdictKind }) => {
  const { label, Status } = VERDICT_PRESENTATION[verdict] ?? {
    label: String(verdict),
    Status: StatusPending,
  };
  return <Status>{label}</Status>;
};

/**
 * One verdict for a set of metric verdicts: any failure or error fails, all passing passes,
 * otherwise the set is inconclusive (or without data when no metric had any).
 */
export function summarizeVerdicts(verdicts: MetricVerdict[]): VerdictKind {
  const kinds = verdicts.map(v => v.verdict);
  if (kinds.some(kind => kind === 'fail' || kind === 'error')) return 'fail';
  if (kinds.length > 0 && kinds.every(kind => kind === 'pass')) return 'pass';
  if (kinds.length === 0 || kinds.every(kind => kind === 'nodata')) {
    return 'nodata';
  }
  return 'inconclusive';
}
