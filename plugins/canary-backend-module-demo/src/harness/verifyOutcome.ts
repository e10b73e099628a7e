import type { Rollout } from '@canary-release/backstage-plugin-canary-common';
import type { DemoWorldWorkload } from '../world/DemoWorldServer';
import type { CanaryApi } from './CanaryApi';
import type { DemoPlan } from './demoPlan';
import {
  looksTakenTwice,
  repeatedTransitions,
  worldMismatches,
} from './invariants';

/** What a harness run ended with. */
export interface Outcome {
  /** Everything that does not hold, in words; empty when all is well. */
  problems: string[];
  rollouts: number;
  succeeded: number;
  rolledBack: number;
  auditEvents: number;
  looks: number;
  /** Workloads whose stable version could be checked against the store. */
  versionsChecked: number;
}

/**
 * Reads the store (through the API) and the world (through the demo world API) once every planned
 * rollout is final, and checks everything a run must end with: each planned rollout exactly once,
 * final, bad versions rolled back; no transition applied twice; the audit hash chain intact; no
 * look taken twice; the world as the final states say.
 */
export async function verifyOutcome(options: {
  api: CanaryApi;
  plan: DemoPlan;
  intervalMs: number;
  worldApi: string;
  /** Since when the world has run without a restart (it forgets what happened before). */
  worldKnownSince?: Date;
}): Promise<Outcome> {
  const { api, plan } = options;
  const problems: string[] = [];
  const rollouts = await api.rollouts();

  const launched = rollouts
    .map(r => `${r.entityRef} ${r.canaryVersion}`)
    .sort();
  const planned = Object.entries(plan.plan)
    .flatMap(([ref, versions]) => versions.map(v => `${ref} ${v}`))
    .sort();
  if (JSON.stringify(launched) !== JSON.stringify(planned)) {
    problems.push(
      `launched ${launched.length} rollouts, planned ${
        planned.length
      }: ${launched.join(', ')}`,
    );
  }
  const byPhase = (phase: string) => rollouts.filter(r => r.phase === phase);
  const events = await api.audit();
  for (const r of rollouts) {
    const wanted = plan.bad.has(r.canaryVersion) ? 'RolledBack' : 'Succeeded';
    if (r.phase !== wanted) {
      const why = events
        .filter(e => e.rolloutId === r.id && e.phaseAfter !== e.phaseBefore)
        .map(e => `${e.action}@${e.stageIndex} (${e.at}): ${e.reason}`);
      problems.push(
        `${r.entityRef} ${r.canaryVersion} (${r.id}) is ${
          r.phase
        }, expected ${wanted}; ${why.join(' / ')}`,
      );
    }
  }
  problems.push(...repeatedTransitions(events));
  problems.push(...trailsEndInStoredPhase(rollouts, events));
  const chain = await api.verifyAudit();
  if (!chain.ok || !chain.complete || chain.checked !== events.length) {
    problems.push(
      `audit chain: ${JSON.stringify(chain)} for ${events.length} events`,
    );
  }

  let looks = 0;
  for (const r of rollouts) {
    const analysis = await api.analysis(r.id);
    looks +=
      analysis.series.find(s => s.metric === 'requests')?.points.length ?? 0;
    problems.push(...looksTakenTwice(analysis, options.intervalMs));
  }

  const world = (await (
    await fetch(`${options.worldApi}/workloads`)
  ).json()) as { items: DemoWorldWorkload[] };
  const checked = worldMismatches(
    world.items,
    rollouts,
    options.worldKnownSince,
  );
  problems.push(...checked.problems);

  return {
    problems,
    rollouts: rollouts.length,
    succeeded: byPhase('Succeeded').length,
    rolledBack: byPhase('RolledBack').length,
    auditEvents: events.length,
    looks,
    versionsChecked: checked.versionsChecked,
  };
}

/** Each rollout's last audit event leaves it in the phase the store holds. */
function trailsEndInStoredPhase(
  rollouts: Rollout[],
  events: Array<{ rolloutId: string; phaseAfter: string }>,
): string[] {
  const last = new Map(events.map(e => [e.rolloutId, e.phaseAfter]));
  return rollouts
    .filter(r => last.get(r.id) !== r.phase)
    .map(
      r =>
        `rollout ${r.id}: stored ${r.phase}, audit trail ends in ${last.get(
          r.id,
        )}`,
    );
}
