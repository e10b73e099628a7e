import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  DEFAULT_NAMESPACE,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError, isError } from '@backstage/errors';
import {
  CANARY_ANNOTATIONS,
  Rollout,
  Strategy,
  allowedActions,
  emptyArmSample,
  isFinalPhase,
  rolloutSignalChannel,
  type RolloutSignal,
} from '@canary-release/backstage-plugin-canary-common';
import { isTargetRefusedError } from '@canary-release/backstage-plugin-canary-node';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { decide, recordActionOutcome } from '../engine/decide';
import type { ActionsOutcome, ProviderOutcome } from '../engine/faults';
import type {
  Action,
  ActualState,
  AuditEventDraft,
  Command,
  Decision,
  GateAnswer,
  GateRequest,
  Look,
  Observations,
  RolloutRecord,
} from '../engine/types';
import { outboxEntriesFor } from '../hooks/outbox';
import type { HookSettings } from '../hooks/settings';
import {
  callWebhook,
  checkLaunchWebhooks,
  idempotencyKey,
  publicStrategy,
  webhookPayload,
} from '../hooks/webhooks';
import { RolloutStore, StaleRevisionError } from '../store/RolloutStore';
import { checkApprover, launchStrategy, Policy } from '../strategy/policy';
import { StrategyInput } from '../strategy/strategy';
import { targetOfEntity } from './entityTarget';
import { ProviderRegistry, TargetProviders } from './providers';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { SignalsService } from '@backstage/plugin-signals-node';

/** A launch request, validated. */
export interface LaunchRequest {
  entityRef: string;
  canaryVersion: string;
  stableVersion?: string;
  /** A key of `canary.presets`; else the entity's preset annotation; else the defaults. */
  preset?: string;
  strategy?: StrategyInput;
  reason?: string;
}

/** How many times a manual action is retried when a tick saved the rollout in between. */
const ACTION_ATTEMPTS = 3;

/** Rollouts ticked at once unless `canary.engine.tickConcurrency` says. */
export const DEFAULT_TICK_CONCURRENCY = 20;

/** The API form of a stored rollout: adds what the phase allows, hides webhook URLs. */
export function toApi(rollout: RolloutRecord): Rollout {
  const isLastStage = rollout.stageIndex >= rollout.strategy.stages.length - 1;
  return {
    ...rollout,
    strategy: publicStrategy(rollout.strategy),
    allowedActions: allowedActions(rollout.phase, isLastStage),
  };
}

/**
 * Runs rollouts: launches them, applies users' actions and engine ticks, each the same way:
 * load, observe, `decide`, save with a revision check, then act on the world.
 */
export class RolloutService {
  constructor(
    private readonly deps: {
      store: RolloutStore;
      providers: ProviderRegistry;
      catalog: CatalogService;
      auditor: AuditorService;
      logger: LoggerService;
      defaults: Strategy;
      presets: Record<string, Strategy>;
      /** `canary.policy`: the floors under launches, and who may approve. */
      policy: Policy;
      hooks: HookSettings;
      /** Tells open Canary tabs that a rollout changed; they poll without it. */
      signals?: SignalsService;
      /** Rollouts ticked at once by `tickAll`; default DEFAULT_TICK_CONCURRENCY. */
      tickConcurrency?: number;
      clock?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.clock ? this.deps.clock() : new Date();
  }

  async launch(
    request: LaunchRequest,
    actor: string,
    credentials: BackstageCredentials,
  ): Promise<Rollout> {
    const entity = await this.deps.catalog.getEntityByRef(request.entityRef, {
      credentials,
    });
    if (!entity) {
      throw new NotFoundError(
        `Entity ${request.entityRef} is not in the catalog`,
      );
    }
    const target = targetOfEntity(entity);
    const base = this.baseStrategy(
      request.preset ??
        entity.metadata.annotations?.[CANARY_ANNOTATIONS.preset],
    );
    const strategy = launchStrategy(this.deps.policy, base, request.strategy);
    checkLaunchWebhooks(
      request.strategy,
      base,
      this.deps.hooks.allowedUrlPrefixes,
    );
    const providers = await this.deps.providers.forTarget(target);
    const stableVersion =
      request.stableVersion ??
      (await providers.workload.getState(target)).stable.version;
    if (request.canaryVersion === stableVersion) {
      throw new InputError(
        `${request.canaryVersion} is already the stable version of ${request.entityRef}; a canary needs another version`,
      );
    }
    const now = this.now().toISOString();
    const rollout: RolloutRecord = {
      id: randomUUID(),
      entityRef: stringifyEntityRef(entity),
      owner: specRef(entity, 'owner', 'group'),
      system: specRef(entity, 'system', 'system'),
      target,
      stableVersion,
      canaryVersion: request.canaryVersion,
      strategy,
      phase: 'Pending',
      stageIndex: -1,
      weights: { stable: 100, canary: 0 },
      message: `Launched by ${actor}; waiting for the engine`,
      analysis: {
        consecutiveNoData: 0,
        stageTotals: { baseline: emptyArmSample(), canary: emptyArmSample() },
        latestVerdicts: [],
      },
      createdBy: actor,
      reason: request.reason,
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
    const event: AuditEventDraft = {
      rolloutId: rollout.id,
      entityRef: rollout.entityRef,
      at: now,
      actor,
      action: 'launch',
      phaseAfter: 'Pending',
      stageIndex: -1,
      weightsAfter: rollout.weights,
      reason: request.reason ?? `Launch ${request.canaryVersion}`,
      details: {
        stableVersion,
        canaryVersion: request.canaryVersion,
        strategy: publicStrategy(rollout.strategy),
      },
    };
    await this.deps.store.insert(rollout, [event]);
    await this.announce(rollout, [event]);
    return toApi(rollout);
  }

  /** The defaults and the named presets, resolved, webhook URLs hidden. */
  strategies(): { defaults: Strategy; presets: Record<string, Strategy> } {
    return {
      defaults: publicStrategy(this.deps.defaults),
      presets: Object.fromEntries(
        Object.entries(this.deps.presets).map(([name, strategy]) => [
          name,
          publicStrategy(strategy),
        ]),
      ),
    };
  }

  private baseStrategy(preset: string | undefined): Strategy {
    if (preset === undefined) return this.deps.defaults;
    const strategy = this.deps.presets[preset];
    if (!strategy) {
      const known = Object.keys(this.deps.presets);
      throw new InputError(
        `Unknown strategy preset "${preset}" (configured: ${
          known.length ? known.join(', ') : 'none'
        })`,
      );
    }
    return strategy;
  }

  async get(id: string): Promise<RolloutRecord> {
    const rollout = await this.deps.store.get(id);
    if (!rollout) throw new NotFoundError(`No rollout with id ${id}`);
    return rollout;
  }

  /** Applies a user's action through `decide`; a ConflictError when the phase forbids it. */
  async act(id: string, command: Command): Promise<Rollout> {
    for (let attempt = 1; ; attempt++) {
      const rollout = await this.get(id);
      checkApprover(this.deps.policy, rollout, command.action, command.actor);
      const providers = this.deps.providers.forRunning(rollout.target);
      const observations: Observations = {
        ...(await this.observeWorld(rollout, providers)),
        command,
      };
      const decision = decide(rollout, observations, this.now());
      try {
        const saved = await this.persist(rollout, decision);
        const outcome = await this.execute(saved, decision.actions, providers);
        return toApi(await this.recordOutcome(saved, outcome));
      } catch (error) {
        if (
          !(error instanceof StaleRevisionError) ||
          attempt >= ACTION_ATTEMPTS
        ) {
          throw error;
        }
      }
    }
  }

  /**
   * One engine pass over every active rollout, `tickConcurrency` at a time: their providers'
   * calls wait on the network, so a sequential pass over many rollouts would outlast the analysis
   * interval. A rollout whose tick fails is logged and does not hold up the others. Once `signal`
   * aborts (the scheduler's timeout, after which another replica may take the task over), the
   * ticks not yet started are left to the next pass.
   */
  async tickAll(signal?: AbortSignal): Promise<void> {
    const active = await this.deps.store.listActive();
    const limit = pLimit(this.deps.tickConcurrency ?? DEFAULT_TICK_CONCURRENCY);
    await Promise.all(
      active.map(rollout =>
        limit(async () => {
          if (signal?.aborted) return;
          try {
            await this.tick(rollout);
          } catch (error) {
            this.deps.logger.error(
              `Tick of rollout ${rollout.id} failed`,
              toError(error),
            );
          }
        }),
      ),
    );
  }

  /** One engine tick of one rollout. */
  async tick(rollout: RolloutRecord): Promise<void> {
    const providers = this.deps.providers.forRunning(rollout.target);
    const observations = await this.observeWorld(rollout, providers);
    const now = this.now();
    if (isLookDue(rollout, now)) {
      observations.look = await this.takeLook(rollout, providers, now);
    }
    let decision = decide(rollout, observations, now);
    if (decision.gate) {
      observations.gate = await this.askGate(decision.rollout, decision.gate);
      decision = decide(rollout, observations, now);
    }
    let current = rollout;
    if (decision.changed) {
      try {
        current = await this.persist(rollout, decision);
      } catch (error) {
        if (error instanceof StaleRevisionError) {
          this.deps.logger.debug(
            `Rollout ${rollout.id} moved on meanwhile; skipping this tick`,
          );
          return;
        }
        throw error;
      }
    }
    const outcome = await this.execute(current, decision.actions, providers);
    await this.recordOutcome(current, outcome);
  }

  private async observeWorld(
    rollout: RolloutRecord,
    providers: TargetProviders,
  ): Promise<Observations> {
    if (isFinalPhase(rollout.phase)) return {};
    const [weights, workload] = await Promise.allSettled([
      providers.router.getWeights(rollout.target),
      providers.workload.getState(rollout.target),
    ]);
    if (weights.status === 'fulfilled' && workload.status === 'fulfilled') {
      const actual: ActualState = {
        weights: weights.value,
        workload: workload.value,
      };
      return { actual };
    }
    const unreadable: Observations['unreadable'] = {};
    if (weights.status === 'rejected') {
      unreadable.router = toError(weights.reason).message;
    }
    if (workload.status === 'rejected') {
      unreadable.workload = toError(workload.reason).message;
    }
    this.deps.logger.warn(
      `Cannot read the state of rollout ${rollout.id}: ${Object.values(
        unreadable,
      ).join('; ')}`,
    );
    return { unreadable };
  }

  private async takeLook(
    rollout: RolloutRecord,
    providers: TargetProviders,
    now: Date,
  ): Promise<Look> {
    const start = new Date(
      rollout.analysis.lastLookAt ?? rollout.stageStartedAt!,
    );
    const window = { start, end: now };
    const iso = { start: start.toISOString(), end: now.toISOString() };
    try {
      const options = {
        dedicatedBaseline: rollout.strategy.dedicatedBaseline,
      };
      const [baseline, canary] = await Promise.all([
        providers.metrics.sample(rollout.target, 'baseline', window, options),
        providers.metrics.sample(rollout.target, 'canary', window, options),
      ]);
      return { window: iso, baseline, canary };
    } catch (error) {
      return { window: iso, error: toError(error).message };
    }
  }

  /** Calls a gate's webhooks, all at once, each with its timeout and retries. */
  private async askGate(
    rollout: RolloutRecord,
    gate: GateRequest,
  ): Promise<GateAnswer> {
    const results = await Promise.all(
      gate.hooks.map(hook =>
        callWebhook(
          hook,
          webhookPayload(rollout, hook, gate.reason),
          idempotencyKey(rollout, gate.type, hook.name),
        ),
      ),
    );
    return { type: gate.type, results };
  }

  /**
   * Saves a decision with the notifications and webhooks it owes (delivered by the outbox
   * dispatcher); returns the saved rollout (its revision bumped).
   */
  private async persist(
    before: RolloutRecord,
    decision: Decision,
  ): Promise<RolloutRecord> {
    const saved = { ...decision.rollout, revision: before.revision + 1 };
    await this.deps.store.save(
      saved,
      decision.events,
      decision.lookRecord,
      outboxEntriesFor(saved, decision.events, this.deps.hooks),
    );
    await this.announce(saved, decision.events);
    return saved;
  }

  /**
   * Acts on the world, and says how each provider did. Failures are logged: the next tick derives
   * the same actions again. A refusal (TargetRefusedError) is not retried: see
   * `recordActionOutcome`.
   */
  private async execute(
    rollout: RolloutRecord,
    actions: Action[],
    providers: TargetProviders,
  ): Promise<ActionsOutcome> {
    const { target } = rollout;
    const outcome: ProviderOutcome = {};
    for (const action of actions) {
      const provider = action.type === 'setWeights' ? 'router' : 'workload';
      try {
        switch (action.type) {
          case 'deployCanary':
            await providers.workload.deployCanary(
              target,
              action.version,
              action.weight,
              { baselineVersion: action.baselineVersion },
            );
            break;
          case 'setWeights':
            await providers.router.setWeights(target, action.weights);
            break;
          case 'setStableVersion':
            await providers.workload.setStableVersion(target, action.version);
            break;
          case 'removeCanary':
            await providers.workload.removeCanary(target);
            break;
          default:
            break;
        }
        outcome[provider] ??= null;
      } catch (error) {
        const message = toError(error).message;
        if (isTargetRefusedError(error)) {
          this.deps.logger.warn(
            `Rollout ${rollout.id}: ${action.type} refused: ${message}`,
          );
          return {
            providers: outcome,
            refusal: { provider, action: action.type, error: message },
          };
        }
        this.deps.logger.warn(
          `Rollout ${rollout.id}: ${action.type} failed, will retry on the next tick: ${message}`,
        );
        // Later steps depend on this one: the providers of those were not tried.
        outcome[provider] = `${action.type} failed: ${message}`;
        return { providers: outcome };
      }
    }
    // A provider with nothing (more) to do is not failing to act either.
    return { providers: { router: null, workload: null, ...outcome } };
  }

  /** Saves the faults `outcome` starts or ends, or the refusal; returns the rollout as saved. */
  private async recordOutcome(
    rollout: RolloutRecord,
    { providers, refusal }: ActionsOutcome,
  ): Promise<RolloutRecord> {
    const decision = recordActionOutcome(
      rollout,
      providers,
      this.now(),
      refusal,
    );
    if (!decision.changed) return rollout;
    try {
      return await this.persist(rollout, decision);
    } catch (error) {
      if (error instanceof StaleRevisionError) return rollout; // the next tick sees it again
      throw error;
    }
  }

  /** After a change is stored: the auditor's events, and a signal to the entity's open tabs. */
  private async announce(rollout: RolloutRecord, events: AuditEventDraft[]) {
    await this.emitAuditorEvents(events);
    if (!this.deps.signals) return;
    try {
      await this.deps.signals.publish<RolloutSignal>({
        recipients: { type: 'broadcast' },
        channel: rolloutSignalChannel(rollout.entityRef),
        message: { changedAt: rollout.updatedAt },
      });
    } catch (error) {
      // A hint to refresh sooner, nothing more: the change is stored and the tabs poll.
      this.deps.logger.warn(
        `Could not signal the change of rollout ${rollout.id}`,
        toError(error),
      );
    }
  }

  private async emitAuditorEvents(events: AuditEventDraft[]) {
    for (const event of events) {
      const auditorEvent = await this.deps.auditor.createEvent({
        eventId: 'rollout-change',
        severityLevel: event.actor === 'engine' ? 'low' : 'medium',
        meta: {
          rolloutId: event.rolloutId,
          entityRef: event.entityRef,
          actor: event.actor,
          action: event.action,
          phaseBefore: event.phaseBefore ?? null,
          phaseAfter: event.phaseAfter,
          reason: event.reason,
        },
      });
      await auditorEvent.success();
    }
  }
}

function isLookDue(rollout: RolloutRecord, now: Date): boolean {
  const judging =
    rollout.phase === 'Progressing' ||
    rollout.phase === 'Paused' ||
    rollout.phase === 'AwaitingApproval';
  return (
    judging &&
    Boolean(rollout.stageStartedAt) &&
    now.getTime() >=
      Date.parse(rollout.analysis.nextLookAt ?? rollout.stageStartedAt!)
  );
}

/**
 * A relation in the entity's spec as a full ref, resolved the way the catalog resolves it (default
 * kind, the entity's namespace); undefined when absent or not a ref.
 */
function specRef(
  entity: Entity,
  field: 'owner' | 'system',
  defaultKind: string,
): string | undefined {
  const value = entity.spec?.[field];
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(value, {
        defaultKind,
        defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
      }),
    );
  } catch {
    return undefined; // the catalog validates refs; a malformed one is not worth failing a launch
  }
}

function toError(error: unknown): Error {
  return isError(error) ? error : new Error(String(error));
}
