/**
 * The shape of one session's HTTP cache, shared by the cache layer's spec (cache/layer.ts), the
 * adapters' contract (adapter.ts) and the middleware (cache/middleware.ts). Types only.
 *
 * @module
 */
import type { CacheStore } from './store'

/**
 * One session's cache, as read from `cache: true | { … }` once at `createSession()` and shared
 * by its `extend()` children (and their calls in flight): the store, the rules, and what is in
 * flight per key.
 */
export interface CacheConfig {
  /** Where entries live; the middleware makes the default memory store when none was given. */
  store: CacheStore | undefined
  shared: boolean
  maxEntrySize: number
  heuristic: number
  onError: ((error: unknown) => void) | undefined
  /** The request in flight to the server per key (a fill or a revalidation): concurrent misses wait for its answer. */
  fills: Map<string, CacheFill>
}

/**
 * A request in flight for a key, and the callers waiting for its answer: each gets a copy of the
 * response when it may use it (the response's `Vary` matches its request), else nothing (it asks
 * the store again, then the server). They wait for the response's headers only, never for its body.
 */
export interface CacheFill {
  waiters: Array<{
    /** The waiter's request, as a policy compares it. */
    request: { url: string, method: string, headers: Record<string, string> }
    /** Given the response (a copy) or `undefined`. */
    resolve: (response: Response | undefined) => void
    /** The waiter gave up (its signal aborted): it is given nothing. */
    gone: boolean
  }>
}
