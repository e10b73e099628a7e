import type {
  AuditEvent,
  MetricVerdict,
  Rollout,
  RolloutAnalysis,
} from '@canary-release/backstage-plugin-canary-common';

/**
 * What a reader of a rollout sees of its providers' failures: that a provider fails, since when,
 * and which looks had no metrics, but not the provider's own error text, which can name internal
 * addresses, users and queries. Those who may control the rollout (and so act on the failure) see
 * everything.
 */

function withoutDetail({ detail: _hidden, ...verdict }: MetricVerdict) {
  return verdict;
}

/** The rollout without its providers' error texts. */
export function withoutProviderErrors(rollout: Rollout): Rollout {
  return {
    ...rollout,
    faults: rollout.faults?.map(({ error: _hidden, ...fault }) => fault),
    analysis: {
      ...rollout.analysis,
      latestVerdicts: rollout.analysis.latestVerdicts.map(withoutDetail),
    },
  };
}

/** The analysis without the providers' error texts of looks without metrics. */
export function analysisWithoutProviderErrors(
  analysis: RolloutAnalysis,
): RolloutAnalysis {
  return {
    ...analysis,
    verdicts: analysis.verdicts.map(look => ({
      ...look,
      verdicts: look.verdicts.map(withoutDetail),
    })),
  };
}

/**
 * The event without providers' error texts: a provider fault's `error`, and the look and verdicts
 * a decision on a look without metrics carries.
 */
export function auditWithoutProviderErrors(event: AuditEvent): AuditEvent {
  const { error, look, verdicts, ...rest } = event.details as {
    error?: unknown;
    look?: { error?: unknown } | null;
    verdicts?: unknown;
  };
  const details: Record<string, unknown> = { ...rest };
  if (error !== undefined && event.action !== 'provider-fault') {
    details.error = error;
  }
  if (look) {
    const { error: _hidden, ...lookWithoutError } = look;
    details.look = lookWithoutError;
  } else if (look !== undefined) {
    details.look = look;
  }
  if (verdicts !== undefined) {
    details.verdicts = Array.isArray(verdicts)
      ? verdicts.map(withoutDetail)
      : verdicts;
  }
  return { ...event, details };
}
