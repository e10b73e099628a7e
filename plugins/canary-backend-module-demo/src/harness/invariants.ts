import {
  AuditEvent,
  PHASES,
  Phase,
  ROLLOUT_ACTIONS,
  Rollout,
  RolloutAnalysis,
  TRANSITIONS,
} from '@canary-release/backstage-plugin-canary-common';
import type { DemoWorldWorkload } from '../world/DemoWorldServer';

/**
 * What must hold after any number of crashes and whichever replica ran which tick. Each check
 * returns the problems it found, in words, so that a failing test says what broke.
 */

/** Events that move a rollout to another stage (or back to none): a repeat after them is new. */
const STAGE_EVENTS = new Set(['start', 'advance', 'retry']);

/** The phases `from` leads to through the table without changing stage. */
function reachableWithinStage(from: Phase): Set<Phase> {
  const seen = new Set<Phase>();
  const queue: Phase[] = [from];
  while (queue.length) {
    const phase = queue.pop()!;
    for (const [event, next] of Object.entries(TRANSITIONS[phase])) {
      if (!STAGE_EVENTS.has(event) && next && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** Phase changes the table allows twice in one stage: those it can come back from (pause). */
const REPEATABLE = new Set(
  PHASES.flatMap(before =>
    PHASES.filter(
      after => after !== before && reachableWithinStage(after).has(before),
    ).map(after => `${before}>${after}`),
  ),
);

/** Actions that are phase transitions (or a stage's traffic shift); others are notes. */
const TRANSITION_ACTIONS = new Set<string>([
  'launch',
  'traffic-shifted',
  ...ROLLOUT_ACTIONS,
  ...PHASES.flatMap(phase => Object.keys(TRANSITIONS[phase])),
]);

/**
 * Transitions applied twice. A transition is an audit event of a rollout event of the phase table
 * (or a manual action, recorded with the phases it moved between), the launch, or a stage's
 * traffic shift; it is identified by (rollout, action, phase before, phase after, stage). Within
 * one attempt of a rollout (a `retry` starts the next) each may appear once, except a phase change
 * the table can come back from within the stage (Progressing -> Paused -> Progressing).
 */
export function repeatedTransitions(events: AuditEvent[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (e.action === 'retry') {
      for (const key of [...seen]) {
        if (key.startsWith(`${e.rolloutId} `)) seen.delete(key);
      }
    }
    if (
      !TRANSITION_ACTIONS.has(e.action) ||
      REPEATABLE.has(`${e.phaseBefore}>${e.phaseAfter}`)
    ) {
      continue;
    }
    const key = `${e.rolloutId} ${e.action} ${e.phaseBefore ?? '-'}>${
      e.phaseAfter
    } @${e.stageIndex}`;
    if (seen.has(key)) {
      problems.push(`applied twice: ${key} (event ${e.id} at ${e.at})`);
    }
    seen.add(key);
  }
  return problems;
}

/**
 * Looks taken twice. A look is due `interval` after the one before (the engine stores when), so
 * two looks of one rollout and arm closer together than that mean two ticks took the same look.
 */
export function looksTakenTwice(
  analysis: RolloutAnalysis,
  intervalMs: number,
): string[] {
  const problems: string[] = [];
  for (const series of analysis.series.filter(s => s.metric === 'requests')) {
    const times = series.points
      .map(p => Date.parse(p.at))
      .sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      if (times[i] - times[i - 1] < intervalMs) {
        problems.push(
          `rollout ${analysis.rolloutId} ${series.arm}: looks at ${new Date(
            times[i - 1],
          ).toISOString()} and ${new Date(times[i]).toISOString()}, ${
            times[i] - times[i - 1]
          } ms apart (interval ${intervalMs} ms)`,
        );
      }
    }
  }
  return problems;
}

/**
 * The world against the stored final states, every rollout being final: all traffic on stable and
 * no canary anywhere; stable runs the promoted version after Succeeded, the version before after
 * RolledBack. The versions are checked only for what the world has seen: a demo world that
 * restarted (empty, on its configured stable version) since `knownSince` forgot earlier ends.
 */
export function worldMismatches(
  world: DemoWorldWorkload[],
  rollouts: Rollout[],
  knownSince = new Date(0),
): { problems: string[]; versionsChecked: number } {
  const problems: string[] = [];
  let versionsChecked = 0;
  for (const workload of world) {
    const id = `${workload.namespace}/${workload.name}`;
    if (workload.weights.stable !== 100 || workload.weights.canary !== 0) {
      problems.push(`${id}: weights ${JSON.stringify(workload.weights)}`);
    }
    if (workload.state.canary) {
      problems.push(`${id}: a canary runs ${workload.state.canary.version}`);
    }
    const last = rollouts
      .filter(
        r =>
          r.target.namespace === workload.namespace &&
          r.target.name === workload.name,
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .pop();
    if (!last) continue;
    const since = knownSince.toISOString();
    let expected: string | undefined;
    if (last.phase === 'Succeeded' && last.finishedAt! >= since) {
      expected = last.canaryVersion;
    } else if (last.phase === 'RolledBack' && last.createdAt >= since) {
      expected = last.stableVersion;
    }
    if (expected === undefined) continue;
    versionsChecked += 1;
    if (workload.state.stable.version !== expected) {
      problems.push(
        `${id}: stable runs ${workload.state.stable.version}, but rollout ${last.id} ended ${last.phase} wanting ${expected}`,
      );
    }
  }
  return { problems, versionsChecked };
}
