/**
 * `fetch-session/cache/unstorage`: the HTTP cache in any [unstorage](https://unstorage.unjs.io)
 * storage (Redis, Cloudflare KV, Deno KV, Vercel KV, the file system…), so that processes,
 * machines or serverless instances share one cache.
 *
 * ```ts
 * import { createStorage } from 'unstorage'
 * import redisDriver from 'unstorage/drivers/redis'
 * import { createSession } from 'fetch-session'
 * import { createUnstorageCacheStore } from 'fetch-session/cache/unstorage'
 *
 * const storage = createStorage({ driver: redisDriver({ url: 'redis://localhost:6379' }) })
 * const session = createSession({ cache: { store: createUnstorageCacheStore(storage) } })
 * ```
 *
 * Each record is one key, `<base>:<SHA-256 of the cache key, in hex>`: the cache's keys hold
 * URLs, which unstorage would rewrite (it turns `/` and `\` into `:` and drops what follows a
 * `?`) and which file-system drivers could not use as file names; a digest is safe everywhere and
 * keeps the URLs out of the storage's key space. The value is JSON: the record, its body in
 * base64, and when it expires. The time to live is also given to the driver (unstorage's `ttl`
 * option, whole seconds), so that those which support it (Redis, Deno KV, Cloudflare KV, which
 * keeps at least 60 s) drop the key themselves; for the others, an expired value is never
 * returned, and stays until it is overwritten or deleted.
 *
 * A value that is not one of this store's records (another version, anything else) is a miss,
 * never an error; an error of the storage itself (a connection lost) is thrown, and the cache
 * layer reports it and carries on without the cache.
 *
 * unstorage is an optional peer dependency: this module never imports it; it uses the storage
 * object you pass (anything with unstorage's `getItem`, `setItem` and `removeItem`).
 *
 * @module
 */
import type { CacheRecord, CacheStore } from './store'
import { invalidOption } from '../errors'
import { own } from '../own'
import { normalizeStorageBase, sha256Hex } from '../storage-keys'

/** The part of an unstorage `Storage` the cache store uses (structural: unstorage itself is not imported). */
export interface UnstorageLike {
  /** A value (unstorage parses JSON), or `null` when the key does not exist. */
  getItem: (key: string) => Promise<unknown>
  /** Stores a value (unstorage serializes objects as JSON); `ttl` in seconds where the driver supports it. */
  setItem: (key: string, value: any, options?: { ttl?: number }) => Promise<void>
  /** Removes a key. */
  removeItem: (key: string) => Promise<void>
}

/** Options of `createUnstorageCacheStore()`. */
export interface UnstorageCacheStoreOptions {
  /**
   * The key prefix of this cache's records: one per cache when several share a storage (say, a
   * private and a shared one), and apart from the storage's other keys.
   * @default 'fetch-session:cache'
   */
  base?: string
}

/** A `CacheStore` over an unstorage storage, as `createUnstorageCacheStore()` makes it. */
export interface UnstorageCacheStore extends CacheStore {
  /** The record under `key`, or `undefined` (none, expired, or not a record of this store). */
  get: (key: string) => Promise<CacheRecord | undefined>
  /** Stores `record` under `key` for `ttl` milliseconds; a `ttl` that is not above 0 removes the key instead. */
  set: (key: string, record: CacheRecord, ttl: number) => Promise<void>
  /** Removes what is under `key`. */
  delete: (key: string) => Promise<void>
  /** The key prefix of the records (normalized as unstorage does: no leading or trailing `:`). */
  readonly base: string
}

/** The version of the stored format: a value with another one is a miss. */
const FORMAT = 1

/** A record as stored: JSON, the body in base64, `expires` in ms since the epoch (`null`: never). */
type StoredValue =
  | { v: typeof FORMAT, expires: number | null, kind: 'response', policy: Record<string, unknown>, body: string }
  | { v: typeof FORMAT, expires: number | null, kind: 'variants', vary: string[], id: string }

/**
 * An HTTP cache store over any unstorage storage. unstorage is an optional peer dependency:
 * install it to use this store. See this module's documentation for how records are kept.
 *
 * @example
 * ```ts
 * import { createStorage } from 'unstorage'
 * import fsDriver from 'unstorage/drivers/fs'
 * import { createSession } from 'fetch-session'
 * import { createUnstorageCacheStore } from 'fetch-session/cache/unstorage'
 *
 * // a cache that outlives the process
 * const storage = createStorage({ driver: fsDriver({ base: './.cache/http' }) })
 * const session = createSession({ cache: { store: createUnstorageCacheStore(storage) } })
 * ```
 */
export function createUnstorageCacheStore(storage: UnstorageLike, options: UnstorageCacheStoreOptions = {}): UnstorageCacheStore {
  for (const method of ['getItem', 'setItem', 'removeItem'] as const) {
    if (typeof (storage as UnstorageLike | undefined)?.[method] !== 'function') {
      throw invalidOption('storage', `createUnstorageCacheStore() needs an unstorage storage (createStorage() from 'unstorage'); this one has no ${method}()`)
    }
  }
  const base = normalizeStorageBase(own<unknown>(options, 'base') ?? 'fetch-session:cache', 'unstorage cache store')
  if (base === '') throw invalidOption('base', 'the unstorage cache store\'s `base` must not be empty (it keeps the cache\'s keys apart from the storage\'s others)')
  const keyOf = async (key: string): Promise<string> => `${base}:${await sha256Hex(key)}`
  return {
    base,
    async get(key) {
      const storageKey = await keyOf(key)
      return decode(await storage.getItem(storageKey), Date.now())
    },
    async set(key, record, ttl) {
      const storageKey = await keyOf(key)
      if (!(ttl > 0)) return storage.removeItem(storageKey)
      if (!Number.isFinite(ttl)) return storage.setItem(storageKey, encode(record, null))
      return storage.setItem(storageKey, encode(record, Date.now() + ttl), { ttl: Math.ceil(ttl / 1000) })
    },
    async delete(key) {
      return storage.removeItem(await keyOf(key))
    },
  }
}

/** unstorage's key normalization: `/` and `\` become `:`, no empty segments, no leading or trailing `:`. */
function encode(record: CacheRecord, expires: number | null): StoredValue {
  return record.kind === 'response'
    ? { v: FORMAT, expires, kind: 'response', policy: record.policy, body: toBase64(record.body) }
    : { v: FORMAT, expires, kind: 'variants', vary: record.vary, id: record.id }
}

/** A stored value as a record, or `undefined` when there is none, it has expired, or it is not one of ours. */
function decode(value: unknown, now: number): CacheRecord | undefined {
  if (typeof value === 'string') {
    // A driver (or a version of unstorage) that hands back the JSON text unparsed.
    try {
      value = JSON.parse(value)
    }
    catch {
      return undefined
    }
  }
  if (!isObject(value) || value.v !== FORMAT) return undefined
  const { expires } = value
  if (expires !== null && (typeof expires !== 'number' || expires <= now)) return undefined
  if (value.kind === 'response') {
    if (!isObject(value.policy) || typeof value.body !== 'string') return undefined
    const body = fromBase64(value.body)
    return body && { kind: 'response', policy: value.policy, body }
  }
  if (value.kind === 'variants') {
    const { vary, id } = value
    if (!Array.isArray(vary) || !vary.every(name => typeof name === 'string') || typeof id !== 'string') return undefined
    return { kind: 'variants', vary, id }
  }
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Bytes as base64, with the web's `btoa` (every runtime has it; `Buffer` is Node's only). */
function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // fromCharCode takes its arguments on the stack: a chunk at a time.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(start, start + 0x8000) as unknown as number[])
  }
  return btoa(binary)
}

/** base64 as bytes, or `undefined` when it is not base64. */
function fromBase64(text: string): Uint8Array | undefined {
  let binary: string
  try {
    binary = atob(text)
  }
  catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
  return bytes
}
