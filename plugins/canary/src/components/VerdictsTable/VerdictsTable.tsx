import Typography from '@material-ui/core/Typography';
import { Table, type TableColumn } from '@backstage/core-components';
import type { MetricVerdict } from '@canary-release/backstage-plugin-canary-common';
import {
  formatDateTime,
  formatMetricValue,
  formatPValue,
} from '../../utils/format';
import { ForestPlot } from '../ForestPlot';
import { VerdictStatus } from '../VerdictStatus';

type Row = MetricVerdict & { id: string };

const columns: TableColumn<Row>[] = [
  {
    title: 'Metric',
    render: row => (
      <>
        <Typography variant="body2">{row.metric}</Typography>
        <Typography variant="caption" color="textSecondary">
          {row.rule}
        </Typography>
      </>
    ),
  },
  { title: 'Verdict', render: row => <VerdictStatus verdict={row.verdict} /> },
  {
    title: 'Estimate',
    render: row =>
      row.estimate === undefined ? (
        '–'
      ) : (
        <>
          <Typography variant="body2">
            {formatMetricValue(row.metric, row.estimate)}
            {row.interval &&
              ` [${formatMetricValue(
                row.metric,
                row.interval[0],
              )}, ${formatMetricValue(row.metric, row.interval[1])}]`}
          </Typography>
          <ForestPlot
            estimate={row.estimate}
            interval={row.interval}
            threshold={row.threshold}
            failed={row.verdict === 'fail'}
          />
        </>
      ),
  },
  {
    title: 'Baseline → canary',
    render: row =>
      `${formatMetricValue(row.metric, row.baseline)} → ${formatMetricValue(
        row.metric,
        row.canary,
      )}`,
  },
  {
    title: 'Threshold',
    render: row => formatMetricValue(row.metric, row.threshold),
  },
  { title: 'p-value', render: row => formatPValue(row.pValue) },
  {
    title: 'Samples (baseline / canary)',
    render: row =>
      row.sampleSize
        ? `${row.sampleSize.baseline.toLocaleString()} / ${row.sampleSize.canary.toLocaleString()}`
        : '–',
  },
  { title: 'Why', field: 'explanation', width: '30%' },
];

/** The latest verdict of every metric, with the numbers behind it and the judge's sentence. */
export const VerdictsTable = ({
  verdicts,
  lastLookAt,
}: {
  verdicts: MetricVerdict[];
  lastLookAt?: string;
}) => (
  <Table<Row>
    title="Latest verdicts"
    subtitle={
      lastLookAt ? `Last look ${formatDateTime(lastLookAt)}` : 'No look yet'
    }
    options={{ paging: false, search: false, padding: 'dense' }}
    columns={columns}
    data={verdicts.map((verdict, i) => ({
      ...verdict,
      id: `${verdict.metric}-${verdict.rule}-${i}`,
    }))}
    emptyContent={
      <Typography variant="body2" style={{ padding: 16 }}>
        The engine has not judged this stage yet.
      </Typography>
    }
  />
);
