/***/
/**
 * The demo backend module for the canary plugin.
 *
 * @packageDocumentation
 */

export { canaryModuleDemo as default } from './module';
