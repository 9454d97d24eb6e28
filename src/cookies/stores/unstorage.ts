/**
 * `fetch-session/stores/unstorage`: cookies in any [unstorage](https://unstorage.unjs.io) storage
 * (memory, fs, Redis, Cloudflare KV, Deno KV, Vercel KV…), so that many processes or serverless
 * instances share one session: a login done by one is seen by the next.
 *
 * ```ts
 * import { createStorage } from 'unstorage'
 * import redisDriver from 'unstorage/drivers/redis'
 * import { createSession } from 'fetch-session'
 * import { createUnstorageStore } from 'fetch-session/stores/unstorage'
 *
 * const storage = createStorage({ driver: redisDriver({ url: 'redis://localhost:6379' }) })
 * const session = createSession({ cookies: createUnstorageStore(storage, { base: 'sessions:alice' }) })
 * ```
 *
 * Each cookie is one key, `<base>:<domain>:<path>:<name>` (each part URI-encoded), holding
 * tough-cookie's `cookie.toJSON()`. So concurrent changes from many instances never overwrite
 * each other's cookies: two instances that set different cookies both keep theirs, and for the
 * same cookie the last write wins. Nothing is cached: every lookup asks the storage (one
 * `getKeys` of the base and one `getItems`), so a change is seen at once by every instance.
 * Writes go straight to the storage (`flush()` has nothing to wait for).
 *
 * unstorage is an optional peer dependency: this module never imports it; it uses the storage
 * object you pass (anything with unstorage's `getItem`, `setItem`, `removeItem` and `getKeys`).
 *
 * @module
 */
import type { Cookie, Nullable } from 'tough-cookie'
import { pathMatch, permuteDomain } from 'tough-cookie'
import { BaseCookieStore, cookieFromJSON, cookieToJSON, isExpired, sortByCreation } from './base'
import type { CookieChange } from './base'
import { CookieStoreError } from './errors'
import { invalidOption } from '../../errors'
import { own } from '../../own'
import { normalizeStorageBase } from '../../storage-keys'

export { CookieStoreError } from './errors'
export type { CookieStoreErrorCode } from './errors'

/** The part of an unstorage `Storage` the store uses (structural: unstorage itself is not imported). */
export interface UnstorageLike {
  /** A value (unstorage parses JSON), or `null` when the key does not exist. */
  getItem: (key: string) => Promise<unknown>
  /** Stores a value (unstorage serializes objects as JSON); `ttl` in seconds where the driver supports it. */
  setItem: (key: string, value: any, options?: { ttl?: number }) => Promise<void>
  /** Removes a key. */
  removeItem: (key: string) => Promise<void>
  /** The keys under a base (full keys, `base:` included). */
  getKeys: (base?: string) => Promise<string[]>
  /** Used when present (one round trip for many keys, e.g. Redis `MGET`). */
  getItems?: (items: string[]) => Promise<Array<{ key: string, value: unknown }>>
}

/** Options of `createUnstorageStore()`. */
export interface UnstorageStoreOptions {
  /**
   * The key prefix of this jar's cookies: one per user or session when many share a storage.
   * @default 'fetch-session:cookies'
   */
  base?: string
  /**
   * Also pass each cookie's remaining lifetime (whole seconds) as unstorage's `ttl` option, so
   * that drivers which support it (Redis…) drop expired cookies themselves. Off by default:
   * drivers read `ttl` differently (Cloudflare KV needs at least 60 s, some drivers ignore it).
   * Expired cookies are never sent either way.
   * @default false
   */
  ttl?: boolean
}

/**
 * A tough-cookie `Store` over an unstorage storage. Create it with `createUnstorageStore()`; see
 * this module's documentation for what it guarantees.
 */
export class UnstorageCookieStore extends BaseCookieStore {
  /** The key prefix of this jar's cookies (normalized: no leading or trailing `:`). */
  readonly base: string
  private readonly storage: UnstorageLike
  private readonly ttl: boolean

  constructor(storage: UnstorageLike, options: UnstorageStoreOptions = {}) {
    super()
    for (const method of ['getItem', 'setItem', 'removeItem', 'getKeys'] as const) {
      if (typeof (storage as UnstorageLike | undefined)?.[method] !== 'function') {
        throw invalidOption('storage', `createUnstorageStore() needs an unstorage storage (createStorage() from 'unstorage'); this one has no ${method}()`)
      }
    }
    const base = normalizeStorageBase(own<string>(options, 'base') ?? 'fetch-session:cookies', 'unstorage store')
    if (base === '') throw invalidOption('base', 'the unstorage store\'s `base` must not be empty (removeAllCookies() removes every key under it)')
    this.synchronous = false
    this.storage = storage
    this.base = base
    this.ttl = own<UnstorageStoreOptions['ttl']>(options, 'ttl') ?? false
  }

  /** Nothing is buffered: every change was written when it was made. */
  flush(): Promise<void> {
    return Promise.resolve()
  }

  protected async lookup(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Promise<Cookie | undefined> {
    if (domain == null || path == null || key == null) return undefined
    const storageKey = this.keyOf(domain, path, key)
    return this.decode(storageKey, await this.call('read', () => this.storage.getItem(storageKey)))
  }

  protected async search(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Promise<Cookie[]> {
    if (!domain) return []
    const domains = new Set(permuteDomain(domain, allowSpecialUseDomain) ?? [domain])
    const keys = (await this.keys()).filter(entry => domains.has(entry.domain) && (!path || pathMatch(path, entry.path)))
    return this.read(keys.map(entry => entry.key))
  }

  protected override async searchByName(key: string): Promise<Cookie[]> {
    // The name is in each storage key: only the matching cookies are read.
    return this.read((await this.keys()).filter(entry => entry.name === key).map(entry => entry.key))
  }

  protected async list(): Promise<Cookie[]> {
    return sortByCreation(await this.read((await this.keys()).map(entry => entry.key)))
  }

  protected async change(change: CookieChange): Promise<void> {
    switch (change.op) {
      case 'put': {
        const { cookie } = change
        if (cookie.domain == null || cookie.path == null || cookie.key == null) return
        const key = this.keyOf(cookie.domain, cookie.path, cookie.key)
        if (isExpired(cookie)) return this.call('write', () => this.storage.removeItem(key))
        const expiry = cookie.expiryTime()
        const options = this.ttl && expiry !== undefined && Number.isFinite(expiry) ? { ttl: Math.max(1, Math.ceil((expiry - Date.now()) / 1000)) } : undefined
        return this.call('write', () => options ? this.storage.setItem(key, cookieToJSON(cookie), options) : this.storage.setItem(key, cookieToJSON(cookie)))
      }
      case 'remove':
        return this.call('write', () => this.storage.removeItem(this.keyOf(change.domain, change.path, change.key)))
      case 'removeMatching': {
        const keys = (await this.keys()).filter(entry => entry.domain === change.domain && (!change.path || entry.path === change.path))
        await this.removeKeys(keys.map(entry => entry.key))
        return
      }
      case 'removeAll':
        await this.removeKeys((await this.keys()).map(entry => entry.key))
    }
  }

  private keyOf(domain: string, path: string, name: string): string {
    return `${this.base}:${encodePart(domain, true)}:${encodePart(path)}:${encodePart(name)}`
  }

  /** This jar's keys, parsed (keys under the base that are not cookie keys are ignored). */
  private async keys(): Promise<Array<{ key: string, domain: string, path: string, name: string }>> {
    const keys = await this.call('list', () => this.storage.getKeys(this.base))
    const prefix = `${this.base}:`
    const entries: Array<{ key: string, domain: string, path: string, name: string }> = []
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue
      const parts = key.slice(prefix.length).split(':')
      if (parts.length !== 3) continue
      try {
        entries.push({ key, domain: decodePart(parts[0]!), path: decodePart(parts[1]!), name: decodePart(parts[2]!) })
      }
      catch {}
    }
    return entries
  }

  private async read(keys: string[]): Promise<Cookie[]> {
    if (keys.length === 0) return []
    const values: Array<{ key: string, value: unknown }> = typeof this.storage.getItems === 'function'
      ? await this.call('read', () => this.storage.getItems!(keys))
      : await Promise.all(keys.map(async key => ({ key, value: await this.call('read', () => this.storage.getItem(key)) })))
    const cookies: Cookie[] = []
    for (const entry of values) {
      const cookie = this.decode(entry.key, entry.value)
      if (cookie) cookies.push(cookie)
    }
    return cookies
  }

  private removeKeys(keys: string[]): Promise<void> {
    return this.call('write', async () => {
      await Promise.all(keys.map(key => this.storage.removeItem(key)))
    })
  }

  /** A stored value as a cookie: `undefined` when gone (or removed meanwhile); a foreign value is an error. */
  private decode(key: string, value: unknown): Cookie | undefined {
    if (value === null || value === undefined) return undefined
    const cookie = cookieFromJSON(value)
    if (!cookie) {
      throw new CookieStoreError('ERR_COOKIE_STORE_FORMAT', key, `the storage key ${JSON.stringify(key)} does not hold a cookie; it was left untouched: remove it, or use another \`base\``)
    }
    return cookie
  }

  private async call<T>(action: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    }
    catch (error) {
      if (error instanceof CookieStoreError) throw error
      throw new CookieStoreError('ERR_COOKIE_STORE_IO', this.base, `could not ${action} the cookies under ${JSON.stringify(this.base)}: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    }
  }
}

/**
 * A cookie store over any unstorage storage, so that processes, machines or serverless instances
 * share one session. unstorage is an optional peer dependency: install it to use this store.
 *
 * @example
 * ```ts
 * import { createStorage } from 'unstorage'
 * import redisDriver from 'unstorage/drivers/redis'
 * import { createSession } from 'fetch-session'
 * import { createUnstorageStore } from 'fetch-session/stores/unstorage'
 *
 * const storage = createStorage({ driver: redisDriver({ url: process.env.REDIS_URL }) })
 * // every instance that uses this base shares the login
 * const session = createSession({ cookies: createUnstorageStore(storage, { base: 'sessions:alice' }) })
 * ```
 */
export function createUnstorageStore(storage: UnstorageLike, options?: UnstorageStoreOptions): UnstorageCookieStore {
  return new UnstorageCookieStore(storage, options)
}

/** unstorage's key normalization: `/` and `\` become `:`, no empty segments, no leading or trailing `:`. */
/**
 * One part of a cookie key, safe for every driver: URI-encoded, and also `!'()*~` (glob
 * characters for Redis) and dots (a `.` or `..` segment is refused by file-system drivers), except
 * the dots of a domain. An empty name (allowed by RFC 6265) is `%00`, a character no cookie has.
 */
function encodePart(value: string, domain = false): string {
  if (value === '') return '%00'
  const encoded = encodeURIComponent(value).replace(/[!'()*~]/g, char => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
  return domain ? encoded : encoded.replace(/\./g, '%2E')
}

function decodePart(value: string): string {
  return value === '%00' ? '' : decodeURIComponent(value)
}
