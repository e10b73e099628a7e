import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const SCREENSHOTS = resolve(__dirname, '../../../e2e-test-report/screenshots');

/** Saves a screenshot of the viewport or of the whole page to `e2e-test-report/screenshots/`. */
export async function screenshot(page: Page, name: string, fullPage = false) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({
    path: resolve(SCREENSHOTS, `${name}.png`),
    fullPage,
  });
}

/** Enters the app as the guest user and waits for the sidebar. */
export async function signIn(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(
    page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
}

/** Confirms the action of the open dialog, with a reason. */
export async function confirmInDialog(
  page: Page,
  action: string,
  reason: string,
) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason').fill(reason);
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await expect(dialog).toBeHidden();
}
