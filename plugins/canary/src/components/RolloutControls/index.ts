export { RolloutControls } from './RolloutControls';
