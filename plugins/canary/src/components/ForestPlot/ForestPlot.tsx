import { useTheme } from '@material-ui/core/styles';
import type {
  MetricDirection,
  MetricVerdict,
} from '@canary-release/backstage-plugin-canary-common';
import {
  formatConfidence,
  formatVerdictInterval,
  formatVerdictMeasure,
  isCeiling,
  thresholdName,
  verdictScale,
} from '../../utils/units';

const WIDTH = 180;
const HEIGHT = 22;
const PAD = 6;

/** A vertical mark on the plot: no difference, the margin, the rollback margin or a limit. */
interface Mark {
  key: string;
  value: number;
  label: string;
  color: string;
  dash?: string;
}

/**
 * Where the margins sit on the plot. The judge states margins as harm (how much worse the canary
 * may be); the plot shows canary minus baseline, so for a higher-is-better metric they lie below
 * zero. A distribution's verdict (with `tail`) compares the shares of observations on the bad
 * side of its threshold, so more is worse whatever the metric's direction.
 */
function harmSide(
  verdict: MetricVerdict,
  direction: MetricDirection | undefined,
): 1 | -1 {
  if (verdict.tail) return 1;
  return direction === 'higher-is-better' ? -1 : 1;
}

/**
 * One forest-plot row for a verdict, on the verdict's own scale (relative change, multiple of the
 * baseline, difference between the arms, or the canary's value): the estimate (dot) with its
 * interval (line) against no difference (solid, in the middle), the non-inferiority margin
 * (dashed) and the rollback margin (dotted). A distribution's verdict is drawn in points of the
 * shares beyond its threshold, its margin translated into points. A ceiling (`max-rate`,
 * `max-ratio`, `max-quantile`) or a plain value is drawn against its limit. An unbounded side of
 * the interval runs to the plot's edge. Hovering a mark names it; the label quotes the interval's
 * confidence level.
 */
export const ForestPlot = ({
  verdict,
  direction,
}: {
  verdict: MetricVerdict;
  /** The metric's direction, from its definition; lower is better by default. */
  direction?: MetricDirection;
}) => {
  const theme = useTheme();
  const { estimate, interval, threshold, rollbackThreshold } = verdict;
  if (estimate === undefined) return null;
  const scale = verdictScale(verdict);
  const comparison = scale !== 'value';
  const side = comparison ? harmSide(verdict, direction) : 1;
  const ceiling = isCeiling(verdict);
  const format = (value: number) => formatVerdictMeasure(verdict, value);

  const marks: Mark[] = [];
  if (comparison) {
    marks.push({
      key: 'zero',
      value: 0,
      label: 'no difference',
      color: theme.palette.text.secondary,
    });
  }
  if (threshold !== undefined) {
    marks.push({
      key: 'threshold',
      value: side * threshold,
      label: `${thresholdName(verdict)} ${format(side * threshold)}`,
      color: ceiling ? theme.palette.error.main : theme.palette.warning.main,
      dash: '4 2',
    });
  }
  if (
    comparison &&
    !ceiling &&
    rollbackThreshold !== undefined &&
    rollbackThreshold > 0
  ) {
    marks.push({
      key: 'rollback',
      value: side * rollbackThreshold,
      label: `rollback margin ${format(side * rollbackThreshold)}`,
      color: theme.palette.error.main,
      dash: '1 2',
    });
  }

  // The scale covers the estimate, every mark and the interval's finite bounds. A comparison's
  // is centred on no difference (worse to the right for lower-is-better metrics); a value's
  // starts at zero, except the traffic split's, which is only read against the expected share.
  const bounds = (interval ?? []).map(b => b ?? NaN);
  const finite = [estimate, ...marks.map(m => m.value), ...bounds].filter(
    Number.isFinite,
  );
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  if (comparison) {
    high = Math.max(Math.abs(low), Math.abs(high));
    low = -high;
  } else if (verdict.rule !== 'srm') {
    low = Math.min(0, low);
  }
  // A little room on both sides, so no mark sits on the edge.
  const min = low - 0.08 * (high - low);
  const max = high + 0.08 * (high - low);
  const x = (value: number) => {
    if (value === Infinity || Number.isNaN(value)) return WIDTH - PAD;
    if (value === -Infinity) return PAD;
    return max === min
      ? WIDTH / 2
      : PAD + ((value - min) / (max - min)) * (WIDTH - 2 * PAD);
  };
  const lower = interval ? interval[0] ?? -Infinity : undefined;
  const upper = interval ? interval[1] ?? Infinity : undefined;
  const failed = verdict.verdict === 'fail';
  const color = failed ? theme.palette.error.main : theme.palette.text.primary;
  const mid = HEIGHT / 2;
  const intervalText =
    interval &&
    [
      verdict.confidenceLevel !== undefined &&
        formatConfidence(verdict.confidenceLevel),
      'interval',
      formatVerdictInterval(verdict),
    ]
      .filter(Boolean)
      .join(' ');
  const label = [
    `estimate ${format(estimate)}`,
    intervalText,
    ...marks.filter(m => m.key !== 'zero').map(m => m.label),
  ]
    .filter(Boolean)
    .join(', ');

  return (
    <svg width={WIDTH} height={HEIGHT} role="img" aria-label={label}>
      {marks.map(mark => (
        <line
          key={mark.key}
          data-mark={mark.key}
          x1={x(mark.value)}
          x2={x(mark.value)}
          y1={mark.key === 'zero' ? 3 : 0}
          y2={mark.key === 'zero' ? HEIGHT - 3 : HEIGHT}
          stroke={mark.color}
          strokeWidth={mark.key === 'zero' ? 1 : 1.5}
          strokeDasharray={mark.dash}
        >
          <title>{mark.label}</title>
        </line>
      ))}
      {lower !== undefined && upper !== undefined && (
        <line
          data-mark="interval"
          x1={x(lower)}
          x2={x(upper)}
          y1={mid}
          y2={mid}
          stroke={color}
          strokeWidth={2}
        >
          <title>{intervalText}</title>
        </line>
      )}
      <circle cx={x(estimate)} cy={mid} r={4} fill={color}>
        <title>{`estimate ${format(estimate)}`}</title>
      </circle>
    </svg>
  );
};
