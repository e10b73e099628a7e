import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { InfoCard } from '@backstage/core-components';
import type {
  Arm,
  RolloutAnalysis,
  Strategy,
} from '@canary-release/backstage-plugin-canary-common';
import { formatSeriesValue } from '../../utils/units';
import { referencesFor } from './references';
import { TimeSeriesChart, type Point } from './TimeSeriesChart';

/** The measured series in the order they read best, with their names in words. */
const METRICS: Array<[string, string]> = [
  ['error-rate', 'Error rate'],
  ['latency-p50', 'Latency p50'],
  ['latency-p95', 'Latency p95'],
  ['latency-p99', 'Latency p99'],
  ['requests', 'Requests per look'],
  ['errors', 'Errors per look'],
];

/** Series whose values are computed from the requests of their window. */
const PER_REQUEST = /^(error-rate|latency-)/;

/** Series grouped by metric, both arms side by side: known metrics first, then the others. */
function byMetric(analysis: RolloutAnalysis) {
  const metrics = new Map<string, Record<Arm, Point[]>>();
  for (const series of analysis.series) {
    const arms = metrics.get(series.metric) ?? { baseline: [], canary: [] };
    arms[series.arm] = series.points;
    metrics.set(series.metric, arms);
  }
  const rank = (metric: string) => {
    const index = METRICS.findIndex(([name]) => name === metric);
    return index < 0 ? METRICS.length : index;
  };
  return [...metrics.entries()].sort(([a], [b]) => rank(a) - rank(b));
}

function labelOf(metric: string): string {
  return METRICS.find(([name]) => name === metric)?.[1] ?? metric;
}

function latest(points: Point[]): number | null | undefined {
  return points.length > 0 ? points[points.length - 1].value : undefined;
}

const Swatch = ({ color }: { color: string }) => (
  <span
    style={{
      display: 'inline-block',
      width: 12,
      height: 3,
      margin: '0 4px 3px 12px',
      backgroundColor: color,
    }}
  />
);

/** The latest value of one arm and, for rates and latencies, the requests it is based on. */
const LatestValue = ({
  metric,
  points,
  requests,
}: {
  metric: string;
  points: Point[];
  requests: Point[];
}) => {
  const sample = PER_REQUEST.test(metric) ? latest(requests) : undefined;
  return (
    <>
      <Typography variant="body2">
        {formatSeriesValue(metric, latest(points))}
      </Typography>
      {sample !== undefined && sample !== null && (
        <Typography variant="caption" color="textSecondary">
          n = {formatSeriesValue('requests', sample)}
        </Typography>
      )}
    </>
  );
};

/**
 * Stable against canary for every measured metric over the whole rollout, one look per point:
 * error rate, latency p50/p95/p99, requests and errors. Each chart draws the limits and margins
 * of the rollout's strategy that apply to it; the latest values come with their sample sizes.
 */
export const MetricComparison = ({
  analysis,
  strategy,
}: {
  analysis: RolloutAnalysis;
  strategy: Strategy;
}) => {
  const theme = useTheme();
  const colors: Record<Arm, string> = {
    baseline: theme.palette.primary.main,
    canary: theme.palette.warning.main,
  };
  const metrics = byMetric(analysis);
  const requests = metrics.find(([metric]) => metric === 'requests')?.[1];

  return (
    <InfoCard
      title="Metrics over time"
      subheader="Per look at the metrics; dashed lines are the strategy's limits and margins"
      action={
        <Typography variant="caption" color="textSecondary">
          <Swatch color={colors.baseline} />
          baseline (stable)
          <Swatch color={colors.canary} />
          canary
        </Typography>
      }
    >
      {metrics.length === 0 ? (
        <Typography variant="body2">No measurements yet.</Typography>
      ) : (
        <Box overflow="auto">
          <Table size="small" aria-label="Metrics over time">
            <TableHead>
              <TableRow>
                <TableCell>Metric</TableCell>
                <TableCell>Over time</TableCell>
                <TableCell align="right" style={{ whiteSpace: 'nowrap' }}>
                  Baseline (latest)
                </TableCell>
                <TableCell align="right" style={{ whiteSpace: 'nowrap' }}>
                  Canary (latest)
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {metrics.map(([metric, arms]) => (
                <TableRow key={metric}>
                  <TableCell style={{ whiteSpace: 'nowrap' }}>
                    {labelOf(metric)}
                  </TableCell>
                  <TableCell style={{ width: '100%' }}>
                    <TimeSeriesChart
                      title={`${labelOf(
                        metric,
                      )}: baseline and canary over time`}
                      series={(['baseline', 'canary'] as const).map(arm => ({
                        key: arm,
                        color: colors[arm],
                        points: arms[arm],
                      }))}
                      references={referencesFor(
                        metric,
                        arms.baseline,
                        strategy,
                      )}
                      format={value => formatSeriesValue(metric, value)}
                    />
                  </TableCell>
                  {(['baseline', 'canary'] as const).map(arm => (
                    <TableCell
                      key={arm}
                      align="right"
                      style={{ whiteSpace: 'nowrap' }}
                    >
                      <LatestValue
                        metric={metric}
                        points={arms[arm]}
                        requests={requests?.[arm] ?? []}
                      />
                    </TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </InfoCard>
  );
};
