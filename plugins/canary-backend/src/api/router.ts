import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AuditEvent,
  Rollout,
  canaryAuditVerifyPermission,
  canaryRolloutControlPermission,
  canaryRolloutLaunchPermission,
  canaryRolloutOverridePermission,
  canaryRolloutReadPermission,
} from '@canary-release/backstage-plugin-canary-common';
import express from 'express';
import Router from 'express-promise-router';
import type { Analyzer } from '../analyze/Analyzer';
import { RolloutService, toApi } from '../service/RolloutService';
import type { RolloutRecord } from '../engine/types';
import { RolloutStore } from '../store/RolloutStore';
import { overriddenFields } from '../strategy/strategy';
import { auditPages, streamAudit } from './auditExport';
import {
  analysisWithoutProviderErrors,
  auditWithoutProviderErrors,
  withoutProviderErrors,
} from './redaction';
import {
  actionSchema,
  auditExportQuerySchema,
  auditQuerySchema,
  launchSchema,
  listQuerySchema,
  parse,
  rolloutIdSchema,
  verifyQuerySchema,
} from './schemas';

/** Request bodies are small; anything larger is refused before it is parsed. */
const BODY_LIMIT = '256kb';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  service: RolloutService;
  store: RolloutStore;
  analyzer: Analyzer;
}

/** The routes under `/api/canary` (see DESIGN.md for the contract). */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, service, store, analyzer } = options;
  const router = Router();
  const credentialsOf = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  // Before the general body parser, which would refuse its larger bodies.
  router.post(
    '/analyze',
    ...analyzer.handlers(async req => actorOf(await credentialsOf(req))),
  );
  router.use(express.json({ limit: BODY_LIMIT }));

  /** Throws NotAllowedError (with `refusal`, if given) unless `permission` is granted on the entity. */
  async function authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    refusal?: string,
  ) {
    const [decision] = await permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        refusal ??
          `You are not allowed to ${
            permission.attributes.action === 'read' ? 'see' : 'change'
          } rollouts of ${entityRef} (permission ${permission.name})`,
      );
    }
  }

  /** The subset of entity refs on which the caller has `permission`. */
  async function allowedRefs(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    refs: string[],
  ): Promise<Set<string>> {
    const unique = [...new Set(refs)];
    if (unique.length === 0) return new Set();
    const decisions = await permissions.authorize(
      unique.map(resourceRef => ({ permission, resourceRef })),
      { credentials },
    );
    return new Set(
      unique.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
    );
  }

  const readableRefs = (credentials: BackstageCredentials, refs: string[]) =>
    allowedRefs(credentials, canaryRolloutReadPermission, refs);

  /** Rollouts as the caller may see them: providers' error texts only where they may control. */
  async function visibleRollouts(
    credentials: BackstageCredentials,
    rollouts: RolloutRecord[],
  ): Promise<Rollout[]> {
    const controllable = await allowedRefs(
      credentials,
      canaryRolloutControlPermission,
      rollouts.map(r => r.entityRef),
    );
    return rollouts.map(r =>
      controllable.has(r.entityRef)
        ? toApi(r)
        : withoutProviderErrors(toApi(r)),
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
    const overridden = overriddenFields(body.strategy);
    if (overridden.length > 0) {
      await authorize(
        credentials,
        canaryRolloutOverridePermission,
        body.entityRef,
        `You are not allowed to override the strategy of rollouts of ${
          body.entityRef
        } (permission canary.rollout.override; this request sets ${overridden.join(
          ', ',
        )}); a configured preset needs only canary.rollout.launch`,
      );
    }
    const rollout = await service.launch(
      body,
      actorOf(credentials),
      credentials,
    );
    res.status(201).json(rollout);
  });

  router.get('/rollouts', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { phase, ...query } = parse(listQuerySchema, req.query, 'query');
    if (query.entityRef) {
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        query.entityRef,
      );
    }
    const page = await store.list({ ...query, phases: phase });
    // Filtered page by page, after the query: a page may hold fewer than `limit` items, even
    // none, while `nextCursor` says more follow. Only the permission policy knows who may read
    // what, so the database cannot filter.
    const allowed = query.entityRef
      ? new Set([query.entityRef])
      : await readableRefs(
          credentials,
          page.items.map(r => r.entityRef),
        );
    res.json({
      items: await visibleRollouts(
        credentials,
        page.items.filter(r => allowed.has(r.entityRef)),
      ),
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
    const [visible] = await visibleRollouts(credentials, [rollout]);
    res.json(visible);
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
    const analysis = await store.analysis(id);
    const controllable = await allowedRefs(
      credentials,
      canaryRolloutControlPermission,
      [rollout.entityRef],
    );
    res.json(
      controllable.has(rollout.entityRef)
        ? analysis
        : analysisWithoutProviderErrors(analysis),
    );
  });

  // Checks the audit trail's keyed chain, a bounded part per call: one rollout's events (read
  // permission on its entity), or the whole chain (canary.audit.verify).
  router.get('/audit/verify', async (req, res) => {
    const credentials = await credentialsOf(req);
    const query = parse(verifyQuerySchema, req.query, 'query');
    if (query.rolloutId) {
      const rollout = await service.get(query.rolloutId);
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        rollout.entityRef,
      );
    } else {
      const [decision] = await permissions.authorize(
        [{ permission: canaryAuditVerifyPermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          'You are not allowed to verify the whole audit trail (permission canary.audit.verify); with rolloutId, the read permission on its entity suffices',
        );
      }
    }
    res.json(await store.verifyAudit(query));
  });

  /**
   * Authorizes an audit query and returns what narrows a page of it to the events the caller may
   * read: a query for one entity or one rollout is authorized as a whole, any other event by event.
   * Providers' error texts stay only where the caller may control the rollout.
   */
  async function auditReader(
    credentials: BackstageCredentials,
    filter: { entityRef?: string; rolloutId?: string },
  ): Promise<(events: AuditEvent[]) => Promise<AuditEvent[]>> {
    if (filter.entityRef) {
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        filter.entityRef,
      );
    }
    if (filter.rolloutId) {
      const rollout = await service.get(filter.rolloutId);
      await authorize(
        credentials,
        canaryRolloutReadPermission,
        rollout.entityRef,
      );
    }
    const wholeQuery = Boolean(filter.entityRef || filter.rolloutId);
    return async events => {
      const refs = events.map(e => e.entityRef);
      const allowed = wholeQuery
        ? new Set(refs)
        : await readableRefs(credentials, refs);
      const controllable = await allowedRefs(
        credentials,
        canaryRolloutControlPermission,
        refs.filter(ref => allowed.has(ref)),
      );
      return events
        .filter(e => allowed.has(e.entityRef))
        .map(e =>
          controllable.has(e.entityRef) ? e : auditWithoutProviderErrors(e),
        );
    };
  }

  router.get('/audit', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { format, limit, cursor, ...filter } = parse(
      auditQuerySchema,
      req.query,
      'query',
    );
    const readable = await auditReader(credentials, filter);
    if (format === 'csv') {
      // Everything that matches from `cursor` on, exactly as /audit/export writes it.
      await streamAudit(
        res,
        'csv',
        auditPages(store, filter, readable, cursor),
      );
      return;
    }
    const page = await store.listAudit({ ...filter, limit, cursor });
    res.json({
      items: await readable(page.items),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/audit/export', async (req, res) => {
    const credentials = await credentialsOf(req);
    const { format, ...filter } = parse(
      auditExportQuerySchema,
      req.query,
      'query',
    );
    const readable = await auditReader(credentials, filter);
    await streamAudit(res, format, auditPages(store, filter, readable));
  });

  // Anything else under /api/canary: a 404 that says so, in the same error format.
  router.use(req => {
    throw new NotFoundError(`No route ${req.method} ${req.path}`);
  });

  return router;
}
