/** One operation of a JSON Patch (RFC 6902), as the API server takes it. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** A JSON pointer (RFC 6901) to `tokens` below `base`. */
export function pointer(base: string, ...tokens: Array<string | number>) {
  return (
    base +
    tokens
      .map(
        token => `/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`,
      )
      .join('')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Equality as JSON sees it: same arrays, same keys with equal values (a key whose value is
 * `undefined` counts as absent), same primitives. Unlike `isDeepStrictEqual` it ignores
 * prototypes, so values made by `structuredClone` and by `JSON.parse` compare equal in every realm.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every(key => jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The smallest simple patch that turns `from` into `to` below `path`: objects are compared key by
 * key and arrays of equal length element by element, so that changing one weight writes one field;
 * an array whose length changes is replaced as a whole. Keys whose value is `undefined` count as
 * absent, as in JSON.
 */
export function diff(
  from: unknown,
  to: unknown,
  path: string,
): JsonPatchOperation[] {
  if (jsonEqual(from, to)) return [];
  if (isObject(from) && isObject(to)) {
    const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
    return [...keys].flatMap(key => {
      const child = pointer(path, key);
      if (to[key] === undefined) {
        return from[key] === undefined ? [] : [{ op: 'remove', path: child }];
      }
      if (from[key] === undefined) {
        return [{ op: 'add', path: child, value: to[key] }];
      }
      return diff(from[key], to[key], child);
    });
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length) {
    return from.flatMap((item, index) =>
      diff(item, to[index], pointer(path, index)),
    );
  }
  return [{ op: 'replace', path, value: to }];
}

/**
 * Makes a patch conditional on the object being unchanged since it was read: the API server
 * answers 409 Conflict when the resourceVersion a patch writes is not the stored one.
 */
export function onlyIfUnchanged(
  resourceVersion: string | undefined,
  operations: JsonPatchOperation[],
): JsonPatchOperation[] {
  if (!resourceVersion) {
    throw new Error(
      'Cannot make a patch conditional without a resourceVersion',
    );
  }
  return [
    {
      op: 'replace',
      path: '/metadata/resourceVersion',
      value: resourceVersion,
    },
    ...operations,
  ];
}
