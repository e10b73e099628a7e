import { canaryApiRef } from './api';
import { canaryPlugin, EntityCanaryContent } from './plugin';

describe('canary plugin (legacy frontend system)', () => {
  it('provides the canary API and the entity tab', () => {
    expect(canaryPlugin.getId()).toBe('canary');
    expect([...canaryPlugin.getApis()].map(f => f.api.id)).toEqual([
      canaryApiRef.id,
    ]);
    expect(EntityCanaryContent).toBeDefined();
  });
});
