import type {
  RolloutTarget,
  Weights,
} from '@canary-release/backstage-plugin-canary-common';
import type { TrafficRouter } from '@canary-release/backstage-plugin-canary-node';
import type { KubeClients } from '../clusters/KubeClients';
import type { JsonPatchOperation } from '../kube/jsonPatch';
import { readModifyWrite } from '../kube/readModifyWrite';
import type { KubeObject, ResourceType } from '../kube/resources';
import { assertOwned } from '../ownership';
import { isBaselineRunning } from '../workload/deployments';
import { RoutingSettings, assertWeights } from './routing';

/** What a router needs to place the weights in its kind of routing object. */
export interface WeightPlan {
  /** The workload's name (`backstage.io/kubernetes-id`): destinations are named after it. */
  name: string;
  weights: Weights;
  /** The baseline Deployment has pods: a baseline destination, if the route has one, gets traffic. */
  baselineRunning: boolean;
  routing: RoutingSettings;
}

/**
 * A TrafficRouter that keeps the weights in one routing object (a VirtualService, an HTTPRoute):
 * it reads the object, works out the patch that puts the weights (and the request-based routes)
 * in place, writes it on condition that the object did not change meanwhile (409: again from a
 * fresh read), then reads the object back and verifies it, like Argo Rollouts' VerifyWeight.
 * It changes only an object that carries the entity's ownership mark (see `ownership.ts`).
 * Subclasses know the object's layout.
 */
export abstract class RouteTrafficRouter<T extends KubeObject>
  implements TrafficRouter
{
  constructor(
    protected readonly clients: KubeClients,
    private readonly options: {
      routing: RoutingSettings;
      /** Reads per write when the object keeps changing (409 Conflict). */
      conflictAttempts: number;
    },
  ) {}

  /** The routing object's resource type. */
  protected abstract readonly type: ResourceType;

  /** The weights the object routes now; an InputError when it has no route to both arms. */
  protected abstract readWeights(object: T, name: string): Weights;

  /** The operations that bring the object to `plan`; none when it is there already. */
  protected abstract planPatch(
    object: T,
    plan: WeightPlan,
  ): JsonPatchOperation[];

  /** The object's name: `canary.backstage.io/router-object`, else the workload's name. */
  protected objectName(target: RolloutTarget) {
    return target.routerObject ?? target.name;
  }

  async checkTarget(target: RolloutTarget): Promise<void> {
    const client = this.clients.clientFor(target);
    const object = await client.get<T>(
      this.type,
      target.namespace,
      this.objectName(target),
    );
    assertOwned(object, this.type, target);
  }

  async getWeights(target: RolloutTarget): Promise<Weights> {
    const client = this.clients.clientFor(target);
    const object = await client.get<T>(
      this.type,
      target.namespace,
      this.objectName(target),
    );
    return this.readWeights(object, target.name);
  }

  async setWeights(target: RolloutTarget, weights: Weights): Promise<void> {
    assertWeights(weights);
    const client = this.clients.clientFor(target);
    const { namespace } = target;
    const name = this.objectName(target);
    const plan: WeightPlan = {
      name: target.name,
      weights,
      baselineRunning: await isBaselineRunning(client, target),
      routing: this.options.routing,
    };
    await readModifyWrite<T>({
      attempts: this.options.conflictAttempts,
      read: () => client.get<T>(this.type, namespace, name),
      plan: current => {
        assertOwned(current, this.type, target);
        return this.planPatch(current, plan);
      },
      write: operations =>
        client.patch<T>(this.type, namespace, name, operations),
    });

    const stored = await client.get<T>(this.type, namespace, name);
    const read = this.readWeights(stored, target.name);
    const pending = this.planPatch(stored, plan);
    if (
      read.stable !== weights.stable ||
      read.canary !== weights.canary ||
      pending.length > 0
    ) {
      throw new Error(
        `The weights of ${
          this.type.kind
        } ${namespace}/${name} in Kubernetes cluster "${
          client.cluster
        }" did not verify after the write: wanted ${weights.stable}/${
          weights.canary
        } (stable/canary), read back ${read.stable}/${read.canary}${
          pending.length > 0
            ? `; still differing at ${pending.map(op => op.path).join(', ')}`
            : ''
        }`,
      );
    }
  }
}
