import {
  rolloutSignalChannel,
  type RolloutSignal,
} from '@canary-release/backstage-plugin-canary-common';
import { useSignal } from '@backstage/plugin-signals-react';
import { POLL_INTERVAL_MS } from './usePolling';

/** How often the tab still polls when signals tell it of changes: a net for a lost signal. */
export const SIGNALLED_POLL_INTERVAL_MS = 15_000;

/** Options for `usePolling` that keep an entity's rollout data up to date. */
export interface LiveUpdates {
  /** The latest signal: each new one loads again at once. */
  refreshOn: RolloutSignal | null;
  intervalMs: number;
}

/**
 * Live updates for the rollouts of an entity: with the app's signals plugin, the backend's signal
 * of each change refreshes at once and polling slows down; without it, polling as before.
 */
export function useRolloutSignal(entityRef: string): LiveUpdates {
  const { lastSignal, isSignalsAvailable } = useSignal<RolloutSignal>(
    rolloutSignalChannel(entityRef),
  );
  return {
    refreshOn: lastSignal,
    intervalMs: isSignalsAvailable
      ? SIGNALLED_POLL_INTERVAL_MS
      : POLL_INTERVAL_MS,
  };
}
