export { RolloutMessage } from './RolloutMessage';
