import type { ReactNode } from 'react';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { Table, type TableColumn } from '@backstage/core-components';
import type {
  MetricDefinition,
  MetricVerdict,
} from '@canary-release/backstage-plugin-canary-common';
import { formatDateTime } from '../../utils/format';
import {
  describeTail,
  formatConfidence,
  formatPValue,
  formatVerdictInterval,
  formatVerdictMeasure,
  formatVerdictValue,
  isCeiling,
  thresholdName,
  verdictScale,
} from '../../utils/units';
import { ForestPlot } from '../ForestPlot';
import { VerdictStatus } from '../VerdictStatus';

type Row = MetricVerdict & {
  id: string;
  definition?: MetricDefinition;
};

const Caption = ({ children }: { children: ReactNode }) => (
  <Typography variant="caption" color="textSecondary" component="div">
    {children}
  </Typography>
);

function count(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/** What the estimate is measured against, after the number: the baseline, for comparisons. */
function estimateSuffix(row: Row): string {
  if (row.estimate === undefined) return '';
  switch (verdictScale(row)) {
    case 'relative':
      return ' vs baseline';
    case 'ratio':
      return ' the baseline';
    default:
      return '';
  }
}

/** The baseline's and the canary's values; for a distribution, its quantiles and tail shares. */
const ArmValues = ({ row }: { row: Row }) => {
  const tail = describeTail(row);
  if (tail) {
    return (
      <>
        <Typography variant="body2">{tail.quantiles}</Typography>
        <Typography variant="body2">{tail.shares}</Typography>
      </>
    );
  }
  return (
    <Typography variant="body2">
      {row.baseline === undefined && row.canary === undefined
        ? '–'
        : `${formatVerdictValue(row, row.baseline)} → ${formatVerdictValue(
            row,
            row.canary,
          )}`}
    </Typography>
  );
};

const columns: TableColumn<Row>[] = [
  {
    title: 'Metric',
    cellStyle: { minWidth: 140 },
    render: row => (
      <>
        <Typography variant="body2">{row.metric}</Typography>
        <Caption>
          {row.rule}
          {row.critical && ' · critical'}
        </Caption>
      </>
    ),
  },
  {
    title: 'Verdict and why',
    cellStyle: { minWidth: 260, maxWidth: 440 },
    render: row => (
      <>
        <VerdictStatus verdict={row.verdict} />
        <Typography variant="body2">{row.explanation}</Typography>
        {row.detail && (
          <Typography variant="caption" color="textSecondary">
            {row.detail}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Estimate against its margin or limit',
    cellStyle: { minWidth: 200 },
    render: row => (
      <>
        <Typography variant="body2">
          {formatVerdictMeasure(row, row.estimate)}
          {estimateSuffix(row)}
        </Typography>
        {row.interval && (
          <Caption>
            {row.confidenceLevel !== undefined &&
              `${formatConfidence(row.confidenceLevel)} `}
            {formatVerdictInterval(row)}
          </Caption>
        )}
        {row.threshold !== undefined && (
          <Caption>
            {thresholdName(row)} {formatVerdictMeasure(row, row.threshold)}
            {!isCeiling(row) &&
              verdictScale(row) !== 'value' &&
              row.rollbackThreshold !== undefined &&
              row.rollbackThreshold > 0 &&
              `, rolls back beyond ${formatVerdictMeasure(
                row,
                row.rollbackThreshold,
              )}`}
          </Caption>
        )}
        <ForestPlot verdict={row} direction={row.definition?.direction} />
      </>
    ),
  },
  {
    title: 'Baseline → canary',
    cellStyle: { whiteSpace: 'nowrap' },
    render: row => (
      <>
        <ArmValues row={row} />
        {row.sampleSize && (
          <Caption>
            n = {count(row.sampleSize.baseline)} /{' '}
            {count(row.sampleSize.canary)}
          </Caption>
        )}
      </>
    ),
  },
  {
    title: 'p-value',
    render: row => (
      <>
        {formatPValue(row.pValue)}
        {row.classical && (
          <Tooltip title={row.classical.method}>
            <div>
              <Caption>
                fixed-horizon {formatPValue(row.classical.pValue)}
              </Caption>
            </div>
          </Tooltip>
        )}
      </>
    ),
  },
];

/**
 * The latest verdict of every metric, with the numbers behind it and the judge's sentence. Each
 * estimate is drawn against its margins on its own scale (relative change, multiple of the
 * baseline, difference between the arms, or value against a limit), its interval at the
 * confidence level of the check that decided; a distribution's verdict (e.g. latency) also names
 * the quantile that decided and the shares of both arms beyond its threshold. `metrics` (the
 * strategy's definitions) say on which side of zero a higher-is-better metric's margin lies.
 * Verdicts of any rule render, also those of audit events stored under older rule names.
 */
export const VerdictsTable = ({
  verdicts,
  lastLookAt,
  metrics = [],
  title = 'Latest verdicts',
}: {
  verdicts: MetricVerdict[];
  lastLookAt?: string;
  metrics?: MetricDefinition[];
  title?: string;
}) => (
  <Table<Row>
    title={title}
    subtitle={
      lastLookAt ? `Last look ${formatDateTime(lastLookAt)}` : 'No look yet'
    }
    options={{ paging: false, search: false, padding: 'dense' }}
    columns={columns}
    data={verdicts.map((verdict, i) => ({
      ...verdict,
      id: `${verdict.metric}-${verdict.rule}-${i}`,
      definition: metrics.find(m => m.name === verdict.metric),
    }))}
    emptyContent={
      <Typography variant="body2" style={{ padding: 16 }}>
        The engine has not judged this stage yet.
      </Typography>
    }
  />
);
