import { CookieJar } from 'tough-cookie'
import type { Store } from 'tough-cookie'
import type { CookieJarLike, CookieStoreLike, SessionOptions } from '../types'
import { useCookieRules } from './middleware'
import { cookieRulesFor } from './set-cookie'
import { createMemoryStore } from './stores/memory'
import { invalidOption } from '../errors'

/**
 * Turns the `cookies` option into a jar: `true` (default) a new jar over an in-memory store, a
 * `CookieJar` as is, a `Store` (e.g. `createFileStore()`) wrapped in a new jar, `false` none.
 * Checks are structural, so a jar or store from another copy of tough-cookie works. Also makes the
 * cookie layer apply the rules of set-cookie.ts, which only the entry points that load tough-cookie carry.
 */
export function createCookieJar(option: SessionOptions['cookies']): CookieJar | undefined {
  // The jar's cookie layer applies the RFC 6265bis rules tough-cookie does not (set-cookie.ts).
  useCookieRules(cookieRulesFor)
  if (option === false) return undefined
  if (option === undefined || option === true) return new CookieJar(createMemoryStore())
  if (isCookieJar(option)) return option as unknown as CookieJar
  if (isCookieStore(option)) return new CookieJar(option as unknown as Store)
  throw invalidOption('cookies', '`cookies` must be true, false, a tough-cookie CookieJar or a tough-cookie Store')
}

function isCookieJar(value: unknown): value is CookieJarLike {
  const candidate = value as CookieJarLike
  return typeof value === 'object' && value !== null
    && typeof candidate.getCookies === 'function'
    && typeof candidate.setCookie === 'function'
}

function isCookieStore(value: unknown): value is CookieStoreLike {
  const candidate = value as CookieStoreLike
  return typeof value === 'object' && value !== null
    && typeof candidate.findCookies === 'function'
    && typeof candidate.putCookie === 'function'
}
