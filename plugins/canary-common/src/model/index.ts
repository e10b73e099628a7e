export * from './phases';
export * from './rollout';
export * from './annotations';
export * from './permissions';
export * from './samples';
export * from './signals';
