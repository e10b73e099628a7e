export { DateTimeFilter, FilterBar } from './FilterBar';
