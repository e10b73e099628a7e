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
} from '@canary-release/backstage-plugin-canary-common';
import { formatMetricValue } from '../../utils/format';
import { Sparkline } from './Sparkline';

type Points = RolloutAnalysis['series'][number]['points'];

/** Series grouped by metric, both arms side by side, in the order the backend sent them. */
function byMetric(analysis: RolloutAnalysis) {
  const metrics = new Map<string, Record<Arm, Points>>();
  for (const series of analysis.series) {
    const arms = metrics.get(series.metric) ?? { baseline: [], canary: [] };
    arms[series.arm] = series.points;
    metrics.set(series.metric, arms);
  }
  return [...metrics.entries()];
}

function latest(points: Points): number | null | undefined {
  return points.length > 0 ? points[points.length - 1].value : undefined;
}

const Legend = () => {
  const theme = useTheme();
  const swatch = (color: string) => (
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
  return (
    <Typography variant="caption" color="textSecondary">
      {swatch(theme.palette.primary.main)}baseline (stable)
      {swatch(theme.palette.warning.main)}canary
    </Typography>
  );
};

/** Stable against canary for every metric over the whole rollout, with the latest values. */
export const MetricComparison = ({
  analysis,
}: {
  analysis: RolloutAnalysis;
}) => {
  const metrics = byMetric(analysis);
  return (
    <InfoCard title="Metrics over time" action={<Legend />}>
      {metrics.length === 0 ? (
        <Typography variant="body2">No measurements yet.</Typography>
      ) : (
        <Box overflow="auto">
          <Table size="small" aria-label="Metrics over time">
            <TableHead>
              <TableRow>
                <TableCell>Metric</TableCell>
                <TableCell>Over time</TableCell>
                <TableCell align="right">Baseline (latest)</TableCell>
                <TableCell align="right">Canary (latest)</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {metrics.map(([metric, arms]) => (
                <TableRow key={metric}>
                  <TableCell>{metric}</TableCell>
                  <TableCell>
                    <Sparkline
                      metric={metric}
                      baseline={arms.baseline}
                      canary={arms.canary}
                    />
                  </TableCell>
                  <TableCell align="right">
                    {formatMetricValue(metric, latest(arms.baseline))}
                  </TableCell>
                  <TableCell align="right">
                    {formatMetricValue(metric, latest(arms.canary))}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </InfoCard>
  );
};
