import {
  escapeLabelValue,
  escapeRegex,
  formatDuration,
  QueryTemplate,
  TemplateValues,
} from './template';

const values = (
  labels: TemplateValues['labels'],
  windowMs = 60_000,
): TemplateValues => ({ labels, windowMs });

/** Values that try to end the string, the selector or the line and add their own PromQL. */
const HOSTILE = [
  'shop"} or vector(1) or x{a="',
  'shop\\"} or vector(1) #',
  'shop\n} or vector(1)',
  'shop{{window}}',
  '"}}[5m]) + on() vector(1e9) # ',
  '\\',
  '\u2028\u0000é😀',
];

/**
 * Reads a rendered double-quoted PromQL string back the way Prometheus' lexer does: returns the
 * value it holds and the text after its closing quote.
 */
function readString(text: string): { value: string; rest: string } {
  expect(text[0]).toBe('"');
  let value = '';
  let i = 1;
  while (text[i] !== '"') {
    if (i >= text.length) throw new Error(`unterminated string in ${text}`);
    if (text[i] === '\n') throw new Error('newline inside a string');
    if (text[i] !== '\\') {
      value += text[i++];
      continue;
    }
    const kind = text[i + 1];
    const simple: Record<string, string> = {
      n: '\n',
      r: '\r',
      t: '\t',
      '\\': '\\',
      '"': '"',
    };
    if (simple[kind] !== undefined) {
      value += simple[kind];
      i += 2;
    } else if (kind === 'u' || kind === 'U') {
      const digits = kind === 'u' ? 4 : 8;
      value += String.fromCodePoint(
        parseInt(text.slice(i + 2, i + 2 + digits), 16),
      );
      i += 2 + digits;
    } else {
      // Regular-expression escapes stay in the string's value, as in Go.
      value += text.slice(i, i + 2);
      i += 2;
    }
  }
  return { value, rest: text.slice(i + 1) };
}

describe('escapeLabelValue', () => {
  it.each(HOSTILE)(
    'keeps %j inside the string: Prometheus reads back exactly the value',
    hostile => {
      const escaped = escapeLabelValue(hostile);
      // Nothing that could end the string or the line survives unescaped.
      expect(escaped).toMatch(/^([\x20-\x21\x23-\x5b\x5d-\x7e]|\\.)*$/);
      expect(readString(`"${escaped}"`)).toEqual({ value: hostile, rest: '' });
    },
  );

  it('leaves ordinary names as they are', () => {
    expect(escapeLabelValue('demo-shop.v1_2')).toBe('demo-shop.v1_2');
  });
});

describe('escapeRegex', () => {
  it('escapes every RE2 metacharacter', () => {
    expect(escapeRegex('a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o')).toBe(
      'a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o',
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [1, '1ms'],
    [250, '250ms'],
    [60_000, '1m'],
    [90_500, '1m30s500ms'],
    [3_723_004, '1h2m3s4ms'],
    [48 * 3_600_000, '48h'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, -5, 1.5, NaN])('refuses %d ms', ms => {
    expect(() => formatDuration(ms)).toThrow(/at least 1 ms/);
  });
});

describe('QueryTemplate', () => {
  it('renders label values escaped and the window as a duration', () => {
    const template = QueryTemplate.parse(
      'q',
      'sum(increase(x{namespace="{{namespace}}", app="{{ app }}"}[{{window}}]))',
    );
    expect(
      template.render(values({ namespace: 'team-a', app: 'shop' }, 90_000)),
    ).toBe('sum(increase(x{namespace="team-a", app="shop"}[1m30s]))');
  });

  it.each(HOSTILE)(
    'a hostile value %j stays one label value, the rest of the query unchanged',
    hostile => {
      const template = QueryTemplate.parse(
        'q',
        'sum(x{app="{{app}}", track="canary"}) # {app} is the name',
      );
      const query = template.render(values({ app: hostile }));
      const prefix = 'sum(x{app=';
      expect(query.startsWith(prefix)).toBe(true);
      const { value, rest } = readString(query.slice(prefix.length));
      expect(value).toBe(hostile);
      expect(rest).toBe(', track="canary"}) # {app} is the name');
    },
  );

  it('escapes a value in the operand of =~ or !~ as regular-expression text too', () => {
    const template = QueryTemplate.parse(
      'q',
      'x{pod=~"{{workload}}-[a-z0-9]+", job!~ "{{app}}", path="{{app}}"}',
    );
    const query = template.render(values({ workload: 'shop.v2', app: 'a|b' }));
    expect(query).toBe(
      'x{pod=~"shop\\\\.v2-[a-z0-9]+", job!~ "a\\\\|b", path="a|b"}',
    );
  });

  it('keeps escapes of the template itself and finds placeholders after them', () => {
    const template = QueryTemplate.parse(
      'q',
      'x{a="say \\"{{app}}\\"", b=\'it\\\'s\'}',
    );
    expect(template.render(values({ app: 'hi' }))).toBe(
      'x{a="say \\"hi\\"", b=\'it\\\'s\'}',
    );
  });

  it.each([
    ['x{app={{app}}}', /label value: write it inside double quotes/],
    ["x{app='{{app}}'}", /label value: write it inside double quotes/],
    ['x{app=`{{app}}`}', /label value: write it inside double quotes/],
    ['x # {{app}}\n', /label value: write it inside double quotes/],
    ['x{a="[{{window}}]"}', /duration: write it outside strings/],
    ['x # [{{window}}]', /duration: write it outside strings and comments/],
    ['x{app="{{version}}"}', /unknown placeholder \{\{version\}\}/],
    ['x{app="{{app}"}', /'\{\{' opens no placeholder/],
    ['x{app="{{app}}}', /string opened with " is not closed/],
  ])('refuses %j', (text, problem) => {
    expect(() =>
      QueryTemplate.parse('canary.prometheus.queries.x', text),
    ).toThrow(problem);
    expect(() =>
      QueryTemplate.parse('canary.prometheus.queries.x', text),
    ).toThrow(/Invalid query template canary\.prometheus\.queries\.x/);
  });

  it('names the query when a value it uses is absent', () => {
    const template = QueryTemplate.parse('my.query', 'x{c="{{cluster}}"}');
    expect(() => template.render(values({}))).toThrow(
      'Query my.query uses {{cluster}}, which this target does not have',
    );
  });
});
