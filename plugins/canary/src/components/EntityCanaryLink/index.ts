export { EntityCanaryLink } from './EntityCanaryLink';
