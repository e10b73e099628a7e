import { useTheme } from '@material-ui/core/styles';
import type { RolloutAnalysis } from '@canary-release/backstage-plugin-canary-common';

type Point = RolloutAnalysis['series'][number]['points'][number];

const WIDTH = 260;
const HEIGHT = 56;
const PAD = 4;

/** Splits a series at missing values, so a gap in the data shows as a gap in the line. */
function segments(points: Point[]): Point[][] {
  const result: Point[][] = [[]];
  for (const point of points) {
    if (point.value === null) {
      result.push([]);
    } else {
      result[result.length - 1].push(point);
    }
  }
  return result.filter(segment => segment.length > 0);
}

/**
 * Baseline and canary of one metric over time on a shared scale (starting at zero), with a
 * dotted line where a new stage starts.
 */
export const Sparkline = ({
  metric,
  baseline,
  canary,
}: {
  metric: string;
  baseline: Point[];
  canary: Point[];
}) => {
  const theme = useTheme();
  const all = [...baseline, ...canary];
  const times = all.map(p => Date.parse(p.at));
  const values = all.flatMap(p => (p.value === null ? [] : [p.value]));
  const t0 = Math.min(...times);
  const tSpan = Math.max(...times) - t0 || 1;
  const vMax = Math.max(0, ...values) || 1;
  const vMin = Math.min(0, ...values);
  const x = (at: string) =>
    PAD + ((Date.parse(at) - t0) / tSpan) * (WIDTH - 2 * PAD);
  const y = (value: number) =>
    HEIGHT - PAD - ((value - vMin) / (vMax - vMin)) * (HEIGHT - 2 * PAD);

  const stageStarts = canary.filter(
    (point, i) => i > 0 && point.stageIndex !== canary[i - 1].stageIndex,
  );
  const line = (points: Point[], color: string, arm: string) =>
    segments(points).map((segment, i) => (
      <polyline
        key={`${arm}-${i}`}
        data-arm={arm}
        fill="none"
        stroke={color}
        strokeWidth={1.5}
        points={segment.map(p => `${x(p.at)},${y(p.value!)}`).join(' ')}
      />
    ));

  return (
    <svg
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`${metric}: baseline and canary over time`}
    >
      {stageStarts.map(point => (
        <line
          key={point.at}
          x1={x(point.at)}
          x2={x(point.at)}
          y1={0}
          y2={HEIGHT}
          stroke={theme.palette.divider}
          strokeDasharray="2 2"
        />
      ))}
      {line(baseline, theme.palette.primary.main, 'baseline')}
      {line(canary, theme.palette.warning.main, 'canary')}
    </svg>
  );
};
