import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { CodeSnippet, EmptyState } from '@backstage/core-components';
import type { Entity } from '@backstage/catalog-model';
import {
  CANARY_ANNOTATIONS,
  KUBERNETES_ANNOTATIONS,
} from '@canary-release/backstage-plugin-canary-common';

/** The annotations to paste into `catalog-info.yaml`, with the entity's own values filled in. */
export function setupYaml(entity: Entity): string {
  const annotations = entity.metadata.annotations ?? {};
  const value = (key: string, fallback: string) => annotations[key] ?? fallback;
  return [
    'metadata:',
    '  annotations:',
    '    # The traffic router that shifts traffic: istio, gateway-api or demo',
    `    ${CANARY_ANNOTATIONS.router}: ${value(
      CANARY_ANNOTATIONS.router,
      'istio',
    )}`,
    '    # The workload (Deployment) to roll out, and where it runs',
    `    ${KUBERNETES_ANNOTATIONS.id}: ${value(
      KUBERNETES_ANNOTATIONS.id,
      entity.metadata.name,
    )}`,
    `    ${KUBERNETES_ANNOTATIONS.namespace}: ${value(
      KUBERNETES_ANNOTATIONS.namespace,
      entity.metadata.namespace ?? 'default',
    )}`,
    `    # ${KUBERNETES_ANNOTATIONS.cluster}: my-cluster`,
    '    # Optional: the VirtualService or HTTPRoute (defaults to the workload name)',
    `    # ${CANARY_ANNOTATIONS.routerObject}: ${entity.metadata.name}`,
    '    # Optional: the metrics provider (defaults to prometheus)',
    `    # ${CANARY_ANNOTATIONS.metrics}: prometheus`,
    '    # Optional: the workload controller (defaults to kubernetes)',
    `    # ${CANARY_ANNOTATIONS.workload}: kubernetes`,
  ].join('\n');
}

/** Shown on entities without the annotations a rollout needs: what to add, ready to copy. */
export const CanarySetupEmptyState = ({ entity }: { entity: Entity }) => (
  <EmptyState
    missing="field"
    title="Canary releases are not set up for this entity"
    description={
      <>
        A rollout needs to know which workload to deploy and which router shifts
        its traffic. Add the annotations{' '}
        <code>{CANARY_ANNOTATIONS.router}</code> and{' '}
        <code>{KUBERNETES_ANNOTATIONS.id}</code> to the entity's{' '}
        <code>catalog-info.yaml</code>.
      </>
    }
    action={
      <Box maxWidth={720}>
        <Typography variant="body1">
          Add this to <code>catalog-info.yaml</code> and adjust the values:
        </Typography>
        <CodeSnippet
          text={setupYaml(entity)}
          language="yaml"
          showCopyCodeButton
        />
      </Box>
    }
  />
);
