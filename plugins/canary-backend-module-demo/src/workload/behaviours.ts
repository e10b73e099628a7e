import type { RandomSource } from '@canary-release/backstage-plugin-canary-common';
import { sampleLognormal } from '../random';

/** How one version of the demo service answers requests. */
export interface VersionBehaviour {
  /** Fraction of requests answered with HTTP 500, 0-1. */
  errorRate: number;
  /** Mean latency in milliseconds added on top of the base latency. */
  latencyMs: number;
  /**
   * A regression that starts late (a cache expiring, a leak, a cron): for this many milliseconds
   * after the version starts serving on a deployment (becomes ready there), it behaves like
   * {@link HEALTHY_BEHAVIOUR}; from then on as the fields above say. Absent or 0: from the start.
   */
  regressAfterMs?: number;
}

/** A version as configured: every field optional, missing ones come from the defaults. */
export type VersionBehaviourConfig = Partial<VersionBehaviour>;

/** How a healthy version behaves; versions without a behaviour of their own behave like this. */
export const HEALTHY_BEHAVIOUR: VersionBehaviour = {
  errorRate: 0.01,
  latencyMs: 0,
};

/**
 * The built-in versions: `1.0.0` (the initial stable) and `1.1.0` healthy, `1.2.0` with 5 points
 * more errors, `1.3.0` 250 ms slower on average, `1.4.0` healthy for its first 60 s, then with 5
 * points more errors.
 */
export const DEFAULT_VERSION_BEHAVIOURS: Record<
  string,
  VersionBehaviourConfig
> = {
  '1.0.0': {},
  '1.1.0': {},
  '1.2.0': { errorRate: 0.06 },
  '1.3.0': { latencyMs: 250 },
  '1.4.0': {
    errorRate: 0.06,
    regressAfterMs: 60_000,
  },
};

/** Median of the base latency every version has, in milliseconds. */
const BASE_LATENCY_MEDIAN_MS = 30;
/** Log-scale spread of the base latency: p95 is about twice the median. */
const BASE_LATENCY_SIGMA = 0.45;
/** Log-scale spread of the extra latency around its mean. */
const EXTRA_LATENCY_SIGMA = 0.25;
/** No single simulated response takes longer than this, in milliseconds. */
const MAX_LATENCY_MS = 15_000;

/** Looks up a version's behaviour; unknown versions behave like {@link HEALTHY_BEHAVIOUR}. */
export type BehaviourResolver = (version: string) => VersionBehaviour;

/**
 * Resolves behaviours field by field: the configured entry for the version, then the built-in
 * one, then {@link HEALTHY_BEHAVIOUR}.
 */
export function createBehaviourResolver(
  configured: Record<string, VersionBehaviourConfig> = {},
): BehaviourResolver {
  return version => ({
    ...HEALTHY_BEHAVIOUR,
    ...DEFAULT_VERSION_BEHAVIOURS[version],
    ...configured[version],
  });
}

/**
 * How a version behaves once it has served for `servingMs` milliseconds (since it became ready on
 * its deployment): like {@link HEALTHY_BEHAVIOUR} before its `regressAfterMs`, as described after.
 */
export function behaviourAfter(
  behaviour: VersionBehaviour,
  servingMs: number,
): VersionBehaviour {
  return servingMs < (behaviour.regressAfterMs ?? 0)
    ? HEALTHY_BEHAVIOUR
    : behaviour;
}

/** How one simulated request is answered. */
export interface SimulatedResponse {
  /** Answered with HTTP 500. */
  failed: boolean;
  /** How long the answer takes, in milliseconds. */
  latencyMs: number;
}

/**
 * Draws how one request is answered: its latency ({@link sampleLatencyMs}), then whether it fails,
 * at the behaviour's error rate. Every version, healthy or not, on either arm, answers through this.
 */
export function sampleResponse(
  behaviour: VersionBehaviour,
  random: RandomSource,
): SimulatedResponse {
  const latencyMs = sampleLatencyMs(behaviour, random);
  return { latencyMs, failed: random() < behaviour.errorRate };
}

/**
 * Draws the latency of one response in milliseconds: a lognormal base around 30 ms, plus, when the
 * behaviour adds latency, a lognormal extra whose mean is `latencyMs`.
 */
export function sampleLatencyMs(
  behaviour: VersionBehaviour,
  random: RandomSource,
): number {
  const base = sampleLognormal(
    random,
    BASE_LATENCY_MEDIAN_MS,
    BASE_LATENCY_SIGMA,
  );
  const extra =
    behaviour.latencyMs > 0
      ? sampleLognormal(
          random,
          behaviour.latencyMs * Math.exp(-(EXTRA_LATENCY_SIGMA ** 2) / 2),
          EXTRA_LATENCY_SIGMA,
        )
      : 0;
  return Math.min(base + extra, MAX_LATENCY_MS);
}
