import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { confirmInDialog, screenshot, signIn } from './helpers';

/**
 * The Canary page against the running app and its embedded demo: a user launches a rollout of
 * `demo-shop` from the page with the `demo-gated` preset (an approval gate before stage 2),
 * follows the owners' notification that it waits, approves it from the list once the engine has
 * judged stage 1, and aborts it there (so the version `demo-shop` serves stays as it was); then
 * reviews the audit trail filtered by action and downloads it as CSV. Independent of the other
 * tests: a rollout of `demo-shop` still active is aborted first, and the canary version is one
 * `demo-shop` does not serve yet.
 */

test.describe.configure({ mode: 'serial' });

const REASON = 'e2e: approved from the Canary page';

/** Aborts a rollout of demo-shop that an earlier run or test left active. */
async function abortLeftovers(page: Page) {
  const abort = page.getByRole('button', { name: /^Abort demo-shop / });
  await expect(page.getByRole('row').nth(1)).toBeVisible();
  await expect(page.getByTitle('Checking your permissions…')).toHaveCount(0);
  for (const leftover of await abort.all()) {
    if (!(await leftover.isEnabled())) continue;
    const name = (await leftover.getAttribute('aria-label'))!;
    await leftover.click();
    await confirmInDialog(page, 'Abort', 'e2e: a leftover of an earlier run');
    await expect(page.getByRole('button', { name, exact: true })).toBeHidden({
      timeout: 60_000,
    });
  }
}

/** Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes, newlines). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (field || record.length > 0) records.push([...record, field]);
  return records;
}

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('a user launches a gated rollout from the Canary page, approves it and aborts it from the list', async ({
  page,
}) => {
  // The sidebar entry of the page.
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Canary', exact: true })
    .click();
  await expect(page).toHaveURL(/\/canary$/);
  await expect(page.getByRole('tab', { name: 'Rollouts' })).toBeVisible();
  await abortLeftovers(page);

  await page.getByRole('button', { name: 'Launch rollout' }).click();
  const picker = page.getByRole('dialog');
  await picker.getByRole('textbox', { name: 'Entity' }).fill('demo-shop');
  await page.getByRole('option', { name: 'demo-shop' }).click();
  const next = picker.getByRole('button', { name: 'Continue' });
  await expect(next).toBeEnabled({ timeout: 60_000 });
  await next.click();

  const dialog = page.getByRole('dialog');
  const strategy = dialog.getByRole('button', { name: /^Strategy/ });
  await expect(strategy).toHaveText('demo (preset of this entity)');
  await strategy.click();
  await page.getByRole('option', { name: 'demo-gated (preset)' }).click();
  await expect(dialog).toContainText('10 % → 25 % → 50 %, a look every 10s');
  // A healthy version that demo-shop does not serve yet (1.0.0 before its first rollout).
  const serving = await dialog
    .getByLabel('Stable version')
    .getAttribute('placeholder');
  const version = serving === '1.1.0' ? '1.0.0' : '1.1.0';
  await dialog.getByLabel('Canary version').fill(version);
  await dialog.getByLabel('Reason').fill('e2e: launched from the Canary page');
  const traffic = dialog.getByLabel('Traffic (requests/s)');
  if ((await traffic.inputValue()) === '') await traffic.fill('100');
  await dialog.getByRole('button', { name: 'Launch', exact: true }).click();
  await expect(dialog).toBeHidden();

  // The new rollout in the list, followed live until the engine stops at the gate.
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'demo-shop' }) })
    .filter({ hasText: `→ ${version}` })
    .first();
  await expect(row).toBeVisible();
  await expect(row).toContainText('Awaiting approval', { timeout: 150_000 });
  await expect(row).toContainText('1 of 3 (10 %)');
  await screenshot(page, 'canary-page-awaiting-approval');

  // The owners are told (the guest is one of them), with a link to the entity's Canary tab.
  const inbox = await page.context().newPage();
  await inbox.goto('/notifications');
  const notification = inbox
    .getByRole('link', { name: `demo-shop: ${version} awaits approval` })
    .first();
  await expect(notification).toBeVisible({ timeout: 30_000 });
  await notification.click();
  await expect(inbox).toHaveURL(
    /\/catalog\/default\/component\/demo-shop\/canary/,
  );
  await expect(inbox.getByText('Awaiting approval').first()).toBeVisible();
  await inbox.close();

  await row
    .getByRole('button', { name: `Approve demo-shop ${version}` })
    .click();
  await expect(page.getByRole('dialog')).toContainText(
    'Approve the next stage: 25 % of traffic to the canary.',
  );
  await confirmInDialog(page, 'Approve', REASON);
  await expect(row).toContainText('Progressing', { timeout: 30_000 });
  await expect(row).toContainText('2 of 3 (25 %)');

  // Aborted from the list too: demo-shop keeps serving the version it served.
  await row.getByRole('button', { name: `Abort demo-shop ${version}` }).click();
  await confirmInDialog(
    page,
    'Abort',
    'e2e: the gated rollout has shown enough',
  );
  await expect(row).toContainText('Aborted', { timeout: 60_000 });

  // The filters go to the URL: a reload (or a shared link) shows the same view.
  await page
    .getByRole('button', { name: /^Phase/ })
    .and(page.locator('[aria-haspopup="listbox"]'))
    .click();
  await page.getByRole('option', { name: 'Aborted' }).click();
  await page.keyboard.press('Escape');
  await page.getByRole('textbox', { name: 'System' }).fill('canary-demo');
  await page.getByRole('textbox', { name: 'System' }).press('Enter');
  await expect(page).toHaveURL(/filters%5Bphases%5D%5B0%5D=Aborted/);
  await expect(page).toHaveURL(/system%3Adefault%2Fcanary-demo/);
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'System' })).toHaveValue(
    'system:default/canary-demo',
  );
  const rows = page.getByRole('row').filter({ has: page.getByRole('link') });
  await expect(rows.filter({ hasText: `→ ${version}` }).first()).toBeVisible();
  for (const shown of await rows.all()) {
    await expect(shown).toContainText('Aborted');
  }
});

test('the audit view filters by action, shows the numbers behind decisions and exports CSV', async ({
  page,
}) => {
  await page.goto('/canary');
  await page.getByRole('tab', { name: 'Audit' }).click();
  await expect(page).toHaveURL(/\/canary\/audit$/);

  // An automatic decision, with the verdicts it rests on.
  await page.getByRole('textbox', { name: 'Action' }).fill('await-approval');
  await page.getByRole('textbox', { name: 'Action' }).press('Enter');
  const gate = page
    .getByRole('row')
    .filter({ hasText: 'waiting for approval before 25 %' })
    .first();
  await expect(gate).toContainText('Progressing → Awaiting approval');
  await gate.getByTitle('The numbers').click();
  await expect(page.getByText('Verdicts behind this decision')).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Open the rollout' }),
  ).toBeVisible();
  await screenshot(page, 'canary-audit-decision');

  await page.getByRole('textbox', { name: 'Action' }).fill('approve');
  await page.getByRole('textbox', { name: 'Action' }).press('Enter');
  await expect(page).toHaveURL(/filters%5Baction%5D=approve/);
  const rows = page.getByRole('row').filter({ has: page.getByRole('link') });
  await expect(rows.filter({ hasText: REASON }).first()).toBeVisible();
  for (const shown of await rows.all()) {
    await expect(shown.getByRole('cell').nth(4)).toHaveText('approve');
  }

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.csv$/);
  const [header, ...records] = parseCsv(
    readFileSync((await file.path())!, 'utf8'),
  );
  expect(header).toEqual(
    expect.arrayContaining([
      'at',
      'entityRef',
      'actor',
      'action',
      'phaseBefore',
      'phaseAfter',
      'reason',
    ]),
  );
  const action = header.indexOf('action');
  const reason = header.indexOf('reason');
  expect(records.length).toBeGreaterThan(0);
  expect(records.every(r => r[action] === 'approve')).toBe(true);
  expect(records.some(r => r[reason] === REASON)).toBe(true);
});
