import { InputError, ServiceUnavailableError } from '@backstage/errors';
import type { RolloutTarget } from '@canary-release/backstage-plugin-canary-common';
import type {
  CanaryProvidersExtensionPoint,
  MetricsProvider,
  TrafficRouter,
  WorkloadController,
} from '@canary-release/backstage-plugin-canary-node';

/** The providers a target uses. */
export interface TargetProviders {
  router: TrafficRouter;
  metrics: MetricsProvider;
  workload: WorkloadController;
}

/** What backend modules registered through the extension point, by kind. */
export class ProviderRegistry implements CanaryProvidersExtensionPoint {
  private readonly routers = new Map<string, TrafficRouter>();
  private readonly metrics = new Map<string, MetricsProvider>();
  private readonly workloads = new Map<string, WorkloadController>();

  addTrafficRouter(kind: string, router: TrafficRouter) {
    register(this.routers, 'traffic router', kind, router);
  }

  addMetricsProvider(kind: string, provider: MetricsProvider) {
    register(this.metrics, 'metrics provider', kind, provider);
  }

  addWorkloadController(kind: string, controller: WorkloadController) {
    register(this.workloads, 'workload controller', kind, controller);
  }

  /**
   * The providers of a target to launch on, once the router and the workload controller accepted
   * it (`checkTarget`: a TargetRefusedError, a 403, when one will not act on it); an InputError
   * naming what is missing.
   */
  async forTarget(target: RolloutTarget): Promise<TargetProviders> {
    const missing = this.missingFor(target);
    if (missing.length > 0) throw new InputError(this.notInstalled(missing));
    const providers = this.forRunning(target);
    await providers.workload.checkTarget?.(target);
    await providers.router.checkTarget?.(target);
    return providers;
  }

  /**
   * The providers of a rollout already under way. A kind missing here (its module is not
   * installed in this instance, or did not start) stands in as a provider whose every call fails,
   * so the rollout waits as it would for a cluster that does not answer: the fault is recorded,
   * nothing is promoted, and it goes on once the module is back. Failing the rollout instead
   * would end it, traffic still split, for a mistake in how a backend was deployed.
   */
  forRunning(target: RolloutTarget): TargetProviders {
    const fail = async (): Promise<never> => {
      throw new ServiceUnavailableError(
        this.notInstalled(this.missingFor(target)),
      );
    };
    return {
      router: this.routers.get(target.router) ?? {
        getWeights: fail,
        setWeights: fail,
      },
      metrics: this.metrics.get(target.metrics) ?? { sample: fail },
      workload: this.workloads.get(target.workload) ?? {
        getState: fail,
        deployCanary: fail,
        removeCanary: fail,
        setStableVersion: fail,
      },
    };
  }

  private missingFor(target: RolloutTarget): string[] {
    return [
      !this.routers.has(target.router) && `traffic router "${target.router}"`,
      !this.metrics.has(target.metrics) &&
        `metrics provider "${target.metrics}"`,
      !this.workloads.has(target.workload) &&
        `workload controller "${target.workload}"`,
    ].filter((name): name is string => Boolean(name));
  }

  private notInstalled(missing: string[]): string {
    return `No ${missing.join(
      ', ',
    )} is installed in this backend (installed: routers ${list(
      this.routers,
    )}; metrics ${list(this.metrics)}; workloads ${list(this.workloads)})`;
  }
}

function register<T>(map: Map<string, T>, what: string, kind: string, impl: T) {
  if (map.has(kind)) {
    throw new Error(`A ${what} of kind "${kind}" is already registered`);
  }
  map.set(kind, impl);
}

function list(map: Map<string, unknown>): string {
  return map.size ? [...map.keys()].join(', ') : 'none';
}
