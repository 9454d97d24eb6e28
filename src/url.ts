/**
 * URL building. The rule for `baseURL`: only an input that starts with a scheme (`https:`…) is
 * absolute and leaves the base. Everything else, including protocol-relative `//host/x` and
 * paths that merely share a prefix with the base, is joined below the base's path, so a
 * relative input can never carry the session's credentials to another origin
 * (CVE-2025-27152; catalogue #77).
 */
import { redactURL } from './secrets'

const SCHEME = /^[a-z][a-z\d+\-.]*:/i

/** True when `input` names its own scheme (and so ignores `baseURL`). */
export function isAbsoluteURL(input: string): boolean {
  return SCHEME.test(input)
}

/** Joins `input` below `base`: exactly one `/` between them, whatever each side has. */
export function joinURL(base: string, input: string): string {
  if (!input) return base
  if (input.startsWith('?') || input.startsWith('#')) return base.replace(/\/+$/, '') + input
  return `${base.replace(/\/+$/, '')}/${input.replace(/^\/+/, '')}`
}

/**
 * What the WHATWG URL parser removes before it parses: leading and trailing C0 controls and
 * spaces, and every tab and newline inside (URL spec, basic URL parser, steps 1 and 3).
 */
const OUTER_CONTROLS = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g
const TAB_OR_NEWLINE = /[\t\n\r]/g

/**
 * `input` as the URL parser reads it: outer spaces and C0 controls stripped, inner tabs and
 * newlines removed. Done before `baseURL` is joined, so `'  /get '` joins like `'/get'`.
 */
export function cleanURL(input: string): string {
  return input.replace(OUTER_CONTROLS, '').replace(TAB_OR_NEWLINE, '')
}

/**
 * Appends query parameters: arrays repeat the key, a `Date` is its ISO string, other objects are
 * JSON, `null` and `undefined` are skipped (as requests does). Keys for which `skip` says so are
 * left alone (a mount's defaults under the request's own).
 */
export function appendQuery(url: URL, query: Record<string, unknown> | undefined, skip?: (key: string) => boolean): void {
  if (!query) return
  for (const key of Object.keys(query)) {
    const value = query[key]
    if (value === undefined || value === null) continue
    if (skip?.(key)) continue
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue
      url.searchParams.append(key, stringifyQueryValue(key, item))
    }
  }
}

function stringifyQueryValue(key: string, value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`the query parameter \`${key}\` is an invalid Date`)
    return value.toISOString()
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** What `resolveURL` returns: the URL, and `Authorization` taken out of its userinfo. */
export interface ResolvedURL {
  url: URL
  /** `Basic …` when the URL carried `user:password@` (removed from the URL, as requests does). */
  authorization: string | undefined
}

/**
 * Resolves the request URL: cleaned as the URL parser does (`cleanURL`), `baseURL` joined, `query`
 * appended, userinfo turned into Basic auth. Throws a `TypeError` for anything that is not an
 * http(s) URL.
 */
export function resolveURL(rawInput: string, rawBaseURL: string | undefined, query: Record<string, unknown> | undefined, fallbackBase: string | undefined): ResolvedURL {
  const input = cleanURL(rawInput)
  const baseURL = rawBaseURL === undefined ? undefined : cleanURL(rawBaseURL)
  let href: string
  if (isAbsoluteURL(input)) href = input
  else if (baseURL) href = joinURL(baseURL, input)
  else if (fallbackBase) href = new URL(input, fallbackBase).href
  else throw new TypeError(`${JSON.stringify(redactURL(input))} is not an absolute URL and no baseURL is set`)

  let url: URL
  try {
    url = new URL(href)
  }
  catch {
    // Printed without its userinfo and secret parameters: the message goes into logs.
    throw new TypeError(`${JSON.stringify(redactURL(href))} is not a valid URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`unsupported URL scheme ${JSON.stringify(url.protocol)}: only http: and https: are fetched`)
  }
  appendQuery(url, query)
  let authorization: string | undefined
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username)
    const password = decodeURIComponent(url.password)
    authorization = `Basic ${toBase64(`${user}:${password}`)}`
    url.username = ''
    url.password = ''
  }
  return { url, authorization }
}

/** Base64 of a string's UTF-8 bytes, on every runtime (no `Buffer`). */
export function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
