import { isError } from '@backstage/errors';
import type { HookOutcome } from '../engine/types';

/** How a delivery ended, after its retries. */
export type DeliveryOutcome = Omit<HookOutcome, 'name'>;

/** One attempt: a success, or a failure that is worth retrying or not. */
export type AttemptResult =
  | { ok: true; status?: number }
  | { ok: false; retry: boolean; status?: number; error: string };

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8000;

/** The pause before retry `n` (1-based): 0.5 s, 1 s, 2 s, ... at most 8 s. */
export function backoffMs(retry: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** (retry - 1), MAX_BACKOFF_MS);
}

/** The longest `attempts` can take: every attempt timing out, and every pause in between. */
export function worstCaseMs(retries: number, timeoutMs: number): number {
  let total = (retries + 1) * timeoutMs;
  for (let retry = 1; retry <= retries; retry++) total += backoffMs(retry);
  return total;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or `retries` more attempts failed, pausing
 * with exponential backoff in between. Each attempt ends after `timeoutMs` (its AbortSignal
 * fires then); an attempt that throws or times out counts as a retryable failure.
 */
export async function attempts(
  options: { retries: number; timeoutMs: number },
  attempt: (signal: AbortSignal) => Promise<AttemptResult>,
): Promise<DeliveryOutcome> {
  const started = Date.now();
  let result: AttemptResult;
  let made = 0;
  for (;;) {
    made += 1;
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      // The race ends attempts that ignore their signal, too.
      result = await Promise.race([attempt(signal), rejectWhenAborted(signal)]);
    } catch (error) {
      result = {
        ok: false,
        retry: true,
        error: signal.aborted
          ? `timed out after ${options.timeoutMs} ms`
          : describeError(error),
      };
    }
    if (result.ok || !result.retry || made > options.retries) break;
    await sleep(backoffMs(made));
  }
  return {
    ok: result.ok,
    ...(result.status !== undefined && { status: result.status }),
    ...(!result.ok && { error: result.error }),
    attempts: made,
    durationMs: Date.now() - started,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function rejectWhenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), {
      once: true,
    }),
  );
}

/** fetch's errors hide their reason (ECONNREFUSED, ...) in `cause`. */
function describeError(error: unknown): string {
  if (!isError(error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return isError(cause) ? `${error.message}: ${cause.message}` : error.message;
}
