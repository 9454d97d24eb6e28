/**
 * The in-memory HTTP cache store, the default of `createSession({ cache: true })`: a least
 * recently used map bounded by its number of entries and by its size in bytes, whose records
 * also expire with their time to live. It is synchronous (a hit costs one `Map` lookup and
 * re-insertion), and lives as long as the process.
 *
 * @module
 */
import type { CacheRecord, CacheStore } from './store'
import { invalidOption } from '../errors'
import { own } from '../own'

/** Options of `createMemoryCacheStore()`. */
export interface MemoryCacheStoreOptions {
  /**
   * The most records kept (responses and `Vary` records alike); past it the least recently used
   * one is dropped. A whole number, at least 1.
   * @default 1000
   */
  maxEntries?: number
  /**
   * The most bytes kept: each record counts its body's length plus an estimate of the rest (its
   * key, the policy's headers, a fixed overhead). Past it the least recently used records are
   * dropped; a record bigger than this on its own is not stored at all. A whole number, at least 1.
   * @default 52428800 (50 MiB)
   */
  maxBytes?: number
}

/**
 * A `CacheStore` in memory, as `createMemoryCacheStore()` makes it. Its methods are synchronous.
 * It keeps the records it is given, not copies: neither what was passed to `set` nor what `get`
 * returns may be changed afterwards (the cache layer never does).
 */
export interface MemoryCacheStore extends CacheStore {
  /** The record under `key` (now the most recently used), or `undefined`, also once it has expired. */
  get: (key: string) => CacheRecord | undefined
  /**
   * Stores `record` under `key` for `ttl` milliseconds (`Infinity`: until evicted), then drops
   * least recently used records until both bounds hold. A record bigger than `maxBytes`, or a
   * `ttl` that is not above 0, stores nothing and removes what was under `key`.
   */
  set: (key: string, record: CacheRecord, ttl: number) => void
  /** Removes what is under `key` (nothing when there is nothing). */
  delete: (key: string) => void
  /** Removes every record. */
  clear: () => void
  /** How many records are kept now (expired ones not yet dropped included). */
  readonly size: number
  /** Their estimated size in bytes (see `maxBytes`). */
  readonly bytes: number
  /** The bound on `size`. */
  readonly maxEntries: number
  /** The bound on `bytes`. */
  readonly maxBytes: number
}

/** The defaults of `createMemoryCacheStore()`. */
const MEMORY_CACHE_DEFAULTS: Readonly<Required<MemoryCacheStoreOptions>> = Object.freeze({
  maxEntries: 1000,
  maxBytes: 50 * 1024 * 1024,
})

/** What a record costs besides its body and its strings: the entry, the record and policy objects, the numbers. */
const RECORD_OVERHEAD = 256

/** Expired records are swept (before any live one is evicted) at most this often, in ms: a sweep walks every record. */
const SWEEP_INTERVAL = 1000

interface Entry {
  record: CacheRecord
  /** When it expires (ms since the epoch), `Infinity` for never. */
  expires: number
  bytes: number
}

class LruCacheStore implements MemoryCacheStore {
  readonly maxEntries: number
  readonly maxBytes: number
  // In use order: the first is the least recently used (a Map iterates in insertion order).
  private readonly entries = new Map<string, Entry>()
  private total = 0
  // The earliest expiry among the entries, or earlier (it is not raised when that entry goes).
  private nextExpiry = Infinity
  private lastSweep = -Infinity

  constructor(maxEntries: number, maxBytes: number) {
    this.maxEntries = maxEntries
    this.maxBytes = maxBytes
  }

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.total
  }

  get(key: string): CacheRecord | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    if (entry.expires <= Date.now()) {
      this.total -= entry.bytes
      return undefined
    }
    this.entries.set(key, entry)
    return entry.record
  }

  set(key: string, record: CacheRecord, ttl: number): void {
    this.delete(key)
    const bytes = recordSize(key, record)
    if (!(ttl > 0) || bytes > this.maxBytes) return
    const expires = Date.now() + ttl
    this.entries.set(key, { record, expires, bytes })
    this.total += bytes
    if (expires < this.nextExpiry) this.nextExpiry = expires
    if (this.entries.size > this.maxEntries || this.total > this.maxBytes) this.evict()
  }

  delete(key: string): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.entries.delete(key)
    this.total -= entry.bytes
  }

  clear(): void {
    this.entries.clear()
    this.total = 0
    this.nextExpiry = Infinity
  }

  /** Drops expired records first (when some may be), then the least recently used, until both bounds hold. */
  private evict(): void {
    const now = Date.now()
    if (this.nextExpiry <= now && now - this.lastSweep >= SWEEP_INTERVAL) this.sweep(now)
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.total <= this.maxBytes) break
      this.entries.delete(key)
      this.total -= entry.bytes
    }
  }

  private sweep(now: number): void {
    this.lastSweep = now
    let next = Infinity
    for (const [key, entry] of this.entries) {
      if (entry.expires <= now) {
        this.entries.delete(key)
        this.total -= entry.bytes
      }
      else if (entry.expires < next) {
        next = entry.expires
      }
    }
    this.nextExpiry = next
  }
}

/**
 * A new in-memory HTTP cache store: least recently used first out, bounded by `maxEntries`
 * records and `maxBytes` bytes, each record kept for its time to live at most.
 *
 * @example
 * ```ts
 * import { createMemoryCacheStore, createSession } from 'fetch-session'
 *
 * const session = createSession({ cache: { store: createMemoryCacheStore({ maxBytes: 10 * 1024 * 1024 }) } })
 * ```
 */
export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  return new LruCacheStore(
    bound(options, 'maxEntries', MEMORY_CACHE_DEFAULTS.maxEntries),
    bound(options, 'maxBytes', MEMORY_CACHE_DEFAULTS.maxBytes),
  )
}

function bound(options: MemoryCacheStoreOptions, name: keyof MemoryCacheStoreOptions, fallback: number): number {
  const value = own<unknown>(options, name)
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalidOption(`cache.store.${name}`, `the memory cache store's \`${name}\` must be a whole number above 0; got ${typeof value === 'number' ? value : typeof value}`)
  }
  return value
}

/**
 * A record's estimated size in bytes: its body, plus the lengths of its key and of every string,
 * name and number in its policy (or `Vary` names and id), plus a fixed overhead. Strings count
 * one byte per UTF-16 unit: headers are mostly ASCII, and this is an estimate.
 */
function recordSize(key: string, record: CacheRecord): number {
  const rest = record.kind === 'response'
    ? record.body.byteLength + jsonSize(record.policy)
    : jsonSize(record.vary) + record.id.length
  return RECORD_OVERHEAD + key.length + rest
}

/** The summed lengths of the strings (keys included) in a JSON-safe value, 8 for each other value. */
function jsonSize(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length
  if (typeof value !== 'object' || value === null || depth > 16) return 8
  let size = 8
  if (Array.isArray(value)) {
    for (const item of value) size += jsonSize(item, depth + 1)
    return size
  }
  for (const name of Object.keys(value)) size += name.length + jsonSize((value as Record<string, unknown>)[name], depth + 1)
  return size
}
