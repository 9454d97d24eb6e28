/**
 * The rules of RFC 6265bis that the session's cookie layer applies before a `Set-Cookie` reaches
 * the jar, because tough-cookie does not apply them (or applies them case-sensitively): the cookie
 * prefixes, matched case-insensitively (§4.1.3, §5.7 steps 20–22), and "leave secure cookies
 * alone" (§5.7 step 16). The header is read here as tough-cookie's `Cookie.parse()` reads it, so
 * that the rules judge the cookie the jar would store. The entry points that load tough-cookie
 * register `cookieRulesFor` with the cookie layer (src/cookies/jar.ts); the browser build, which
 * keeps no jar, never carries this module.
 *
 * https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/
 *
 * @module
 */

import { asStoreError } from './layer'
import { domainMatches } from './domain'
import type { CookieRules, ResponseCookieRules, StoredCookie, StoreLike } from './middleware'
import type { CookieJarLike } from '../types'

/** What the rules need of one `Set-Cookie`. */
export interface SetCookieFacts {
  /** The cookie's name (empty for a nameless cookie of a jar in loose mode). */
  name: string
  value: string
  /** The `Domain` attribute, canonical (no leading dot, lower case, ASCII); `undefined` for a host-only cookie. */
  domain: string | undefined
  /** The last `Path` attribute when it starts with `/`; `undefined` otherwise (the cookie gets the default path). */
  path: string | undefined
  /** True when the cookie has the `Secure` attribute. */
  secure: boolean
}

// tough-cookie's Cookie.parse(): the pair ends at the first CR, LF or NUL; names and values with
// a control character are refused.
const TERMINATOR = /[\n\r\0]/
const CONTROL = /[\x00-\x1F]/

/**
 * The facts of a `Set-Cookie` header, read as tough-cookie's `Cookie.parse()` reads it
 * (`loose`: its loose mode, where `=value` and `value` are nameless cookies); `undefined` when
 * tough-cookie would refuse it anyway.
 */
export function parseSetCookie(header: string, loose = false): SetCookieFacts | undefined {
  const text = header.trim()
  if (text === '') return undefined
  const firstSemi = text.indexOf(';')
  let pair = firstSemi === -1 ? text : text.slice(0, firstSemi)
  const end = pair.search(TERMINATOR)
  if (end !== -1) pair = pair.slice(0, end)
  let firstEq = pair.indexOf('=')
  if (loose && firstEq === 0) {
    pair = pair.slice(1)
    firstEq = pair.indexOf('=')
  }
  else if (!loose && firstEq <= 0) {
    return undefined
  }
  const name = firstEq <= 0 ? '' : pair.slice(0, firstEq).trim()
  const value = (firstEq <= 0 ? pair : pair.slice(firstEq + 1)).trim()
  if (CONTROL.test(name) || CONTROL.test(value)) return undefined
  const facts: SetCookieFacts = { name, value, domain: undefined, path: undefined, secure: false }
  if (firstSemi === -1) return facts
  for (const attribute of text.slice(firstSemi + 1).split(';')) {
    const trimmed = attribute.trim()
    if (trimmed === '') continue
    const at = trimmed.indexOf('=')
    const key = (at === -1 ? trimmed : trimmed.slice(0, at)).trim().toLowerCase()
    const attributeValue = at === -1 ? '' : trimmed.slice(at + 1).trim()
    if (key === 'domain') {
      const domain = attributeValue.replace(/^\./, '')
      if (domain) facts.domain = canonicalDomain(domain)
    }
    else if (key === 'path') {
      facts.path = attributeValue.startsWith('/') ? attributeValue : undefined
    }
    else if (key === 'secure') {
      facts.secure = true
    }
  }
  return facts
}

/** A host or domain as tough-cookie stores it (`canonicalDomain`): no brackets, no leading dot, lower case, ASCII. */
export function canonicalDomain(domain: string): string {
  let text = domain.trim().replace(/^\./, '')
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1)
  if (/[^\u0001-\u007F]/.test(text) && !text.includes(':')) {
    try {
      return new URL(`http://${text}`).hostname
    }
    catch {
      return text.toLowerCase()
    }
  }
  return text.toLowerCase()
}

/** The default path of a cookie set from `pathname` (RFC 6265 §5.1.4), as tough-cookie computes it. */
export function defaultPath(pathname: string): string {
  let path = pathname
  try {
    path = decodeURI(pathname)
  }
  catch {}
  if (!path.startsWith('/') || path === '/') return '/'
  const last = path.lastIndexOf('/')
  return last === 0 ? '/' : path.slice(0, last)
}

/**
 * True when a cookie of this name breaks the rules of its prefix, matched case-insensitively as
 * RFC 6265bis §5.7 steps 20–22 say (tough-cookie matches `__Secure-` and `__Host-` exactly, so
 * `__SECURE-` and `__host-` would pass): a `__Secure-` cookie needs `Secure`; a `__Host-` cookie
 * needs `Secure`, no `Domain` and `Path=/`; a nameless cookie may not look like either (its value
 * would be sent as a name).
 */
export function breaksPrefixRules(cookie: SetCookieFacts): boolean {
  const name = cookie.name.toLowerCase()
  if (name.startsWith('__secure-') && !cookie.secure) return true
  if (name.startsWith('__host-') && !(cookie.secure && cookie.domain === undefined && cookie.path === '/')) return true
  if (cookie.name === '') {
    const value = cookie.value.toLowerCase()
    if (value.startsWith('__secure-') || value.startsWith('__host-')) return true
  }
  return false
}

/** RFC 6265 §5.1.4: `requestPath` path-matches `cookiePath`. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'
}

/** A stored cookie as step 16 compares it (tough-cookie's `Cookie`, structurally). */
export interface ExistingCookie {
  key: string
  domain: string | null
  path: string | null
  secure?: boolean
  expiryTime?: () => number | undefined
}

/**
 * RFC 6265bis §5.7 step 16, "leave secure cookies alone": a cookie without `Secure`, set from an
 * insecure origin, is ignored when the store holds a cookie that has its name, is `Secure`, whose
 * domain domain-matches the new cookie's domain or the other way round (host-only or not), and
 * whose path the new cookie's path path-matches. `existing` are the stored cookies of that name
 * (any others are skipped); `domain` and `path` are the new cookie's, as it would be stored.
 */
export function shadowsSecureCookie(existing: Iterable<ExistingCookie>, name: string, domain: string, path: string, now: number = Date.now()): boolean {
  for (const cookie of existing) {
    if (cookie.key !== name || cookie.secure !== true || !cookie.domain || !cookie.path) continue
    const expiry = typeof cookie.expiryTime === 'function' ? cookie.expiryTime() : undefined
    if (expiry !== undefined && expiry <= now) continue
    if (!domainMatches(cookie.domain, domain) && !domainMatches(domain, cookie.domain)) continue
    if (pathMatches(path, cookie.path)) return true
  }
  return false
}

/** The options of a tough-cookie `CookieJar` the rules follow. */
interface JarOptions {
  enableLooseMode?: boolean
  prefixSecurity?: string
  allowSecureOnLocal?: boolean
  allowSpecialUseDomain?: boolean
  store?: StoreLike
}

/**
 * The rules for the `Set-Cookie` headers of one response of `url`: a cookie that breaks its
 * prefix's rules is refused (unless the jar says `prefixSecurity: 'unsafe-disabled'`); one without
 * `Secure` from an insecure origin is refused when it would shadow a Secure cookie (step 16).
 * Nothing is looked up for an https response or a `Secure` cookie.
 */
export const cookieRulesFor: CookieRules = (jar: CookieJarLike, url: string): ResponseCookieRules => {
  const options = jar as JarOptions
  const loose = options.enableLooseMode === true
  const prefixRules = options.prefixSecurity !== 'unsafe-disabled'
  // The URL of an insecure response (parsed once, for the first Set-Cookie that needs it), or null.
  let insecure: URL | null | undefined
  let secureCookies: SecureCookies | undefined
  return {
    async refuses(setCookie) {
      const facts = parseSetCookie(setCookie, loose)
      // What tough-cookie cannot parse, it refuses itself.
      if (!facts) return false
      if (prefixRules && breaksPrefixRules(facts)) return true
      if (facts.secure) return false
      if (insecure === undefined) insecure = insecureURL(url, options)
      if (!insecure) return false
      const domain = facts.domain ?? canonicalDomain(insecure.hostname)
      const path = facts.path ?? defaultPath(insecure.pathname)
      secureCookies ??= new SecureCookies(jar)
      return shadowsSecureCookie(await secureCookies.named(facts.name, domain, path), facts.name, domain, path)
    },
    stored(cookie) {
      if (cookie.secure) secureCookies?.add(cookie)
    },
  }
}

/**
 * `url`, parsed, when a Secure cookie may not be set from it; null when it may, as tough-cookie
 * decides (its `isPotentiallyTrustworthy`): https, or loopback (`127.0.0.0/8`, `::1`,
 * `localhost`, `*.localhost`) unless the jar was made with `allowSecureOnLocal: false`. An
 * unparsable URL is left to tough-cookie, which refuses its cookies anyway.
 */
function insecureURL(url: string, jar: JarOptions): URL | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  }
  catch {
    return null
  }
  if (parsed.protocol === 'https:' || parsed.protocol === 'wss:') return null
  if (jar.allowSecureOnLocal === false) return parsed
  const host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase()
  const loopback = /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1' || host === 'localhost' || host.endsWith('.localhost')
  return loopback ? null : parsed
}

/**
 * The `Secure` cookies "leave secure cookies alone" compares a new cookie with, read from the
 * jar's store at most once per response and name: through the store's `findCookiesByName()`
 * where it has one (the stores of fetch-session), else one `getAllCookies()` for the response
 * (tough-cookie's memory store: 0.1 ms for 3000 cookies), else, for a store without either, the
 * cookies of the new cookie's domain and its parents (`findCookies()`; a subdomain's cookie is
 * then not seen).
 */
class SecureCookies {
  private readonly byName = new Map<string, ExistingCookie[]>()
  private all: ExistingCookie[] | undefined
  private readonly store: StoreLike | undefined

  constructor(private readonly jar: CookieJarLike) {
    const store = (jar as JarOptions).store
    this.store = store && typeof store.findCookies === 'function' ? store : undefined
  }

  /** The stored cookies named `name` that a cookie of `domain` and `path` may collide with. */
  async named(name: string, domain: string, path: string): Promise<ExistingCookie[]> {
    const known = this.byName.get(name)
    if (known) return known
    const found = await this.read(name, domain, path)
    if (!this.all) this.byName.set(name, found)
    return found
  }

  /** A Secure cookie stored meanwhile (from an insecure origin, by a jar that allows it): counts for the next ones. */
  add(cookie: StoredCookie): void {
    this.all?.push(cookie)
    this.byName.get(cookie.key)?.push(cookie)
  }

  private async read(name: string, domain: string, path: string): Promise<ExistingCookie[]> {
    const store = this.store
    try {
      if (!store) {
        // A jar without a store (structural): what it sends to this domain and path over https.
        return await this.jar.getCookies(`https://${domain.includes(':') ? `[${domain}]` : domain}${path}`) as unknown as ExistingCookie[]
      }
      if (typeof store.findCookiesByName === 'function') {
        return (await store.findCookiesByName(name)).filter(cookie => cookie.secure === true)
      }
      if (this.all) return this.all
      if (typeof store.getAllCookies === 'function') {
        try {
          this.all = (await store.getAllCookies()).filter(cookie => cookie.secure === true)
          return this.all
        }
        catch (error) {
          // tough-cookie's `Store` base class: "getAllCookies is not implemented".
          if (!/not implemented/i.test((error as Error)?.message ?? '')) throw error
        }
      }
      return await store.findCookies(domain, null, (this.jar as JarOptions).allowSpecialUseDomain ?? true)
    }
    catch (error) {
      throw asStoreError(error)
    }
  }
}
