export * from './types';
export { judgeLook, JUDGE_DEFAULTS } from './judge';
export { AnalysisInputError } from './validation';
export { analyze, ANALYSIS_LIMITS, parseAnalysisRequest } from './analyze';
export type {
  AnalysisMetric,
  AnalysisRequest,
  AnalysisMetricResult,
  AnalysisLookResult,
  AnalysisResponse,
} from './analyze';
export { planStage } from './planner';
export type { StagePlanInput, PlannedDecision, StagePlan } from './planner';
