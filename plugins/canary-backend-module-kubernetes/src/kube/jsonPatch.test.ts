import { applyJsonPatch } from '../__testUtils__/patches';
import { diff, jsonEqual, onlyIfUnchanged, pointer } from './jsonPatch';

describe('diff', () => {
  it('writes only what changed, and escapes keys with / and ~', () => {
    const from = {
      a: { b: 1, c: [1, 2] },
      'x/y': 1,
      'm~n': { k: 'v' },
      gone: true,
    };
    const to = {
      a: { b: 2, c: [1, 3] },
      'x/y': 2,
      'm~n': { k: 'v' },
      added: { z: 1 },
    };
    const operations = diff(from, to, '/spec');
    expect(operations).toEqual([
      { op: 'replace', path: '/spec/a/b', value: 2 },
      { op: 'replace', path: '/spec/a/c/1', value: 3 },
      { op: 'replace', path: '/spec/x~1y', value: 2 },
      { op: 'remove', path: '/spec/gone' },
      { op: 'add', path: '/spec/added', value: { z: 1 } },
    ]);
    expect(applyJsonPatch({ spec: from }, operations)).toEqual({ spec: to });
  });

  it('replaces an array whose length changes, and writes nothing for equal values', () => {
    expect(diff([1, 2], [1, 2, 3], '/l')).toEqual([
      { op: 'replace', path: '/l', value: [1, 2, 3] },
    ]);
    expect(
      diff({ a: [{ b: 1 }], c: undefined }, { a: [{ b: 1 }] }, ''),
    ).toEqual([]);
  });
});

describe('jsonEqual', () => {
  it('compares as JSON: undefined keys are absent, prototypes do not matter', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(
      jsonEqual(structuredClone({ a: [1] }), JSON.parse('{"a":[1]}')),
    ).toBe(true);
    expect(jsonEqual({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
  });
});

describe('onlyIfUnchanged', () => {
  it('pins the resourceVersion first, and needs one', () => {
    expect(
      onlyIfUnchanged('42', [{ op: 'remove', path: pointer('/a', 'b') }]),
    ).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'remove', path: '/a/b' },
    ]);
    expect(() => onlyIfUnchanged(undefined, [])).toThrow(
      /without a resourceVersion/,
    );
  });
});
