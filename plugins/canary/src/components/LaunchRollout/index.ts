export { LaunchRolloutButton } from './LaunchRolloutButton';
export { LaunchDialog } from './LaunchDialog';
export { servingVersion, useLaunchBlocker } from './useLaunchBlocker';
