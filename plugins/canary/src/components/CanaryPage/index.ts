export { CanaryPage } from './CanaryPage';
