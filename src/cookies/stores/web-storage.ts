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
 * - **One entry per cookie, a small index.** Under `key` (default `fetch-session:cookies`) the
 *   store keeps the list of its domains; under `<key>:<domain>` the names and paths of that
 *   domain's cookies; under `<key>:<domain>:<path>:<name>` each cookie (tough-cookie's
 *   `cookie.toJSON()`; `%` and `:` in the parts are written `%25` and `%3A`). A change writes
 *   the cookie it changes, and the domain's list or the index only when a cookie or a domain
 *   comes or goes: what is written is proportional to the change, never the whole jar.
 * - **A budget under the quota.** The entries may take at most `maxBytes` (default 1,000,000
 *   characters, a fifth of the usual 5 MB quota), so a hostile site cannot fill the storage and
 *   leave a later login without room. A change that would pass it evicts cookies as browsers do
 *   (RFC 6265bis §5.7: expired ones, then those of crowded domains, with more than 50 cookies or
 *   a twentieth of the budget, non-Secure first, then any; least recently used first, to the
 *   millisecond: cookies used within one millisecond are equally recent) down to 90 % of it. The cookie being set is never
 *   evicted for room; a cookie that alone does not fit in `maxBytes` is not stored. A storage
 *   that refuses a write all the same (the origin's other data filled it) is a `CookieStoreError`
 *   (`ERR_COOKIE_STORE_IO`), and the store's cookies stay as they were.
 * - **Coherent between tabs and processes.** Each operation reads what it needs from the storage
 *   in one synchronous step (nothing is cached beyond the last text read of each entry), so two
 *   tabs, or two Deno processes sharing `localStorage`, see each other's cookies and lose none.
 *   Writes are immediate (`flush()` has nothing to do). The store is synchronous, so the jar's
 *   `*Sync` methods and `JSON.stringify(jar)` work with it.
 * - **Never overwrites what is not its own.** An entry that is not a cookie store makes every
 *   operation throw a `CookieStoreError` (`ERR_COOKIE_STORE_FORMAT`) and is left untouched. The
 *   single-entry document of earlier versions (`{ "format": "fetch-session/cookies", … }`, also
 *   a jar serialized by tough-cookie) is read and rewritten in this layout on first use, within
 *   the budget.
 *
 * In a browser, a session keeps no jar (the browser owns cookies): this store is for a
 * `CookieJar` your own code manages.
 *
 * @module
 */
import { pathMatch, permuteDomain } from 'tough-cookie'
import type { Cookie, Nullable } from 'tough-cookie'
import { BaseCookieStore, cookieFromJSON, cookieToJSON, isExpired, parseDocument, sortByCreation } from './base'
import type { CookieChange } from './base'
import { CookieStoreError } from './errors'
import { invalidOption } from '../../errors'
import { own } from '../../own'

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
   * The storage key of the store's index; its cookies live under `<key>:…`. Give each jar its
   * own key to keep several in one storage (and keep one key from being another's `<key>:<domain>`).
   * @default 'fetch-session:cookies'
   */
  key?: string
  /**
   * The most the store's entries (index, lists and cookies) may take in the storage, counted as
   * the characters (UTF-16 code units) of their keys and values: for the ASCII JSON the store
   * writes, its size in bytes. Keep it well under the storage's quota (about 5 MB in browsers,
   * 10 MB in Deno), which the origin's other data shares. Past it, cookies are evicted (see the
   * module's documentation).
   * @default 1_000_000
   */
  maxBytes?: number
}

/** The `format` of the index entry. */
const INDEX_FORMAT = 'fetch-session/web-storage'
/** The version of the index this code writes and reads. */
const INDEX_VERSION = 1
/**
 * RFC 6265bis §5.7 evicts first the cookies of domains with more than "a predetermined number"
 * of cookies: here more than 50 (its per-domain minimum), or, since the budget is in characters,
 * more than a twentieth of the budget.
 */
const CROWDED_COUNT = 50
const CROWDED_SHARE = 1 / 20
/** An eviction frees room down to this share of the budget, so that the next changes do not evict again. */
const EVICT_TO = 0.9

/** A domain's cookies: [path, name] pairs. */
type CookieList = Array<[string, string]>

/**
 * A synchronous tough-cookie `Store` over Web Storage. Create it with `createWebStorageStore()`;
 * see this module's documentation for what it guarantees.
 */
export class WebStorageCookieStore extends BaseCookieStore {
  /** The storage key of the store's index. */
  readonly key: string
  /** The most characters the store's entries may take. */
  readonly maxBytes: number
  private readonly storage: WebStorageLike
  /** What each entry's text parsed to, for the text it was parsed from. */
  private readonly parsed = new Map<string, { text: string, value: unknown }>()
  /** The size of each entry as last read or written, once everything was counted. */
  private sizes: Map<string, number> | undefined
  private total = 0

  constructor(storage: WebStorageLike, options: WebStorageStoreOptions = {}) {
    super()
    if (!storage || typeof storage.getItem !== 'function' || typeof storage.setItem !== 'function' || typeof storage.removeItem !== 'function') {
      throw invalidOption('storage', 'createWebStorageStore() needs a Web Storage object (localStorage, sessionStorage, or one with getItem, setItem and removeItem)')
    }
    const key = own<string>(options, 'key') ?? 'fetch-session:cookies'
    if (typeof key !== 'string' || key === '') throw invalidOption('key', 'the web storage store\'s `key` must be a non-empty string')
    const maxBytes = own<number>(options, 'maxBytes') ?? 1_000_000
    if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 8192) {
      throw invalidOption('maxBytes', 'the web storage store\'s `maxBytes` must be a whole number of at least 8192 (a cookie of 4096 bytes must fit, with its attributes)')
    }
    this.synchronous = true
    this.storage = storage
    this.key = key
    this.maxBytes = maxBytes
  }

  /** Checks now that the entry holds a cookie store (or nothing), rewriting an earlier version's; throws a `CookieStoreError` otherwise. */
  load(): Promise<void> {
    try {
      this.domains()
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
    this.domains()
    if (domain == null || path == null || key == null) return undefined
    return this.cookie(domain, path, key)
  }

  protected search(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Cookie[] {
    if (!domain) return []
    const domains = new Set(this.domains())
    const results: Cookie[] = []
    for (const candidate of permuteDomain(domain, allowSpecialUseDomain) ?? [domain]) {
      if (!domains.has(candidate)) continue
      for (const [cookiePath, name] of this.readList(candidate)) {
        if (path && !pathMatch(path, cookiePath)) continue
        const cookie = this.cookie(candidate, cookiePath, name)
        if (cookie) results.push(cookie)
      }
    }
    return results
  }

  protected override searchByName(key: string): Cookie[] {
    const results: Cookie[] = []
    for (const domain of this.domains()) {
      for (const [path, name] of this.readList(domain)) {
        if (name !== key) continue
        const cookie = this.cookie(domain, path, name)
        if (cookie) results.push(cookie)
      }
    }
    return results
  }

  protected list(): Cookie[] {
    return sortByCreation(this.everything().map(entry => entry.cookie))
  }

  protected change(change: CookieChange): void {
    switch (change.op) {
      case 'put':
        return this.put(change.cookie)
      case 'remove':
        this.domains()
        return this.removePairs(change.domain, [[change.path, change.key]])
      case 'removeMatching': {
        this.domains()
        const pairs = this.readList(change.domain).filter(([path]) => !change.path || path === change.path)
        return this.removePairs(change.domain, pairs)
      }
      case 'removeAll':
        for (const domain of this.domains()) {
          for (const [path, name] of this.readList(domain)) this.remove(this.cookieKey(domain, path, name))
          this.remove(this.listKey(domain))
        }
        this.remove(this.key)
    }
  }

  private put(cookie: Cookie): void {
    const { domain, path, key } = cookie
    if (domain == null || path == null || key == null) return
    if (isExpired(cookie)) {
      this.domains()
      return this.removePairs(domain, [[path, key]])
    }
    const entryKey = this.cookieKey(domain, path, key)
    const text = JSON.stringify(cookieToJSON(cookie))
    // A cookie that alone does not fit is not stored (the one it would replace stays).
    if (entryKey.length + text.length > this.maxBytes) {
      this.domains()
      return
    }
    this.domains()
    this.count()
    let plan = this.plan(domain, path, key, entryKey, text)
    if (this.total + plan.growth > this.maxBytes) {
      this.makeRoom(entryKey, plan.growth)
      // The eviction may have changed the domain's list and the index.
      plan = this.plan(domain, path, key, entryKey, text)
    }
    // Index, then list, then cookie: a failure in between (a storage full of the origin's other
    // data) leaves a name that leads nowhere, which is harmless, never a cookie no list names.
    if (plan.index) this.write(this.key, plan.index)
    if (plan.list) this.write(this.listKey(domain), plan.list)
    this.write(entryKey, text)
  }

  /** What putting a cookie writes besides its entry (the domain's list, the index), and the characters it adds. */
  private plan(domain: string, path: string, key: string, entryKey: string, text: string): { list?: string, index?: string, growth: number } {
    const domains = this.domains()
    const list = this.readList(domain)
    const listed = list.some(([p, n]) => p === path && n === key)
    const nextList = listed ? undefined : JSON.stringify([...list, [path, key]])
    const nextIndex = domains.includes(domain) ? undefined : indexText([...domains, domain])
    const growth = this.growth(entryKey, text) + (nextList ? this.growth(this.listKey(domain), nextList) : 0) + (nextIndex ? this.growth(this.key, nextIndex) : 0)
    return { list: nextList, index: nextIndex, growth }
  }

  /** Removes these cookies of a domain, then the domain's list (and its name in the index) when they were its last. */
  private removePairs(domain: string, pairs: CookieList): void {
    if (pairs.length === 0) return
    for (const [path, name] of pairs) this.remove(this.cookieKey(domain, path, name))
    const gone = new Set(pairs.map(([path, name]) => `${path}\n${name}`))
    const list = this.readList(domain)
    const rest = list.filter(([path, name]) => !gone.has(`${path}\n${name}`))
    if (rest.length === list.length) return
    if (rest.length > 0) return this.write(this.listKey(domain), JSON.stringify(rest))
    this.remove(this.listKey(domain))
    const domains = this.domains().filter(item => item !== domain)
    if (domains.length > 0) this.write(this.key, indexText(domains))
    else this.remove(this.key)
  }

  /**
   * Evicts cookies (never `keep`) so that `growth` more characters fit in the budget, down to 90 %
   * of it, after counting every entry afresh (another tab may have changed them).
   */
  private makeRoom(keep: string, growth: number): void {
    const entries = this.everything()
    if (this.total + growth <= this.maxBytes) return
    const target = this.maxBytes * EVICT_TO - growth
    const perDomain = new Map<string, { count: number, size: number }>()
    for (const { cookie, size } of entries) {
      const domain = perDomain.get(cookie.domain!) ?? { count: 0, size: 0 }
      domain.count++
      domain.size += size
      perDomain.set(cookie.domain!, domain)
    }
    const crowded = (domain: string): boolean => {
      const { count, size } = perDomain.get(domain)!
      return count > CROWDED_COUNT || size > this.maxBytes * CROWDED_SHARE
    }
    const now = Date.now()
    const rank = (cookie: Cookie): number => isExpired(cookie, now) ? 0 : crowded(cookie.domain!) ? (cookie.secure ? 2 : 1) : 3
    const order = entries.filter(entry => entry.key !== keep)
      .sort((a, b) => rank(a.cookie) - rank(b.cookie) || time(a.cookie) - time(b.cookie))
    let next = 0
    while (this.total > target && next < order.length) {
      // A batch worth the excess, removed domain by domain (one list write per domain).
      const batch = new Map<string, CookieList>()
      let freed = 0
      while (next < order.length && this.total - freed > target) {
        const { cookie, size } = order[next++]!
        freed += size
        let pairs = batch.get(cookie.domain!)
        if (!pairs) batch.set(cookie.domain!, pairs = [])
        pairs.push([cookie.path!, cookie.key])
      }
      for (const [domain, pairs] of batch) this.removePairs(domain, pairs)
    }
  }

  /** Every cookie with its entry's key and size, counting every entry afresh. */
  private everything(): Array<{ key: string, size: number, cookie: Cookie }> {
    this.sizes = new Map()
    this.total = 0
    const entries: Array<{ key: string, size: number, cookie: Cookie }> = []
    for (const domain of this.domains()) {
      for (const [path, name] of this.readList(domain)) {
        const cookie = this.cookie(domain, path, name)
        const key = this.cookieKey(domain, path, name)
        if (cookie) entries.push({ key, size: this.sizes.get(key) ?? 0, cookie })
      }
    }
    return entries
  }

  /** Counts every entry once; later reads and writes keep the count up to date. */
  private count(): void {
    if (!this.sizes) this.everything()
  }

  /** The characters an entry would add (or free, negative) if it held `text`. */
  private growth(key: string, text: string): number {
    return key.length + text.length - (this.sizes?.get(key) ?? 0)
  }

  /** The domains of the index; an earlier version's document is rewritten in this layout first. */
  private domains(): string[] {
    const text = this.read(this.key)
    if (text === null) return []
    const cached = this.parsed.get(this.key)
    if (cached?.text === text) return cached.value as string[]
    let document: unknown
    try {
      document = JSON.parse(text)
    }
    catch {}
    const { format, formatVersion, domains } = (typeof document === 'object' && document !== null ? document : {}) as Record<string, unknown>
    if (format !== INDEX_FORMAT) return this.migrate(parseDocument(text, this.key, `the storage entry ${JSON.stringify(this.key)}`))
    if (formatVersion !== INDEX_VERSION) {
      throw this.foreign(this.key, typeof formatVersion === 'number' && formatVersion > INDEX_VERSION ? `format version ${formatVersion}, written by a newer fetch-session` : `unknown format version ${JSON.stringify(formatVersion)}`)
    }
    if (!Array.isArray(domains) || !domains.every(item => typeof item === 'string' && item !== '')) throw this.foreign(this.key, '"domains" is not a list of domains')
    this.parsed.set(this.key, { text, value: domains })
    return domains
  }

  /** The [path, name] pairs of a domain's cookies. */
  private readList(domain: string): CookieList {
    const key = this.listKey(domain)
    const text = this.read(key)
    if (text === null) return []
    const cached = this.parsed.get(key)
    if (cached?.text === text) return cached.value as CookieList
    let list: unknown
    try {
      list = JSON.parse(text)
    }
    catch {}
    if (!Array.isArray(list) || !list.every(pair => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string')) {
      throw this.foreign(key, 'not a list of cookie paths and names')
    }
    this.parsed.set(key, { text, value: list })
    return list as CookieList
  }

  /** A cookie, or `undefined` when its entry is gone. */
  private cookie(domain: string, path: string, name: string): Cookie | undefined {
    const key = this.cookieKey(domain, path, name)
    const text = this.read(key)
    if (text === null) return undefined
    const cached = this.parsed.get(key)
    if (cached?.text === text) return cached.value as Cookie
    const cookie = cookieFromJSON(text)
    if (!cookie) throw this.foreign(key, 'not a cookie')
    this.parsed.set(key, { text, value: cookie })
    return cookie
  }

  /**
   * Rewrites the single-entry document of earlier versions in this layout, within the budget:
   * the cookies first (new entries), then the index over the old document. When the storage is
   * too full for both at once, the old document goes first (its cookies are in memory by then).
   */
  private migrate(legacy: Cookie[]): string[] {
    const now = Date.now()
    const byKey = new Map<string, { cookie: Cookie, text: string }>()
    for (const cookie of legacy) {
      if (isExpired(cookie, now) || cookie.domain == null || cookie.path == null || cookie.key == null) continue
      byKey.set(this.cookieKey(cookie.domain, cookie.path, cookie.key), { cookie, text: JSON.stringify(cookieToJSON(cookie)) })
    }
    // Within the budget: the least recently used go first, as they would have been.
    const newest = [...byKey].sort(([, a], [, b]) => time(b.cookie) - time(a.cookie))
    const kept: Array<[string, { cookie: Cookie, text: string }]> = []
    let size = 0
    for (const entry of newest) {
      const cost = entry[0].length + entry[1].text.length + entry[1].cookie.key.length + entry[1].cookie.path!.length + 8
      if (size + cost > this.maxBytes * EVICT_TO) continue
      size += cost
      kept.push(entry)
    }
    const lists = new Map<string, CookieList>()
    for (const [, { cookie }] of kept) {
      let list = lists.get(cookie.domain!)
      if (!list) lists.set(cookie.domain!, list = [])
      list.push([cookie.path!, cookie.key])
    }
    const domains = [...lists.keys()]
    const writeCookies = (): void => {
      for (const [domain, list] of lists) this.write(this.listKey(domain), JSON.stringify(list))
      for (const [key, { text }] of kept) this.write(key, text)
    }
    try {
      writeCookies()
      if (domains.length > 0) this.write(this.key, indexText(domains))
      else this.remove(this.key)
    }
    catch (error) {
      if (!isQuotaError(error)) throw this.refused(error)
      this.remove(this.key)
      try {
        if (domains.length > 0) this.write(this.key, indexText(domains))
        writeCookies()
      }
      catch (again) {
        throw this.refused(again)
      }
    }
    this.sizes = undefined
    return domains
  }

  private listKey(domain: string): string {
    return `${this.key}:${escapePart(domain)}`
  }

  private cookieKey(domain: string, path: string, name: string): string {
    return `${this.key}:${escapePart(domain)}:${escapePart(path)}:${escapePart(name)}`
  }

  private read(key: string): string | null {
    const text = this.attempt(() => this.storage.getItem(key))
    this.track(key, text === null ? undefined : key.length + text.length)
    if (text === null) this.parsed.delete(key)
    return text
  }

  private write(key: string, text: string): void {
    this.attempt(() => this.storage.setItem(key, text))
    this.track(key, key.length + text.length)
  }

  private remove(key: string): void {
    this.attempt(() => this.storage.removeItem(key))
    this.track(key, undefined)
    this.parsed.delete(key)
  }

  /** Keeps the count of the store's characters up to date with what was just read or written. */
  private track(key: string, size: number | undefined): void {
    if (!this.sizes) return
    this.total -= this.sizes.get(key) ?? 0
    if (size === undefined) {
      this.sizes.delete(key)
    }
    else {
      this.sizes.set(key, size)
      this.total += size
    }
  }

  /** Runs a storage call; a failure is a `CookieStoreError`. */
  private attempt<T>(operation: () => T): T {
    try {
      return operation()
    }
    catch (error) {
      throw this.refused(error)
    }
  }

  private refused(error: unknown): CookieStoreError {
    if (error instanceof CookieStoreError) return error
    return new CookieStoreError('ERR_COOKIE_STORE_IO', this.key, `Web Storage refused the cookie entry ${JSON.stringify(this.key)}: ${(error as Error)?.message ?? String(error)}`, { cause: error })
  }

  private foreign(key: string, reason: string): CookieStoreError {
    return new CookieStoreError('ERR_COOKIE_STORE_FORMAT', key, `the storage entry ${JSON.stringify(key)} is not a fetch-session cookie store (${reason}); it was left untouched: repair or remove it, or use another key`)
  }
}

/** When a cookie was last used (or set), in ms. */
function time(cookie: Cookie): number {
  const when = cookie.lastAccessed instanceof Date ? cookie.lastAccessed : cookie.creation
  return when instanceof Date ? when.getTime() : 0
}

function indexText(domains: string[]): string {
  return JSON.stringify({ format: INDEX_FORMAT, formatVersion: INDEX_VERSION, domains })
}

function escapePart(part: string): string {
  return part.replace(/[%:]/g, char => char === '%' ? '%25' : '%3A')
}

/** A storage's "full" error: `QuotaExceededError` (a `DOMException` in browsers and Deno), or Firefox's old name. */
function isQuotaError(error: unknown): boolean {
  if (error instanceof CookieStoreError) return isQuotaError(error.cause)
  const name = (error as { name?: unknown })?.name
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || (error as { code?: unknown })?.code === 22
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
 * const session = createSession({ cookies: createWebStorageStore(localStorage, { key: 'my-app:cookies', maxBytes: 2_000_000 }) })
 * ```
 */
export function createWebStorageStore(storage?: WebStorageLike, options?: WebStorageStoreOptions): WebStorageCookieStore {
  const chosen = storage ?? (globalThis as { localStorage?: WebStorageLike }).localStorage
  if (!chosen) {
    throw new CookieStoreError('ERR_COOKIE_STORE_UNAVAILABLE', (options ? own<string>(options, 'key') : undefined) ?? 'fetch-session:cookies', 'this runtime has no localStorage: pass a storage to createWebStorageStore() (sessionStorage, or any object with getItem, setItem and removeItem), or use fetch-session/stores/file')
  }
  return new WebStorageCookieStore(chosen, options)
}
