import type { AuditEvent } from '@canary-release/backstage-plugin-canary-common';
import { stringify } from 'csv-stringify/sync';
import type express from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AuditQuery, RolloutStore } from '../store/RolloutStore';

/** Events read per query while an export streams. */
const EXPORT_PAGE = 500;

const CSV_COLUMNS = [
  'id',
  'at',
  'rolloutId',
  'entityRef',
  'actor',
  'action',
  'phaseBefore',
  'phaseAfter',
  'stageIndex',
  'canaryWeight',
  'reason',
  'details',
];

/**
 * Control characters other than tab and line feed (C0, DEL, C1): they have no place in a
 * spreadsheet cell, and some (carriage return) start a formula or split a row in some readers.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** A text cell of the CSV export, without control characters. */
function csvText(value: string): string {
  return value.replace(CONTROL_CHARACTERS, '');
}

/**
 * CSV is opened in spreadsheets, and reasons, actors and details hold text that users and
 * providers wrote: a cell starting with = + - @ tab or carriage return (or their full-width forms)
 * is prefixed with `'`, so that it is shown as text instead of run as a formula (OWASP's rule for
 * CSV injection; csv-stringify's `escape_formulas`).
 */
function csvRows(rows: Array<Array<string | number>>): string {
  return stringify(
    rows.map(row =>
      row.map(cell => (typeof cell === 'string' ? csvText(cell) : cell)),
    ),
    { escape_formulas: true },
  );
}

/** The filtered trail from `cursor` on, a page per query, each narrowed by `readable`. */
export async function* auditPages(
  store: RolloutStore,
  filter: Omit<AuditQuery, 'limit' | 'cursor'>,
  readable: (events: AuditEvent[]) => Promise<AuditEvent[]>,
  cursor?: string,
): AsyncGenerator<AuditEvent[]> {
  let next = cursor;
  do {
    const page = await store.listAudit({
      ...filter,
      limit: EXPORT_PAGE,
      cursor: next,
    });
    yield await readable(page.items);
    next = page.nextCursor;
  } while (next);
}

/** How an export writes events: what opens it, a page of events, what closes it. */
const EXPORT_FORMATS = {
  csv: {
    contentType: 'text/csv; charset=utf-8',
    open: csvRows([CSV_COLUMNS]),
    page: (events: AuditEvent[]) =>
      csvRows(
        events.map(e => [
          e.id,
          e.at,
          e.rolloutId,
          e.entityRef,
          e.actor,
          e.action,
          e.phaseBefore ?? '',
          e.phaseAfter,
          e.stageIndex,
          e.weightsAfter.canary,
          e.reason,
          JSON.stringify(e.details),
        ]),
      ),
    separator: '',
    close: '',
  },
  json: {
    contentType: 'application/json; charset=utf-8',
    open: '[',
    page: (events: AuditEvent[]) =>
      events.map(e => JSON.stringify(e)).join(','),
    separator: ',',
    close: ']',
  },
};

/**
 * Streams pages of events as an attachment. Each page is written as it is read, and the next is
 * read only once the client has taken the last: an export never holds the whole trail in memory.
 */
export async function streamAudit(
  res: express.Response,
  format: keyof typeof EXPORT_FORMATS,
  pages: AsyncIterable<AuditEvent[]>,
) {
  const writer = EXPORT_FORMATS[format];
  res.setHeader('Content-Type', writer.contentType);
  res.setHeader(
    'Content-Disposition',
    `attachment; filename="canary-audit.${format}"`,
  );
  async function* chunks() {
    yield writer.open;
    let first = true;
    for await (const events of pages) {
      if (events.length === 0) continue;
      yield (first ? '' : writer.separator) + writer.page(events);
      first = false;
    }
    yield writer.close;
  }
  await pipeline(Readable.from(chunks()), res);
}
