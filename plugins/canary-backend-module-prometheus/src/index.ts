/**
 * The Prometheus metrics provider of the canary plugin: a backend module that registers metrics
 * providers of kind `prometheus` (and `prometheus:<query set>`), configured under
 * `canary.prometheus`.
 *
 * @packageDocumentation
 */

export { canaryModulePrometheus as default } from './module';
