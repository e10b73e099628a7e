/**
 * The Kubernetes backend module for the canary plugin: Istio and Gateway API traffic routers and
 * a Deployment workload controller.
 *
 * @packageDocumentation
 */

export { canaryModuleKubernetes as default } from './module';
