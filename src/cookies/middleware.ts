import type { Middleware } from '../compose'
import { getSetCookies } from '../headers'
import type { CookieJarLike } from '../types'

/**
 * The cookie layer: before each hop, builds the `Cookie` header from the jar (merged with a
 * `Cookie` header the caller passed: the caller's cookies win and are not stored, as in requests);
 * after each hop, stores every `Set-Cookie` against that hop's URL before returning, so the next
 * hop or request sees it. A cookie the jar refuses (public suffix, foreign domain, garbage) is
 * dropped silently: a hostile server can never break the response.
 */
export function withCookies(jar: CookieJarLike): Middleware {
  return next => async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const headers = new Headers(init.headers)
    const cookieHeader = buildCookieHeader(headers.get('cookie'), await readJar(jar, url))
    if (cookieHeader) headers.set('cookie', cookieHeader)
    else headers.delete('cookie')

    const response = await next(url, { ...init, headers })
    const setCookies = getSetCookies(response.headers)
    for (const setCookie of setCookies) {
      try {
        await jar.setCookie(setCookie, url, { ignoreError: true })
      }
      catch {
        // A store that throws (or a jar without ignoreError support) must not break the response.
      }
    }
    return response
  }
}

async function readJar(jar: CookieJarLike, url: string): Promise<Array<{ key: string, cookieString: () => string }>> {
  try {
    return await jar.getCookies(url)
  }
  catch {
    return []
  }
}

/**
 * `a=1; b=2`: the caller's cookies first, then the jar's whose names the caller did not give.
 * `undefined` when there is nothing to send (never an empty `Cookie:` header).
 */
export function buildCookieHeader(callerCookie: string | null, jarCookies: ReadonlyArray<{ key: string, cookieString: () => string }>): string | undefined {
  if (!callerCookie) {
    if (jarCookies.length === 0) return undefined
    return jarCookies.map(cookie => cookie.cookieString()).join('; ')
  }
  const names = new Set<string>()
  const parts: string[] = []
  for (const pair of callerCookie.split(';')) {
    const trimmed = pair.trim()
    if (!trimmed) continue
    const eq = trimmed.indexOf('=')
    names.add(eq === -1 ? '' : trimmed.slice(0, eq).trim())
    parts.push(trimmed)
  }
  for (const cookie of jarCookies) {
    if (!names.has(cookie.key)) parts.push(cookie.cookieString())
  }
  return parts.length > 0 ? parts.join('; ') : undefined
}
