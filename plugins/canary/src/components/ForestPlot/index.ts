export { ForestPlot } from './ForestPlot';
