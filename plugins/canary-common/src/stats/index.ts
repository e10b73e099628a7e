/**
 * Statistics for canary verdicts: distributions, classical tests for display, anytime-valid tests
 * for decisions. Pure functions, no I/O. Formulas and references: STATISTICS.md of the project.
 */
export { StatisticsInputError } from './errors';
export {
  normalCdf,
  normalSf,
  normalLogCdf,
  normalLogSf,
  normalPpf,
  normalIsf,
  logGamma,
} from './normal';
export {
  twoProportionZTest,
  wilsonInterval,
  newcombeInterval,
  twoProportionNonInferiorityTest,
  cohensH,
  twoProportionPower,
  twoProportionSampleSize,
} from './proportions';
export type {
  ProportionAlternative,
  ZTestResult,
  SampleSizeOptions,
} from './proportions';
export {
  mannWhitneyU,
  mannWhitneyNullDistribution,
  MANN_WHITNEY_AUTO_EXACT_MAX_PAIRS,
  MANN_WHITNEY_EXACT_MAX_PAIRS,
} from './mannWhitney';
export type {
  RankAlternative,
  MannWhitneyOptions,
  MannWhitneyResult,
} from './mannWhitney';
export {
  hodgesLehmann,
  wilcoxonShiftInterval,
  kayentaMannWhitney,
} from './wilcoxonShift';
export type {
  ShiftEstimate,
  HodgesLehmannResult,
  WilcoxonShiftOptions,
  WilcoxonShiftResult,
  KayentaMannWhitneyResult,
} from './wilcoxonShift';
export {
  createSeededRandom,
  quantile,
  median,
  percentileBootstrap,
} from './bootstrap';
export type {
  RandomSource,
  BootstrapOptions,
  BootstrapResult,
} from './bootstrap';
export {
  msprtLogLikelihoodRatio,
  msprtOneSidedLogLikelihoodRatio,
  msprtHalfWidth,
  msprtTau2ForSampleSize,
  msprtTau2ForMargin,
  msprtPairedLikelihoodRatio,
  bernoulliDifference,
  gaussianDifference,
  msprtStep,
  msprtSequence,
} from './msprt';
export type {
  DifferenceEstimate,
  MsprtState,
  MsprtOptions,
  MsprtLook,
} from './msprt';
export {
  dirichletMultinomialLogBayesFactor,
  dirichletMultinomialStep,
  sampleRatioMismatchStep,
  poissonRateRatio,
} from './countTest';
export type {
  SequentialTestState,
  CountTestLook,
  SampleRatioOptions,
  SampleRatioLook,
  EventCounts,
  RateRatioOptions,
  RateRatioLook,
} from './countTest';
export {
  timeUniformBandWidth,
  dkwBandWidth,
  quantileBounds,
  quantileConfidenceBand,
  distributionSize,
} from './quantileBands';
export type {
  DistributionSample,
  QuantileBound,
  QuantileBandResult,
} from './quantileBands';
