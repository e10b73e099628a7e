import { CustomErrorBase, InputError } from '@backstage/errors';
import type {
  ArmSample,
  CountPair,
  Histogram,
  RolloutTarget,
} from '@canary-release/backstage-plugin-canary-common';
import type {
  MetricsProvider,
  SampleOptions,
  SampleWindow,
} from '@canary-release/backstage-plugin-canary-node';
import {
  InstantSample,
  PrometheusClient,
  PrometheusQueryError,
} from './client/PrometheusClient';
import type { QuerySet, TrackName, Tracks } from './config';
import { toHistogram } from './query/histogram';
import {
  assertDns1123Label,
  assertDns1123Subdomain,
  assertLabelValue,
} from './query/names';
import type { QueryTemplate, TemplateValues } from './query/template';

/**
 * A query that answered, but with no number: an empty result (no series matched) or NaN. The
 * engine records a look whose requests or errors have no data as a look without data; it never
 * reads it as zero.
 */
export class PrometheusNoDataError extends CustomErrorBase {
  name = 'PrometheusNoDataError' as const;
}

/** One arm's look: the placeholders' values and the evaluation time (the window's end). */
interface Look {
  values: TemplateValues;
  at: Date;
}

/**
 * Waits for every promise (no query is left running behind a failure), then returns their values,
 * or throws the error of the first one that failed in the order given, so the same failure is
 * reported whichever query answers first.
 */
async function settleInOrder<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises);
  const failed = results.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  if (failed) throw failed.reason;
  return results.map(
    result => (result as PromiseFulfilledResult<unknown>).value,
  ) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** The track whose pods an arm reads. */
export function trackOfArm(
  arm: 'baseline' | 'canary',
  options?: SampleOptions,
): TrackName {
  if (arm === 'canary') return 'canary';
  return options?.dedicatedBaseline ? 'baseline' : 'stable';
}

/**
 * Reads an arm's counts from Prometheus with one query set: instant queries evaluated at the
 * window's end, over the window's exact duration, so a look gives the same numbers whenever it is
 * repeated.
 *
 * - `requests` and `errors` must each answer one number: an empty answer (or NaN) throws, so the
 *   look counts as having no data. Counts are rounded to whole requests (`increase()`
 *   extrapolates), and errors are capped at requests.
 * - `latency`, each ratio and each gauge that answers nothing is left out of the sample: that
 *   metric has no data in this look; it is never reported as zero.
 * - A query that fails (unreachable, timeout, an error from Prometheus, an answer that is not a
 *   query result, several series where one is expected) throws, naming the query.
 */
export class PrometheusMetricsProvider implements MetricsProvider {
  constructor(
    private readonly client: PrometheusClient,
    private readonly queries: QuerySet,
    private readonly tracks: Tracks,
  ) {}

  async sample(
    target: RolloutTarget,
    arm: 'baseline' | 'canary',
    window: SampleWindow,
    options?: SampleOptions,
  ): Promise<ArmSample> {
    const look: Look = {
      values: this.templateValues(target, trackOfArm(arm, options), window),
      at: window.end,
    };
    const [requests, errors, latency, gauges, ratios] = await settleInOrder([
      this.required(this.queries.requests, look),
      this.required(this.queries.errors, look),
      this.latency(look),
      this.gauges(look),
      this.ratios(look),
    ] as const);

    const sample: ArmSample = {
      requests: Math.round(requests),
      errors: Math.min(Math.round(errors), Math.round(requests)),
    };
    if (latency) sample.latency = latency;
    if (gauges) sample.gauges = gauges;
    if (ratios) sample.ratios = ratios;
    return sample;
  }

  /** The placeholders' values for one arm, after checking the names against Kubernetes' rules. */
  private templateValues(
    target: RolloutTarget,
    track: TrackName,
    window: SampleWindow,
  ): TemplateValues {
    const windowMs = window.end.getTime() - window.start.getTime();
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new InputError(
        `Cannot query a window of ${windowMs} ms (${window.start.toISOString()} to ${window.end.toISOString()}): a window lasts at least 1 ms`,
      );
    }
    assertDns1123Label('The namespace', target.namespace);
    assertDns1123Subdomain('The workload name', target.name);
    const { label, workloadSuffix } = this.tracks[track];
    const workload = `${target.name}${workloadSuffix}`;
    assertDns1123Subdomain(`The ${track} workload name`, workload);
    if (target.cluster !== undefined) {
      assertLabelValue('The cluster name', target.cluster);
    }
    return {
      labels: {
        namespace: target.namespace,
        app: target.name,
        track: label,
        workload,
        cluster: target.cluster,
      },
      windowMs,
    };
  }

  /** Renders and runs `template`. */
  private async run(
    template: QueryTemplate,
    { values, at }: Look,
  ): Promise<InstantSample[]> {
    return this.client.query(template.name, template.render(values), at);
  }

  /** An error about what `template` answered, naming it and its query. */
  private answerError(template: QueryTemplate, look: Look, problem: string) {
    return new PrometheusQueryError(
      `Prometheus query ${template.name} ${problem}. Query: ${template.render(
        look.values,
      )}`,
    );
  }

  /**
   * Runs a query that answers one number; undefined when it answers nothing (or NaN). Several
   * series, or an infinite or negative number, are errors.
   */
  private async number(
    template: QueryTemplate,
    look: Look,
  ): Promise<number | undefined> {
    const samples = await this.run(template, look);
    if (samples.length > 1) {
      throw this.answerError(
        template,
        look,
        `answered ${samples.length} series, expected one number: aggregate them, e.g. with sum(...)`,
      );
    }
    const value = samples[0]?.value;
    if (value === undefined || Number.isNaN(value)) return undefined;
    if (!Number.isFinite(value) || value < 0) {
      throw this.answerError(
        template,
        look,
        `answered ${value}, expected a finite number >= 0`,
      );
    }
    return value;
  }

  /** Like `number`, but no answer is an error: the look has no data. */
  private async required(template: QueryTemplate, look: Look): Promise<number> {
    const value = await this.number(template, look);
    if (value === undefined) {
      const { labels, windowMs } = look.values;
      throw new PrometheusNoDataError(
        `Prometheus has no data for ${template.name} (track "${
          labels.track
        }" of ${labels.namespace}/${
          labels.app
        }, ${windowMs} ms to ${look.at.toISOString()}). Query: ${template.render(
          look.values,
        )}`,
      );
    }
    return value;
  }

  /** The latency histogram; undefined when the set has none or no bucket answered. */
  private async latency(look: Look): Promise<Histogram | undefined> {
    const { latency, latencyUnit } = this.queries;
    if (!latency) return undefined;
    const samples = await this.run(latency, look);
    if (samples.length === 0) return undefined;
    const unlabelled = samples.find(sample => sample.labels.le === undefined);
    if (unlabelled) {
      throw this.answerError(
        latency,
        look,
        `is not a latency histogram: a series has no le label: ${JSON.stringify(
          unlabelled.labels,
        )}; aggregate with sum by (le) (...)`,
      );
    }
    try {
      return toHistogram(
        samples.map(({ labels, value }) => ({ le: labels.le, value })),
        latencyUnit,
      );
    } catch (error) {
      throw this.answerError(
        latency,
        look,
        `is not a latency histogram: ${(error as Error).message}`,
      );
    }
  }

  /** The gauges that answered a number; undefined when none did. */
  private async gauges(
    look: Look,
  ): Promise<Record<string, number> | undefined> {
    const readings = await settleInOrder(
      Object.entries(this.queries.gauges).map(
        async ([name, template]) =>
          [name, await this.number(template, look)] as const,
      ),
    );
    const measured = readings.filter(
      (reading): reading is readonly [string, number] =>
        reading[1] !== undefined,
    );
    return measured.length > 0 ? Object.fromEntries(measured) : undefined;
  }

  /**
   * The ratios whose count and total both answered, as whole numbers with the count at most the
   * total (each is extrapolated on its own); undefined when none did.
   */
  private async ratios(
    look: Look,
  ): Promise<Record<string, CountPair> | undefined> {
    const pairs = await settleInOrder(
      Object.entries(this.queries.ratios).map(async ([name, queries]) => {
        const [count, total] = await settleInOrder([
          this.number(queries.count, look),
          this.number(queries.total, look),
        ] as const);
        return { name, count, total };
      }),
    );
    const ratios: Record<string, CountPair> = {};
    for (const { name, count, total } of pairs) {
      if (count !== undefined && total !== undefined) {
        const whole = Math.round(total);
        ratios[name] = {
          count: Math.min(Math.round(count), whole),
          total: whole,
        };
      }
    }
    return Object.keys(ratios).length > 0 ? ratios : undefined;
  }
}
