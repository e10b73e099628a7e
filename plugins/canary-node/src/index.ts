/**
 * Node.js library for the canary plugin: the interfaces a backend module implements to add a
 * traffic router, a metrics provider or a workload controller, and the extension point to add them.
 *
 * @packageDocumentation
 */
export * from './providers';
export * from './extensions';
export * from './refusals';
