import { ConflictError } from '@backstage/errors';
import { JsonPatchOperation, onlyIfUnchanged } from './jsonPatch';
import type { KubeObject } from './resources';

/**
 * Writes an object the optimistic way: read it, work out the patch from what was read, apply it
 * on condition that the object did not change meanwhile, and on 409 Conflict start again from a
 * fresh read (at most `attempts` reads). Returns the object as stored after the write, or as read
 * when nothing needed to change (no write at all, so a repeated call is free).
 */
export async function readModifyWrite<T extends KubeObject>(options: {
  attempts: number;
  read: () => Promise<T>;
  /** The operations that bring `current` where it should be; none when it already is. */
  plan: (current: T) => JsonPatchOperation[];
  write: (operations: JsonPatchOperation[]) => Promise<T>;
}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await options.read();
    const operations = options.plan(current);
    if (operations.length === 0) return current;
    try {
      return await options.write(
        onlyIfUnchanged(current.metadata.resourceVersion, operations),
      );
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= options.attempts) {
        throw error;
      }
    }
  }
}
