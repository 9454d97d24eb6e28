/**
 * What the persistent stores share: an index of cookies by domain, path and name (as tough-cookie's
 * `MemoryCookieStore` keeps them), the changes a store records and replays, the JSON document
 * that the file and Web Storage stores write, and a `Store` base class that answers tough-cookie
 * both ways (callbacks, as `CookieJar` calls stores, and promises).
 *
 * @module
 */
import { Cookie, pathMatch, permuteDomain, Store } from 'tough-cookie'
import type { Callback, ErrorCallback, Nullable } from 'tough-cookie'
import { CookieStoreError } from './errors'

/** The `format` of the JSON document the file and Web Storage stores write. */
export const DOCUMENT_FORMAT = 'fetch-session/cookies'

/** The version of that document this code writes and reads. */
export const DOCUMENT_VERSION = 1

/** One cookie as stored: tough-cookie's `cookie.toJSON()` (what `CookieJar.serialize()` writes). */
export type StoredCookie = Record<string, unknown>

/**
 * The JSON document of the file and Web Storage stores. It is also a tough-cookie serialized jar
 * (it has `cookies`), so `CookieJar.deserialize(document)` reads it.
 */
export interface CookieDocument {
  format: typeof DOCUMENT_FORMAT
  formatVersion: number
  cookies: StoredCookie[]
}

/** A cookie's JSON for storage: tough-cookie's own, without the process-local `creationIndex`. */
export function cookieToJSON(cookie: Cookie): StoredCookie {
  const json = cookie.toJSON() as StoredCookie
  delete json.creationIndex
  return json
}

/** A stored cookie back as a `Cookie`; `undefined` when the value is not one. */
export function cookieFromJSON(value: unknown): Cookie | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    }
    catch {
      return undefined
    }
  }
  if (typeof value !== 'object' || value === null) return undefined
  const json = value as StoredCookie
  if (typeof json.key !== 'string' || typeof json.value !== 'string') return undefined
  if (typeof json.domain !== 'string' || json.domain === '') return undefined
  if (typeof json.path !== 'string' || !json.path.startsWith('/')) return undefined
  return Cookie.fromJSON(json)
}

/** True when the cookie has expired (its Max-Age or Expires is in the past). */
export function isExpired(cookie: Cookie, now: number = Date.now()): boolean {
  const expiry = cookie.expiryTime()
  return expiry !== undefined && expiry <= now
}

/**
 * The document for these cookies, expired ones left out, as JSON text: compact, or with one cookie
 * per line (`lines`), which keeps a file readable and its diffs small.
 */
export function stringifyDocument(cookies: Iterable<Cookie>, lines = false): string {
  const now = Date.now()
  const document: CookieDocument = { format: DOCUMENT_FORMAT, formatVersion: DOCUMENT_VERSION, cookies: [] }
  for (const cookie of cookies) {
    if (!isExpired(cookie, now)) document.cookies.push(cookieToJSON(cookie))
  }
  if (!lines) return JSON.stringify(document)
  const head = `{"format":${JSON.stringify(document.format)},"formatVersion":${document.formatVersion},"cookies":[`
  if (document.cookies.length === 0) return `${head}]}\n`
  return `${head}\n${document.cookies.map(cookie => JSON.stringify(cookie)).join(',\n')}\n]}\n`
}

/**
 * The cookies of a document (empty for blank text). Also reads a jar serialized by tough-cookie
 * (`JSON.stringify(jar)`, `await jar.serialize()`). Anything else is a `CookieStoreError` with
 * code `ERR_COOKIE_STORE_FORMAT`, naming `location` and saying it was left untouched.
 */
export function parseDocument(text: string, location: string, what: string): Cookie[] {
  if (text.trim() === '') return []
  const foreign = (reason: string, cause?: unknown): CookieStoreError => new CookieStoreError(
    'ERR_COOKIE_STORE_FORMAT',
    location,
    `${what} is not a fetch-session cookie store (${reason}); it was left untouched: repair or remove it, or use another ${what.startsWith('the file') ? 'path' : 'key'}`,
    { cause },
  )
  let document: unknown
  try {
    document = JSON.parse(text)
  }
  catch (error) {
    throw foreign(`invalid JSON: ${(error as Error).message}`, error)
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw foreign('not a JSON object')
  const { format, formatVersion, version, cookies } = document as Record<string, unknown>
  const ours = format === DOCUMENT_FORMAT
  const toughCookie = format === undefined && typeof version === 'string' && version.startsWith('tough-cookie@')
  if (!ours && !toughCookie) throw foreign(format === undefined ? 'no "format": "fetch-session/cookies"' : `its format is ${JSON.stringify(format)}`)
  if (ours && formatVersion !== DOCUMENT_VERSION) {
    throw foreign(typeof formatVersion === 'number' && formatVersion > DOCUMENT_VERSION
      ? `format version ${formatVersion}, written by a newer fetch-session`
      : `unknown format version ${JSON.stringify(formatVersion)}`)
  }
  if (!Array.isArray(cookies)) throw foreign('"cookies" is not an array')
  return cookies.map((entry, index) => {
    const cookie = cookieFromJSON(entry)
    if (!cookie) throw foreign(`cookies[${index}] is not a cookie`)
    return cookie
  })
}

/** A change a store records: what tough-cookie asked it to do. */
export type CookieChange =
  | { op: 'put', cookie: Cookie }
  | { op: 'remove', domain: string, path: string, key: string }
  | { op: 'removeMatching', domain: string, path: string | null }
  | { op: 'removeAll' }

/** Cookies by domain, then path, then name: the layout of tough-cookie's `MemoryCookieStore`. */
export class CookieIndex {
  private readonly domains: Map<string, Map<string, Map<string, Cookie>>> = new Map()

  /** An index of these cookies (a later cookie with the same domain, path and name wins). */
  static of(cookies: Iterable<Cookie>): CookieIndex {
    const index = new CookieIndex()
    for (const cookie of cookies) index.put(cookie)
    return index
  }

  /** How many cookies it holds. */
  get size(): number {
    let size = 0
    for (const paths of this.domains.values()) {
      for (const names of paths.values()) size += names.size
    }
    return size
  }

  /** The cookie with exactly this domain, path and name. */
  get(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Cookie | undefined {
    if (domain == null || path == null || key == null) return undefined
    return this.domains.get(domain)?.get(path)?.get(key)
  }

  /** Adds the cookie, replacing the one with the same domain, path and name. */
  put(cookie: Cookie): void {
    const { domain, path, key } = cookie
    if (domain == null || path == null || key == null) return
    let paths = this.domains.get(domain)
    if (!paths) this.domains.set(domain, paths = new Map())
    let names = paths.get(path)
    if (!names) paths.set(path, names = new Map())
    names.set(key, cookie)
  }

  /** Removes the cookie with this domain, path and name. */
  remove(domain: string, path: string, key: string): void {
    const paths = this.domains.get(domain)
    const names = paths?.get(path)
    if (!names?.delete(key)) return
    if (names.size === 0) paths!.delete(path)
    if (paths!.size === 0) this.domains.delete(domain)
  }

  /** Removes the cookies of a domain: of one path, or of every path when `path` is null. */
  removeMatching(domain: string, path: string | null): void {
    if (path) {
      const paths = this.domains.get(domain)
      paths?.delete(path)
      if (paths?.size === 0) this.domains.delete(domain)
    }
    else {
      this.domains.delete(domain)
    }
  }

  /** Removes every cookie. */
  clear(): void {
    this.domains.clear()
  }

  /** Applies one recorded change. */
  apply(change: CookieChange): void {
    switch (change.op) {
      case 'put':
        return this.put(change.cookie)
      case 'remove':
        return this.remove(change.domain, change.path, change.key)
      case 'removeMatching':
        return this.removeMatching(change.domain, change.path)
      case 'removeAll':
        return this.clear()
    }
  }

  /**
   * The cookies that may apply to `domain` and `path` (tough-cookie's `findCookies`): those of the
   * domain and its parent domains, whose path path-matches (`path` null: every path).
   */
  find(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Cookie[] {
    if (!domain) return []
    const results: Cookie[] = []
    for (const candidate of permuteDomain(domain, allowSpecialUseDomain) ?? [domain]) {
      const paths = this.domains.get(candidate)
      if (!paths) continue
      for (const [cookiePath, names] of paths) {
        if (path && !pathMatch(path, cookiePath)) continue
        results.push(...names.values())
      }
    }
    return results
  }

  /** Every cookie, oldest first (by creation time, then creation order). */
  all(): Cookie[] {
    const cookies: Cookie[] = []
    for (const paths of this.domains.values()) {
      for (const names of paths.values()) cookies.push(...names.values())
    }
    return sortByCreation(cookies)
  }
}

/** Oldest first: by `creation`, then by `creationIndex` (tough-cookie's order within one process). */
export function sortByCreation(cookies: Cookie[]): Cookie[] {
  const time = (cookie: Cookie): number => cookie.creation instanceof Date ? cookie.creation.getTime() : 0
  return cookies.sort((a, b) => time(a) - time(b) || (a.creationIndex ?? 0) - (b.creationIndex ?? 0))
}

/**
 * Runs `run` and answers the way the caller asked: through `callback` (tough-cookie's `CookieJar`
 * calls stores so; a synchronous result is then passed synchronously, which the jar's `*Sync`
 * methods need) or as a promise.
 */
function settle<T>(run: () => T | Promise<T>, callback: Callback<T> | ErrorCallback | undefined): Promise<T> | undefined {
  let result: T | Promise<T>
  try {
    result = run()
  }
  catch (error) {
    if (!callback) return Promise.reject(error)
    ;(callback as (error: Error) => void)(error as Error)
    return undefined
  }
  if (!callback) return Promise.resolve(result)
  const done = callback as (error: Error | null, value?: T) => void
  if (result instanceof Promise) result.then(value => done(null, value), error => done(error as Error))
  else done(null, result)
  return undefined
}

/**
 * A tough-cookie `Store` whose subclasses implement plain methods (that return a value or a
 * promise): this class gives them tough-cookie's callback-or-promise signatures.
 */
export abstract class BaseCookieStore extends Store {
  /** Looks up one cookie by domain, path and name. */
  protected abstract lookup(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Cookie | undefined | Promise<Cookie | undefined>
  /** The cookies that may apply to a domain and path (`path` null: every path). */
  protected abstract search(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain: boolean): Cookie[] | Promise<Cookie[]>
  /** Records a change. */
  protected abstract change(change: CookieChange): void | Promise<void>
  /** Every cookie, oldest first. */
  protected abstract list(): Cookie[] | Promise<Cookie[]>

  /** Writes what is pending to the backing storage; `session.close()` calls it. */
  abstract flush(): Promise<void>

  /** The cookies named `key` (every cookie, filtered, unless a store can do better). */
  protected searchByName(key: string): Cookie[] | Promise<Cookie[]> {
    const all = this.list()
    return all instanceof Promise ? all.then(cookies => cookies.filter(cookie => cookie.key === key)) : all.filter(cookie => cookie.key === key)
  }

  /**
   * Every cookie named `key`, whatever its domain and path. The session's "leave secure cookies
   * alone" rule (RFC 6265bis §5.7 step 16) asks it for the Secure cookies a plain-http cookie
   * may not shadow, instead of reading every cookie with `getAllCookies()`; any tough-cookie
   * store may have such a method.
   */
  findCookiesByName(key: string): Promise<Cookie[]> {
    return settle(() => this.searchByName(key), undefined)!
  }

  override findCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Promise<Cookie | undefined>
  override findCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback: Callback<Cookie | undefined>): void
  override findCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback?: Callback<Cookie | undefined>): Promise<Cookie | undefined> | void {
    return settle(() => this.lookup(domain, path, key), callback)
  }

  override findCookies(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain?: boolean): Promise<Cookie[]>
  override findCookies(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain?: boolean, callback?: Callback<Cookie[]>): void
  override findCookies(domain: Nullable<string>, path: Nullable<string>, allowSpecialUseDomain?: boolean | Callback<Cookie[]>, callback?: Callback<Cookie[]>): Promise<Cookie[]> | void {
    if (typeof allowSpecialUseDomain === 'function') {
      callback = allowSpecialUseDomain
      allowSpecialUseDomain = true
    }
    const special = allowSpecialUseDomain ?? false
    return settle(() => this.search(domain, path, special), callback)
  }

  override putCookie(cookie: Cookie): Promise<void>
  override putCookie(cookie: Cookie, callback: ErrorCallback): void
  override putCookie(cookie: Cookie, callback?: ErrorCallback): Promise<void> | void {
    return settle(() => this.change({ op: 'put', cookie }), callback)
  }

  override updateCookie(oldCookie: Cookie, newCookie: Cookie): Promise<void>
  override updateCookie(oldCookie: Cookie, newCookie: Cookie, callback: ErrorCallback): void
  override updateCookie(_oldCookie: Cookie, newCookie: Cookie, callback?: ErrorCallback): Promise<void> | void {
    return settle(() => this.change({ op: 'put', cookie: newCookie }), callback)
  }

  override removeCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>): Promise<void>
  override removeCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback: ErrorCallback): void
  override removeCookie(domain: Nullable<string>, path: Nullable<string>, key: Nullable<string>, callback?: ErrorCallback): Promise<void> | void {
    return settle(() => domain == null || path == null || key == null ? undefined : this.change({ op: 'remove', domain, path, key }), callback)
  }

  override removeCookies(domain: string, path: Nullable<string>): Promise<void>
  override removeCookies(domain: string, path: Nullable<string>, callback: ErrorCallback): void
  override removeCookies(domain: string, path: Nullable<string>, callback?: ErrorCallback): Promise<void> | void {
    return settle(() => this.change({ op: 'removeMatching', domain, path: path || null }), callback)
  }

  override removeAllCookies(): Promise<void>
  override removeAllCookies(callback: ErrorCallback): void
  override removeAllCookies(callback?: ErrorCallback): Promise<void> | void {
    return settle(() => this.change({ op: 'removeAll' }), callback)
  }

  override getAllCookies(): Promise<Cookie[]>
  override getAllCookies(callback: Callback<Cookie[]>): void
  override getAllCookies(callback?: Callback<Cookie[]>): Promise<Cookie[]> | void {
    return settle(() => this.list(), callback)
  }
}
