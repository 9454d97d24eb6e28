/**
 * Polite clients: at most `concurrency` requests in flight, at most `perHost` to one host, and at
 * most `rps` starts per second (evenly spaced). Requests over a limit wait their turn in the order
 * they were made; one waiting for a busy host does not hold up another host's.
 */
import { NEVER_ABORTED, subscribe } from './timeout'
import type { LimitOptions } from './types'
import { invalidOption } from './errors'

interface Waiter {
  host: string
  resolve: (release: () => void) => void
  /** Stops listening to the waiter's signal. */
  unsubscribe: () => void
}

/** A session's limits. */
export class Limiter {
  readonly #concurrency: number
  readonly #perHost: number
  readonly #interval: number
  readonly #queue: Waiter[] = []
  readonly #byHost = new Map<string, number>()
  #active = 0
  #nextStart = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: LimitOptions) {
    this.#concurrency = positive('limit.concurrency', options.concurrency)
    this.#perHost = positive('limit.perHost', options.perHost)
    const rps = positive('limit.rps', options.rps)
    this.#interval = Number.isFinite(rps) ? 1000 / rps : 0
  }

  /**
   * Waits for a slot for `host`; the returned function gives it back (call it exactly once).
   * Waiters on one signal share one abort listener (`subscribe`), and a signal that can never
   * abort gets none: every call without a deadline shares `NEVER_ABORTED`, and a listener per
   * waiter on it set off Node's MaxListenersExceededWarning past 10 (issue 11 item 17).
   */
  acquire(host: string, signal: AbortSignal): Promise<() => void> {
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
