/**
 * Types, permissions, annotations and statistics shared by the canary plugins. Isomorphic: no I/O,
 * no Node.js or browser APIs.
 *
 * @packageDocumentation
 */
export * from './model';
export * from './stats';
export * from './judge';
