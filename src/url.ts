/**
 * URL building. The rule for `baseURL`: only an input that starts with a scheme (`https:`…) is
 * absolute and leaves the base. Everything else, including protocol-relative `//host/x` and
 * paths that merely share a prefix with the base, is joined below the base's path, so a
 * relative input can never carry the session's credentials to another origin
 * (CVE-2025-27152; catalogue #77).
 */

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

/** Appends query parameters: arrays repeat the key, objects are JSON, `undefined` is skipped. */
export function appendQuery(url: URL, query: Record<string, unknown> | undefined): void {
  if (!query) return
  for (const key of Object.keys(query)) {
    const value = query[key]
    if (value === undefined) continue
    if (Array.isArray(value)) {
      for (const item of value) url.searchParams.append(key, stringifyQueryValue(item))
    }
    else {
      url.searchParams.append(key, stringifyQueryValue(value))
    }
  }
}

function stringifyQueryValue(value: unknown): string {
  if (value === null) return ''
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
 * Resolves the request URL: `baseURL` joined, `query` appended, userinfo turned into Basic auth.
 * Throws a `TypeError` for anything that is not an http(s) URL.
 */
export function resolveURL(input: string, baseURL: string | undefined, query: Record<string, unknown> | undefined, fallbackBase: string | undefined): ResolvedURL {
  let href: string
  if (isAbsoluteURL(input)) href = input
  else if (baseURL) href = joinURL(baseURL, input)
  else if (fallbackBase) href = new URL(input, fallbackBase).href
  else throw new TypeError(`${JSON.stringify(input)} is not an absolute URL and no baseURL is set`)

  let url: URL
  try {
    url = new URL(href)
  }
  catch {
    throw new TypeError(`${JSON.stringify(href)} is not a valid URL`)
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
