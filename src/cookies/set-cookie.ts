/**
 * The rules of RFC 6265bis that the session's cookie layer applies before a `Set-Cookie` reaches
 * the jar, because tough-cookie does not apply them (or applies them case-sensitively): the cookie
 * prefixes, matched case-insensitively (§4.1.3, §5.7 steps 20–22), and "leave secure cookies
 * alone" (§5.7 step 16). The header is read here as tough-cookie's `Cookie.parse()` reads it, so
 * that the rules judge the cookie the jar would store. This module never imports tough-cookie
 * (the browser build bundles the cookie layer, and never loads tough-cookie).
 *
 * https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/
 *
 * @module
 */

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

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/

/**
 * RFC 6265 §5.1.3: `host` domain-matches `domain` when they are equal, or when `host` ends with
 * `.domain` and is not an IP address. Both canonical.
 */
export function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true
  if (!host.endsWith(`.${domain}`) || domain === '') return false
  return !IPV4.test(host) && !host.includes(':')
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
