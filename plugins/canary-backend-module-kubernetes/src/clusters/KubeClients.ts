import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type { KubeClient } from '../kube/KubeClient';

/** Hands out the client of the cluster a rollout target names. */
export interface KubeClients {
  /** The client of `target.cluster`, or of the default cluster when the target names none. */
  clientFor(target: RolloutTarget): KubeClient;
}
