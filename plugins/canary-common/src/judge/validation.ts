import type {
  MetricDefinition,
  MetricDefinitionBase,
  MetricKind,
} from './types';

/**
 * Invalid judge input: the metric definitions or an analysis request. `problems` lists the
 * problems found, each naming the field, so a caller can fix them at once (the backend turns this
 * into a 400); past the first few, `unlisted` only counts them.
 *
 * @public
 */
export class AnalysisInputError extends Error {
  readonly problems: string[];
  readonly unlisted: number;

  constructor(problems: string[], unlisted = 0) {
    super(
      `invalid analysis input: ${problems.join('; ')}${
        unlisted ? `; … and ${unlisted} more` : ''
      }`,
    );
    this.name = 'AnalysisInputError';
    this.problems = problems;
    this.unlisted = unlisted;
  }
}

/** Longest excerpt of an input value that a problem quotes. */
const MAX_ECHO = 80;

/** A string as a problem quotes it: in quotes, cut to MAX_ECHO characters. */
export function quote(text: string): string {
  return JSON.stringify(
    text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text,
  );
}

/**
 * An input value as a problem names it: numbers and short strings as they are, arrays and objects
 * by their type only, so that no message grows with (or recurses into) the input.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

type BaseField = keyof MetricDefinitionBase | 'kind';

/** The fields every metric definition may have. */
export const METRIC_BASE_FIELDS: readonly BaseField[] = [
  'name',
  'kind',
  'direction',
  'critical',
];

/** The other fields of a metric definition, per kind. */
export const METRIC_FIELDS: {
  [K in MetricKind]: ReadonlyArray<
    Exclude<keyof Extract<MetricDefinition, { kind: K }>, BaseField>
  >;
} = {
  proportion: ['margin', 'rollbackMargin', 'maxRate', 'maxRatio'],
  count: ['margin', 'rollbackMargin'],
  distribution: ['margin', 'rollbackMargin', 'quantiles', 'max', 'unit'],
  gauge: ['max', 'min', 'maxRelativeChange', 'unit'],
};

const KINDS = ['proportion', 'count', 'distribution', 'gauge'];
const DIRECTIONS = ['lower-is-better', 'higher-is-better'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const finite = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** Problems with metric definitions (empty when they are valid); `path` prefixes each problem. */
export function definitionProblems(
  definitions: unknown,
  path = 'metrics',
): string[] {
  if (!Array.isArray(definitions) || definitions.length === 0) {
    return [`${path}: at least one metric is needed`];
  }
  const problems: string[] = [];
  const names = new Set<string>();
  definitions.forEach((definition: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(definition)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    const d = definition as Partial<MetricDefinition> & Record<string, unknown>;
    if (typeof d.name !== 'string' || d.name.trim() === '') {
      problems.push(`${at}.name: must be a non-empty string`);
    } else if (names.has(d.name)) {
      problems.push(`${at}.name: ${quote(d.name)} is used twice`);
    } else {
      names.add(d.name);
    }
    if (!KINDS.includes(d.kind as string)) {
      problems.push(`${at}.kind: must be one of ${KINDS.join(', ')}`);
    }
    if (d.direction !== undefined && !DIRECTIONS.includes(d.direction)) {
      problems.push(`${at}.direction: must be one of ${DIRECTIONS.join(', ')}`);
    }
    if (d.critical !== undefined && typeof d.critical !== 'boolean') {
      problems.push(`${at}.critical: must be a boolean`);
    }
    const optionalNonNegative = (field: string) => {
      const value = d[field];
      if (value !== undefined && !(finite(value) && value >= 0)) {
        problems.push(`${at}.${field}: must be a finite number >= 0`);
      }
    };
    if (d.kind === 'gauge') {
      for (const field of ['max', 'min']) {
        if (d[field] !== undefined && !finite(d[field])) {
          problems.push(`${at}.${field}: must be a finite number`);
        }
      }
      optionalNonNegative('maxRelativeChange');
      return;
    }
    if (d.kind === 'proportion') {
      if (!(finite(d.margin) && d.margin > 0 && d.margin < 1)) {
        problems.push(
          `${at}.margin: a proportion needs an absolute margin between 0 and 1 (0.002 = 0.2 points)`,
        );
      }
    } else if (d.margin !== undefined && !(finite(d.margin) && d.margin > 0)) {
      problems.push(
        `${at}.margin: must be a finite number > 0 (relative, 0.05 = 5 %)`,
      );
    }
    optionalNonNegative('rollbackMargin');
    const lowerIsBetter = d.direction !== 'higher-is-better';
    const ceiling = (
      field: string,
      ok: (v: number) => boolean,
      words: string,
    ) => {
      const value = d[field];
      if (value === undefined) return;
      if (!(finite(value) && ok(value))) {
        problems.push(`${at}.${field}: must be ${words}`);
      } else if (!lowerIsBetter) {
        problems.push(
          `${at}.${field}: a ceiling applies to lower-is-better metrics only`,
        );
      }
    };
    if (d.kind === 'proportion') {
      ceiling(
        'maxRate',
        v => v > 0 && v < 1,
        'a rate between 0 and 1 (0.05 = 5 %)',
      );
      ceiling(
        'maxRatio',
        v => v > 1,
        "a multiple of the baseline's rate above 1 (2 = twice)",
      );
    }
    if (d.kind === 'distribution') {
      ceiling('max', v => v > 0, "a value > 0 in the metric's unit");
    }
    if (d.kind === 'distribution' && d.quantiles !== undefined) {
      const qs = d.quantiles;
      if (
        !Array.isArray(qs) ||
        qs.length === 0 ||
        qs.length > 10 ||
        !qs.every(q => finite(q) && q > 0 && q < 1)
      ) {
        problems.push(
          `${at}.quantiles: 1 to 10 numbers strictly between 0 and 1`,
        );
      }
    }
  });
  return problems;
}
