export { RolloutControls } from './RolloutControls';
export { RolloutRowActions } from './RolloutRowActions';
export { useRolloutActions, type RolloutActions } from './useRolloutActions';
