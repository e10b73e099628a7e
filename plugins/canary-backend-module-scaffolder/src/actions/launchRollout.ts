import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  Phase,
  Rollout,
  isFinalPhase,
} from '@canary-release/backstage-plugin-canary-common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CanaryApi, TransientError } from './CanaryApi';

/** The action's id, as templates name it in `steps[].action`. */
export const LAUNCH_ACTION_ID = 'canary:rollout:launch';

const DEFAULT_TIMEOUT_MINUTES = 60;
const DEFAULT_POLL_SECONDS = 10;
/** The rollout id a dry run outputs: nothing was launched. */
export const DRY_RUN_ROLLOUT_ID = 'dry-run';

/** The subset of a rollout the action keeps across a task recovery (JSON, see `checkpoint`). */
type Launched = { id: string; entityRef: string; phase: Phase };

/**
 * The Scaffolder action `canary:rollout:launch`: launches a canary rollout through the canary
 * backend's API, as the user who runs the template, and optionally waits for it to finish.
 */
export function createLaunchRolloutAction(options: {
  auth: AuthService;
  discovery: DiscoveryService;
  /** `app.baseUrl`: the outputs link to the entity's Canary tab in the app. */
  appBaseUrl: string;
}) {
  const appBaseUrl = options.appBaseUrl.replace(/\/+$/, '');
  const canaryTabUrl = (entityRef: string) => {
    const { kind, namespace, name } = parseRef(entityRef);
    return `${appBaseUrl}/catalog/${namespace}/${kind}/${name}/canary`;
  };

  return createTemplateAction({
    id: LAUNCH_ACTION_ID,
    description:
      'Launches a canary rollout of a catalog entity (the canary plugin checks that the user may), and optionally waits until it succeeds, rolls back or fails.',
    supportsDryRun: true,
    examples: [
      {
        description: 'Launch a rollout and wait for its outcome',
        example: [
          'steps:',
          '  - id: canary',
          '    action: canary:rollout:launch',
          '    input:',
          '      entityRef: component:default/shop',
          '      canaryVersion: 1.4.0',
          '      preset: fast',
          '      waitForCompletion: true',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        entityRef: z =>
          z.string().describe('The entity, e.g. component:default/shop'),
        canaryVersion: z =>
          z.string().describe('The version (image tag) to roll out'),
        stableVersion: z =>
          z
            .string()
            .optional()
            .describe(
              'The version running now; default: what the workload runs',
            ),
        preset: z =>
          z
            .string()
            .optional()
            .describe(
              "A strategy preset of canary.presets; default: the entity's canary.backstage.io/preset annotation, else the defaults",
            ),
        strategy: z =>
          z
            .record(z.any())
            .optional()
            .describe(
              'Strategy fields over the preset (stages, analysis...); the canary API validates them',
            ),
        reason: z => z.string().optional().describe('Why, for the audit trail'),
        waitForCompletion: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Wait until the rollout finishes; the step fails unless it succeeds. Default false',
            ),
        timeout: z =>
          z
            .number()
            .positive()
            .optional()
            .describe(
              `Minutes to wait when waiting; the rollout keeps running after. Default ${DEFAULT_TIMEOUT_MINUTES}`,
            ),
        pollInterval: z =>
          z
            .number()
            .positive()
            .optional()
            .describe(
              `Seconds between two reads of the rollout when waiting. Default ${DEFAULT_POLL_SECONDS}`,
            ),
      },
      output: {
        rolloutId: z => z.string().describe('The id of the rollout'),
        url: z => z.string().describe("The entity's Canary tab in the app"),
        phase: z =>
          z
            .string()
            .describe('The final phase when waiting, else the phase at launch'),
      },
    },

    async handler(ctx) {
      const { input, logger, signal } = ctx;
      const body = {
        entityRef: input.entityRef,
        canaryVersion: input.canaryVersion,
        stableVersion: nonBlank(input.stableVersion),
        preset: nonBlank(input.preset),
        strategy: input.strategy,
        reason: nonBlank(input.reason),
      };

      if (ctx.isDryRun) {
        logger.info(
          `Dry run: would launch ${body.canaryVersion} of ${body.entityRef}`,
        );
        ctx.output('rolloutId', DRY_RUN_ROLLOUT_ID);
        ctx.output('url', canaryTabUrl(body.entityRef));
        ctx.output('phase', 'Pending');
        return;
      }

      const api = new CanaryApi(
        options.auth,
        options.discovery,
        await ctx.getInitiatorCredentials(),
      );
      // A recovered task finds its checkpoint and does not launch a second rollout.
      const launched = await ctx.checkpoint<Launched>({
        key: `launch ${body.entityRef} ${body.canaryVersion}`,
        fn: async () => {
          const rollout = await api.launch(body);
          return {
            id: rollout.id,
            entityRef: rollout.entityRef,
            phase: rollout.phase,
          };
        },
      });
      const url = canaryTabUrl(launched.entityRef);
      logger.info(`Launched rollout ${launched.id}: ${url}`);
      ctx.output('rolloutId', launched.id);
      ctx.output('url', url);
      if (!(input.waitForCompletion ?? false)) {
        ctx.output('phase', launched.phase);
        return;
      }

      const minutes = input.timeout ?? DEFAULT_TIMEOUT_MINUTES;
      const pollMs = 1000 * (input.pollInterval ?? DEFAULT_POLL_SECONDS);
      const deadline = Date.now() + minutes * 60_000;
      const keepsRunning = `The rollout keeps running: follow it at ${url}`;
      let rollout: Rollout | undefined;
      let lastStatus = '';
      while (!rollout || !isFinalPhase(rollout.phase)) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `Rollout ${launched.id} is still ${
              rollout?.phase ?? launched.phase
            } after ${minutes} minutes of waiting. ${keepsRunning}`,
          );
        }
        try {
          await sleep(Math.min(pollMs, left), undefined, { signal });
          rollout = await api.get(launched.id, signal);
        } catch (error) {
          if (signal?.aborted) {
            logger.warn(
              `Stopped waiting for rollout ${launched.id}: the task was cancelled`,
            );
            throw new Error(
              `Cancelled while waiting for rollout ${launched.id}. ${keepsRunning}`,
            );
          }
          if (!(error instanceof TransientError)) throw error;
          // The backend restarting or a network blip: the rollout is in the store, read it again.
          logger.warn(`${error.message}; will read it again`);
          continue;
        }
        const status = statusLine(rollout);
        if (status !== lastStatus) {
          logger.info(`Rollout ${launched.id}: ${status}`);
        }
        lastStatus = status;
      }

      ctx.output('phase', rollout.phase);
      if (rollout.phase !== 'Succeeded') {
        // The final message says where the rollout ended; the audit trail says why.
        const why =
          (await api.whyItEnded(launched.id).catch(() => undefined)) ??
          rollout.message;
        logger.error(`Rollout ${launched.id} ended ${rollout.phase}: ${why}`);
        throw new Error(
          `Rollout ${launched.id} of ${rollout.canaryVersion} ended ${rollout.phase}: ${why}`,
        );
      }
    },
  });
}

/** A template renders an empty optional parameter as ''; the API means "absent" by a missing field. */
function nonBlank(value: string | undefined): string | undefined {
  return value?.trim() ? value : undefined;
}

/** `kind:namespace/name`, with the catalog's defaults for a short ref (dry runs only see input). */
function parseRef(ref: string) {
  const match = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref.trim());
  if (!match) throw new InputError(`Invalid entity ref "${ref}"`);
  const [, kind = 'component', namespace = 'default', name] = match;
  return {
    kind: kind.toLocaleLowerCase('en-US'),
    namespace: namespace.toLocaleLowerCase('en-US'),
    name,
  };
}

/** One line for the task log: the phase, the stage and the engine's message. */
function statusLine(rollout: Rollout): string {
  const stage =
    rollout.stageIndex >= 0
      ? `, stage ${rollout.stageIndex + 1}/${
          rollout.strategy.stages.length
        } at ${rollout.weights.canary} %`
      : '';
  return `${rollout.phase}${stage}: ${rollout.message}`;
}
