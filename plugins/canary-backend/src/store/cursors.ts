import { InputError } from '@backstage/errors';
import type { Knex } from 'knex';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Page cursors, sealed: a cursor holds the sort value and id of the last row a page read, and that
 * row may be one the caller is not allowed to see (pages are filtered by permission after the
 * query). AES-256-GCM hides those values from the caller and refuses any cursor the backend did
 * not make, so a forged one never reaches a query. The key is generated once and kept in the
 * database, so every replica reads the others' cursors and a restart does not invalidate them.
 */

const PURPOSE = 'page-cursors';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class CursorCodec {
  /** The database's cursor key, created by whichever backend asks first. */
  static async load(knex: Knex): Promise<CursorCodec> {
    await knex('canary_keys')
      .insert({ purpose: PURPOSE, key: randomBytes(32).toString('base64') })
      .onConflict('purpose')
      .ignore();
    const row = await knex('canary_keys').where({ purpose: PURPOSE }).first();
    return new CursorCodec(Buffer.from(row.key, 'base64'));
  }

  constructor(private readonly key: Buffer) {}

  encode(parts: string[]): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([
      cipher.update(JSON.stringify(parts), 'utf8'),
      cipher.final(),
    ]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString(
      'base64url',
    );
  }

  /** The cursor's `length` parts; an InputError for anything this backend did not make. */
  decode(cursor: string, length: number): string[] {
    try {
      const bytes = Buffer.from(cursor, 'base64url');
      const decipher = createDecipheriv(
        'aes-256-gcm',
        this.key,
        bytes.subarray(0, IV_BYTES),
      );
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const parts = JSON.parse(
        Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8'),
      );
      if (
        Array.isArray(parts) &&
        parts.length === length &&
        parts.every(p => typeof p === 'string')
      ) {
        return parts;
      }
    } catch {
      // fall through to the error below
    }
    throw new InputError(
      'Invalid cursor: use the nextCursor of a previous page, unchanged',
    );
  }
}
