import { canaryApiRef } from './api';
import { canaryPlugin, CanaryPage, EntityCanaryContent } from './plugin';

describe('canary plugin (legacy frontend system)', () => {
  it('provides the canary API, the page and the entity tab', () => {
    expect(canaryPlugin.getId()).toBe('canary');
    expect([...canaryPlugin.getApis()].map(f => f.api.id)).toEqual([
      canaryApiRef.id,
    ]);
    expect(EntityCanaryContent).toBeDefined();
    expect(CanaryPage).toBeDefined();
    expect(canaryPlugin.routes.root).toBeDefined();
  });
});
