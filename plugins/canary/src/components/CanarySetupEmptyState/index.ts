export { CanarySetupEmptyState } from './CanarySetupEmptyState';
