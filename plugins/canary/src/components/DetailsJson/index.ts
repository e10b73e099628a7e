export { DetailsJson } from './DetailsJson';
