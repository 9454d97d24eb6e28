/**
 * The `fleet` option (issue 15): read at `createSession()` only, shared by the session's `extend()`
 * children, and used by two layers: the limiter (shared budgets and pauses, src/limit.ts) and the
 * auth layer (one refresh for the fleet, src/auth.ts). This layer has no middleware of its own.
 *
 * @module
 */
import { invalidOption, UnsupportedOptionError } from '../errors'
import type { LayerSpec, MergeContext, ReadContext, StackContext } from '../layer'
import { own } from '../own'
import type { Fleet } from './contract'

/** The runtimes where no fleet can work, and why (what the `UnsupportedOptionError` says). */
const UNSUPPORTED: Readonly<Record<string, string>> = Object.freeze({
  workerd: 'Workers have no TCP client for Redis (ioredis needs node:net); give each Worker its own `limit`, or put the shared limits in a Durable Object',
  browser: 'a page cannot reach Redis; the server it talks to must hold the shared limits',
})

/** True for an object with a fleet's members (the store is the caller's: any object that keeps the contract). */
function isFleet(value: unknown): value is Fleet {
  if (typeof value !== 'object' || value === null) return false
  const fleet = value as Record<string, unknown>
  return typeof fleet.prefix === 'string' && ['acquire', 'pause', 'token', 'refresh'].every(name => typeof fleet[name] === 'function')
}

/** A session's `fleet`: refused anywhere but `createSession()` (a mount, a request and `$fetch.create()` have no session-wide state). */
function readFleet(source: object, context: ReadContext): Fleet | undefined {
  const fleet = own<unknown>(source, 'fleet')
  if (fleet === undefined) return undefined
  if (context.level !== 'session' || context.stateless) throw invalidOption('fleet', '`fleet` is a session\'s: pass it to createSession()')
  if (!isFleet(fleet)) throw invalidOption('fleet', '`fleet` must be a fleet, such as createRedisFleet(redis, { prefix }) from fetch-session/fleet/redis')
  return fleet
}

/** An `extend()` child shares its parent's fleet: another one is refused. */
function mergeFleet(base: Fleet | undefined, over: Fleet, _context: MergeContext): Fleet {
  if (base !== undefined && base !== over) throw invalidOption('fleet', 'extend() shares the parent\'s fleet, so it cannot take another `fleet`; use createSession() instead')
  return over
}

/** The fleet of a client's options (what a layer's `create` reads), refused where the runtime cannot have one. */
export function fleetOf(context: StackContext): Fleet | undefined {
  const fleet = context.options.fleet as Fleet | undefined
  if (fleet === undefined) return undefined
  const why = UNSUPPORTED[context.adapter.name]
  if (why !== undefined) throw new UnsupportedOptionError('fleet', context.adapter.name, why)
  return fleet
}

/** The fleet's spec: its option only; the limiter and the auth layer use it. */
export const fleetLayer: LayerSpec<Fleet, unknown> = {
  name: 'fleet',
  keys: ['fleet'],
  read: readFleet,
  merge: mergeFleet,
  create: (context) => {
    fleetOf(context)
    return undefined
  },
}
