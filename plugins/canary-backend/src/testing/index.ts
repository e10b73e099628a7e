/**
 * Test utilities for the canary backend and its modules: an in-memory world behind the provider
 * interfaces, and what the tests start the backend with.
 *
 * @packageDocumentation
 */
export * from './memoryProviders';
export * from './memoryBackend';
