import vectors from './__fixtures__/reference-vectors.json';
import {
  bernoulliDifference,
  dirichletMultinomialStep,
  dkwBandWidth,
  gaussianDifference,
  hodgesLehmann,
  kayentaMannWhitney,
  mannWhitneyU,
  median,
  msprtOneSidedLogLikelihoodRatio,
  msprtPairedLikelihoodRatio,
  msprtSequence,
  msprtTau2ForSampleSize,
  newcombeInterval,
  normalCdf,
  normalIsf,
  normalLogCdf,
  normalPpf,
  normalSf,
  percentileBootstrap,
  cohensH,
  timeUniformBandWidth,
  twoProportionNonInferiorityTest,
  twoProportionPower,
  twoProportionSampleSize,
  twoProportionZTest,
  wilcoxonShiftInterval,
  wilsonInterval,
  SequentialTestState,
  ProportionAlternative,
  RankAlternative,
} from '.';

/**
 * Every case of the scipy/statsmodels reference vectors (a verbatim copy of
 * shared/stats/reference-vectors.json), dispatched on its kind. A kind without a handler fails.
 */

type Json = any;
type Case = {
  id: string;
  kind: string;
  inputs: Json;
  expected: Json;
  tolerance: { rel: number; abs: number };
};

const handlers: Record<string, (inputs: Json) => Json> = {
  normal_cdf: ({ x }) => ({
    cdf: x.map(normalCdf),
    logcdf: x.map(normalLogCdf),
  }),
  normal_sf: ({ x }) => ({ sf: x.map(normalSf) }),
  normal_ppf: ({ p }) => ({ ppf: p.map(normalPpf) }),
  normal_isf: ({ q }) => ({ isf: q.map(normalIsf) }),
  mannwhitneyu: ({ x, y, use_continuity, alternative, method }) => {
    const r = mannWhitneyU(x, y, {
      continuity: use_continuity,
      alternative: alternative as RankAlternative,
      method,
    });
    return {
      statistic_U1: r.u1,
      U2: r.u2,
      pvalue: r.pValue,
      rank_sum_x: r.rankSumX,
      rank_biserial: r.rankBiserial,
      cles_P_x_gt_y: r.cles,
      z: r.z,
      sd_U: r.sdU,
      tie_term_sum_t3_minus_t: r.tieTerm,
    };
  },
  kayenta_wilcoxon_ci: ({ x_experiment, y_control, conf_level, tolerance }) => {
    const r = kayentaMannWhitney(
      x_experiment,
      y_control,
      conf_level,
      tolerance,
    );
    const withEstimate = [...r.interval, r.estimate];
    return {
      ci_lower: r.interval[0],
      ci_upper: r.interval[1],
      estimate: r.estimate,
      kayenta_test_expects: withEstimate,
      kayenta_upper_bound_tolerance_x_abs_estimate: r.upperBound,
      kayenta_isHigh: r.classification === 'High',
      mwu_asymptotic_cc_pvalue: mannWhitneyU(x_experiment, y_control, {
        method: 'asymptotic',
      }).pValue,
      hodges_lehmann_median_pairwise_diff: hodgesLehmann(
        x_experiment,
        y_control,
      ).estimate,
      issue_reported_ci: r.interval,
      issue_reported_estimate: r.estimate,
    };
  },
  hodges_lehmann: ({ x, y, conf_level }) => {
    const exact = hodgesLehmann(x, y, conf_level);
    const asymptotic = wilcoxonShiftInterval(x, y, { confLevel: conf_level });
    return {
      hl_estimate: exact.estimate,
      exact_ci_lower: exact.interval[0],
      exact_ci_upper: exact.interval[1],
      k_qwilcox: exact.k,
      achieved_conf_level: exact.achievedConfLevel,
      asymptotic_ci_lower: asymptotic.interval[0],
      asymptotic_ci_upper: asymptotic.interval[1],
      asymptotic_estimate_nocc: asymptotic.estimate,
    };
  },
  proportions_ztest: ({ x1, n1, x2, n2, alternative }) => {
    const r = twoProportionZTest(
      x1,
      n1,
      x2,
      n2,
      alternative as ProportionAlternative,
    );
    return { z: r.z, pvalue: r.pValue };
  },
  wilson_ci: ({ x, n, alpha }) => {
    const [lower, upper] = wilsonInterval(x, n, alpha);
    return { lower, upper };
  },
  newcombe_diff_ci: ({ x1, n1, x2, n2, alpha }) => {
    const [lower, upper] = newcombeInterval(x1, n1, x2, n2, alpha);
    return { lower, upper, manual_lower: lower, manual_upper: upper };
  },
  noninferiority_2prop: i => {
    const r = twoProportionNonInferiorityTest(
      i.x_canary,
      i.n_canary,
      i.x_baseline,
      i.n_baseline,
      i.margin,
      i.method,
    );
    return { statistic: r.z, pvalue: r.pValue };
  },
  two_prop_power: ({ p1, p2, nobs_per_group, alpha }) => ({
    cohens_h: cohensH(p1, p2),
    power_at_n: twoProportionPower(p1, p2, nobs_per_group, alpha),
    n_per_group_80pct_arcsine: twoProportionSampleSize(p1, p2, { alpha }),
    n_per_group_80pct_classical: twoProportionSampleSize(p1, p2, {
      alpha,
      method: 'classical',
    }),
  }),
  msprt_normal_mixture: inputs => {
    if (inputs.snapshots) {
      const estimates = inputs.snapshots.map(([nA, a, nB, b]: number[]) =>
        inputs.kind === 'bernoulli'
          ? bernoulliDifference(nA, a, nB, b)
          : gaussianDifference(nA, a, nB, b, inputs.sigma2),
      );
      const looks = msprtSequence(estimates, {
        tau2: inputs.tau2,
        alpha: inputs.alpha,
        theta0: inputs.theta0,
      });
      return {
        rows: looks.map(l => ({
          theta_hat: l.thetaHat,
          V: l.variance,
          log_lambda: l.logLikelihoodRatio,
          lambda: Math.exp(l.logLikelihoodRatio),
          always_valid_p: l.pValue,
          reject_at_alpha: l.reject,
          cs_lower: l.lower,
          cs_upper: l.upper,
          cs_running_intersection: [l.state.lower, l.state.upper],
        })),
      };
    }
    if (inputs.cases) {
      return {
        log_lambda: inputs.cases.map(([thetaHat, v, tau2]: number[]) =>
          msprtOneSidedLogLikelihoodRatio(thetaHat, v, tau2, inputs.theta0),
        ),
      };
    }
    if (inputs.zbar !== undefined) {
      return {
        lambda: msprtPairedLikelihoodRatio(
          inputs.sigma,
          inputs.tau,
          inputs.n,
          inputs.zbar,
        ),
      };
    }
    throw new Error('unknown msprt_normal_mixture input shape');
  },
  msprt_tuning: ({ cases }) => ({
    tau2: cases.map(([sigma2, nOpt, alpha]: number[]) =>
      msprtTau2ForSampleSize(sigma2, nOpt, alpha),
    ),
  }),
  dirichlet_multinomial_seq_test: inputs => {
    let state: SequentialTestState | undefined;
    return {
      rows: inputs.snapshots_cumulative_counts.map((counts: number[]) => {
        const look = dirichletMultinomialStep(
          state,
          counts,
          inputs.theta0,
          inputs.dirichlet_alpha,
        );
        state = look.state;
        return {
          counts,
          log_bayes_factor: look.logBayesFactor,
          always_valid_p: look.pValue,
        };
      }),
    };
  },
  quantile_confidence_band: ({ t, alpha }) => ({
    eps_time_uniform: t.map((n: number) => timeUniformBandWidth(n, alpha)),
    eps_fixed_dkw: t.map((n: number) => dkwBandWidth(n, alpha)),
  }),
  bootstrap_percentile: ({ x, y, idx_x, idx_y, conf_level }) => {
    // The vectors bootstrap median(y) - median(x).
    const r = percentileBootstrap(y, x, (a, b) => median(a) - median(b), {
      confLevel: conf_level,
      indices: { x: idx_y, y: idx_x },
    });
    return {
      replicates: Array.from(r.replicates),
      observed: r.observed,
      ci_lower_p5: r.interval[0],
      ci_upper_p95: r.interval[1],
    };
  },
};

function decode(value: Json): Json {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return value;
}

/** Every leaf of `expected` that differs from `got`, as "path: got vs expected". */
function mismatches(
  expected: Json,
  got: Json,
  tolerance: Case['tolerance'],
  path: string,
): string[] {
  const exp = decode(expected);
  if (Array.isArray(exp) || (exp !== null && typeof exp === 'object')) {
    if (got === null || typeof got !== 'object') {
      return [`${path}: missing (expected ${JSON.stringify(exp)})`];
    }
    return Object.keys(exp).flatMap(key =>
      mismatches(exp[key], got[key], tolerance, `${path}.${key}`),
    );
  }
  if (typeof exp === 'number') {
    const value = decode(got);
    if (typeof value !== 'number') return [`${path}: missing, expected ${exp}`];
    if (Number.isNaN(exp) ? Number.isNaN(value) : value === exp) return [];
    const ok =
      Math.abs(value - exp) <= tolerance.abs + tolerance.rel * Math.abs(exp);
    return ok ? [] : [`${path}: got ${value}, expected ${exp}`];
  }
  return got === exp ? [] : [`${path}: got ${got}, expected ${exp}`];
}

const cases = vectors.cases as Case[];

describe('reference vectors (scipy 1.10.1 / statsmodels 0.13.5)', () => {
  it('has the 53 cases of the shared file', () => {
    expect(cases).toHaveLength(vectors.meta.n_cases);
  });

  it.each(cases.map(c => [c.id, c] as const))('%s', (_id, c) => {
    const handler = handlers[c.kind];
    if (!handler) throw new Error(`no handler for kind ${c.kind}`);
    expect(
      mismatches(c.expected, handler(c.inputs), c.tolerance, c.id),
    ).toEqual([]);
  });
});
