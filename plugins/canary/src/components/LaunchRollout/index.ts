export { LaunchRolloutButton } from './LaunchRolloutButton';
