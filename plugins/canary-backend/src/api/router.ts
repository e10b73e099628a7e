import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AnalysisInputError,
  StatisticsInputError,
  analyze,
  canaryRolloutControlPermission,
  canaryRolloutLaunchPermission,
  canaryRolloutReadPermission,
} from '@canary-release/backstage-plugin-canary-common';
import { stringify } from 'csv-stringify/sync';
import express from 'express';
import Router from 'express-promise-router';
import { RolloutService, toApi } from '../service/RolloutService';
import { RolloutStore } from '../store/RolloutStore';
import {
  actionSchema,
  auditQuerySchema,
  launchSchema,
  listQuerySchema,
  parse,
  rolloutIdSchema,
  verifyQuerySchema,
} from './schemas';

/** Request bodies are small; anything larger is refused before it is parsed. */
const BODY_LIMIT = '256kb';
/** The stateless judge takes raw samples: up to ANALYSIS_LIMITS.maxTotalValues numbers. */
const ANALYZE_BODY_LIMIT = '25mb';
const CSV_PAGE = 500;

const CSV_COLUMNS = [
  'id',
  'at',
  'rolloutId',
  'entityRef',
  'actor',
  'action',
  'phaseBefore',
  'phaseAfter',
  'stageIndex',
  'canaryWeight',
  'reason',
  'details',
];

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  service: RolloutService;
  store: RolloutStore;
}

/** The routes under `/api/canary` (see DESIGN.md for the contract). */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, service, store } = options;
  const router = Router();
  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  // Before the general body parser, which would refuse its larger bodies.
  router.post(
    '/analyze',
    express.json({ limit: ANALYZE_BODY_LIMIT }),
    async (req, res) => {
      await credentialsOf(req);
      try {
        res.json(analyze(req.body));
      } catch (error) {
        if (
          error instanceof AnalysisInputError ||
          error instanceof StatisticsInputError
        ) {
          throw new InputError(`Invalid analysis request: ${error.message}`);
        }
        throw error;
      }
    },
  );
  router.use(express.json({ limit: BODY_LIMIT }));

  /** Throws NotAllowedError unless `permission` is granted on the entity. */
  async function authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${
          permission.attributes.action === 'read' ? 'see' : 'change'
        } rollouts of ${entityRef}`,
      );
    }
  }

  /** The subset of entity refs whose rollouts the caller may read. */
  async function readableRefs(
    credentials: BackstageCredentials,
    refs: string[],
  ): Promise<Set<string>> {
    const unique = [...new Set(refs)];
    const decisions = await permissions.authorize(
      unique.map(resourceRef => ({
        permission: canaryRolloutReadPermission,
        resourceRef,
      })),
      { credentials },
    );
    return new Set(
      unique.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
    );
  }

  function actorOf(credentials: BackstageCredentials): string {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
      subject?: string;
    };
    return (
      principal.userEntityRef ?? `service:${principal.subject ?? 'unknown'}`
    );
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The configured strategies, for the launch dialog: the defaults and every named preset.
  router.get('/strategies', async (req, res) => {
    await credentialsOf(req);
    res.json(service.strategies());
  });

  router.post('/rollouts', async (req, res) => {
    const credentials = await credentialsOf(req);
    const body = parse(launchSchema, req.body, 'launch request');
    await authorize(credentials, canaryRolloutLaunchPermission, body.entityRef);
    const rollout = await service.launch(
      body,
      actorOf(credentials),
      credentials,
    );
    res.status(201).json(rollout);
  });

  router.get('/rollouts', async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(listQuerySchema, req.query, 'query');
    if (query.entityRef) {
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        query.entityRef,
      );
    }
    const page = await store.list(query);
    const allowed = query.entityRef
      ? new Set([query.entityRef])
      : await readableRefs(
          credentials,
          page.items.map(r => r.entityRef),
        );
    res.json({
      items: page.items.filter(r => allowed.has(r.entityRef)).map(toApi),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/rollouts/:id', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { id } = parse(rolloutIdSchema, req.params, 'rollout id');
    const rollout = await service.get(id);
    await authorize(
      credentials,
      canaryRolloutReadPermission,
      rollout.entityRef,
    );
    res.json(toApi(rollout));
  });

  router.post('/rollouts/:id/actions', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { id } = parse(rolloutIdSchema, req.params, 'rollout id');
    const body = parse(actionSchema, req.body, 'action');
    const rollout = await service.get(id);
    await authorize(
      credentials,
      canaryRolloutControlPermission,
      rollout.entityRef,
    );
    const updated = await service.act(id, {
      action: body.action,
      reason: body.reason,
      actor: actorOf(credentials),
    });
    res.json(updated);
  });

  router.get('/rollouts/:id/analysis', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { id } = parse(rolloutIdSchema, req.params, 'rollout id');
    const rollout = await service.get(id);
    await authorize(
      credentials,
      canaryRolloutReadPermission,
      rollout.entityRef,
    );
    res.json(await store.analysis(id));
  });

  // Recomputes the audit hash chains: of one rollout (read permission on its entity), or all.
  router.get('/audit/verify', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { rolloutId } = parse(verifyQuerySchema, req.query, 'query');
    if (rolloutId) {
      const rollout = await service.get(rolloutId);
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        rollout.entityRef,
      );
    }
    res.json(await store.verifyAudit(rolloutId));
  });

  router.get('/audit', async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(auditQuerySchema, req.query, 'query');
    if (query.from && query.to && query.from >= query.to) {
      throw new InputError('Invalid query: from must be before to');
    }
    const filter = {
      ...query,
      from: query.from && new Date(query.from).toISOString(),
      to: query.to && new Date(query.to).toISOString(),
    };
    if (query.entityRef) {
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        query.entityRef,
      );
    }
    if (query.rolloutId) {
      const rollout = await service.get(query.rolloutId);
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        rollout.entityRef,
      );
    }
    const visible = async <T extends { entityRef: string }>(items: T[]) => {
      if (query.entityRef || query.rolloutId) return items;
      const allowed = await readableRefs(
        credentials,
        items.map(e => e.entityRef),
      );
      return items.filter(e => allowed.has(e.entityRef));
    };

    if (query.format === 'json') {
      const page = await store.listAudit(filter);
      res.json({
        items: await visible(page.items),
        nextCursor: page.nextCursor,
      });
      return;
    }

    // CSV: the whole filtered trail, written page by page so large exports stay small in memory.
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader(
      'Content-Disposition',
      'attachment; filename="canary-audit.csv"',
    );
    res.write(stringify([CSV_COLUMNS]));
    let cursor: string | undefined = query.cursor;
    do {
      const page = await store.listAudit({
        ...filter,
        limit: CSV_PAGE,
        cursor,
      });
      const rows = (await visible(page.items)).map(e => [
        e.id,
        e.at,
        e.rolloutId,
        e.entityRef,
        e.actor,
        e.action,
        e.phaseBefore ?? '',
        e.phaseAfter,
        e.stageIndex,
        e.weightsAfter.canary,
        e.reason,
        JSON.stringify(e.details),
      ]);
      if (rows.length > 0) res.write(stringify(rows));
      cursor = page.nextCursor;
    } while (cursor);
    res.end();
  });

  // Anything else under /api/canary: a 404 that says so, in the same error format.
  router.use(req => {
    throw new NotFoundError(`No route ${req.method} ${req.path}`);
  });

  return router;
}
