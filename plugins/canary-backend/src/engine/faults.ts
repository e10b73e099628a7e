import {
  faultTitle,
  type ProviderFault,
  type RolloutTarget,
} from '@canary-release/backstage-plugin-canary-common';

/** A provider of a rollout, as faults name it. */
export type ProviderRole = ProviderFault['provider'];

/**
 * What one tick saw of each provider for one operation: its error while it fails, null when it
 * answered (or had nothing to do); absent when the tick did not use it.
 */
export type ProviderOutcome = Partial<Record<ProviderRole, string | null>>;

/**
 * An action a provider refused (a TargetRefusedError): a rule forbids it, so trying again does not
 * help, unlike a fault.
 */
export interface Refusal {
  provider: ProviderRole;
  action: string;
  /** The refusal's message, naming the rule. */
  error: string;
}

/** How a decision's actions went: each provider's outcome, and the refused action, if any. */
export interface ActionsOutcome {
  providers: ProviderOutcome;
  refusal?: Refusal;
}

/** The open faults after a tick, and those that started or ended in it. */
export interface FaultChanges {
  open: ProviderFault[];
  started: ProviderFault[];
  ended: ProviderFault[];
}

/** The rollout's message while `faults` last. */
export function describeFaults(faults: ProviderFault[]): string {
  return faults
    .map(f => `${faultTitle(f)} has failed since ${f.since}`)
    .join('; ');
}

/**
 * Compares the open faults with what a tick saw. A fault is one provider and operation, from its
 * first failure to the first success, whatever it answers in between: a long outage is one fault,
 * not one per tick. A provider that cannot be read is not also reported as failing to act.
 */
export function updateFaults(
  before: ProviderFault[],
  operation: ProviderFault['operation'],
  outcome: ProviderOutcome,
  target: RolloutTarget,
  now: string,
): FaultChanges {
  const open: ProviderFault[] = [];
  const ended: ProviderFault[] = [];
  for (const fault of before) {
    const answered =
      fault.operation === operation && outcome[fault.provider] === null;
    (answered ? ended : open).push(fault);
  }
  const started: ProviderFault[] = [];
  for (const provider of Object.keys(outcome) as ProviderRole[]) {
    const error = outcome[provider];
    if (typeof error !== 'string') continue;
    const known = open.some(
      f =>
        f.provider === provider &&
        (f.operation === operation || f.operation === 'read'),
    );
    if (known) continue;
    const fault: ProviderFault = {
      provider,
      operation,
      kind: target[provider],
      error,
      since: now,
    };
    started.push(fault);
    open.push(fault);
  }
  return { open, started, ended };
}
