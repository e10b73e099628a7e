// Jest runs without --experimental-vm-modules, so a native dynamic import() of the ESM-only
// @kubernetes/client-node fails in tests; Jest's own require transpiles the package instead.
jest.mock('./kube/loadClient', () => ({
  loadKubernetesClient: async () => require('@kubernetes/client-node'),
}));
