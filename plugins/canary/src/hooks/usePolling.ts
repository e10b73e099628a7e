import { useCallback, useEffect, useRef, useState } from 'react';

/** How often the tab asks the backend for news, in milliseconds. */
export const POLL_INTERVAL_MS = 3000;

interface PollingState<T> {
  key: string;
  loading: boolean;
  value?: T;
  error?: Error;
}

/** The latest answer of a polled request. */
export interface PollingResult<T> {
  /** True until the first answer for the current key arrives. */
  loading: boolean;
  /** The latest successful answer; kept when a later poll fails. */
  value?: T;
  /** The error of the latest attempt, cleared by the next success. */
  error?: Error;
  /** Loads again now and restarts the interval. */
  refresh: () => void;
}

/**
 * Loads `load()` and, while `poll` is true, loads it again `intervalMs` after each answer (so
 * slow answers never pile up). A new `key` starts afresh: its previous value is dropped. Each new
 * value of `refreshOn` (a signal that the data changed) loads again at once.
 */
export function usePolling<T>(
  key: string,
  load: () => Promise<T>,
  options: { poll?: boolean; intervalMs?: number; refreshOn?: unknown } = {},
): PollingResult<T> {
  const { poll = true, intervalMs = POLL_INTERVAL_MS, refreshOn } = options;
  const [state, setState] = useState<PollingState<T>>({ key, loading: true });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (!cancelled) setState({ key, loading: false, value });
      } catch (error) {
        if (!cancelled) {
          setState(previous => ({
            key,
            loading: false,
            value: previous.key === key ? previous.value : undefined,
            error: error as Error,
          }));
        }
      }
      if (!cancelled && poll) {
        timer = setTimeout(run, intervalMs);
      }
    };
    run();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, poll, intervalMs, generation]);

  const refresh = useCallback(() => setGeneration(g => g + 1), []);
  useEffect(() => {
    if (refreshOn !== undefined && refreshOn !== null) refresh();
  }, [refreshOn, refresh]);
  const current: PollingState<T> =
    state.key === key ? state : { key, loading: true };
  return {
    loading: current.loading,
    value: current.value,
    error: current.error,
    refresh,
  };
}
