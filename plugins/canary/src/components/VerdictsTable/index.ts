export { VerdictsTable } from './VerdictsTable';
