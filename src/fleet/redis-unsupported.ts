/**
 * `fetch-session/fleet/redis` under the `workerd` and `browser` conditions: Workers and pages have
 * no TCP client for Redis (ioredis needs node:net), so `createRedisFleet()` throws
 * `UnsupportedOptionError` there instead of failing on an import deep inside ioredis.
 *
 * @module
 */
import { UnsupportedOptionError } from '../errors'
import type { Fleet } from './contract'
import type { RedisClientLike, RedisFleetOptions } from './redis'

export type { RedisClientLike, RedisFleetOptions }

export { REDIS_FLEET_DEFAULTS } from './defaults'

/** Throws `UnsupportedOptionError`: a fleet on Redis needs Node, Deno or Bun. */
export function createRedisFleet(_redis: RedisClientLike, _options: RedisFleetOptions): Fleet {
  const runtime = typeof (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'string' && /Cloudflare-Workers/.test((globalThis as { navigator: { userAgent: string } }).navigator.userAgent) ? 'workerd' : 'browser'
  throw new UnsupportedOptionError('fleet', runtime, 'a fleet on Redis needs a TCP client (ioredis), which Workers and browsers do not have; run the fleet on Node, Deno or Bun', runtime === 'workerd' ? 'workerd (Cloudflare Workers)' : 'browsers')
}
