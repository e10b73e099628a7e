import type { KubernetesClientModule } from './KubeClient';

/**
 * Loads `@kubernetes/client-node`, which is ESM-only, the way Backstage's Kubernetes backend does:
 * with a dynamic `import()` from this CommonJS code. (Tests, which run without Node's VM-module
 * support, swap this function for a `require` of the package; see `setupTests.ts`.)
 */
export async function loadKubernetesClient(): Promise<KubernetesClientModule> {
  return import('@kubernetes/client-node');
}
