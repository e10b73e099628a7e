import { createSeededRandom } from './bootstrap';
import { selectRanks, sortedCopy } from './sort';

describe('sorting', () => {
  const random = createSeededRandom(11);
  const makers: Record<string, (n: number) => Float64Array> = {
    uniform: n => Float64Array.from({ length: n }, () => random()),
    signed: n => Float64Array.from({ length: n }, () => (random() - 0.5) * 1e6),
    ties: n =>
      Float64Array.from({ length: n }, () => Math.round(random() * 20) - 10),
    heavyTail: n =>
      Float64Array.from({ length: n }, () => Math.exp(20 * random()) - 1e3),
    sorted: n => Float64Array.from({ length: n }, (_, i) => i),
    constant: n => new Float64Array(n).fill(3),
  };

  it.each(Object.keys(makers))(
    'radix sort equals the built-in sort (%s)',
    name => {
      for (const n of [1, 100, 5000, 70000]) {
        const values = makers[name](n);
        const copy = new Float64Array(values);
        expect(sortedCopy(values)).toEqual(new Float64Array(values).sort());
        expect(values).toEqual(copy); // the input is untouched
      }
    },
  );

  it.each(Object.keys(makers))(
    'radix selection finds the order statistics (%s)',
    name => {
      const values = makers[name](20000);
      const sorted = new Float64Array(values).sort();
      const ranks = [0, 17, 5000, 5001, 9999, 19999];
      const copy = new Float64Array(values);
      expect(selectRanks(values, ranks)).toEqual(ranks.map(r => sorted[r]));
      expect(values).toEqual(copy); // read-only
    },
  );

  it('selects every rank at once, with ties and signed zeros', () => {
    const values = Float64Array.from({ length: 3000 }, (_, i) =>
      i % 7 === 0 ? -0 : Math.round(Math.sin(i) * 40) / 4,
    );
    const sorted = new Float64Array(values).sort();
    const every = Array.from({ length: values.length }, (_, i) => i);
    expect(selectRanks(values, every)).toEqual(Array.from(sorted));
  });
});
