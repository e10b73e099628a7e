import { mockServices } from '@backstage/backend-test-utils';
import { startBackend } from '../__testUtils__/testBackend';
import { readAuditKey } from './auditSetup';

/** Which secret keys the audit chain, and when the backend refuses to start. */

const config = (secret?: string) =>
  mockServices.rootConfig({
    data: secret === undefined ? {} : { canary: { audit: { secret } } },
  });
const SECRET = 'x'.repeat(32);

describe('readAuditKey', () => {
  it('refuses production without a secret of its own', () => {
    expect(() => readAuditKey(config(), 'production')).toThrow(
      'canary.audit.secret is not set',
    );
    const development = readAuditKey(config(), 'development');
    expect(development.development).toBe(true);
    // The development key, written into the configuration, is still refused in production.
    expect(() =>
      readAuditKey(
        config(
          'development-only: public key of the canary audit chain; set canary.audit.secret',
        ),
        'production',
      ),
    ).toThrow('canary.audit.secret is not set');
  });

  it('refuses a short secret anywhere, and keys with a configured one', () => {
    expect(() => readAuditKey(config('too short'), 'development')).toThrow(
      'canary.audit.secret must be at least 32 characters long, not 9',
    );
    const configured = readAuditKey(config(SECRET), 'production');
    expect(configured.development).toBe(false);
    const row = {
      rollout_id: 'r',
      entity_ref: 'e',
      at: 'a',
      actor: 'x',
      action: 'launch',
      phase_before: null,
      phase_after: 'Pending',
      stage_index: 0,
      weights_before: null,
      weights_after: '{}',
      reason: '',
      details: '{}',
    };
    expect(configured.key.eventMac(1, '', row)).not.toBe(
      readAuditKey(config(), 'test').key.eventMac(1, '', row),
    );
  });

  it('stops the plugin from starting with a secret it refuses', async () => {
    await expect(
      startBackend({ config: { canary: { audit: { secret: 'short' } } } }),
    ).rejects.toThrow('canary.audit.secret must be at least 32 characters');
  });
});
