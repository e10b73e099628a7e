export { VerdictStatus, summarizeVerdicts } from './VerdictStatus';
