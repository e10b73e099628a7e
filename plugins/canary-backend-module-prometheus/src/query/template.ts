/**
 * PromQL query templates. A template is trusted text from app-config with placeholders for values
 * that come from catalog entities and rollouts, which are not trusted:
 *
 * - `{{namespace}}`, `{{app}}`, `{{track}}`, `{{workload}}` and `{{cluster}}` are label values and
 *   may only stand inside a double-quoted string (`app="{{app}}"`). They are escaped as PromQL
 *   string content, so no value can end the string or add to the query; in the operand of `=~` or
 *   `!~` they are also escaped as regular-expression text, so they match themselves literally.
 * - `{{window}}` is the look's duration (`1m30s`), computed from its start and end, and may only
 *   stand outside strings (`[{{window}}]`).
 *
 * Templates are checked when config is read: an unknown placeholder or one in the wrong place is
 * a config error, not a surprise at the first look.
 */

/** The placeholders that stand for label values. */
export const LABEL_VARIABLES = [
  'namespace',
  'app',
  'track',
  'workload',
  'cluster',
] as const;

/** A placeholder that stands for a label value. */
export type LabelVariable = (typeof LABEL_VARIABLES)[number];

/** What a template is rendered with. A label variable may be absent when no template uses it. */
export interface TemplateValues {
  labels: Partial<Record<LabelVariable, string>>;
  /** The look's duration in milliseconds, a positive integer. */
  windowMs: number;
}

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'label'; variable: LabelVariable; regex: boolean }
  | { kind: 'window' };

const PLACEHOLDER = /^\{\{\s*([A-Za-z]\w*)\s*\}\}/;
/** Code that ends in a regular-expression matcher, right before a string opens. */
const REGEX_MATCHER = /[=!]~\s*$/;

function isLabelVariable(name: string): name is LabelVariable {
  return (LABEL_VARIABLES as readonly string[]).includes(name);
}

/**
 * Escapes `value` as the content of a double-quoted PromQL string: backslashes and quotes are
 * escaped, and every character outside printable ASCII becomes a `\n`, `\uXXXX` or `\UXXXXXXXX`
 * escape, so the result holds no quote, newline or other control character, and Prometheus reads
 * back exactly `value`.
 */
export function escapeLabelValue(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '"') {
      escaped += `\\${char}`;
    } else if (char === '\n') {
      escaped += '\\n';
    } else if (char === '\r') {
      escaped += '\\r';
    } else if (char === '\t') {
      escaped += '\\t';
    } else if (code >= 0x20 && code < 0x7f) {
      escaped += char;
    } else if (code <= 0xffff) {
      escaped += `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      escaped += `\\U${code.toString(16).padStart(8, '0')}`;
    }
  }
  return escaped;
}

/** Escapes the metacharacters of Prometheus' regular expressions (RE2), like Go's `QuoteMeta`. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const DURATION_UNITS: Array<[string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Writes a positive whole number of milliseconds as a PromQL duration, e.g. `1m30s250ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new Error(
      `Cannot query a window of ${ms} ms: a window lasts at least 1 ms`,
    );
  }
  let rest = ms;
  let text = '';
  for (const [unit, size] of DURATION_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}

/** A query template, parsed and checked, that renders to PromQL. */
export class QueryTemplate {
  private constructor(
    /** Where the template is configured, e.g. `canary.prometheus.queries.requests`. */
    readonly name: string,
    private readonly parts: Part[],
  ) {}

  /** Parses `text`; throws an error naming `name` when a placeholder is unknown or misplaced. */
  static parse(name: string, text: string): QueryTemplate {
    const parts: Part[] = [];
    let literal = '';
    let state: 'code' | 'string' | 'comment' = 'code';
    let quote = '';
    let regex = false;
    const invalid = (offset: number, problem: string) =>
      new Error(
        `Invalid query template ${name}: ${problem} (at offset ${offset} of ${JSON.stringify(
          text,
        )})`,
      );

    let i = 0;
    while (i < text.length) {
      if (text.startsWith('{{', i)) {
        const match = PLACEHOLDER.exec(text.slice(i));
        if (!match) {
          throw invalid(i, `'{{' opens no placeholder such as {{app}}`);
        }
        const variable = match[1];
        if (variable === 'window') {
          if (state !== 'code') {
            throw invalid(
              i,
              '{{window}} is a duration: write it outside strings and comments',
            );
          }
          parts.push({ kind: 'text', text: literal }, { kind: 'window' });
        } else if (isLabelVariable(variable)) {
          if (state !== 'string' || quote !== '"') {
            throw invalid(
              i,
              `{{${variable}}} is a label value: write it inside double quotes, e.g. label="{{${variable}}}"`,
            );
          }
          parts.push(
            { kind: 'text', text: literal },
            { kind: 'label', variable, regex },
          );
        } else {
          throw invalid(
            i,
            `unknown placeholder {{${variable}}}; known: ${[
              ...LABEL_VARIABLES,
              'window',
            ]
              .map(v => `{{${v}}}`)
              .join(', ')}`,
          );
        }
        literal = '';
        i += match[0].length;
        continue;
      }

      const char = text[i];
      if (state === 'code') {
        if (char === '"' || char === "'" || char === '`') {
          state = 'string';
          quote = char;
          regex = REGEX_MATCHER.test(text.slice(0, i));
        } else if (char === '#') {
          state = 'comment';
        }
      } else if (state === 'string') {
        if (char === '\\' && quote !== '`' && i + 1 < text.length) {
          literal += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (char === quote) {
          state = 'code';
        }
      } else if (char === '\n') {
        state = 'code';
      }
      literal += char;
      i++;
    }
    if (state === 'string') {
      throw invalid(
        text.length,
        `the string opened with ${quote} is not closed`,
      );
    }
    parts.push({ kind: 'text', text: literal });
    return new QueryTemplate(
      name,
      parts.filter(part => part.kind !== 'text' || part.text !== ''),
    );
  }

  /** The PromQL text for `values`; throws when a label variable the template uses is absent. */
  render(values: TemplateValues): string {
    return this.parts
      .map(part => {
        if (part.kind === 'text') return part.text;
        if (part.kind === 'window') return formatDuration(values.windowMs);
        const value = values.labels[part.variable];
        if (value === undefined) {
          throw new Error(
            `Query ${this.name} uses {{${part.variable}}}, which this target does not have`,
          );
        }
        return escapeLabelValue(part.regex ? escapeRegex(value) : value);
      })
      .join('');
  }
}
