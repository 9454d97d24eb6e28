/**
 * The fleet's Redis client, as the fleet uses it (issue 15 item 4): every command bounded in time
 * (`commandTimeout`, the wait for a connection included), and every failure a `FleetError` whose
 * `cause` carries the client's message only (an ioredis `ReplyError` carries the command's
 * arguments, which may be the token record).
 *
 * @module
 */
import { FleetError } from '../errors'

/**
 * The members of an ioredis client (v5) the fleet uses: a structural type, so the package's types
 * need no ioredis.
 */
export interface RedisClientLike {
  eval: (script: string, numberOfKeys: number, ...args: Array<string | number>) => Promise<unknown>
  evalsha: (sha: string, numberOfKeys: number, ...args: Array<string | number>) => Promise<unknown>
  get: (key: string) => Promise<string | null>
  set: (key: string, value: string) => Promise<unknown>
  zrem: (key: string, ...members: Array<string | number>) => Promise<number>
  pttl: (key: string) => Promise<number>
  /** ioredis's connection state: `ready`, `connecting`, `reconnecting`, `end`… */
  readonly status?: string
  once?: (event: 'ready', listener: () => void) => unknown
  removeListener?: (event: 'ready', listener: () => void) => unknown
}

/** A command that got no answer in time. */
class CommandTimeout extends Error {
  override name = 'CommandTimeout'
}

/**
 * The same client, each command failing within `timeout` ms, the wait for a connection included.
 * Once a command failed while the client was not connected, the next ones fail at once until it
 * is connected again: the waiters in line for a budget do not each wait out the timeout.
 */
export function timedClient(redis: RedisClientLike, timeout: number): RedisClientLike {
  // One listener for every command that waits for the connection (one each would pass Node's listener limit).
  let ready: Promise<void> | undefined
  let unreachable = false
  const whenReady = (): Promise<void> => ready ??= new Promise<void>((resolve) => {
    redis.once!('ready', () => {
      ready = undefined
      unreachable = false
      resolve()
    })
  })
  const connected = (): Promise<void> | undefined => {
    // Not connected (yet, or again): wait for the connection within the command's time, rather than fail at once a client without an offline queue.
    if (redis.status === undefined || redis.status === 'ready' || redis.status === 'wait' || !redis.once) return undefined
    return whenReady()
  }
  const failed = (): void => {
    if (redis.status === undefined || redis.status === 'ready' || !redis.once) return
    unreachable = true
    void whenReady()
  }
  const timed = <A extends unknown[], R>(command: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    if (redis.status === 'end') return Promise.reject(new Error('the Redis client is closed (quit() or disconnect() was called)'))
    if (unreachable && redis.status !== 'ready') return Promise.reject(new Error(`Redis is unreachable (client status: ${redis.status})`))
    return new Promise<R>((resolve, reject) => {
      let expired = false
      const timer = setTimeout(() => {
        expired = true
        failed()
        reject(new CommandTimeout(`Redis did not answer within ${timeout} ms (client status: ${redis.status ?? 'unknown'})`))
      }, timeout)
      const send = (): void => {
        if (expired) return
        command.apply(redis, args).then(resolve, (error: unknown) => {
          failed()
          reject(error)
        }).finally(() => clearTimeout(timer))
      }
      const waiting = connected()
      if (waiting) void waiting.then(send)
      else send()
    })
  }
  return {
    eval: timed(redis.eval),
    evalsha: timed(redis.evalsha),
    get: timed(redis.get),
    set: timed(redis.set),
    zrem: timed(redis.zrem),
    pttl: timed(redis.pttl),
    get status() {
      return redis.status
    },
  }
}

/** The `FleetError` for an error of the client (or the fleet's own error as it is). */
export function fleetFailure(error: unknown, prefix: string, doing: string): FleetError {
  if (error instanceof FleetError) return error
  if (error instanceof CommandTimeout) return new FleetError('ERR_FLEET_TIMEOUT', prefix, `${doing}: ${error.message}`)
  const message = error instanceof Error ? error.message : String(error)
  const cause = new Error(message)
  Object.defineProperty(cause, 'name', { value: error instanceof Error ? error.name : 'Error', configurable: true, writable: true })
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') Object.assign(cause, { code })
  return new FleetError('ERR_FLEET_UNAVAILABLE', prefix, `${doing}: Redis failed (${message})`, { cause })
}
