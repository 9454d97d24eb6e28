/**
 * `fetch-session/stores/web-storage`: cookies in Web Storage (`localStorage`, `sessionStorage`, or
 * anything with `getItem` / `setItem` / `removeItem`), for runtimes that have it (Deno has a
 * persistent `localStorage`) and for apps that manage cookies in JavaScript.
 *
 * ```ts
 * import { createSession } from 'fetch-session'
 * import { createWebStorageStore } from 'fetch-session/stores/web-storage'
 *
 * const session = createSession({ cookies: createWebStorageStore(localStorage) })
 * ```
 *
 * All cookies live in one entry (`key`, default `fetch-session:cookies`), the same JSON document
 * as the file store's. Each change reads the entry, applies itself and writes it back in one
 * synchronous step, so nothing is cached beyond the last text read: two tabs, or two Deno
 * processes sharing `localStorage`, see each other's cookies and lose none of them. Writes are
 * immediate (`flush()` has nothing to do). The store is synchronous, so the jar's `*Sync`
 * methods and `JSON.stringify(jar)` work with it. An entry that is not a cookie store is never
 * overwritten: operations throw a `CookieStoreError` (`ERR_COOKIE_STORE_FORMAT`).
 *
 * In a browser, a session keeps no jar (the browser owns cookies): this store is for a
 * `CookieJar` your own code manages.
 *
 * @module
 */
import type { Cookie, Nullable } from 'tough-cookie'
import { BaseCookieStore, CookieIndex, parseDocument, stringifyDocument } from './base'
import type { CookieChange } from './base'
import { CookieStoreError } from './errors'
import { invalidOption } from '../../errors'

export { CookieStoreError } from './errors'
export type { CookieStoreErrorCode } from './errors'

/** The part of the Web Storage API the store uses (`localStorage`, `sessionStorage`, a `Map`-backed stand-in…). */
export interface WebStorageLike {
  /** The entry's text, or `null` when there is none. */
  getItem: (key: string) => string | null
  /** Stores the entry; may throw (a full storage throws `QuotaExceededError`). */
  setItem: (key: string, value: string) => void
  /** Removes the entry. */
  removeItem: (key: string) => void
}

/** Options of `createWebStorageStore()`. */
export interface WebStorageStoreOptions {
  /**
   * The storage key that holds the cookies. Give each jar its own key to keep several in one storage.
   * @default 'fetch-session:cookies'
   */
  key?: string
}

/**
 * A synchronous tough-cookie `Store` over Web Storage. Create it with `createWebStorageStore()`;
 * see this module's documentation for what it guarantees.
 */
export class WebStorageCookieStore extends BaseCookieStore {
  /** The storage key that holds the cookies. */
  readonly key: string
  private readonly storage: WebStorageLike
  /** The entry's text when it was last parsed, and what it parsed to. */
  private cachedText: string | null | undefined
  private cachedIndex: CookieIndex = new CookieIndex()

  constructor(storage: WebStorageLike, options: WebStorageStoreOptions = {}) {
    super()
    if (!storage || typeof storage.getItem !== 'function' || typeof storage.setItem !== 'function' || typeof storage.removeItem !== 'function') {
      throw invalidOption('storage', 'createWebStorageStore() needs a Web Storage object (localStorage, sessionStorage, or one with getItem, setItem and removeItem)')
    }
    const key = options.key ?? 'fetch-session:cookies'
    if (typeof key !== 'string' || key === '') throw invalidOption('key', 'the web storage store\'s `key` must be a non-empty string')
    this.synchronous = true
    this.storage = storage
    this.key = key
  }

  /** Checks now that the entry holds a cookie store (or nothing); throws a `CookieStoreError` otherwise. */
  load(): Promise<void> {
    try {
      this.read()
      return Promise.resolve()
    }
    catch (error) {
      return Promise.reject(error)
    }
  }

  /** Nothing to write (every change is written at once); rejects when the entry is not a cookie store. */
  flush(): Promise<void> {
    return this.load()
  }

  protected lookup(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Cookie | undefined {
    return this.read().get(domain, path, key)
  }

  protected search(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Cookie[] {
    return this.read().find(domain, path, allowSpecialUseDomain)
  }

  protected list(): Cookie[] {
    return this.read().all()
  }

  protected change(change: CookieChange): void {
    const index = this.read()
    index.apply(change)
    try {
      if (index.size === 0) {
        this.attempt(() => this.storage.removeItem(this.key))
        this.cachedText = null
        return
      }
      const text = stringifyDocument(index.all())
      this.attempt(() => this.storage.setItem(this.key, text))
      this.cachedText = text
    }
    catch (error) {
      // Not written (quota…): forget the changed index, the entry is read again next time.
      this.cachedText = undefined
      throw error
    }
  }

  /** The entry's cookies (parsed again only when its text changed). */
  private read(): CookieIndex {
    const text = this.attempt(() => this.storage.getItem(this.key))
    if (text !== this.cachedText) {
      // Parse before caching: a foreign entry throws and is never written over.
      const cookies = text === null ? [] : parseDocument(text, this.key, `the storage entry ${JSON.stringify(this.key)}`)
      this.cachedIndex = CookieIndex.of(cookies)
      this.cachedText = text
    }
    return this.cachedIndex
  }

  private attempt<T>(operation: () => T): T {
    try {
      return operation()
    }
    catch (error) {
      if (error instanceof CookieStoreError) throw error
      throw new CookieStoreError('ERR_COOKIE_STORE_IO', this.key, `Web Storage refused the cookie entry ${JSON.stringify(this.key)}: ${(error as Error)?.message ?? String(error)}`, { cause: error })
    }
  }
}

/**
 * A cookie store in Web Storage: `localStorage` by default (Deno, browsers), or the storage you
 * pass (`sessionStorage`, any object with `getItem` / `setItem` / `removeItem`).
 *
 * @param storage The storage; `globalThis.localStorage` when not given.
 * @example
 * ```ts
 * import { createSession } from 'fetch-session'
 * import { createWebStorageStore } from 'fetch-session/stores/web-storage'
 *
 * // Deno: localStorage persists between runs of the same script
 * const session = createSession({ cookies: createWebStorageStore(localStorage, { key: 'my-app:cookies' }) })
 * ```
 */
export function createWebStorageStore(storage?: WebStorageLike, options?: WebStorageStoreOptions): WebStorageCookieStore {
  const chosen = storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage
  if (!chosen) {
    throw new CookieStoreError('ERR_COOKIE_STORE_UNAVAILABLE', options?.key ?? 'fetch-session:cookies', 'this runtime has no localStorage: pass a storage to createWebStorageStore() (sessionStorage, or any object with getItem, setItem and removeItem), or use fetch-session/stores/file')
  }
  return new WebStorageCookieStore(chosen, options)
}
