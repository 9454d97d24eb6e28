/**
 * Header helpers. Headers are always merged through `Headers` (case-insensitive), never as
 * plain-object spreads where `Authorization` and `authorization` would pile up.
 */

/**
 * Copies any header form (object, `Headers`, array of tuples) into `target` with `set`, so a later
 * layer wins over an earlier one. A `null` or `undefined` value in an object removes the header
 * (the earlier layer's default), as requests does with `None`.
 * Throws a `TypeError` for invalid names or values (CR, LF, NUL…) that names the header and never
 * quotes its value: the runtime's own message would print the value (a token, a cookie) in full.
 */
export function assignHeaders(target: Headers, source: HeadersInit | Record<string, unknown> | null | undefined): Headers {
  if (source === null || source === undefined) return target
  if (isHeadersLike(source) || Array.isArray(source)) {
    for (const [key, value] of source as Iterable<[string, string]>) setHeader(target, key, value)
    return target
  }
  for (const key of Object.keys(source)) {
    const value = (source as Record<string, unknown>)[key]
    if (value === undefined || value === null) target.delete(key)
    else setHeader(target, key, Array.isArray(value) ? value.join(', ') : String(value))
  }
  return target
}

/** A header name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** `target.set(name, value)`, or a `TypeError` naming the header without quoting its value. */
export function setHeader(target: Headers, name: string, value: string): void {
  try {
    target.set(name, value)
  }
  catch {
    throw invalidHeader(name, value)
  }
}

/** Why `name: value` is not a header, in words that never quote the value. */
export function invalidHeader(name: string, value: string): TypeError {
  if (!TOKEN.test(name)) return new TypeError(`${JSON.stringify(name)} is not a valid header name (a header name is a token: letters, digits and !#$%&'*+-.^_\`|~)`)
  // The fetch spec strips HTTP whitespace around a value; what is left may hold none of CR, LF or NUL.
  const trimmed = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')
  const why = /[\r\n\0]/.test(trimmed)
    ? 'it contains CR, LF or NUL'
    : /[^\u0000-\u00FF]/.test(trimmed) ? 'it contains a character above U+00FF (header values are bytes)' : 'the runtime refused it'
  return new TypeError(`the value of the header ${JSON.stringify(name)} is not a valid header value: ${why} (the value is not printed)`)
}

/**
 * The names an object of headers removes (`null` or `undefined` values), for a layer kept as
 * `Headers` (a mount's) that must still remove the session's defaults when it applies.
 */
export function removedHeaders(source: HeadersInit | Record<string, unknown> | null | undefined): string[] {
  if (source === null || source === undefined || isHeadersLike(source) || Array.isArray(source)) return []
  return Object.keys(source).filter(key => (source as Record<string, unknown>)[key] === undefined || (source as Record<string, unknown>)[key] === null)
}

function isHeadersLike(value: unknown): value is Headers {
  return typeof value === 'object' && value !== null && typeof (value as Headers).forEach === 'function' && typeof (value as Headers).get === 'function'
}

/** Headers that describe a body: removed when a redirect turns the request into a body-less GET. */
export const BODY_HEADERS: readonly string[] = Object.freeze([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
  'transfer-encoding',
])

/**
 * Headers that carry credentials, stripped on every redirect that leaves the origin (or
 * downgrades https to http). `host` goes too: it must name the new host.
 * Refs: fetch spec HTTP-redirect fetch step 13; CVE-2022-0155, CVE-2023-45143, CVE-2024-28849.
 */
export const CREDENTIAL_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'cookie2',
  'host',
])

/** Reads every `Set-Cookie` of a response, without the comma-joining of `headers.get()`. */
export function getSetCookies(headers: Headers): string[] {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie()
  const joined = headers.get('set-cookie')
  return joined ? splitCookiesString(joined) : []
}

/**
 * Splits a comma-joined `Set-Cookie` value for runtimes without `getSetCookie()`: a comma starts
 * a new cookie only when what follows looks like `name=` (so `Expires=Wed, 09 Jun…` survives).
 */
export function splitCookiesString(value: string): string[] {
  const out: string[] = []
  let start = 0
  for (let index = 0; index < value.length; index++) {
    if (value[index] !== ',') continue
    const rest = value.slice(index + 1)
    if (/^\s*[^\s=;,]+=/.test(rest)) {
      out.push(value.slice(start, index).trim())
      start = index + 1
    }
  }
  out.push(value.slice(start).trim())
  return out.filter(Boolean)
}

/** True for bodies that can be read only once (streams, Node readables, async iterables). */
export function isOneShotBody(body: unknown): boolean {
  if (body === null || body === undefined || typeof body !== 'object') return false
  const candidate = body as { getReader?: unknown, pipe?: unknown, pipeTo?: unknown, [Symbol.asyncIterator]?: unknown }
  return typeof candidate.getReader === 'function'
    || typeof candidate.pipeTo === 'function'
    || typeof candidate.pipe === 'function'
    || typeof candidate[Symbol.asyncIterator] === 'function'
}
