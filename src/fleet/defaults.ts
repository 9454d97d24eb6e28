/**
 * The defaults of `createRedisFleet()`'s options, in a module of their own: the Redis fleet and
 * the stub the workerd and browser builds resolve to both export them, and the stub must not
 * load redis-semaphore or rate-limiter-flexible.
 *
 * @module
 */
/** The defaults of `RedisFleetOptions`, in ms. */
export const REDIS_FLEET_DEFAULTS: Readonly<{ lease: number, refreshLease: number, commandTimeout: number, pollInterval: number, maxPause: number, refreshTimeout: number }> = Object.freeze({
  lease: 10_000,
  refreshLease: 5_000,
  commandTimeout: 2_000,
  pollInterval: 20,
  maxPause: 60_000,
  refreshTimeout: 30_000,
})
