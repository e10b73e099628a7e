import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  CANARY_ANNOTATIONS,
  isCanaryAvailable,
} from '@canary-release/backstage-plugin-canary-common';
import { CanarySetupEmptyState } from '../CanarySetupEmptyState';
import { RolloutDashboard } from '../RolloutDashboard';

/** The Canary tab of an entity page: its rollouts, or setup instructions without annotations. */
export const CanaryContent = () => {
  const { entity } = useEntity();
  if (!isCanaryAvailable(entity)) {
    return <CanarySetupEmptyState entity={entity} />;
  }
  return (
    <RolloutDashboard
      entityRef={stringifyEntityRef(entity)}
      entityPreset={entity.metadata.annotations?.[CANARY_ANNOTATIONS.preset]}
    />
  );
};
