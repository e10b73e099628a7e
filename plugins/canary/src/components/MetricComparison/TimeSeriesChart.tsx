import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import type { RolloutAnalysis } from '@canary-release/backstage-plugin-canary-common';
import { useWidth } from '../../hooks/useWidth';

/** One measured value of a series. */
export type Point = RolloutAnalysis['series'][number]['points'][number];

/** A line of data: one arm of a metric. */
export interface ChartSeries {
  key: string;
  color: string;
  points: Point[];
}

/**
 * A reference line: a fixed limit (`value`) or one that follows the baseline (`points`), e.g.
 * the non-inferiority margin above the baseline's error rate (`margin`), or where the canary
 * rolls back (`rollback`): a rollback margin or a hard ceiling.
 */
export interface ChartReference {
  key: string;
  label: string;
  kind: 'rollback' | 'margin';
  value?: number;
  points?: Point[];
}

/** Width until the chart's box is measured. */
const DEFAULT_WIDTH = 360;
const MIN_WIDTH = 240;
const HEIGHT = 104;
const AXIS = 60;
const PAD = 6;
/** Room below the plot for the time labels. */
const TIME_AXIS = 14;
/** A reference far above the data would flatten it: beyond this multiple it is only listed. */
const MAX_REFERENCE_STRETCH = 4;

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

function valuesOf(points: Point[]): number[] {
  return points.flatMap(p =>
    p.value === null || !Number.isFinite(p.value) ? [] : [p.value],
  );
}

function referenceMax(reference: ChartReference): number {
  return (
    reference.value ?? Math.max(-Infinity, ...valuesOf(reference.points ?? []))
  );
}

/** The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find(s => s * power >= value * (1 - 1e-9));
  return step! * power;
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/**
 * Both arms of one metric over time on a shared scale starting at zero, with the limits and
 * margins that apply drawn as dashed lines (and listed below, with those too far above the data
 * to draw), the ends of both axes labelled, and a dotted line where a new stage starts. A value
 * between two gaps shows as a dot. The chart fills the width of its box.
 */
export const TimeSeriesChart = ({
  title,
  series,
  references = [],
  format,
}: {
  /** What the chart shows, for screen readers. */
  title: string;
  series: ChartSeries[];
  references?: ChartReference[];
  format: (value: number) => string;
}) => {
  const theme = useTheme();
  const [box, measured] = useWidth<HTMLDivElement>(DEFAULT_WIDTH);
  const width = Math.max(MIN_WIDTH, measured);
  const plotBottom = HEIGHT - TIME_AXIS;
  const referenceColor: Record<ChartReference['kind'], string> = {
    rollback: theme.palette.error.main,
    margin: theme.palette.text.secondary,
  };
  const referenceDash: Record<ChartReference['kind'], string> = {
    rollback: '5 3',
    margin: '2 2',
  };

  const allPoints = series.flatMap(s => s.points);
  const times = allPoints.map(p => Date.parse(p.at));
  const dataValues = series.flatMap(s => valuesOf(s.points));
  const dataMax = Math.max(0, ...dataValues);
  const limits = references.map(referenceMax).filter(Number.isFinite);
  // Without data above zero, the nearest limit sets the scale.
  const base = dataMax > 0 ? dataMax : Math.min(Infinity, ...limits);
  const drawn = references.filter(
    r =>
      Number.isFinite(referenceMax(r)) &&
      referenceMax(r) <= base * MAX_REFERENCE_STRETCH,
  );
  const vMax = niceCeiling(Math.max(dataMax, ...drawn.map(referenceMax)));
  const vMin = Math.min(0, ...dataValues);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (at: string) =>
    AXIS + ((Date.parse(at) - t0) / (t1 - t0 || 1)) * (width - AXIS - PAD);
  const y = (value: number) =>
    plotBottom - ((value - vMin) / (vMax - vMin)) * (plotBottom - PAD);
  const polyline = (points: Point[]) =>
    points.map(p => `${x(p.at)},${y(p.value!)}`).join(' ');

  const canary = series[series.length - 1]?.points ?? [];
  const stageStarts = canary.filter(
    (point, i) => i > 0 && point.stageIndex !== canary[i - 1].stageIndex,
  );
  const axisLabel = { fontSize: 10, fill: theme.palette.text.secondary };

  return (
    <div>
      {/* The plot is taken out of the flow, so the box's width is the layout's, not the plot's. */}
      <div
        ref={box}
        style={{ position: 'relative', height: HEIGHT, minWidth: MIN_WIDTH }}
      >
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={title}
          style={{ position: 'absolute', left: 0, top: 0 }}
        >
          <text x={AXIS - 6} y={PAD + 8} textAnchor="end" {...axisLabel}>
            {format(vMax)}
          </text>
          <text x={AXIS - 6} y={plotBottom} textAnchor="end" {...axisLabel}>
            {format(vMin)}
          </text>
          {times.length > 0 && (
            <>
              <text x={AXIS} y={HEIGHT - 2} textAnchor="start" {...axisLabel}>
                {timeFormat.format(t0)}
              </text>
              <text
                x={width - PAD}
                y={HEIGHT - 2}
                textAnchor="end"
                {...axisLabel}
              >
                {timeFormat.format(t1)}
              </text>
            </>
          )}
          <line
            x1={AXIS}
            x2={AXIS}
            y1={PAD}
            y2={plotBottom}
            stroke={theme.palette.divider}
          />
          <line
            x1={AXIS}
            x2={width - PAD}
            y1={y(vMin)}
            y2={y(vMin)}
            stroke={theme.palette.divider}
          />
          {stageStarts.map(point => (
            <line
              key={point.at}
              x1={x(point.at)}
              x2={x(point.at)}
              y1={PAD}
              y2={plotBottom}
              stroke={theme.palette.divider}
              strokeDasharray="2 2"
            />
          ))}
          {drawn.map(reference => {
            const stroke = {
              stroke: referenceColor[reference.kind],
              strokeDasharray: referenceDash[reference.kind],
              strokeWidth: 1.25,
              fill: 'none',
            };
            if (reference.value !== undefined) {
              if (times.length === 0) return null;
              return (
                <line
                  key={reference.key}
                  data-reference={reference.key}
                  x1={AXIS}
                  x2={width - PAD}
                  y1={y(reference.value)}
                  y2={y(reference.value)}
                  {...stroke}
                >
                  <title>{`${reference.label}: ${format(
                    reference.value,
                  )}`}</title>
                </line>
              );
            }
            return segments(reference.points ?? []).map((segment, i) => (
              <polyline
                key={`${reference.key}-${i}`}
                data-reference={reference.key}
                points={polyline(segment)}
                {...stroke}
              >
                <title>{reference.label}</title>
              </polyline>
            ));
          })}
          {series.map(s =>
            segments(s.points).map((segment, i) =>
              segment.length === 1 ? (
                <circle
                  key={`${s.key}-${i}`}
                  data-arm={s.key}
                  cx={x(segment[0].at)}
                  cy={y(segment[0].value!)}
                  r={2.5}
                  fill={s.color}
                />
              ) : (
                <polyline
                  key={`${s.key}-${i}`}
                  data-arm={s.key}
                  fill="none"
                  stroke={s.color}
                  strokeWidth={1.75}
                  points={polyline(segment)}
                />
              ),
            ),
          )}
        </svg>
      </div>
      {references.length > 0 && (
        <Box display="flex" flexWrap="wrap" style={{ columnGap: 12 }}>
          {references.map(reference => (
            <Typography
              key={reference.key}
              variant="caption"
              color="textSecondary"
              component="span"
            >
              <svg width={18} height={8} aria-hidden>
                <line
                  x1={0}
                  x2={18}
                  y1={4}
                  y2={4}
                  stroke={referenceColor[reference.kind]}
                  strokeDasharray={referenceDash[reference.kind]}
                  strokeWidth={1.5}
                />
              </svg>{' '}
              {reference.label}
              {reference.value !== undefined && `: ${format(reference.value)}`}
              {!drawn.includes(reference) && ' (off the chart)'}
            </Typography>
          ))}
        </Box>
      )}
    </div>
  );
};
