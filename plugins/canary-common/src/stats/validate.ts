import { StatisticsInputError } from './errors';

/** Input checks shared by the statistics functions; each throws a StatisticsInputError. */

export function assertFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StatisticsInputError(
      `${name} must be a finite number, got ${value}`,
    );
  }
}

export function assertNotNaN(name: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new StatisticsInputError(`${name} must be a number, got ${value}`);
  }
}

export function assertPositive(name: string, value: number): void {
  assertFinite(name, value);
  if (value <= 0) {
    throw new StatisticsInputError(`${name} must be > 0, got ${value}`);
  }
}

export function assertNonNegative(name: string, value: number): void {
  assertFinite(name, value);
  if (value < 0) {
    throw new StatisticsInputError(`${name} must be >= 0, got ${value}`);
  }
}

/** A count: a finite, non-negative integer. */
export function assertCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new StatisticsInputError(
      `${name} must be a non-negative integer, got ${value}`,
    );
  }
}

/** successes out of trials: both counts, successes <= trials, trials >= 1. */
export function assertBinomial(
  name: string,
  successes: number,
  trials: number,
): void {
  assertCount(`${name} successes`, successes);
  assertCount(`${name} trials`, trials);
  if (trials === 0) {
    throw new StatisticsInputError(`${name} needs at least one trial`);
  }
  if (successes > trials) {
    throw new StatisticsInputError(
      `${name} successes (${successes}) exceed trials (${trials})`,
    );
  }
}

/** A probability strictly between 0 and 1 (a significance level, a confidence level, a power). */
export function assertOpenUnit(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new StatisticsInputError(
      `${name} must be strictly between 0 and 1, got ${value}`,
    );
  }
}

export function assertClosedUnit(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new StatisticsInputError(
      `${name} must be between 0 and 1, got ${value}`,
    );
  }
}

/** A sample of finite numbers with at least `minLength` values, copied into a Float64Array. */
export function toFiniteSample(
  name: string,
  values: ArrayLike<number>,
  minLength = 1,
): Float64Array {
  if (!values || typeof values.length !== 'number') {
    throw new StatisticsInputError(`${name} must be an array of numbers`);
  }
  if (values.length < minLength) {
    throw new StatisticsInputError(
      `${name} needs at least ${minLength} value(s), got ${values.length}`,
    );
  }
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new StatisticsInputError(
        `${name}[${i}] must be a finite number, got ${v}`,
      );
    }
    out[i] = v + 0; // turns -0 into +0, so that ties compare equal after sorting
  }
  return out;
}

/**
 * A read-only view of finite, non-negative values: the input itself when it already is a
 * Float64Array (no copy), else a validated copy.
 */
export function nonNegativeFloat64(
  name: string,
  values: ArrayLike<number>,
): Float64Array {
  const out =
    values instanceof Float64Array ? values : toFiniteSample(name, values, 0);
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (!(v >= 0 && v < Infinity)) {
      throw new StatisticsInputError(
        `${name}[${i}] must be a finite number >= 0, got ${v}`,
      );
    }
  }
  return out;
}
