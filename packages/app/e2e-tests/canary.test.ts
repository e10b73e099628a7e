import { expect, test, type Locator, type Page } from '@playwright/test';
import { confirmInDialog, screenshot, signIn } from './helpers';

/**
 * The Canary tab against the running app and its embedded demo workload (`demo-shop`, whose
 * `demo` preset has three 30-second stages and a look every 10 seconds): a healthy version
 * advances and is promoted, a faulty one is rolled back by the engine, and a user pauses,
 * resumes and aborts one. The tests run in order on one workload: each starts from the version
 * the previous one left serving (1.0.0, then 1.1.0). Screenshots of each state go to
 * `e2e-test-report/screenshots/`.
 */

const TAB = '/catalog/default/component/demo-shop/canary';

test.describe.configure({ mode: 'serial' });

/** The engine's latest decision: its first line is the phase. */
function decision(page: Page): Locator {
  return page.getByRole('alert').first();
}

function button(page: Page, name: string): Locator {
  return page.getByRole('button', { name, exact: true });
}

/** The header card of the rollout shown, e.g. `demo-shop: canary 1.1.0`. */
function header(page: Page, version: string): Locator {
  return page.getByText(`demo-shop: canary ${version}`, { exact: true });
}

async function launch(page: Page, canaryVersion: string, reason: string) {
  // One rollout at a time: the button waits for the previous one to finish.
  const launchButton = button(page, 'Launch rollout');
  await expect(launchButton).toBeEnabled({ timeout: 60_000 });
  await launchButton.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: /^Strategy/ })).toHaveText(
    'demo (preset of this entity)',
  );
  await dialog.getByLabel('Canary version').fill(canaryVersion);
  await dialog.getByLabel('Reason').fill(reason);
  // The planner starts from the traffic of the last rollout; before the first, from the demo's
  // configured load.
  const traffic = dialog.getByLabel('Traffic (requests/s)');
  if ((await traffic.inputValue()) === '') await traffic.fill('100');
  await expect(
    dialog.getByRole('list', { name: 'Estimates per stage' }),
  ).toContainText('to promote a healthy canary');
  await screenshot(page, `launch-dialog-${canaryVersion}`);
  await dialog.getByRole('button', { name: 'Launch', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(header(page, canaryVersion)).toBeVisible();
}

/** Confirms an action in its dialog, with a reason. */
async function confirm(page: Page, action: string, reason: string) {
  await button(page, action).click();
  await confirmInDialog(page, action, reason);
}

test.beforeEach(async ({ page }) => {
  await signIn(page);
});

test('a healthy canary advances through its stages and is promoted from the UI', async ({
  page,
}) => {
  await page.goto(TAB);
  await launch(page, '1.1.0', 'e2e: a healthy version');

  await expect(page.getByText('1 of 3 (10 %)')).toBeVisible({
    timeout: 30_000,
  });
  await expect(decision(page)).toContainText('Progressing');
  await screenshot(page, 'healthy-stage-1');

  // The engine judges stage 1 and moves on by itself.
  await expect(page.getByText('2 of 3 (25 %)')).toBeVisible({
    timeout: 120_000,
  });
  const stages = page.getByRole('list', { name: 'Stages' });
  await expect(stages.getByRole('listitem').first()).toContainText('Pass');
  // Wait for a look in this stage, so the verdicts and charts are of this stage.
  await expect(page.getByText('Latest verdicts')).toBeVisible();
  await expect(page.getByRole('img', { name: /^Error rate: / })).toBeVisible();
  // The verdicts card says "No look yet" until the engine has looked at stage 2.
  await expect(page.getByText(/^Last look /)).toBeVisible({ timeout: 45_000 });
  await screenshot(page, 'healthy-stage-2');
  await screenshot(page, 'healthy-stage-2-full', true);
  // For the README, on a taller screen: decision, header, controls, stages and verdicts.
  await page.setViewportSize({ width: 1366, height: 1400 });
  await screenshot(page, 'readme');
  await page.setViewportSize({ width: 1366, height: 768 });

  await confirm(page, 'Promote fully', 'e2e: promote the rest at once');
  await expect(decision(page)).toContainText('Succeeded', { timeout: 60_000 });
  await expect(header(page, '1.1.0')).toBeVisible();
  await screenshot(page, 'healthy-succeeded');
});

test('a faulty canary is rolled back by the engine, with the verdict that decided it', async ({
  page,
}) => {
  await page.goto(TAB);
  await launch(page, '1.2.0', 'e2e: a version with 5 % errors');

  await expect(decision(page)).toContainText('Rolled back', {
    timeout: 120_000,
  });
  // The decision on top says why: the failing verdicts of the look that decided.
  await expect(decision(page).getByRole('listitem').first()).toContainText(
    'rolling back',
  );
  // The failing verdict and the engine's reason, with its numbers, in the audit trail.
  const failing = page
    .getByRole('row')
    .filter({ has: page.getByText('Fail', { exact: true }) });
  await expect(failing.first()).toContainText('rolling back');
  const rollback = page
    .getByRole('listitem')
    .filter({ hasText: 'rollback by engine' });
  await expect(rollback).toContainText('rolling back');
  await expect(page.getByText('1 of 3 (10 %)')).toBeVisible();
  await screenshot(page, 'faulty-rolled-back');
  await screenshot(page, 'faulty-rolled-back-full', true);
});

test('a user pauses, resumes and aborts a rollout; aborting needs a reason', async ({
  page,
}) => {
  await page.goto(TAB);
  // 1.1.0 serves now; 1.0.0 is healthy too.
  await launch(page, '1.0.0', 'e2e: controls');
  await expect(page.getByText('1 of 3 (10 %)')).toBeVisible({
    timeout: 30_000,
  });

  await button(page, 'Pause').click();
  await expect(decision(page)).toContainText('Paused');
  await expect(button(page, 'Pause')).toBeDisabled();
  await screenshot(page, 'controls-paused');

  await button(page, 'Resume').click();
  await expect(decision(page)).toContainText('Progressing');

  await button(page, 'Abort').click();
  const dialog = page.getByRole('dialog');
  const submit = dialog.getByRole('button', { name: 'Abort', exact: true });
  await expect(submit).toBeDisabled();
  await dialog.getByLabel('Reason').fill('e2e: the release is cancelled');
  await expect(submit).toBeEnabled();
  await screenshot(page, 'controls-abort-dialog');
  await submit.click();
  await expect(dialog).toBeHidden();

  await expect(decision(page)).toContainText('Aborted', { timeout: 60_000 });
  await expect(
    page.getByRole('listitem').filter({ hasText: 'abort by guest' }),
  ).toContainText('e2e: the release is cancelled');
  await screenshot(page, 'controls-aborted');
});

test('the tab reads in light and dark themes at laptop width', async ({
  page,
}) => {
  for (const theme of ['light', 'dark']) {
    await page.evaluate(value => localStorage.setItem('theme', value), theme);
    await page.goto(TAB);
    // The promoted rollout, picked from the history: it has verdicts and charts to show.
    await page
      .getByRole('row')
      .filter({ hasText: 'Succeeded' })
      .getByText('1.1.0', { exact: true })
      .click();
    await expect(header(page, '1.1.0')).toBeVisible();
    // The page scrolls up to the rollout's details.
    await expect(button(page, 'Launch rollout')).toBeInViewport({ ratio: 1 });
    await expect(
      page.getByRole('img', { name: /^Error rate: / }),
    ).toBeVisible();
    await screenshot(page, `theme-${theme}`);
    await screenshot(page, `theme-${theme}-full`, true);
  }
});

test('the tab shows its data soon after navigation', async ({ page }) => {
  // What the tab shows from its first request: the latest rollout and its verdicts.
  const shown = async () => {
    await expect(header(page, '1.0.0')).toBeVisible();
    await expect(page.getByText('Latest verdicts')).toBeVisible();
  };
  // A cold load of the tab: the app's bundle, the plugin's lazy chunk and the first request.
  let start = Date.now();
  await page.goto(TAB);
  await shown();
  const cold = Date.now() - start;

  // Within the app: from the entity's overview to the tab, as a user clicks it.
  await page.goto('/catalog/default/component/demo-shop');
  // The entity's tab, not the sidebar's link to the Canary page.
  const tab = page
    .getByRole('main')
    .getByRole('link', { name: 'Canary', exact: true });
  await expect(tab).toBeVisible();
  start = Date.now();
  await tab.click();
  await shown();
  const inApp = Date.now() - start;

  test
    .info()
    .annotations.push(
      { type: 'cold load to data', description: `${cold} ms` },
      { type: 'in-app navigation to data', description: `${inApp} ms` },
    );
});
