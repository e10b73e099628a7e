import { parseEntityRef } from '@backstage/catalog-model';
import { Link } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { ENTITY_TAB_PATH } from '../../routes';

/**
 * A link to the Canary tab of an entity, showing the entity's name; with `rolloutId`, the tab
 * opens on that rollout.
 */
export const EntityCanaryLink = ({
  entityRef,
  rolloutId,
  children,
}: {
  entityRef: string;
  rolloutId?: string;
  children?: React.ReactNode;
}) => {
  const entityRoute = useRouteRef(entityRouteRef);
  const query = rolloutId ? `?rollout=${encodeURIComponent(rolloutId)}` : '';
  return (
    <Link
      to={`${entityRoute(
        entityRouteParams(entityRef),
      )}${ENTITY_TAB_PATH}${query}`}
      title={entityRef}
    >
      {children ?? parseEntityRef(entityRef).name}
    </Link>
  );
};
