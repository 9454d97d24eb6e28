/**
 * The Netscape `cookies.txt` format, the one `curl -c` / `curl -b` and `wget --save-cookies` /
 * `--load-cookies` use: one cookie per line, seven tab-separated fields
 *
 *     domain  include-subdomains  path  secure  expires  name  value
 *
 * `include-subdomains` and `secure` are `TRUE` / `FALSE`; `expires` is in Unix seconds, `0` for a
 * session cookie; a domain cookie's domain starts with a dot; an HttpOnly cookie's line starts
 * with `#HttpOnly_`; other lines starting with `#` are comments.
 *
 * This module never imports tough-cookie (the browser build uses it too): `toNetscape()` reads
 * any jar through its `serialize()`, and `createFromNetscape(CookieJar)` makes the `fromNetscape()`
 * of an entry point, bound to tough-cookie's `CookieJar` where that entry point loads it (every
 * entry point but the browser build) and to none in the browser build, where it fills the jar you pass.
 *
 * @module
 */
import type { CookieJar, Store } from 'tough-cookie'
import { invalidOption } from '../errors'

/** tough-cookie's `CookieJar` class, as far as `fromNetscape()` needs it. */
export interface CookieJarClass {
  deserialize: (serialized: { cookies: unknown[] }, store?: Store) => Promise<CookieJar>
}

/** One cookie of a jar, as `CookieJar.serialize()` gives it (tough-cookie's `cookie.toJSON()`). */
interface SerializedCookieLike {
  key?: string
  value?: string
  domain?: string | null
  path?: string | null
  expires?: string | null
  maxAge?: number | string | null
  creation?: string | null
  lastAccessed?: string | null
  hostOnly?: boolean | null
  secure?: boolean
  httpOnly?: boolean
}

/** A jar `toNetscape()` can read: anything with tough-cookie's `serialize()`. */
export interface SerializableCookieJar {
  serialize: () => Promise<{ cookies: SerializedCookieLike[] }>
}

/** Options of `toNetscape()`. */
export interface ToNetscapeOptions {
  /**
   * Write session cookies (those without Expires or Max-Age) too, with expiry `0`, as `curl -c`
   * does. `false` leaves them out, as a browser does when it closes.
   * @default true
   */
  sessionCookies?: boolean
  /**
   * Called for each cookie left out of the file because one of its fields (domain, path, name or
   * value) holds a tab, CR, LF or NUL, which the format cannot carry: written as is, the field
   * would split its line into forged columns or lines, and the file would no longer read back
   * (`fromNetscape()` and curl would refuse it, or read other cookies than the jar's). tough-cookie
   * keeps such a path from a `Set-Cookie` (`Path=/a<TAB>TRUE…`), so a hostile server can make one.
   * The file also says so in a comment line, without the value.
   */
  onSkip?: (cookie: SkippedCookie) => void
}

/** A cookie `toNetscape()` left out of the file (its value is not given: it may be a secret). */
export interface SkippedCookie {
  /** The cookie's name. */
  name: string
  /** The cookie's domain, as the jar keeps it (no leading dot). */
  domain: string
  /** The cookie's path. */
  path: string
  /** The first field that holds a tab, CR, LF or NUL. */
  field: 'domain' | 'path' | 'name' | 'value'
}

/** Options of `fromNetscape()`. */
export interface FromNetscapeOptions {
  /**
   * Add the cookies to this jar instead of a new one (they replace its cookies with the same
   * domain, path and name). Its class builds the cookies, so this also works where the package
   * does not load tough-cookie (the browser build).
   */
  jar?: CookieJar
  /**
   * The store of the new jar, e.g. `createFileStore('./cookies.json')` to turn a `cookies.txt`
   * into a persistent store. Ignored when `jar` is given.
   * @default a new in-memory store
   */
  store?: Store
}

const HTTP_ONLY_PREFIX = '#HttpOnly_'

// What splits a cookies.txt line into columns or lines (NUL ends it for curl's C strings).
const BREAKS_FORMAT = /[\t\n\r\0]/

/**
 * Writes the cookies of a jar in the Netscape `cookies.txt` format, as `curl -c` does: the file
 * `curl -b` and `wget --load-cookies` read. Expired cookies are left out; session cookies are
 * written with expiry 0 (see `sessionCookies`). A cookie with a tab, CR, LF or NUL in its domain,
 * path, name or value cannot be written in this format (curl could not read it either): it is left
 * out, `onSkip` hears of it, and a comment line in the file says so; every other cookie is written.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises'
 * import { toNetscape } from 'fetch-session'
 *
 * await writeFile('cookies.txt', await toNetscape(session.cookies!)) // then: curl -b cookies.txt …
 * ```
 */
export async function toNetscape(jar: SerializableCookieJar, options: ToNetscapeOptions = {}): Promise<string> {
  if (!jar || typeof (jar as Partial<SerializableCookieJar>).serialize !== 'function') {
    throw invalidOption('jar', 'toNetscape() needs a tough-cookie CookieJar (session.cookies)')
  }
  // Own properties only: a polluted Object.prototype is never taken for an option.
  const sessionCookies = (Object.hasOwn(options, 'sessionCookies') ? options.sessionCookies : undefined) ?? true
  const onSkip = Object.hasOwn(options, 'onSkip') ? options.onSkip : undefined
  if (onSkip !== undefined && typeof onSkip !== 'function') throw invalidOption('onSkip', 'toNetscape()\'s `onSkip` must be a function')
  const { cookies } = await jar.serialize()
  const now = Date.now()
  const lines = [
    '# Netscape HTTP Cookie File',
    '# https://curl.se/docs/http-cookies.html',
    '# This file was generated by fetch-session. Edit at your own risk.',
    '',
  ]
  for (const cookie of cookies) {
    if (typeof cookie.key !== 'string' || !cookie.domain) continue
    const expiry = expiryOf(cookie)
    if (expiry !== undefined && expiry <= now) continue
    if (expiry === undefined && !sessionCookies) continue
    const path = cookie.path || '/'
    const value = cookie.value ?? ''
    const field = BREAKS_FORMAT.test(cookie.domain) ? 'domain' : BREAKS_FORMAT.test(path) ? 'path' : BREAKS_FORMAT.test(cookie.key) ? 'name' : BREAKS_FORMAT.test(value) ? 'value' : undefined
    if (field) {
      const skipped: SkippedCookie = { name: cookie.key, domain: cookie.domain, path, field }
      // JSON keeps the comment on one line, whatever the fields hold.
      lines.push(`# fetch-session left out a cookie whose ${field} holds a tab, CR, LF or NUL: ${JSON.stringify({ name: skipped.name, domain: skipped.domain, path: skipped.path })}`)
      onSkip?.(skipped)
      continue
    }
    // tough-cookie matches a cookie whose `hostOnly` is not true on subdomains too.
    const hostOnly = cookie.hostOnly === true
    const domain = hostOnly ? cookie.domain : `.${cookie.domain}`
    lines.push([
      `${cookie.httpOnly ? HTTP_ONLY_PREFIX : ''}${domain}`,
      hostOnly ? 'FALSE' : 'TRUE',
      path,
      cookie.secure ? 'TRUE' : 'FALSE',
      // Whole seconds, rounded up so that a cookie never expires early; 0: a session cookie.
      expiry === undefined ? '0' : String(Math.ceil(Math.min(expiry, 253402300799000) / 1000)),
      cookie.key,
      value,
    ].join('\t'))
  }
  return `${lines.join('\n')}\n`
}

/** The signature of `fromNetscape()`. */
export type FromNetscape = (text: string, options?: FromNetscapeOptions) => Promise<CookieJar>

/**
 * Makes `fromNetscape()` for an entry point: new jars are built with `jarClass` (tough-cookie's
 * `CookieJar`), or, without one (the browser build), only the jar passed as `{ jar }` is filled.
 * @internal
 */
export function createFromNetscape(jarClass: CookieJarClass | undefined): FromNetscape {
  return async function fromNetscape(text, options = {}) {
    if (typeof text !== 'string') throw invalidOption('text', 'fromNetscape() takes the text of a cookies.txt file')
    const jar = Object.hasOwn(options, 'jar') ? options.jar : undefined
    const builder = jar ? (jar as unknown as { constructor: CookieJarClass }).constructor : jarClass
    if (!builder || typeof builder.deserialize !== 'function') {
      throw invalidOption('jar', jar
        ? 'fromNetscape() needs `jar` to be a tough-cookie CookieJar'
        : 'fromNetscape() needs tough-cookie, which this build does not load (the browser build: the browser keeps its own cookies); pass the jar to fill: fromNetscape(text, { jar: new CookieJar() })')
    }
    const cookies = parseNetscape(text)
    if (jar) {
      // Deserializing onto the jar's own store adds the cookies to it.
      await builder.deserialize({ cookies }, (jar as unknown as { store: Store }).store)
      return jar
    }
    return builder.deserialize({ cookies }, Object.hasOwn(options, 'store') ? options.store : undefined)
  }
}

/** The cookies of a `cookies.txt`, as tough-cookie's serialized cookies (expired ones left out). */
function parseNetscape(text: string): SerializedCookieLike[] {
  const now = Date.now()
  const creation = new Date(now).toISOString()
  const cookies: SerializedCookieLike[] = []
  const lines = text.split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    let line = raw
    let httpOnly = false
    if (line.startsWith(HTTP_ONLY_PREFIX)) {
      httpOnly = true
      line = line.slice(HTTP_ONLY_PREFIX.length)
    }
    else if (line.startsWith('#') || line.trim() === '') {
      continue
    }
    const fields = line.split('\t')
    // curl writes 6 fields for an empty value.
    if (fields.length < 6) {
      throw new SyntaxError(`fetch-session: cookies.txt line ${index + 1} is not a cookie: expected 7 tab-separated fields (domain, include subdomains, path, secure, expires, name, value), got ${fields.length}`)
    }
    const [domainField, subdomains, path, secure, expires, name] = fields as [string, string, string, string, string, string]
    const value = fields.slice(6).join('\t')
    const where = `fetch-session: cookies.txt line ${index + 1}`
    if (!/^(?:TRUE|FALSE)$/i.test(subdomains) || !/^(?:TRUE|FALSE)$/i.test(secure)) throw new SyntaxError(`${where}: the include-subdomains and secure fields must be TRUE or FALSE`)
    if (!/^-?\d+$/.test(expires.trim())) throw new SyntaxError(`${where}: the expires field must be Unix seconds (0 for a session cookie), got ${JSON.stringify(expires)}`)
    const domain = domainField.trim().replace(/^\./, '').toLowerCase()
    if (domain === '') throw new SyntaxError(`${where}: the domain is empty`)
    const seconds = Number(expires.trim())
    if (seconds !== 0 && seconds * 1000 <= now) continue
    cookies.push({
      key: name,
      value,
      domain,
      path: path || '/',
      expires: seconds === 0 ? 'Infinity' : new Date(Math.min(seconds * 1000, 8.64e15)).toISOString(),
      hostOnly: subdomains.toUpperCase() !== 'TRUE',
      secure: secure.toUpperCase() === 'TRUE',
      httpOnly,
      creation,
      lastAccessed: creation,
    })
  }
  return cookies
}

/** When a serialized cookie expires (ms), as tough-cookie's `expiryTime()`; `undefined` for a session cookie. */
function expiryOf(cookie: SerializedCookieLike): number | undefined {
  const { maxAge } = cookie
  if (maxAge !== undefined && maxAge !== null) {
    if (maxAge === 'Infinity') return undefined
    if (typeof maxAge !== 'number' || maxAge <= 0) return Number.NEGATIVE_INFINITY
    const since = Date.parse(cookie.lastAccessed ?? cookie.creation ?? '')
    return (Number.isNaN(since) ? Date.now() : since) + maxAge * 1000
  }
  if (!cookie.expires || cookie.expires === 'Infinity') return undefined
  const time = Date.parse(cookie.expires)
  return Number.isNaN(time) ? undefined : time
}
