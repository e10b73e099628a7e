import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { jsonEqual } from '../kube/jsonPatch';
import { PatchError, applyJsonPatch, applyMergePatch } from './patches';

/**
 * An in-process stand-in for kube-apiserver, on 127.0.0.1 over plain HTTP, implementing just what
 * the module and its tests use, the way kube-apiserver 1.20 does it (the contract suite runs the
 * same cases against both): namespaces (`default` and `kube-*` exist from the start); Deployments with `/status` and `/scale`; Istio
 * VirtualServices (v1 and v1beta1 of one stored object) and Gateway API HTTPRoutes with
 * `/status`. It keeps resourceVersion and generation, answers 409 when a write carries a stale
 * resourceVersion, takes JSON Patch and merge patch (415 for other content types, 422 when a patch
 * does not apply), and answers errors with kube-apiserver's Status bodies (or its plain-text 404
 * for resource types nobody serves). Bearer tokens: `token` may do anything, `unprivilegedToken`
 * nothing (403), anything else is 401.
 */

interface FakeResource {
  group: string;
  versions: string[];
  plural: string;
  kind: string;
  scalable: boolean;
  /** Fills in what the resource's schema defaults. */
  applyDefaults?: (object: StoredObject) => void;
}

type StoredObject = {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, any>;
  spec?: any;
  status?: any;
  [field: string]: any;
};

/** The Gateway API schema's default: a backendRef without a weight has weight 1. */
function defaultHttpRouteWeights(route: StoredObject) {
  for (const rule of route.spec?.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      if (ref.weight === undefined) ref.weight = 1;
    }
  }
}

const RESOURCES: FakeResource[] = [
  {
    group: 'apps',
    versions: ['v1'],
    plural: 'deployments',
    kind: 'Deployment',
    scalable: true,
  },
  {
    group: 'networking.istio.io',
    versions: ['v1', 'v1beta1'],
    plural: 'virtualservices',
    kind: 'VirtualService',
    scalable: false,
  },
  {
    group: 'gateway.networking.k8s.io',
    versions: ['v1'],
    plural: 'httproutes',
    kind: 'HTTPRoute',
    scalable: false,
    applyDefaults: defaultHttpRouteWeights,
  },
];

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A request as the fake saw it, for tests that check what the client sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
}

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';

/** The in-process fake API server; see the file's comment. */
export class FakeKubeApiServer {
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Those a new cluster has, as on a real server. */
  private readonly namespaces = new Set([
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
  ]);
  private readonly objects = new Map<string, StoredObject>();
  private resourceVersion = 100;

  private constructor(
    private readonly server: http.Server,
    private readonly options: { token?: string; unprivilegedToken?: string },
  ) {}

  /** Starts a fake on a free port of 127.0.0.1. */
  static async start(
    options: { token?: string; unprivilegedToken?: string } = {},
  ): Promise<FakeKubeApiServer> {
    const server = http.createServer();
    const fake = new FakeKubeApiServer(server, options);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private nextResourceVersion() {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const contentType = req.headers['content-type']?.split(';')[0].trim();
      this.requests.push({ method: req.method!, path: req.url!, contentType });
      try {
        const { code, body } = this.route(
          req.method!,
          new URL(req.url!, 'http://fake').pathname,
          req.headers.authorization,
          contentType,
          Buffer.concat(chunks).toString('utf8'),
        );
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      } catch (error) {
        if (
          error instanceof ApiError &&
          error.code === 404 &&
          error.reason === 'PageNotFound'
        ) {
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('404 page not found\n');
          return;
        }
        const e =
          error instanceof ApiError
            ? error
            : new ApiError(500, 'InternalError', String(error));
        res.writeHead(e.code, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: e.message,
            reason: e.reason,
            ...(e.details && { details: e.details }),
            code: e.code,
          }),
        );
      }
    });
  }

  private route(
    method: string,
    path: string,
    authorization: string | undefined,
    contentType: string | undefined,
    rawBody: string,
  ): { code: number; body: unknown } {
    const parts = path.split('/').filter(Boolean);
    const privileged = this.authenticate(authorization);
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces') {
      if (!privileged)
        this.forbid(method, '', 'namespaces', undefined, parts[3]);
      return this.namespaceRequest(method, parts[3], rawBody);
    }
    const [apis, group, version, namespacesWord, namespace, plural, name, sub] =
      parts;
    const resource = RESOURCES.find(
      r =>
        r.group === group &&
        r.versions.includes(version) &&
        r.plural === plural,
    );
    const known =
      apis === 'apis' &&
      namespacesWord === 'namespaces' &&
      resource &&
      parts.length <= 8 &&
      (sub === undefined ||
        sub === 'status' ||
        (sub === 'scale' && resource.scalable));
    if (!known || !resource) {
      throw new ApiError(404, 'PageNotFound', '404 page not found');
    }
    if (!privileged) this.forbid(method, group, plural, sub, name, namespace);
    const body = () => this.parseBody(rawBody);
    if (name === undefined) {
      if (method !== 'POST')
        throw new ApiError(405, 'MethodNotAllowed', 'the fake lists nothing');
      return {
        code: 201,
        body: this.create(resource, version, namespace, body()),
      };
    }
    if (method === 'GET') {
      const stored = this.get(resource, namespace, name);
      return {
        code: 200,
        body:
          sub === 'scale' ? this.scaleOf(stored) : this.output(stored, version),
      };
    }
    if (method === 'PATCH') {
      const apply = this.patcher(resource, contentType);
      return {
        code: 200,
        body: this.patch(resource, version, namespace, name, sub, document =>
          apply(document, body()),
        ),
      };
    }
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the fake does not implement ${method}`,
    );
  }

  /** True for the privileged token; false for the unprivileged one; 401 for others. */
  private authenticate(authorization: string | undefined): boolean {
    const { token, unprivilegedToken } = this.options;
    if (token === undefined) return true;
    if (authorization === `Bearer ${token}`) return true;
    if (
      unprivilegedToken !== undefined &&
      authorization === `Bearer ${unprivilegedToken}`
    ) {
      return false;
    }
    throw new ApiError(401, 'Unauthorized', 'Unauthorized');
  }

  private forbid(
    method: string,
    group: string,
    plural: string,
    sub: string | undefined,
    name: string | undefined,
    namespace?: string,
  ): never {
    const verb =
      { GET: 'get', POST: 'create', PATCH: 'patch', PUT: 'update' }[method] ??
      method.toLowerCase();
    const resource = group ? `${plural}.${group}` : plural;
    const subject = name ? `${resource} "${name}"` : resource;
    throw new ApiError(
      403,
      'Forbidden',
      `${subject} is forbidden: User "canary-nobody" cannot ${verb} resource "${plural}${
        sub ? `/${sub}` : ''
      }" in API group "${group}"${
        namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'
      }`,
      { ...(name && { name }), group, kind: plural },
    );
  }

  private parseBody(rawBody: string): any {
    try {
      return JSON.parse(rawBody);
    } catch (error) {
      throw new ApiError(400, 'BadRequest', `invalid JSON body: ${error}`);
    }
  }

  private namespaceRequest(
    method: string,
    name: string | undefined,
    rawBody: string,
  ) {
    if (method === 'POST' && name === undefined) {
      const created = this.parseBody(rawBody)?.metadata?.name;
      if (typeof created !== 'string')
        throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
      if (this.namespaces.has(created)) {
        throw new ApiError(
          409,
          'AlreadyExists',
          `namespaces "${created}" already exists`,
          { name: created, kind: 'namespaces' },
        );
      }
      this.namespaces.add(created);
      return {
        code: 201,
        body: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: created },
        },
      };
    }
    if (method === 'GET' && name !== undefined) {
      if (!this.namespaces.has(name)) {
        throw new ApiError(404, 'NotFound', `namespaces "${name}" not found`, {
          name,
          kind: 'namespaces',
        });
      }
      return {
        code: 200,
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      };
    }
    throw new ApiError(
      405,
      'MethodNotAllowed',
      `the fake does not implement ${method} on namespaces`,
    );
  }

  private key(resource: FakeResource, namespace: string, name: string) {
    return `${resource.group}/${resource.plural}/${namespace}/${name}`;
  }

  private label(resource: FakeResource, name: string) {
    return `${resource.plural}.${resource.group} "${name}"`;
  }

  private get(
    resource: FakeResource,
    namespace: string,
    name: string,
  ): StoredObject {
    const stored = this.objects.get(this.key(resource, namespace, name));
    if (!stored) {
      throw new ApiError(
        404,
        'NotFound',
        `${this.label(resource, name)} not found`,
        {
          name,
          group: resource.group,
          kind: resource.plural,
        },
      );
    }
    return stored;
  }

  private output(stored: StoredObject, version: string): StoredObject {
    return {
      ...structuredClone(stored),
      apiVersion: `${stored.apiVersion!.split('/')[0]}/${version}`,
    };
  }

  private create(
    resource: FakeResource,
    version: string,
    namespace: string,
    body: any,
  ) {
    const name = body?.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      throw new ApiError(
        422,
        'Invalid',
        `${resource.kind} is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    if (!this.namespaces.has(namespace)) {
      throw new ApiError(
        404,
        'NotFound',
        `namespaces "${namespace}" not found`,
        { name: namespace, kind: 'namespaces' },
      );
    }
    const key = this.key(resource, namespace, name);
    if (this.objects.has(key)) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${this.label(resource, name)} already exists`,
        {
          name,
          group: resource.group,
          kind: resource.plural,
        },
      );
    }
    const { status: _ignored, ...rest } = structuredClone(body);
    const stored: StoredObject = {
      ...rest,
      apiVersion: `${resource.group}/${version}`,
      kind: resource.kind,
      metadata: {
        ...rest.metadata,
        namespace,
        uid: randomUUID(),
        resourceVersion: this.nextResourceVersion(),
        generation: 1,
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      // Deployments start with an empty status; custom resources with a status subresource without.
      ...(resource.scalable && { status: {} }),
    };
    resource.applyDefaults?.(stored);
    this.validate(resource, stored);
    this.objects.set(key, stored);
    return this.output(stored, version);
  }

  private patcher(resource: FakeResource, contentType: string | undefined) {
    if (contentType === JSON_PATCH) return applyJsonPatch;
    if (contentType === MERGE_PATCH) return applyMergePatch;
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      resource.group === 'apps' &&
      contentType !== 'application/strategic-merge-patch+json'
        ? '415: Unsupported Media Type'
        : `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}${
            resource.group === 'apps' ? '' : ', application/apply-patch+yaml'
          }`,
    );
  }

  private scaleOf(stored: StoredObject) {
    const { name, namespace, uid, resourceVersion, creationTimestamp } =
      stored.metadata;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
      spec: { replicas: stored.spec?.replicas ?? 1 },
      status: {
        replicas: stored.status?.replicas ?? 0,
        selector: Object.entries(stored.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    };
  }

  /** Applies a patch to an object, its status or its scale, like the real server's rules. */
  private patch(
    resource: FakeResource,
    version: string,
    namespace: string,
    name: string,
    sub: string | undefined,
    apply: (document: unknown) => unknown,
  ) {
    const stored = this.get(resource, namespace, name);
    const before =
      sub === 'scale' ? this.scaleOf(stored) : this.output(stored, version);
    let patched: StoredObject;
    try {
      patched = apply(before) as StoredObject;
    } catch (error) {
      if (error instanceof PatchError) {
        throw new ApiError(
          422,
          'Invalid',
          'the server rejected our request due to an error in our request',
          {},
        );
      }
      throw error;
    }
    const patchedVersion = patched?.metadata?.resourceVersion;
    if (
      patchedVersion !== undefined &&
      patchedVersion !== stored.metadata.resourceVersion
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${this.label(
          resource,
          name,
        )}: the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: resource.group, kind: resource.plural },
      );
    }
    const next = structuredClone(stored);
    if (sub === 'scale') {
      next.spec = { ...next.spec, replicas: patched.spec?.replicas };
    } else if (sub === 'status') {
      next.status = patched.status;
    } else {
      // The main resource ignores status and the server-owned metadata.
      const { uid, resourceVersion, generation, creationTimestamp } =
        stored.metadata;
      Object.assign(next, patched, {
        apiVersion: stored.apiVersion,
        kind: stored.kind,
        metadata: {
          ...patched.metadata,
          name,
          namespace,
          uid,
          resourceVersion,
          generation,
          creationTimestamp,
        },
        status: stored.status,
      });
      if (next.status === undefined) delete next.status;
      resource.applyDefaults?.(next);
    }
    this.validate(resource, next);
    if (!jsonEqual(next, stored)) {
      if (!jsonEqual(next.spec, stored.spec)) {
        next.metadata.generation = stored.metadata.generation + 1;
      }
      next.metadata.resourceVersion = this.nextResourceVersion();
      this.objects.set(this.key(resource, namespace, name), next);
    }
    return sub === 'scale' ? this.scaleOf(next) : this.output(next, version);
  }

  /** kube-apiserver's ValidateDeploymentStatus: counts are consistent with each other. */
  private validateDeploymentStatus(deployment: StoredObject) {
    const status = deployment.status ?? {};
    const count = (field: string) => status[field] ?? 0;
    const rules: Array<[string, string]> = [
      ['updatedReplicas', 'replicas'],
      ['readyReplicas', 'replicas'],
      ['availableReplicas', 'replicas'],
      ['availableReplicas', 'readyReplicas'],
    ];
    for (const [field, limit] of rules) {
      if (count(field) > count(limit)) {
        throw new ApiError(
          422,
          'Invalid',
          `Deployment.apps "${
            deployment.metadata.name
          }" is invalid: status.${field}: Invalid value: ${count(
            field,
          )}: cannot be greater than status.${limit}`,
          { name: deployment.metadata.name, group: 'apps', kind: 'Deployment' },
        );
      }
    }
  }

  /** The schema checks the real server makes that the tests rely on. */
  private validate(resource: FakeResource, object: StoredObject) {
    if (resource.kind === 'Deployment') {
      this.validateDeploymentStatus(object);
      return;
    }
    if (resource.kind !== 'HTTPRoute') return;
    for (const rule of object.spec?.rules ?? []) {
      for (const ref of rule.backendRefs ?? []) {
        if (
          !Number.isInteger(ref.weight) ||
          ref.weight < 0 ||
          ref.weight > 1000000
        ) {
          throw new ApiError(
            422,
            'Invalid',
            `HTTPRoute.gateway.networking.k8s.io "${object.metadata.name}" is invalid: spec.rules.backendRefs.weight: Invalid value: ${ref.weight}: spec.rules.backendRefs.weight in body should be greater than or equal to 0`,
            {
              name: object.metadata.name,
              group: resource.group,
              kind: resource.kind,
            },
          );
        }
      }
    }
  }
}
