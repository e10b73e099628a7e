export { TrafficSplitBar } from './TrafficSplitBar';
