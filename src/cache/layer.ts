/**
 * The HTTP cache layer's spec (issue 14): its option, how it merges, and which middleware serves
 * it. The middleware itself (RFC 9111 on http-cache-semantics, cache/middleware.ts) is given by
 * the entries whose platform has no HTTP cache of its own (`layers.cache`, session-layers.ts), so
 * the browser build, where the browser's cache serves, carries none of it.
 *
 * A mode string (`cache: 'no-cache'`, at any level) is a request's `RequestInit.cache`: it goes on
 * to the fetch underneath as it always did, and the cache middleware, where there is one, reads it
 * there and keeps it from the platform.
 *
 * @module
 */
import { invalidOption } from '../errors'
import type { LayerSpec, ReadContext } from '../layer'
import { own, ownRecord } from '../own'
import type { CacheMode, CacheOptions } from '../types'
import type { CacheConfig } from './config'
import type { CacheStore } from './store'

export type { CacheConfig }

/** The fetch spec's `RequestCache` values. */
export const CACHE_MODES: ReadonlySet<string> = new Set<CacheMode>(['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'])

/** The default `maxEntrySize`: 10 MiB. */
const DEFAULT_MAX_ENTRY_SIZE = 10 * 1024 * 1024

/** The layer's options: the session's cache, or `null` for none (`cache: false` over a parent's). */
export interface CacheLayerOptions {
  cache: CacheConfig | null
}

const NO_CACHE: CacheLayerOptions = Object.freeze({ cache: null })

/**
 * Reads `cache`: at a session's level, `true`, `false` or `{ store, shared, … }` (a mode string
 * is a default `RequestInit.cache`, left to the engine's other options); elsewhere (a mount, a
 * request, `$fetch`) only a mode.
 */
function readCache(source: object, context: ReadContext): CacheLayerOptions | undefined {
  const value = own<unknown>(source, 'cache')
  if (value === undefined || isMode(value)) return undefined
  if (typeof value === 'string') throw invalidOption('cache', `\`cache\` must be one of ${[...CACHE_MODES].map(mode => `'${mode}'`).join(', ')}, got '${value}'`)
  if (context.level !== 'session') throw invalidOption('cache', `\`cache\` on a ${context.level} can only be a cache mode ('no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'): the cache itself is the session's`)
  if (context.stateless) throw invalidOption('cache', '`$fetch` keeps no state, so it cannot take a `cache`; use createSession({ cache }) instead')
  if (value === false) return NO_CACHE
  if (value === true) return { cache: configOf({}) }
  const options = ownRecord(value as CacheOptions)
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidOption('cache', '`cache` must be true, false, a cache mode or { store, shared, maxEntrySize, heuristic, onError }')
  return { cache: configOf(options) }
}

/** True for a valid cache mode: it stays a `RequestInit` member (see the module's comment). */
function isMode(value: unknown): boolean {
  return typeof value === 'string' && CACHE_MODES.has(value)
}

function configOf(options: CacheOptions): CacheConfig {
  const store = own<CacheStore>(options, 'store')
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.delete !== 'function')) {
    throw invalidOption('cache.store', '`cache.store` must be a cache store (get, set and delete), such as createMemoryCacheStore() or createUnstorageCacheStore()')
  }
  const shared = own<unknown>(options, 'shared')
  if (shared !== undefined && typeof shared !== 'boolean') throw invalidOption('cache.shared', '`cache.shared` must be true or false')
  const maxEntrySize = own<unknown>(options, 'maxEntrySize') ?? DEFAULT_MAX_ENTRY_SIZE
  if (typeof maxEntrySize !== 'number' || !Number.isInteger(maxEntrySize) || maxEntrySize < 0) throw invalidOption('cache.maxEntrySize', `\`cache.maxEntrySize\` must be a whole number of bytes >= 0, got ${String(maxEntrySize)}`)
  const heuristic = own<unknown>(options, 'heuristic') ?? 0.1
  if (typeof heuristic !== 'number' || !(heuristic >= 0 && heuristic <= 1)) throw invalidOption('cache.heuristic', `\`cache.heuristic\` must be a fraction between 0 and 1, got ${String(heuristic)}`)
  const onError = own<unknown>(options, 'onError')
  if (onError !== undefined && typeof onError !== 'function') throw invalidOption('cache.onError', '`cache.onError` must be a function')
  return { store, shared: shared === true, maxEntrySize, heuristic, onError: onError as CacheConfig['onError'], fills: new Map() }
}

/**
 * The cache layer's spec: under the cookies and the auth (so `Vary` sees the `Cookie` and
 * `Authorization` actually sent) and above the user's layers, per redirect hop. No middleware
 * without a cache, nor where the platform's own cache serves (`owns.cache`: browsers).
 */
export const cacheLayer: LayerSpec<CacheLayerOptions, unknown> = {
  name: 'cache',
  keys: ['cache'],
  passes: isMode,
  read: readCache,
  create({ adapter, options, closeSignal }) {
    const cache = (options.cache as CacheLayerOptions | undefined)?.cache
    if (!cache || adapter.owns?.cache || !adapter.layers?.cache) return undefined
    return adapter.layers.cache(cache, { closeSignal, respond: adapter.storedResponse })
  },
}
