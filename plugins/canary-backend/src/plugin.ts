import {
  coreServices,
  createBackendPlugin,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { canaryPermissions } from '@canary-release/backstage-plugin-canary-common';
import { canaryProvidersExtensionPoint } from '@canary-release/backstage-plugin-canary-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { Analyzer, readAnalyzerSettings } from './analyze/Analyzer';
import { createRouter } from './api/router';
import { parse } from './api/schemas';
import { OutboxDispatcher } from './hooks/OutboxDispatcher';
import { readHookSettings } from './hooks/settings';
import { ProviderRegistry } from './service/providers';
import { RolloutService } from './service/RolloutService';
import {
  announceAuditStart,
  checkpointAudit,
  readAuditKey,
} from './store/auditSetup';
import { RolloutStore } from './store/RolloutStore';
import { checkConfiguredStrategies, policySchema } from './strategy/policy';
import {
  BUILT_IN_STRATEGY,
  parseDuration,
  resolveStrategy,
  strategyInputSchema,
} from './strategy/strategy';

/** How often the engine looks at active rollouts unless `canary.engine.tickInterval` says. */
const DEFAULT_TICK_INTERVAL = '5s';
/** A tick's timeout in tick intervals unless `canary.engine.tickTimeout` says. */
const DEFAULT_TICK_TIMEOUT_INTERVALS = 6;
/** How long measurements and verdicts are kept unless `canary.retention.measurements` says. */
const DEFAULT_MEASUREMENT_RETENTION = '30d';
/** How often the audit chain's head goes to the auditor unless `canary.audit.checkpointInterval` says. */
const DEFAULT_AUDIT_CHECKPOINT_INTERVAL = '10m';

/**
 * The canary backend plugin: the engine (a scheduled tick), its store and the `/api/canary` routes.
 *
 * @public
 */
export const canaryPlugin = createBackendPlugin({
  pluginId: 'canary',
  register(env) {
    const providers = new ProviderRegistry();
    env.registerExtensionPoint(canaryProvidersExtensionPoint, providers);

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init(deps) {
        const { config, logger, scheduler, httpRouter } = deps;
        const defaults = resolveStrategy(
          BUILT_IN_STRATEGY,
          parse(
            strategyInputSchema,
            config.getOptional('canary.defaults') ?? {},
            'canary.defaults in app-config',
          ),
        );
        const presetsConfig = config.getOptionalConfig('canary.presets');
        const presets = Object.fromEntries(
          (presetsConfig?.keys() ?? []).map(name => [
            name,
            resolveStrategy(
              defaults,
              parse(
                strategyInputSchema,
                presetsConfig!.get(name),
                `canary.presets.${name} in app-config`,
              ),
            ),
          ]),
        );
        // Platform config is trusted, but must be coherent: its strategies meet its own floors.
        const policy = parse(
          policySchema,
          config.getOptional('canary.policy') ?? {},
          'canary.policy in app-config',
        );
        checkConfiguredStrategies(policy, {
          'canary.defaults': defaults,
          ...Object.fromEntries(
            Object.entries(presets).map(([name, preset]) => [
              `canary.presets.${name}`,
              preset,
            ]),
          ),
        });
        const tickMs = readDuration(
          config,
          'canary.engine.tickInterval',
          DEFAULT_TICK_INTERVAL,
        );
        const tickTimeoutMs = readDuration(
          config,
          'canary.engine.tickTimeout',
          `${tickMs * DEFAULT_TICK_TIMEOUT_INTERVALS}ms`,
        );
        const retentionMs = readDuration(
          config,
          'canary.retention.measurements',
          DEFAULT_MEASUREMENT_RETENTION,
        );

        deps.permissionsRegistry.addPermissions(canaryPermissions);
        const audit = readAuditKey(config);
        const checkpointMs = readDuration(
          config,
          'canary.audit.checkpointInterval',
          DEFAULT_AUDIT_CHECKPOINT_INTERVAL,
        );
        if (checkpointMs <= 0) {
          throw new Error(
            'canary.audit.checkpointInterval must be longer than 0',
          );
        }
        if (audit.development) {
          logger.warn(
            'canary.audit.secret is not set: the audit trail is keyed with the public development key, so it is not tamper-evident (production refuses to start like this)',
          );
        }
        const store = await RolloutStore.create(deps.database, audit.key);
        if (store.auditStarted) {
          await announceAuditStart(store.auditStarted, deps.auditor, logger);
        }
        const service = new RolloutService({
          store,
          providers,
          catalog: deps.catalog,
          auditor: deps.auditor,
          logger,
          defaults,
          presets,
          policy,
          hooks: readHookSettings(config),
          tickConcurrency: readTickConcurrency(config),
          signals: deps.signals,
        });
        const dispatcher = new OutboxDispatcher({
          store,
          notifications: deps.notifications,
          logger,
        });

        // Global scope: one replica runs a tick at a time, coordinated through the database. A
        // replica killed mid-tick keeps that lock until the timeout has passed and a scheduler
        // janitor (once a minute in every replica) frees it, so the timeout is kept short.
        await scheduler.scheduleTask({
          id: 'canary-engine-tick',
          scope: 'global',
          frequency: { milliseconds: tickMs },
          timeout: { milliseconds: tickTimeoutMs },
          fn: signal => service.tickAll(signal),
        });

        // Notifications and webhooks owed by saved changes. Each row is claimed on its own, so
        // the lock only spares replicas idle passes: a short timeout lets another replica take
        // over soon after one dies, and a pass that outlives it delivers nothing twice.
        await scheduler.scheduleTask({
          id: 'canary-outbox-dispatch',
          scope: 'global',
          frequency: { seconds: 2 },
          timeout: { minutes: 1 },
          fn: () => dispatcher.dispatch(),
        });

        // The chain's head, outside the database: removing or resealing events up to a sent head
        // shows against the auditor's log.
        await scheduler.scheduleTask({
          id: 'canary-audit-checkpoint',
          scope: 'global',
          frequency: { milliseconds: checkpointMs },
          timeout: { minutes: 1 },
          fn: async () => {
            await checkpointAudit(store.audit, deps.auditor, new Date());
          },
        });

        // A zero retention keeps measurements forever. The audit trail is never pruned.
        if (retentionMs > 0) {
          await scheduler.scheduleTask({
            id: 'canary-measurement-retention',
            scope: 'global',
            frequency: { hours: 1 },
            timeout: { minutes: 15 },
            fn: async () => {
              const before = new Date(Date.now() - retentionMs).toISOString();
              const pruned = await store.pruneMeasurements(before);
              logger.info(
                `Pruned ${pruned.measurements} measurements and ${pruned.verdicts} verdicts taken before ${before}`,
              );
            },
          });
        }

        const analyzer = new Analyzer(readAnalyzerSettings(config));
        deps.lifecycle.addShutdownHook(() => analyzer.close());

        httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            service,
            store,
            analyzer,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});

/** `canary.engine.tickConcurrency`: a whole number of at least 1, or absent for the default. */
function readTickConcurrency(config: RootConfigService): number | undefined {
  const key = 'canary.engine.tickConcurrency';
  const value = config.getOptionalNumber(key);
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new Error(
      `${key} must be a whole number of at least 1, not ${value}`,
    );
  }
  return value;
}

/** A `30s`-style duration from config, in milliseconds; startup fails on anything else. */
function readDuration(
  config: RootConfigService,
  key: string,
  fallback: string,
): number {
  const text = config.getOptionalString(key) ?? fallback;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new Error(
      `${key} "${text}" is not a duration, e.g. 30s, 5m, 2h, 30d`,
    );
  }
  return ms;
}
