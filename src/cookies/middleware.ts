/**
 * The cookie layer's middleware (its spec is cookies/layer.ts): the session's jar on every hop, or
 * a call's own where the session keeps none. Given to the engine by the entries that keep cookies
 * (src/session-layers.ts), so the browser build, where the browser keeps them, carries none of it.
 *
 * @module
 */
import { callStateOf } from '../layer'
import type { Middleware } from '../layer'
import { getSetCookies } from '../headers'
import type { CookieJarLike, Fetch } from '../types'
import { inputURL } from '../http'
import { CookieJar, MemoryCookieStore } from 'tough-cookie'
import { asStoreError } from './layer'
import { domainMatches } from './domain'
import type { CallCookies } from './layer'

/**
 * The cookie layer: before each hop, builds the `Cookie` header from the jar (merged with a
 * `Cookie` header the caller passed: the caller's cookies win and are not stored, as in requests);
 * after each hop, stores every `Set-Cookie` against that hop's URL before returning, so the next
 * hop or request sees it. A cookie the jar refuses (public suffix, foreign domain, garbage) is
 * dropped silently: a hostile server can never break the response.
 */
export function withCookies(jar: CookieJarLike): Middleware {
  // Not async: a request with nothing to send and a response with no Set-Cookie cost one promise.
  return next => (input, init = {}) => {
    try {
      const url = inputURL(input)
      const prepared = jarInit(jar, url, init)
      return prepared instanceof Promise ? prepared.then(ready => sendAndStore(next, jar, url, ready)) : sendAndStore(next, jar, url, prepared)
    }
    catch (error) {
      return Promise.reject(error)
    }
  }
}

/** Sends, then stores the response's cookies (if it set any) before handing it on. */
function sendAndStore(next: Fetch, jar: CookieJarLike, url: string, init: RequestInit): Promise<Response> {
  return next(url, init).then((response) => {
    const setCookies = getSetCookies(response.headers)
    return setCookies.length === 0 ? response : storeCookies(jar, url, setCookies).then(() => response)
  })
}

/**
 * The cookie layer where the session keeps no jar (`$fetch`, `cookies: false`): cookies set within
 * one call's own exchange (a Digest challenge, redirect hops, the 401 before a token refresh, an
 * attempt before a retry) apply to the rest of that call, as requests does for its own hops. The
 * call's jar (`createJar()`) is made only when a response of the call sets a cookie, and lives on
 * the call's state, so it is gone when the call ends. Calls without a call state (`native()`) and
 * responses without Set-Cookie pay nothing. Never used in browsers (the browser owns cookies).
 */
export function withCallCookies(createJar: () => CookieJarLike | undefined): Middleware {
  return next => (input, init = {}) => {
    const state = callStateOf(init)
    if (!state) return next(input, init)
    const url = inputURL(input)
    const own = state.layers.cookies as CallCookies | undefined
    // Not async until a response of the call has set a cookie.
    if (!own) return next(url, init).then(response => noteCookies(state.layers, url, response))
    return withCallJar(next, createJar, own, url, init).then(response => noteCookies(state.layers, url, response))
  }
}

/** A request of a call whose earlier responses set cookies: they go into the call's jar, which builds its `Cookie`. */
async function withCallJar(next: Fetch, createJar: () => CookieJarLike | undefined, own: CallCookies, url: string, init: RequestInit): Promise<Response> {
  // The cookies of earlier responses of this call go into a jar only now that a request follows
  // them: the last response's are never parsed, so a call without a further hop costs nothing.
  if (own.pending) {
    own.jar ??= createJar()
    const pending = own.pending
    own.pending = undefined
    if (own.jar) for (const [from, setCookies] of pending) await storeCookies(own.jar, from, setCookies)
  }
  return next(url, own.jar ? await jarInit(own.jar, url, init) : init)
}

/** Keeps a response's `Set-Cookie` headers for the call's next request (allocated only then). */
function noteCookies(layers: Record<string, unknown>, url: string, response: Response): Response {
  const setCookies = getSetCookies(response.headers)
  if (setCookies.length > 0) {
    const own = (layers.cookies ??= {}) as CallCookies
    ;(own.pending ??= []).push([url, setCookies])
  }
  return response
}

/**
 * `init` with the `Cookie` header built from the jar and the caller's own `Cookie`; `init` as it is
 * when the caller gave no `Cookie` and the jar's in-memory store holds nothing for the host (read
 * from the store itself on every request: nothing is remembered between requests).
 */
function jarInit(jar: CookieJarLike, url: string, init: RequestInit): RequestInit | Promise<RequestInit> {
  const given = init.headers
  if ((given === undefined || (given instanceof Headers && !given.has('cookie'))) && !mayHoldCookiesFor(jar, url)) return init
  return readJar(jar, url).then((cookies) => {
    const headers = new Headers(given)
    const cookieHeader = buildCookieHeader(headers.get('cookie'), cookies)
    if (cookieHeader) headers.set('cookie', cookieHeader)
    else headers.delete('cookie')
    return { ...init, headers }
  })
}

/**
 * What the cookie rules tough-cookie does not apply (src/cookies/set-cookie.ts) decide for the
 * `Set-Cookie` headers of one response.
 */
export interface ResponseCookieRules {
  /** True when this `Set-Cookie` must be ignored. */
  refuses: (setCookie: string) => Promise<boolean>
  /** Hears of each cookie the jar stored for the response. */
  stored: (cookie: StoredCookie) => void
}

/** The rules for a response of `url`, given to `jar`. */
export type CookieRules = (jar: CookieJarLike, url: string) => ResponseCookieRules

// Registered by the entry points that load tough-cookie (through createCookieJar, src/cookies/jar.ts),
// so that the browser build, which keeps no jar, does not carry them.
let cookieRules: CookieRules | undefined

/**
 * Makes every jar of this copy of the package apply `rules` to the `Set-Cookie` headers it is given.
 * @internal
 */
export function useCookieRules(rules: CookieRules): void {
  cookieRules = rules
}

/**
 * Stores the response's `Set-Cookie` headers in the jar, against the URL that answered, after the
 * rules tough-cookie does not apply: the prefixes, case-insensitively, and "leave secure cookies
 * alone", which costs a look-up only for a cookie without `Secure` from an insecure origin.
 */
async function storeCookies(jar: CookieJarLike, url: string, setCookies: readonly string[]): Promise<void> {
  if (setCookies.length === 0) return
  const stored: StoredCookie[] = []
  const rules = cookieRules?.(jar, url)
  for (const setCookie of setCookies.slice(0, COOKIE_LIMITS.perResponse)) {
    if (tooLarge(setCookie)) continue
    if (rules && await rules.refuses(setCookie)) continue
    try {
      const cookie = await jar.setCookie(setCookie, url, { ignoreError: true }) as StoredCookie | undefined
      if (cookie?.domain) {
        stored.push(cookie)
        rules?.stored(cookie)
      }
    }
    catch (error) {
      // With `ignoreError` the jar resolves for a cookie it refuses (a hostile Set-Cookie never
      // breaks the response), so what rejects is the store: seen, never a silently lost login.
      throw asStoreError(error)
    }
  }
  if (stored.length > 0) await enforceJarLimits(jar, stored)
}

/**
 * Limits a hostile server cannot push the jar past (tough-cookie enforces none): RFC 6265bis
 * §5.6 ignores a cookie whose name and value exceed 4096 bytes; like Chrome, at most 180 cookies
 * per domain and 3000 in all, the least recently used going first. Catalogue #42.
 */
export const COOKIE_LIMITS: Readonly<{ nameValueBytes: number, perResponse: number, perDomain: number, total: number }> = Object.freeze({
  nameValueBytes: 4096,
  perResponse: 180,
  perDomain: 180,
  total: 3000,
})

/** A cookie of the jar, as far as the cookie layer reads it (tough-cookie's `Cookie`, structurally). */
export interface StoredCookie {
  key: string
  domain: string | null
  path: string | null
  secure?: boolean
  lastAccessed?: Date | 'Infinity' | null
  creation?: Date | 'Infinity' | null
}

/** A tough-cookie `Store`, as far as the cookie layer calls it. */
export interface StoreLike {
  findCookies: (domain: string, path: string | null, allowSpecialUseDomain?: boolean) => Promise<StoredCookie[]>
  findCookiesByName?: (key: string) => Promise<StoredCookie[]>
  getAllCookies?: () => Promise<StoredCookie[]>
  removeCookie: (domain: string, path: string, key: string) => Promise<void>
}

function tooLarge(setCookie: string): boolean {
  if (setCookie.length <= COOKIE_LIMITS.nameValueBytes / 4) return false
  const end = setCookie.indexOf(';')
  const pair = end === -1 ? setCookie : setCookie.slice(0, end)
  return new TextEncoder().encode(pair).length > COOKIE_LIMITS.nameValueBytes
}

/** Cookies stored per domain, and in all, since the last exact count (an upper bound: overwrites count too). */
const pending = new WeakMap<object, { total: number, byDomain: Map<string, number> }>()

async function enforceJarLimits(jar: CookieJarLike, stored: StoredCookie[]): Promise<void> {
  const store = (jar as { store?: StoreLike }).store
  if (!store || typeof store.findCookies !== 'function' || typeof store.removeCookie !== 'function') return
  let counts = pending.get(jar)
  if (!counts) {
    counts = { total: 0, byDomain: new Map() }
    pending.set(jar, counts)
  }
  try {
    for (const cookie of stored) {
      const domain = cookie.domain!
      const count = (counts.byDomain.get(domain) ?? 0) + 1
      counts.byDomain.set(domain, count)
      // Only count for real once the upper bound says the limit may have been passed.
      if (count > COOKIE_LIMITS.perDomain) {
        const all = (await store.findCookies(domain, null, true)).filter(item => item.domain === domain)
        await evict(store, all, all.length - COOKIE_LIMITS.perDomain)
        counts.byDomain.set(domain, Math.min(all.length, COOKIE_LIMITS.perDomain))
      }
    }
    counts.total += stored.length
    if (counts.total > COOKIE_LIMITS.total / 10 && typeof store.getAllCookies === 'function') {
      const all = await store.getAllCookies()
      await evict(store, all, all.length - COOKIE_LIMITS.total)
      counts.total = 0
    }
  }
  catch {
    // A store that cannot count or remove keeps its cookies; the response is not affected.
  }
}

async function evict(store: StoreLike, cookies: StoredCookie[], excess: number): Promise<void> {
  if (excess <= 0) return
  const time = (value: StoredCookie['lastAccessed']): number => value instanceof Date ? value.getTime() : 0
  const oldest = [...cookies].sort((a, b) => time(a.lastAccessed ?? a.creation) - time(b.lastAccessed ?? b.creation)).slice(0, excess)
  for (const cookie of oldest) await store.removeCookie(cookie.domain!, cookie.path ?? '/', cookie.key)
}

/**
 * False only when the jar finds cookies as tough-cookie's `CookieJar` does (`getCookies` not
 * replaced) in tough-cookie's own `MemoryCookieStore` (the default; not a subclass, which may find
 * cookies its own way), and no domain in it domain-matches the URL's host:
 * then `getCookies()` would return none. The check reads the store's index as it is now, so a
 * cookie put in a moment ago, by this session or any code holding the jar, is seen. Hosts the
 * check does not canonicalise as tough-cookie does (IPv6, a trailing dot, anything unusual) get
 * the full look-up.
 */
function mayHoldCookiesFor(jar: CookieJarLike, url: string): boolean {
  const store = (jar as { store?: unknown }).store
  if (jar.getCookies !== CookieJar.prototype.getCookies || store === undefined || store === null || Object.getPrototypeOf(store) !== MemoryCookieStore.prototype) return true
  const host = plainHost(url)
  if (host === undefined) return true
  const index = (store as MemoryCookieStore).idx
  for (const domain in index) {
    if (domainMatches(host, domain)) return true
  }
  return false
}

/** The host of an absolute `http(s)://` URL when it is a lower-case name or IPv4 address, else undefined. */
function plainHost(url: string): string | undefined {
  const start = url.indexOf('//') + 2
  if (start === 1) return undefined
  let end = start
  for (; end < url.length; end++) {
    const code = url.charCodeAt(end)
    if (code === 47 /* / */ || code === 63 /* ? */ || code === 35 /* # */ || code === 58 /* : */) break
    // a-z, 0-9, '-', '.', '_': anything else (userinfo, IPv6, upper case, percent-encoding) takes the full look-up.
    if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 45 || code === 46 || code === 95)) return undefined
  }
  if (end === start || url.charCodeAt(end - 1) === 46) return undefined
  return url.slice(start, end)
}

async function readJar(jar: CookieJarLike, url: string): Promise<Array<{ key: string, cookieString: () => string }>> {
  try {
    return await jar.getCookies(url)
  }
  catch (error) {
    throw asStoreError(error)
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
