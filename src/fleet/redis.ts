/**
 * A fleet on Redis (issue 15): `createRedisFleet(redis, { prefix })`, for `createSession({ fleet })`.
 * Every process whose fleet has the same prefix shares:
 *
 * - the budgets of `limit`: `perHost` and `concurrency` are slots of a redis-semaphore
 *   `Semaphore`, each held under a lease (`lease`, renewed while the request is in flight), so the
 *   slots of a process that dies come back within one lease; `rps` is a start budget in
 *   rate-limiter-flexible's `RateLimiterRedis`, whose script here spaces the starts of the whole
 *   fleet by `1000 / rps` ms (its own fixed window lets twice the limit through across a window's
 *   end);
 * - the pause a `429` or `503` asks for: a key `<prefix>:pause:<host>` that expires when the pause
 *   ends, read before each request is sent;
 * - the bearer refresh: a redis-semaphore `Mutex` (`<prefix>:refresh`, lease `refreshLease`,
 *   renewed while `refresh()` runs) and the token record `<prefix>:token`.
 *
 * In each process the waiters take their turns in order (`Turns`): only the one whose turn it is
 * polls Redis. Every command is bounded by `commandTimeout`; a failure is a `FleetError`.
 *
 * @module
 */
import { Mutex, Semaphore } from 'redis-semaphore'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { FleetError, invalidOption } from '../errors'
import { NEVER_ABORTED, sleep } from '../timeout'
import type { Fleet, FleetLimits, FleetToken } from './contract'
import { REDIS_FLEET_DEFAULTS } from './defaults'
import { fleetFailure, timedClient } from './redis-client'
import type { RedisClientLike } from './redis-client'
import { Turns } from './turns'

export type { RedisClientLike }

/** Options of `createRedisFleet()`. */
export interface RedisFleetOptions {
  /** The prefix of the fleet's keys: the processes whose fleets have the same prefix share their budgets, pauses and token. */
  prefix: string
  /**
   * How long a slot (`perHost`, `concurrency`) outlives a process that stops renewing it, in ms:
   * a process killed with its requests in flight gives their slots back within this time.
   * Renewed every third of it while a request is in flight.
   * @default 10_000
   */
  lease?: number
  /**
   * How long the refresh lock outlives a process that stops renewing it, in ms: a process killed
   * during `refresh()` is replaced by another one within this time. Renewed every third of it
   * while `refresh()` runs.
   * @default 5_000
   */
  refreshLease?: number
  /** How long one Redis command (the wait for a connection included) may take before the call fails with `FleetError` (`ERR_FLEET_TIMEOUT`), in ms. @default 2_000 */
  commandTimeout?: number
  /** How often the process whose turn it is asks again for a slot that was taken, or for the refresh lock, in ms. @default 20 */
  pollInterval?: number
  /** The longest pause a `Retry-After` may put on a host, in ms (a longer one is cut to it). @default 60_000 */
  maxPause?: number
  /** How long a process waits for another one's refresh (whose lock it renews) before its calls fail with `FleetError`, in ms. @default 30_000 */
  refreshTimeout?: number
}

export { REDIS_FLEET_DEFAULTS }

/**
 * One start per `interval` ms for the whole fleet, as `RateLimiterRedis`'s script: the key lives
 * for `interval` ms after a start, so the next start waits for it to expire (`PTTL`). Its
 * arguments are rate-limiter-flexible's: points to consume, the duration in whole seconds, the
 * limiter's points and its duration; `points / duration` is the rate.
 */
const SPACING_SCRIPT = `
local interval = math.ceil(1000 * tonumber(ARGV[4]) / tonumber(ARGV[3]))
if redis.call('set', KEYS[1], '1', 'PX', interval, 'NX') then return {1, interval} end
local left = redis.call('pttl', KEYS[1])
if left < 1 then left = 1 end
return {tonumber(ARGV[3]) + 1, left}`

/** Pauses a host: the key expires when the pause ends; an earlier end never shortens a later one. */
const PAUSE_SCRIPT = `
if redis.call('pttl', KEYS[1]) < tonumber(ARGV[1]) then redis.call('set', KEYS[1], '1', 'PX', ARGV[1]) end
return 1`

function checkDuration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw invalidOption(name, `\`${name}\` must be a number of ms above 0, got ${String(value)}`)
  return value
}

/** The options, checked, with their defaults. */
function readOptions(redis: unknown, options: RedisFleetOptions): Required<RedisFleetOptions> {
  if (typeof redis !== 'object' || redis === null || typeof (redis as RedisClientLike).evalsha !== 'function') throw invalidOption('redis', 'createRedisFleet() takes an ioredis client (new Redis(url))')
  const prefix = (options as RedisFleetOptions | undefined)?.prefix
  if (typeof prefix !== 'string' || prefix === '') throw invalidOption('prefix', 'createRedisFleet() needs a non-empty `prefix`: the processes with the same prefix share their limits')
  const read = (key: keyof typeof REDIS_FLEET_DEFAULTS): number => checkDuration(key, Object.prototype.hasOwnProperty.call(options, key) ? options[key] : undefined, REDIS_FLEET_DEFAULTS[key])
  return { prefix, lease: read('lease'), refreshLease: read('refreshLease'), commandTimeout: read('commandTimeout'), pollInterval: read('pollInterval'), maxPause: read('maxPause'), refreshTimeout: read('refreshTimeout') }
}

/** A slot held by this process, and how to renew it. */
interface Held {
  lock: Semaphore
  renew: () => Promise<boolean>
}

/**
 * A fleet whose state is on Redis, through `redis`, an ioredis client (v5) of your own (the fleet
 * never closes it). Give every process the same `prefix` and the same `limit`.
 *
 * Recommended client options: `{ enableOfflineQueue: false, maxRetriesPerRequest: 1 }`: a
 * command sent while Redis is away fails at once (with the offline queue, it would wait for
 * `commandTimeout`, and run when Redis is back, taking a slot nobody holds for one lease).
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * import { createSession } from 'fetch-session'
 * import { createRedisFleet } from 'fetch-session/fleet/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
 * const fleet = createRedisFleet(redis, { prefix: 'crawler' })
 * const session = createSession({ fleet, limit: { perHost: 2, rps: 10 }, auth: { bearer, refresh } })
 * ```
 */
export function createRedisFleet(redis: RedisClientLike, options: RedisFleetOptions): Fleet {
  return new RedisFleet(redis, readOptions(redis, options))
}

/** The fleet behind `createRedisFleet()`. */
class RedisFleet implements Fleet {
  readonly prefix: string
  readonly #client: RedisClientLike
  readonly #options: Required<RedisFleetOptions>
  readonly #turns = new Turns()
  readonly #held = new Set<Held>()
  readonly #starts = new Map<number, RateLimiterRedis>()
  #renewal: ReturnType<typeof setInterval> | undefined

  constructor(redis: RedisClientLike, options: Required<RedisFleetOptions>) {
    this.prefix = options.prefix
    this.#options = options
    this.#client = timedClient(redis, options.commandTimeout)
  }

  async acquire(host: string, limits: FleetLimits, signal: AbortSignal): Promise<() => void> {
    for (;;) {
      let held: Held[] = []
      try {
        if (Number.isFinite(limits.perHost)) held.push(await this.#slot(`${this.prefix}:host:${host}`, limits.perHost, signal))
        if (Number.isFinite(limits.concurrency)) held.push(await this.#slot(`${this.prefix}:concurrency`, limits.concurrency, signal))
        if (Number.isFinite(limits.rps)) await this.#start(limits.rps, signal)
        // Read last, just before the request goes out: a pause set while this one waited holds it too.
        const paused = await this.#command('reading the host\'s pause', () => this.#client.pttl(this.#pauseKey(host)))
        if (paused <= 0) return this.#releaser(held)
        this.#releaser(held)()
        held = []
        await sleep(paused, signal)
      }
      catch (error) {
        this.#releaser(held)()
        throw error
      }
    }
  }

  async pause(host: string, ms: number): Promise<void> {
    const length = Math.ceil(Math.min(ms, this.#options.maxPause))
    await this.#command('pausing the host', () => this.#client.eval(PAUSE_SCRIPT, 1, this.#pauseKey(host), length))
  }

  async token(): Promise<FleetToken | undefined> {
    const text = await this.#command('reading the token record', () => this.#client.get(this.#tokenKey()))
    return parseToken(text)
  }

  async refresh(used: string, refresh: (record: FleetToken | undefined) => Promise<{ token: string, refreshToken?: string }>): Promise<FleetToken> {
    const until = Date.now() + this.#options.refreshTimeout
    for (;;) {
      const record = await this.token()
      // Another process refreshed since this one's request was sent: its token, without a refresh.
      if (record && record.token !== used) return record
      const lock = new Mutex(this.#client as never, `${this.prefix}:refresh`, { lockTimeout: this.#options.refreshLease, acquireAttemptsLimit: 1, retryInterval: 0, refreshInterval: 0, onLockLost: noop })
      if (await this.#command('taking the refresh lock', () => lock.tryAcquire())) return this.#refreshHolding(lock, used, refresh)
      if (Date.now() > until) throw new FleetError('ERR_FLEET_TIMEOUT', this.prefix, `another process held the refresh lock for more than ${this.#options.refreshTimeout} ms (refreshTimeout)`)
      await sleep(this.#options.pollInterval, NEVER_ABORTED)
    }
  }

  /** With the refresh lock: the record once more (the holder before may have just written it), else `refresh()` and a new record. */
  async #refreshHolding(lock: Mutex, used: string, refresh: (record: FleetToken | undefined) => Promise<{ token: string, refreshToken?: string }>): Promise<FleetToken> {
    const renewal = setInterval(() => {
      const again = new Mutex(this.#client as never, `${this.prefix}:refresh`, { identifier: lock.identifier, acquiredExternally: true, lockTimeout: this.#options.refreshLease, refreshInterval: 0, onLockLost: noop })
      again.tryAcquire().catch(noop)
    }, this.#options.refreshLease / 3)
    unref(renewal)
    try {
      const record = await this.token()
      if (record && record.token !== used) return record
      const result = await refresh(record)
      const next: FleetToken = { token: result.token, generation: (record?.generation ?? 0) + 1 }
      if (result.refreshToken !== undefined) next.refreshToken = result.refreshToken
      await this.#command('writing the token record', () => this.#client.set(this.#tokenKey(), JSON.stringify(next)))
      return next
    }
    finally {
      clearInterval(renewal)
      lock.release().catch(noop)
    }
  }

  /** One slot of the semaphore `key` (at most `limit` held in the fleet), when this process's earlier waiters for it have theirs. */
  #slot(key: string, limit: number, signal: AbortSignal): Promise<Held> {
    return this.#turns.run(key, signal, async () => {
      const { lease, pollInterval } = this.#options
      for (;;) {
        const lock = new Semaphore(this.#client as never, key, limit, { lockTimeout: lease, acquireAttemptsLimit: 1, retryInterval: 0, refreshInterval: 0, onLockLost: noop })
        if (await this.#command('taking a slot', () => lock.tryAcquire())) {
          const renew = (): Promise<boolean> => new Semaphore(this.#client as never, key, limit, { identifier: lock.identifier, acquiredExternally: true, lockTimeout: lease, refreshInterval: 0, onLockLost: noop }).tryAcquire()
          const held = { lock, renew }
          this.#hold(held)
          return held
        }
        await sleep(pollInterval, signal)
      }
    })
  }

  /** One start of the fleet's per-second budget, when this process's earlier waiters for it have theirs. */
  #start(rps: number, signal: AbortSignal): Promise<void> {
    const limiter = this.#startLimiter(rps)
    return this.#turns.run(`${this.prefix}:rps`, signal, async () => {
      for (;;) {
        let wait: number
        try {
          await limiter.consume(`${this.prefix}:rps`)
          return
        }
        catch (result) {
          if (result instanceof Error) throw fleetFailure(result, this.prefix, 'counting a start')
          wait = (result as { msBeforeNext: number }).msBeforeNext
        }
        await sleep(Math.max(1, wait), signal)
      }
    })
  }

  /**
   * The start limiter for `rps`: `points / duration` is the rate, the duration at least a second
   * (rate-limiter-flexible counts it in whole seconds). Its client has `eval` only, so the limiter
   * defines no command on the caller's ioredis client (one named as rate-limiter-flexible's own
   * would replace another limiter's script there).
   */
  #startLimiter(rps: number): RateLimiterRedis {
    let limiter = this.#starts.get(rps)
    if (!limiter) {
      const client = this.#client
      const storeClient = {
        eval: (...args: unknown[]): void => {
          const callback = args.pop() as (error: unknown, result?: unknown) => void
          client.eval(...(args as [string, number, ...string[]])).then(result => callback(null, result), error => callback(error))
        },
      }
      const points = Math.ceil(rps)
      limiter = new RateLimiterRedis({ storeClient, useRedis3AndLowerPackage: true, customIncrTtlLuaScript: SPACING_SCRIPT, keyPrefix: '', points, duration: points / rps })
      this.#starts.set(rps, limiter)
    }
    return limiter
  }

  /** Keeps `held` renewed until it is given back. */
  #hold(held: Held): void {
    this.#held.add(held)
    if (this.#renewal !== undefined) return
    this.#renewal = setInterval(() => this.#renew(), this.#options.lease / 3)
    unref(this.#renewal)
  }

  #renew(): void {
    for (const held of this.#held) {
      // A slot whose lease ran out (Redis away for longer than it) is lost: the request goes on.
      held.renew().then((kept) => {
        if (!kept) this.#held.delete(held)
      }, noop)
    }
  }

  /** Gives `held` back, once. */
  #releaser(held: readonly Held[]): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      for (const item of held) {
        this.#held.delete(item)
        // A release that fails leaves the slot to its lease.
        item.lock.release().catch(noop)
      }
      if (this.#held.size === 0 && this.#renewal !== undefined) {
        clearInterval(this.#renewal)
        this.#renewal = undefined
      }
    }
  }

  /** Runs a command (or a library's commands); its failure is a `FleetError` saying what was being done. */
  async #command<T>(doing: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    }
    catch (error) {
      throw fleetFailure(error, this.prefix, doing)
    }
  }

  #pauseKey(host: string): string {
    return `${this.prefix}:pause:${host}`
  }

  #tokenKey(): string {
    return `${this.prefix}:token`
  }
}

/** The token record, or `undefined` for none (or one this version cannot read). */
function parseToken(text: string | null): FleetToken | undefined {
  if (text === null) return undefined
  try {
    const record = JSON.parse(text) as Partial<FleetToken> | null
    if (typeof record?.token !== 'string' || record.token === '' || typeof record.generation !== 'number') return undefined
    const token: FleetToken = { token: record.token, generation: record.generation }
    if (typeof record.refreshToken === 'string') token.refreshToken = record.refreshToken
    return token
  }
  catch {
    return undefined
  }
}

function noop(): void {}

/** Timers of the fleet never keep a process alive. */
function unref(timer: ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.()
}
