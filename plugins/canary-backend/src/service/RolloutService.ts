import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError, isError } from '@backstage/errors';
import {
  CANARY_ANNOTATIONS,
  Rollout,
  Strategy,
  allowedActions,
  emptyArmSample,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import { randomUUID } from 'node:crypto';
import { decide } from '../engine/decide';
import type {
  Action,
  ActualState,
  AuditEventDraft,
  Command,
  Decision,
  Look,
  Observations,
  RolloutRecord,
} from '../engine/types';
import { RolloutStore, StaleRevisionError } from '../store/RolloutStore';
import { resolveStrategy, StrategyInput } from '../strategy/strategy';
import { targetOfEntity } from './entityTarget';
import { ProviderRegistry, TargetProviders } from './providers';
import type { CatalogService } from '@backstage/plugin-catalog-node';

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

/** The API form of a stored rollout: adds what the phase allows. */
export function toApi(rollout: RolloutRecord): Rollout {
  const isLastStage = rollout.stageIndex >= rollout.strategy.stages.length - 1;
  return {
    ...rollout,
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
    const providers = this.deps.providers.forTarget(target);
    const stableVersion =
      request.stableVersion ??
      (await providers.workload.getState(target)).stable.version;
    const now = this.now().toISOString();
    const rollout: RolloutRecord = {
      id: randomUUID(),
      entityRef: stringifyEntityRef(entity),
      target,
      stableVersion,
      canaryVersion: request.canaryVersion,
      strategy: resolveStrategy(base, request.strategy),
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
        strategy: rollout.strategy,
      },
    };
    await this.deps.store.insert(rollout, [event]);
    await this.emitAuditorEvents([event]);
    return toApi(rollout);
  }

  /** The defaults and the named presets, resolved. */
  strategies(): { defaults: Strategy; presets: Record<string, Strategy> } {
    return { defaults: this.deps.defaults, presets: this.deps.presets };
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
      const providers = this.deps.providers.forTarget(rollout.target);
      const observations: Observations = {
        ...(await this.observeWorld(rollout, providers)),
        command,
      };
      const decision = decide(rollout, observations, this.now());
      try {
        const saved = await this.persist(rollout, decision);
        await this.execute(saved, decision.actions, providers);
        return toApi(saved);
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

  /** One engine pass over every active rollout. */
  async tickAll(): Promise<void> {
    const active = await this.deps.store.listActive();
    for (const rollout of active) {
      try {
        await this.tick(rollout);
      } catch (error) {
        this.deps.logger.error(
          `Tick of rollout ${rollout.id} failed`,
          toError(error),
        );
      }
    }
  }

  /** One engine tick of one rollout. */
  async tick(rollout: RolloutRecord): Promise<void> {
    let providers: TargetProviders;
    try {
      providers = this.deps.providers.forTarget(rollout.target);
    } catch (error) {
      const decision = decide(
        rollout,
        { fatal: toError(error).message },
        this.now(),
      );
      await this.persist(rollout, decision);
      return;
    }
    const observations = await this.observeWorld(rollout, providers);
    const now = this.now();
    if (isLookDue(rollout, now)) {
      observations.look = await this.takeLook(rollout, providers, now);
    }
    const decision = decide(rollout, observations, now);
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
    await this.execute(current, decision.actions, providers);
  }

  private async observeWorld(
    rollout: RolloutRecord,
    providers: TargetProviders,
  ): Promise<Observations> {
    if (isFinalPhase(rollout.phase)) return {};
    try {
      const [weights, workload] = await Promise.all([
        providers.router.getWeights(rollout.target),
        providers.workload.getState(rollout.target),
      ]);
      const actual: ActualState = { weights, workload };
      return { actual };
    } catch (error) {
      const message = toError(error).message;
      this.deps.logger.warn(
        `Cannot read the state of rollout ${rollout.id}: ${message}`,
      );
      return { actualError: message };
    }
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

  /** Saves a decision; returns the saved rollout (its revision bumped). */
  private async persist(
    before: RolloutRecord,
    decision: Decision,
  ): Promise<RolloutRecord> {
    const saved = { ...decision.rollout, revision: before.revision + 1 };
    await this.deps.store.save(saved, decision.events, decision.lookRecord);
    await this.emitAuditorEvents(decision.events);
    return saved;
  }

  /** Acts on the world. Failures are logged: the next tick derives the same actions again. */
  private async execute(
    rollout: RolloutRecord,
    actions: Action[],
    providers: TargetProviders,
  ) {
    const { target } = rollout;
    for (const action of actions) {
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
      } catch (error) {
        this.deps.logger.warn(
          `Rollout ${rollout.id}: ${
            action.type
          } failed, will retry on the next tick: ${toError(error).message}`,
        );
        return; // later steps depend on this one
      }
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

function toError(error: unknown): Error {
  return isError(error) ? error : new Error(String(error));
}
