export { RolloutDashboard } from './RolloutDashboard';
