/** Number formatting for explanations: short, stable, no locale. */

/** Three significant digits, without trailing zeros: 0.004512 -> "0.00451", 12.345 -> "12.3". */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'unbounded' : '-unbounded';
  if (x === 0) return '0';
  return String(Number(x.toPrecision(3)));
}

/** A rate as a percentage: 0.009 -> "0.9 %". */
export function formatPercent(rate: number): string {
  return `${formatNumber(rate * 100)} %`;
}

/** A difference of rates in percentage points: 0.002 -> "0.2 points". */
export function formatPoints(difference: number): string {
  return `${formatNumber(difference * 100)} points`;
}

/** A relative change with its sign: 0.183 -> "+18.3 %". */
export function formatChange(change: number): string {
  if (!Number.isFinite(change)) return change > 0 ? 'unbounded' : '-100 %';
  const text = formatNumber(change * 100);
  return `${change > 0 ? '+' : ''}${text} %`;
}

/** A relative amount without sign: 0.2 -> "20 %". */
export function formatRelative(amount: number): string {
  return Number.isFinite(amount) ? formatPercent(amount) : 'unbounded';
}

/** A confidence level: 0.975 -> "97.5 %". */
export function formatConfidence(level: number): string {
  return `${formatNumber(level * 100)} %`;
}

/** A value with its unit: (0.212, 's') -> "0.212 s". */
export function formatValue(value: number, unit?: string): string {
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

/** A quantile's name: 0.95 -> "p95", 0.999 -> "p99.9". */
export function quantileName(p: number): string {
  return `p${formatNumber(p * 100)}`;
}
