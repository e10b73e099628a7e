import { within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/** Types the canary version into an open launch dialog and presses Launch. */
export async function launchVersion(dialog: HTMLElement, version: string) {
  await userEvent.type(
    within(dialog).getByLabelText(/Canary version/),
    version,
  );
  await userEvent.click(within(dialog).getByRole('button', { name: 'Launch' }));
}

/** The Strategy select of a launch dialog, once the configured strategies have loaded. */
export function findStrategySelect(dialog: HTMLElement) {
  return within(dialog).findByRole('button', { name: /^Strategy/ });
}
