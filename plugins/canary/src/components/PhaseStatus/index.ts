export { PhaseStatus, phaseLabel } from './PhaseStatus';
