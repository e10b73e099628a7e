import { ConflictError, InputError } from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type {
  DeployCanaryOptions,
  WorkloadController,
  WorkloadState,
} from '@canary-release/backstage-plugin-canary-node';
import type { KubeClients } from '../clusters/KubeClients';
import type { KubeClient } from '../kube/KubeClient';
import { diff, jsonEqual, pointer } from '../kube/jsonPatch';
import { readModifyWrite } from '../kube/readModifyWrite';
import { DEPLOYMENTS, Deployment } from '../kube/resources';
import { ARM_LABEL, Arm, armName } from '../names';
import { assertOwned, markOfTarget } from '../ownership';
import {
  ScalingSettings,
  armDeployment,
  armSelector,
  armTemplate,
  isManagedArm,
  isRolledOut,
  replicasFor,
  replicasOf,
  versionContainer,
} from './deployments';
import { assertVersion, imageWithVersion, versionOfImage } from './images';

/** The kind the controller is registered under (`canary.backstage.io/workload: kubernetes`). */
export const KUBERNETES_WORKLOAD_KIND = 'kubernetes';

/** Settings of the workload controller. */
export interface WorkloadSettings {
  /** The container whose image tag is the version; the first one when absent. */
  container?: string;
  scaling: ScalingSettings;
  /** Reads per write when a Deployment keeps changing (409 Conflict). */
  conflictAttempts: number;
}

/**
 * Runs a rollout's versions as Deployments. The stable Deployment is the entity's
 * (`backstage.io/kubernetes-id`); the canary is `<name>-canary` and the optional baseline
 * `<name>-baseline`, both made from the stable Deployment's spec with the version container's
 * image tag set to their version and the pod label `canary.backstage.io/arm` set to their arm.
 * They are sized through the `/scale` subresource in proportion to the canary's weight, and
 * scaled to zero (kept, so the next rollout starts from them) when the canary is removed. A
 * version is the image tag of the version container.
 *
 * Before any change, the stable Deployment must carry the entity's ownership mark (see
 * `ownership.ts`), and so must an existing canary or baseline Deployment; those it creates get it.
 */
export class KubernetesWorkloadController implements WorkloadController {
  constructor(
    private readonly clients: KubeClients,
    private readonly settings: WorkloadSettings,
  ) {}

  async checkTarget(target: RolloutTarget): Promise<void> {
    await this.ownedStable(this.clients.clientFor(target), target);
  }

  async getState(target: RolloutTarget): Promise<WorkloadState> {
    const client = this.clients.clientFor(target);
    const [stable, canary, baseline] = await Promise.all([
      client.get<Deployment>(DEPLOYMENTS, target.namespace, target.name),
      this.running(client, target, 'canary'),
      this.running(client, target, 'baseline'),
    ]);
    const state: WorkloadState = {
      stable: { version: this.versionOf(stable), ready: isRolledOut(stable) },
    };
    if (canary) {
      // The canary takes more traffic only once the baseline it is compared with is ready too.
      state.canary = {
        version: this.versionOf(canary),
        ready: isRolledOut(canary) && (!baseline || isRolledOut(baseline)),
      };
    }
    return state;
  }

  async deployCanary(
    target: RolloutTarget,
    version: string,
    weight: number,
    options?: DeployCanaryOptions,
  ): Promise<void> {
    assertVersion(version);
    if (options?.baselineVersion !== undefined) {
      assertVersion(options.baselineVersion);
    }
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new InputError(
        `Invalid canary weight ${weight}: expected an integer 0-100`,
      );
    }
    const client = this.clients.clientFor(target);
    const stable = await this.ownedStable(client, target);
    const replicas = replicasFor(
      replicasOf(stable),
      weight,
      this.settings.scaling,
    );
    await this.ensureArm(client, target, stable, 'canary', version, replicas);
    if (options?.baselineVersion !== undefined) {
      await this.ensureArm(
        client,
        target,
        stable,
        'baseline',
        options.baselineVersion,
        replicas,
      );
    }
  }

  async removeCanary(target: RolloutTarget): Promise<void> {
    const client = this.clients.clientFor(target);
    await this.ownedStable(client, target);
    for (const arm of ['canary', 'baseline'] as const) {
      const deployment = await this.running(client, target, arm);
      if (deployment) {
        await client.scale(
          DEPLOYMENTS,
          target.namespace,
          armName(target.name, arm),
          0,
        );
      }
    }
  }

  async setStableVersion(
    target: RolloutTarget,
    version: string,
  ): Promise<void> {
    assertVersion(version);
    const client = this.clients.clientFor(target);
    await readModifyWrite<Deployment>({
      attempts: this.settings.conflictAttempts,
      read: () =>
        client.get<Deployment>(DEPLOYMENTS, target.namespace, target.name),
      plan: stable => {
        assertOwned(stable, DEPLOYMENTS, target);
        const { index, image } = versionContainer(
          stable,
          this.settings.container,
        );
        if (versionOfImage(image) === version) return [];
        return [
          {
            op: 'replace',
            path: pointer('/spec/template/spec/containers', index, 'image'),
            value: imageWithVersion(image, version),
          },
        ];
      },
      write: operations =>
        client.patch<Deployment>(
          DEPLOYMENTS,
          target.namespace,
          target.name,
          operations,
        ),
    });
  }

  private versionOf(deployment: Deployment) {
    return versionOfImage(
      versionContainer(deployment, this.settings.container).image,
    );
  }

  /** The stable Deployment; a refusal when it lacks the entity's ownership mark. */
  private async ownedStable(
    client: KubeClient,
    target: RolloutTarget,
  ): Promise<Deployment> {
    const stable = await client.get<Deployment>(
      DEPLOYMENTS,
      target.namespace,
      target.name,
    );
    assertOwned(stable, DEPLOYMENTS, target);
    return stable;
  }

  /** The arm's Deployment when this module made it for the entity and it has replicas. */
  private async running(
    client: KubeClient,
    target: RolloutTarget,
    arm: Arm,
  ): Promise<Deployment | undefined> {
    const deployment = await client.find<Deployment>(
      DEPLOYMENTS,
      target.namespace,
      armName(target.name, arm),
    );
    return deployment &&
      isManagedArm(deployment, arm, markOfTarget(target)) &&
      replicasOf(deployment) > 0
      ? deployment
      : undefined;
  }

  /**
   * Makes the arm's Deployment run `version` with `replicas`: creates it from the stable
   * Deployment, or brings its pod template in line with stable's (plus the version) and scales
   * it. Writes nothing when it is already so.
   */
  private async ensureArm(
    client: KubeClient,
    target: RolloutTarget,
    stable: Deployment,
    arm: Arm,
    version: string,
    replicas: number,
  ): Promise<void> {
    const namespace = stable.metadata.namespace!;
    const name = armName(stable.metadata.name!, arm);
    const { container, conflictAttempts } = this.settings;
    if (!(await client.find<Deployment>(DEPLOYMENTS, namespace, name))) {
      try {
        await client.create(
          DEPLOYMENTS,
          namespace,
          armDeployment(stable, arm, version, replicas, {
            containerName: container,
            mark: markOfTarget(target),
          }),
        );
        return;
      } catch (error) {
        // Created meanwhile (a retried request, another replica): bring it in line below.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const current = await readModifyWrite<Deployment>({
      attempts: conflictAttempts,
      read: () => client.get<Deployment>(DEPLOYMENTS, namespace, name),
      plan: existing => {
        if (existing.metadata.labels?.[ARM_LABEL] !== arm) {
          throw new ConflictError(
            `Deployment ${namespace}/${name} exists but was not made by the canary module (it lacks the label ${ARM_LABEL}=${arm}); rename or delete it`,
          );
        }
        assertOwned(existing, DEPLOYMENTS, target);
        if (!jsonEqual(existing.spec.selector, armSelector(stable, arm))) {
          throw new ConflictError(
            `Deployment ${namespace}/${name} selects other pods than the stable Deployment's ${arm} would, and a selector cannot change: delete it and the canary module creates it again`,
          );
        }
        return diff(
          existing.spec.template,
          armTemplate(stable, arm, version, container),
          '/spec/template',
        );
      },
      write: operations =>
        client.patch<Deployment>(DEPLOYMENTS, namespace, name, operations),
    });
    if (replicasOf(current) !== replicas) {
      await client.scale(DEPLOYMENTS, namespace, name, replicas);
    }
  }
}
