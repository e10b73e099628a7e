import { InputError } from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type { KubeClient } from '../kube/KubeClient';
import {
  DEPLOYMENTS,
  Deployment,
  LabelSelector,
  PodTemplate,
  apiVersionOf,
} from '../kube/resources';
import { ARM_LABEL, Arm, SOURCE_ANNOTATION, armName } from '../names';
import { ENTITY_LABEL, markOfTarget } from '../ownership';
import { imageWithVersion } from './images';

/** `app.kubernetes.io/managed-by` of the Deployments this module creates. */
export const MANAGED_BY = 'backstage-canary-release';

/** How the canary (and baseline) are sized. */
export interface ScalingSettings {
  /** `proportional`: by the canary's weight; `off`: as many replicas as stable. */
  mode: 'proportional' | 'off';
  /** The smallest canary, at least 1. */
  minReplicas: number;
}

/** The replicas an arm runs for `weight` percent of the traffic. */
export function replicasFor(
  stableReplicas: number,
  weight: number,
  scaling: ScalingSettings,
): number {
  const wanted =
    scaling.mode === 'off'
      ? stableReplicas
      : Math.ceil((stableReplicas * weight) / 100);
  return Math.max(scaling.minReplicas, wanted);
}

/** `spec.replicas`, which the API server defaults to 1. */
export function replicasOf(deployment: Deployment): number {
  return deployment.spec.replicas ?? 1;
}

/**
 * True when the Deployment runs what its spec says, like `kubectl rollout status`: the
 * controller saw the latest spec (observedGeneration), every replica is updated and ready, and
 * no old replica is left.
 */
export function isRolledOut(deployment: Deployment): boolean {
  const wanted = replicasOf(deployment);
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  return (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    updated >= wanted &&
    (status.replicas ?? 0) <= updated &&
    (status.readyReplicas ?? 0) >= wanted
  );
}

/** The container whose image tag is the version: the named one, or the first. */
export function versionContainer(
  deployment: Deployment,
  containerName: string | undefined,
) {
  const containers = deployment.spec.template.spec.containers ?? [];
  const index =
    containerName === undefined
      ? 0
      : containers.findIndex(c => c.name === containerName);
  const container = containers[index];
  if (!container || typeof container.image !== 'string') {
    throw new InputError(
      `Deployment ${deployment.metadata.namespace}/${
        deployment.metadata.name
      } has no container ${
        containerName === undefined ? 'with an image' : `"${containerName}"`
      } (containers: ${
        containers.map(c => c.name).join(', ') || 'none'
      }); set canary.kubernetes.workload.container`,
    );
  }
  return { index, image: container.image };
}

function withArmLabel(
  labels: Record<string, string> | undefined,
  arm: Arm,
): Record<string, string> {
  return { ...labels, [ARM_LABEL]: arm };
}

/** The selector of an arm's Deployment: stable's, narrowed to the arm's pods. */
export function armSelector(stable: Deployment, arm: Arm): LabelSelector {
  const { selector } = stable.spec;
  return {
    ...selector,
    matchLabels: withArmLabel(selector.matchLabels, arm),
  };
}

/**
 * The pod template of an arm: stable's template with the arm's label and, in the version
 * container, the image tag set to `version`.
 */
export function armTemplate(
  stable: Deployment,
  arm: Arm,
  version: string,
  containerName: string | undefined,
): PodTemplate {
  const { index, image } = versionContainer(stable, containerName);
  const template = structuredClone(stable.spec.template);
  template.metadata = {
    ...template.metadata,
    labels: withArmLabel(template.metadata?.labels, arm),
  };
  template.spec.containers[index] = {
    ...template.spec.containers[index],
    image: imageWithVersion(image, version),
  };
  return template;
}

/**
 * A new Deployment for an arm, made from the stable Deployment, with the ownership mark of the
 * entity (`mark`).
 */
export function armDeployment(
  stable: Deployment,
  arm: Arm,
  version: string,
  replicas: number,
  options: { containerName: string | undefined; mark: string },
): Deployment {
  const { name, namespace } = stable.metadata;
  return {
    apiVersion: apiVersionOf(DEPLOYMENTS),
    kind: DEPLOYMENTS.kind,
    metadata: {
      name: armName(name!, arm),
      namespace,
      // Not stable's labels: a GitOps tool tracking them would prune what it did not create.
      labels: {
        [ARM_LABEL]: arm,
        [ENTITY_LABEL]: options.mark,
        'app.kubernetes.io/managed-by': MANAGED_BY,
      },
      annotations: { [SOURCE_ANNOTATION]: name! },
    },
    spec: {
      ...stable.spec,
      replicas,
      selector: armSelector(stable, arm),
      template: armTemplate(stable, arm, version, options.containerName),
    },
  };
}

/**
 * True when this module made the Deployment for `arm` of the entity whose ownership mark is
 * `mark` (it carries the arm's label and the mark).
 */
export function isManagedArm(
  deployment: Deployment,
  arm: Arm,
  mark: string,
): boolean {
  const labels = deployment.metadata.labels ?? {};
  return labels[ARM_LABEL] === arm && labels[ENTITY_LABEL] === mark;
}

/**
 * True when the workload's baseline Deployment (`<name>-baseline`, made by this module) has
 * replicas: a baseline destination in a route then gets traffic.
 */
export async function isBaselineRunning(
  client: KubeClient,
  target: RolloutTarget,
): Promise<boolean> {
  const baseline = await client.find<Deployment>(
    DEPLOYMENTS,
    target.namespace,
    armName(target.name, 'baseline'),
  );
  return (
    baseline !== undefined &&
    isManagedArm(baseline, 'baseline', markOfTarget(target)) &&
    replicasOf(baseline) > 0
  );
}
