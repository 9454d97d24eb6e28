/**
 * The contract between the HTTP cache (the `cache` layer) and where its entries live: a key–value
 * store of `CacheRecord`s with a time to live. Types only, so the layer, the stores and the users'
 * own stores read it without loading anything.
 *
 * @module
 */

/**
 * A stored response: its cache policy (http-cache-semantics' `CachePolicy.toObject()`: status,
 * headers, when it was received, and the request headers its `Vary` names, credentials digested)
 * and its body, as bytes, read to its end.
 */
export interface CachedResponse {
  kind: 'response'
  /** The serialised `CachePolicy` (JSON-safe). Its `Set-Cookie` headers are never stored. */
  policy: Record<string, unknown>
  /** The decoded body, whole. */
  body: Uint8Array
}

/**
 * What a URL whose response has a `Vary` header keeps under its own key: the header names, and the
 * generation of its variants (part of each variant's key, so that invalidating the URL makes
 * every variant unreachable at once).
 */
export interface CacheVariants {
  kind: 'variants'
  /** The request header names the response varies on, lower case, sorted. */
  vary: string[]
  /** The generation of the variants. */
  id: string
}

/** What a cache store keeps under one key. */
export type CacheRecord = CachedResponse | CacheVariants

/**
 * Where the HTTP cache keeps its entries: `createMemoryCacheStore()` (the default),
 * `createUnstorageCacheStore()` from `fetch-session/cache/unstorage` (Redis, Cloudflare KV, Deno
 * KV, the file system…), or your own. Any method may return a promise. The cache never lets a
 * store's failure fail a request: a `get` that throws is a miss, a `set` that throws stores
 * nothing, and both are reported to the cache's `onError`.
 */
export interface CacheStore {
  /** The record under `key`, or `undefined` (also once its time to live has passed). */
  get: (key: string) => CacheRecord | undefined | Promise<CacheRecord | undefined>
  /** Stores `record` under `key` for `ttl` milliseconds (at least 1), replacing what was there. */
  set: (key: string, record: CacheRecord, ttl: number) => void | Promise<void>
  /** Removes what is under `key` (nothing when there is nothing). */
  delete: (key: string) => void | Promise<void>
}
