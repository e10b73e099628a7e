import knexFactory, { type Knex } from 'knex';
import type { PostgresDatabase } from '../harness/backendConfig';

/**
 * The engine's tick claims, read straight from the canary plugin's PostgreSQL database: the one
 * look a harness takes behind the API, to tell whether a killed backend died holding rollouts.
 */
export class TickClaims {
  private readonly knex: Knex;

  constructor(database: PostgresDatabase) {
    // The backend's database manager gives each plugin a database of its own: `<prefix><plugin>`.
    const url = new URL(database.url);
    url.pathname = `/${database.prefix}canary`;
    this.knex = knexFactory({
      client: 'pg',
      connection: url.toString(),
      pool: { min: 0, max: 1 },
    });
  }

  /**
   * How many active rollouts are claimed by passes that began before `killedAt` and still hold
   * them: a claim lasts `claimMs`, so a later pass's claim runs out after `killedAt + claimMs`.
   * With every surviving backend idle (a pass releases its claims before it ends), those are the
   * claims of the killed one.
   */
  async heldSince(killedAt: number, claimMs: number): Promise<number> {
    const [{ count }] = await this.knex('canary_rollouts')
      .whereNotNull('active_target')
      .where('tick_claimed_until', '>', new Date().toISOString())
      .where(
        'tick_claimed_until',
        '<=',
        new Date(killedAt + claimMs).toISOString(),
      )
      .count({ count: '*' });
    return Number(count);
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
