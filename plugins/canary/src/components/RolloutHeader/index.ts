export { RolloutHeader } from './RolloutHeader';
