/** JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386), as the fake API server applies them. */

type Json = unknown;

/** Why a patch cannot apply: the fake answers 422, like the real server. */
export class PatchError extends Error {}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid pointer ${path}`);
  return path
    .slice(1)
    .split('/')
    .map(token => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the pointed-at location and the last token. */
function locate(document: Json, path: string): [Json, string] {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError('cannot patch the root');
  let parent: Json = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)];
    else if (isObject(parent)) parent = parent[token];
    else throw new PatchError(`path ${path} does not exist`);
    if (parent === undefined)
      throw new PatchError(`path ${path} does not exist`);
  }
  return [parent, tokens[tokens.length - 1]];
}

function read(document: Json, path: string): Json {
  let value: Json = document;
  for (const token of parsePointer(path)) {
    if (Array.isArray(value)) value = value[Number(token)];
    else if (isObject(value)) value = value[token];
    else value = undefined;
    if (value === undefined)
      throw new PatchError(`path ${path} does not exist`);
  }
  return value;
}

function arrayIndex(
  array: Json[],
  token: string,
  forAdd: boolean,
  path: string,
) {
  const index = token === '-' && forAdd ? array.length : Number(token);
  const max = forAdd ? array.length : array.length - 1;
  if (!Number.isInteger(index) || index < 0 || index > max) {
    throw new PatchError(`index ${token} out of range at ${path}`);
  }
  return index;
}

function add(document: Json, path: string, value: Json) {
  const [parent, token] = locate(document, path);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, token, true, path), 0, value);
  } else if (isObject(parent)) {
    parent[token] = value;
  } else {
    throw new PatchError(`path ${path} does not exist`);
  }
}

function remove(document: Json, path: string): Json {
  const [parent, token] = locate(document, path);
  if (Array.isArray(parent)) {
    return parent.splice(arrayIndex(parent, token, false, path), 1)[0];
  }
  if (isObject(parent) && token in parent) {
    const value = parent[token];
    delete parent[token];
    return value;
  }
  throw new PatchError(`path ${path} does not exist`);
}

/** Applies a JSON Patch to a copy of `document`. */
export function applyJsonPatch(document: Json, operations: Json): Json {
  if (!Array.isArray(operations)) {
    throw new PatchError('a JSON patch must be an array of operations');
  }
  const result = structuredClone(document);
  for (const operation of operations) {
    const { op, path, value, from } = operation as Record<string, any>;
    switch (op) {
      case 'add':
        add(result, path, structuredClone(value));
        break;
      case 'remove':
        remove(result, path);
        break;
      case 'replace':
        remove(result, path);
        add(result, path, structuredClone(value));
        break;
      case 'move':
        add(result, path, remove(result, from));
        break;
      case 'copy':
        add(result, path, structuredClone(read(result, from)));
        break;
      case 'test':
        if (JSON.stringify(read(result, path)) !== JSON.stringify(value)) {
          throw new PatchError(`test failed at ${path}`);
        }
        break;
      default:
        throw new PatchError(`unknown operation ${op}`);
    }
  }
  return result;
}

/** Applies a JSON Merge Patch to a copy of `document`. */
export function applyMergePatch(document: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, Json> = isObject(document)
    ? structuredClone(document)
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
