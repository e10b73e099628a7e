export { LaunchFromCatalog } from './LaunchFromCatalog';
