/**
 * Polite clients: at most `concurrency` requests in flight, at most `perHost` to one host, and at
 * most `rps` starts per second (evenly spaced). Requests over a limit wait their turn in the order
 * they were made; one waiting for a busy host does not hold up another host's.
 *
 * A request is what goes on the wire: each redirect hop and each retry is one, counted against
 * its own host (`withLimit`, a layer under the redirect layer), and it is in flight until its
 * response body is done (issue 12 item 15).
 *
 * With a `fleet` (issue 15), the limits hold across the fleet: a request first takes its turn
 * here (in order, this process's own slots), then the fleet's (`Fleet.acquire`, which also waits
 * out the host's pause); a `429` or `503` with `Retry-After` pauses the host for the fleet.
 */
import { withBody } from './body-response'
import type { LayerSpec, Middleware, ReadContext } from './layer'
import { callStateOf } from './layer'
import { NEVER_ABORTED, subscribe } from './timeout'
import type { LimitOptions } from './types'
import { FleetError, invalidOption } from './errors'
import { bare, own, ownRecord } from './own'
import { inputURL, NULL_BODY_STATUSES } from './http'
import { fleetOf } from './fleet/option'
import { pauseOf } from './fleet/pause'
import type { Fleet, FleetLimits } from './types'

/**
 * Where the runtime has it, a slot whose body is garbage-collected unread is given back then (a
 * caller that dropped a response it never read cannot starve the session).
 */
const collected: FinalizationRegistry<() => void> | undefined = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry(release => release())
  : undefined

/**
 * A session's `limit`, read once at `createSession()` into the session's `Limiter` (which its
 * `extend()` children inherit, so they share its limits). Given to a mount, a request or
 * `$fetch.create()`, it is ignored, as it always was.
 */
function readLimit(source: object, context: ReadContext): Limiter | undefined {
  if (context.level !== 'session' || context.stateless) return undefined
  const option = ownRecord(own<LimitOptions>(source, 'limit'))
  if (option === undefined) return undefined
  // Not an object, its members would be read from the prototype (`limit: 5` would limit nothing).
  if (typeof option !== 'object' || option === null || Array.isArray(option)) throw invalidOption('limit', '`limit` must be { concurrency, perHost, rps }')
  return new Limiter(option)
}

/** The limiter's spec: under the redirects and the user's layers, each request on the wire takes a slot. */
export const limitLayer: LayerSpec<Limiter, unknown> = {
  name: 'limit',
  keys: ['limit'],
  read: readLimit,
  create: (context) => {
    const limiter = context.options.limit as Limiter | undefined
    const fleet = fleetOf(context)
    if (fleet) return withLimit(sharedLimiter(limiter, fleet))
    return limiter ? withLimit(limiter) : undefined
  },
}

/** The fleet's limiters, by the session's own (or, for a session without `limit`, by the fleet). */
const sharedLimiters = new WeakMap<object, Limiter>()

/**
 * The limiter that holds `limiter`'s limits across `fleet`: one per session (its `extend()`
 * children, which share the session's `Limiter`, get the same one). A session without `limit`
 * still shares the fleet's pauses.
 */
function sharedLimiter(limiter: Limiter | undefined, fleet: Fleet): Limiter {
  const key: object = limiter ?? fleet
  let shared = sharedLimiters.get(key)
  if (!shared) {
    shared = new Limiter(limiter?.options ?? {}, fleet)
    sharedLimiters.set(key, shared)
  }
  return shared
}

/**
 * The layer that takes a slot of `limiter` for each request sent, for that request's host, and
 * holds it until the response body is read to its end, cancelled or failed. A body nobody reads
 * holds it until the call's signal aborts (its deadline, the caller's signal, the session's
 * `close()`), or until the body is garbage-collected.
 */
export function withLimit(limiter: Limiter): Middleware {
  return next => async (input, init) => {
    const href = inputURL(input)
    const signal = callStateOf(init)?.signal ?? init?.signal ?? NEVER_ABORTED
    const host = hostOf(href)
    const release = await limiter.acquire(host, signal).catch(error => Promise.reject(forRequest(error, href, init?.method)))
    let response: Response | undefined
    try {
      response = await next(input, init)
      // Shared before the slot is given back: the next request of this process sees the pause.
      const pausing = limiter.observe(host, response)
      if (pausing) await pausing
    }
    catch (error) {
      release()
      response?.body?.cancel().catch(noop)
      throw forRequest(error, href, init?.method)
    }
    return holdUntilDone(response, release, signal, init?.method)
  }
}

/** A fleet's error, naming the request (the fleet's store makes them without one). */
function forRequest(error: unknown, href: string, method: string | undefined): unknown {
  return error instanceof FleetError && error.request === undefined ? error.forRequest(href, (method ?? 'GET').toUpperCase()) : error
}

function hostOf(href: string): string {
  try {
    return new URL(href).host
  }
  catch {
    return ''
  }
}

/** The property that keeps a held body's wrapper from being collected while the engine reads it (see `holdUntilDone`). */
const HELD: unique symbol = Symbol('fetch-session.held') as never

/** `response`, whose body gives `release` back once it is done (see `withLimit`). */
function holdUntilDone(response: Response, release: () => void, signal: AbortSignal, method: string | undefined): Response {
  const body = response.body
  if (!body || method === 'HEAD' || NULL_BODY_STATUSES.has(response.status)) {
    release()
    return response
  }
  let released = false
  let token: object | undefined
  let unsubscribe = noop
  const done = (): void => {
    if (released) return
    released = true
    unsubscribe()
    if (token) collected?.unregister(token)
    release()
  }
  if (signal !== NEVER_ABORTED) {
    if (signal.aborted) done()
    else unsubscribe = subscribe(signal, done)
  }
  const reader = body.getReader()
  const held = new ReadableStream<Uint8Array>(bare({
    async pull(controller) {
      try {
        const chunk = await reader.read()
        if (chunk.done) {
          done()
          controller.close()
        }
        else {
          controller.enqueue(chunk.value)
        }
      }
      catch (error) {
        done()
        controller.error(error)
      }
    },
    cancel(reason) {
      // Given back at once: the next hop of a redirect waits for this slot.
      done()
      return reader.cancel(reason)
    },
  }), { highWaterMark: 0 })
  if (collected && !released) {
    token = {}
    // The stream, not the response: a caller may keep the body and drop the response. In browsers
    // a stream is a wrapper of the engine's own object, and V8 collects a wrapper nobody changed as
    // soon as script holds no reference to it, while the engine keeps reading through it (Chromium
    // gave the slot back early, about one call in twenty): a property of ours marks it changed.
    Object.defineProperty(held, HELD, { value: true })
    collected.register(held, done, token)
  }
  return withBody(response, held)
}

interface Waiter {
  host: string
  resolve: (release: () => void) => void
  /** Stops listening to the waiter's signal. */
  unsubscribe: () => void
}

/** A session's limits. */
export class Limiter {
  /** The limits as given. */
  readonly options: LimitOptions
  readonly #concurrency: number
  readonly #perHost: number
  readonly #interval: number
  /** With a fleet, the limits the fleet holds across its processes, and the fleet. */
  readonly #fleet: { fleet: Fleet, limits: FleetLimits } | undefined
  readonly #queue: Waiter[] = []
  readonly #byHost = new Map<string, number>()
  #active = 0
  #nextStart = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: LimitOptions, fleet?: Fleet) {
    this.options = options
    this.#concurrency = positive('limit.concurrency', options.concurrency)
    this.#perHost = positive('limit.perHost', options.perHost)
    const rps = positive('limit.rps', options.rps)
    // With a fleet, the fleet spaces the starts of all its processes (spacing them here too would only add waits).
    this.#interval = Number.isFinite(rps) && !fleet ? 1000 / rps : 0
    this.#fleet = fleet && { fleet, limits: { concurrency: this.#concurrency, perHost: this.#perHost, rps } }
  }

  /**
   * Waits for a slot for `host`, here, then (with a fleet) in the fleet; the returned function
   * gives both back (call it exactly once).
   */
  acquire(host: string, signal: AbortSignal): Promise<() => void> {
    const local = this.#acquireLocal(host, signal)
    // Without a fleet, no promise of ours more per request.
    return this.#fleet ? this.#acquireShared(this.#fleet, local, host, signal) : local
  }

  async #acquireShared(shared: { fleet: Fleet, limits: FleetLimits }, waiting: Promise<() => void>, host: string, signal: AbortSignal): Promise<() => void> {
    const local = await waiting
    try {
      const release = await shared.fleet.acquire(host, shared.limits, signal)
      return () => {
        release()
        local()
      }
    }
    catch (error) {
      local()
      throw error
    }
  }

  /** With a fleet: shares the pause a `429` or `503` asks for with `Retry-After` (or `RateLimit-Reset`). */
  observe(host: string, response: Response): Promise<void> | undefined {
    if (!this.#fleet) return undefined
    const pause = pauseOf(response)
    return pause === undefined ? undefined : this.#fleet.fleet.pause(host, pause)
  }

  /**
   * Waits for this process's slot for `host`; the returned function gives it back (call it exactly once).
   * Waiters on one signal share one abort listener (`subscribe`), and a signal that can never
   * abort gets none: every call without a deadline shares `NEVER_ABORTED`, and a listener per
   * waiter on it set off Node's MaxListenersExceededWarning past 10 (issue 11 item 17).
   */
  #acquireLocal(host: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { host, resolve, unsubscribe: noop }
      if (signal !== NEVER_ABORTED) {
        waiter.unsubscribe = subscribe(signal, () => {
          const index = this.#queue.indexOf(waiter)
          if (index === -1) return
          this.#queue.splice(index, 1)
          waiter.unsubscribe()
          reject(signal.reason)
          this.#pump()
        })
      }
      this.#queue.push(waiter)
      this.#pump()
    })
  }

  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    for (let index = 0; index < this.#queue.length && this.#active < this.#concurrency;) {
      const waiter = this.#queue[index]!
      if ((this.#byHost.get(waiter.host) ?? 0) >= this.#perHost) {
        index++
        continue
      }
      const now = Date.now()
      if (this.#interval > 0 && now < this.#nextStart) {
        this.#timer = setTimeout(() => this.#pump(), this.#nextStart - now)
        return
      }
      this.#queue.splice(index, 1)
      waiter.unsubscribe()
      this.#active++
      this.#byHost.set(waiter.host, (this.#byHost.get(waiter.host) ?? 0) + 1)
      if (this.#interval > 0) this.#nextStart = Math.max(now, this.#nextStart) + this.#interval
      let released = false
      waiter.resolve(() => {
        if (released) return
        released = true
        this.#active--
        const left = (this.#byHost.get(waiter.host) ?? 1) - 1
        if (left === 0) this.#byHost.delete(waiter.host)
        else this.#byHost.set(waiter.host, left)
        this.#pump()
      })
    }
  }
}

function noop(): void {}

function positive(name: string, value: number | undefined): number {
  if (value === undefined) return Number.POSITIVE_INFINITY
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw invalidOption(name, `\`${name}\` must be a number above 0, got ${String(value)}`)
  }
  return value
}
