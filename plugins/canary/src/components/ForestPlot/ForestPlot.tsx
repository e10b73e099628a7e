import { useTheme } from '@material-ui/core/styles';

const WIDTH = 140;
const HEIGHT = 20;
const PAD = 6;

/**
 * One forest-plot row: the estimate (dot) with its interval (line) against zero (solid tick) and
 * the threshold or margin (dashed tick), on a scale that fits them all.
 */
export const ForestPlot = ({
  estimate,
  interval,
  threshold,
  failed,
}: {
  estimate: number;
  interval?: [number, number];
  threshold?: number;
  failed?: boolean;
}) => {
  const theme = useTheme();
  // The scale covers the estimate, the threshold, and the interval with zero (no difference).
  const finite = [
    estimate,
    ...(threshold === undefined ? [] : [threshold]),
    ...(interval ? [...interval, 0] : []),
  ].filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const x = (value: number) =>
    max === min
      ? WIDTH / 2
      : PAD + ((value - min) / (max - min)) * (WIDTH - 2 * PAD);
  /** An infinite interval bound (no evidence yet) runs to the edge of the plot. */
  const boundX = (value: number) => {
    if (Number.isFinite(value)) return x(value);
    return value > 0 ? WIDTH - PAD : PAD;
  };
  const color = failed ? theme.palette.error.main : theme.palette.text.primary;
  const mid = HEIGHT / 2;

  return (
    <svg
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`estimate ${estimate}${
        interval ? `, interval ${interval[0]} to ${interval[1]}` : ''
      }${threshold !== undefined ? `, threshold ${threshold}` : ''}`}
    >
      {interval && (
        <line
          x1={x(0)}
          x2={x(0)}
          y1={2}
          y2={HEIGHT - 2}
          stroke={theme.palette.text.secondary}
        />
      )}
      {threshold !== undefined && (
        <line
          x1={x(threshold)}
          x2={x(threshold)}
          y1={0}
          y2={HEIGHT}
          stroke={theme.palette.warning.main}
          strokeDasharray="3 2"
        />
      )}
      {interval && (
        <line
          x1={boundX(interval[0])}
          x2={boundX(interval[1])}
          y1={mid}
          y2={mid}
          stroke={color}
          strokeWidth={2}
        />
      )}
      <circle cx={x(estimate)} cy={mid} r={4} fill={color} />
    </svg>
  );
};
