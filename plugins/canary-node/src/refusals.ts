import { NotAllowedError, isError } from '@backstage/errors';

/**
 * Thrown by a provider that refuses to act on a target because a rule of the installation forbids
 * it: the target lies outside what the configuration allows, or its objects do not carry the
 * entity's ownership mark. A 403 (a NotAllowedError) whose message names the rule. Unlike a
 * failure, trying again does not help until someone changes the rule's input, so the engine does
 * not retry a refused action: a launch is refused, a running rollout fails.
 *
 * @public
 */
export class TargetRefusedError extends NotAllowedError {
  /** The rule that refused, e.g. a config key. */
  readonly rule: string;

  constructor(message: string, rule: string) {
    super(`${message} (rule: ${rule})`);
    this.rule = rule;
  }
}

/**
 * True for a TargetRefusedError, also one from another copy of this package (it keeps the name
 * NotAllowedError, which the backend's error handler answers with a 403).
 *
 * @public
 */
export function isTargetRefusedError(
  error: unknown,
): error is TargetRefusedError {
  return (
    isError(error) &&
    error.name === 'NotAllowedError' &&
    typeof (error as { rule?: unknown }).rule === 'string'
  );
}
