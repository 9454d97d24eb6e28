/**
 * The cookie rules of RFC 6265bis §5.7 that tough-cookie does not apply, which the session's
 * cookie layer applies to every Set-Cookie of a response (issue 12, items 1 and 2):
 *
 * - step 16, "leave secure cookies alone", exactly: a cookie without Secure from an insecure origin
 *   is ignored when the store holds a Secure cookie of its name whose domain domain-matches the new
 *   cookie's domain or the other way round (host-only or not), on a path the new cookie's path
 *   path-matches;
 * - steps 20–22: the `__Secure-` and `__Host-` prefixes, matched case-insensitively.
 *
 * Parent and sub domains need host names: `app.localhost`, `sub.app.localhost`… do not resolve on
 * this machine (glibc has no `*.localhost` rule), so the sessions get a `fetch` (a public option)
 * that sends every request to the local test server, whatever the URL's host and scheme. Names
 * under `localhost` are loopback names, and tough-cookie counts them as secure contexts unless
 * the jar is made with `allowSecureOnLocal: false`, which these jars are: http://*.localhost is
 * then what any plain-http host is.
 */
import { CookieJar, MemoryCookieStore } from 'tough-cookie'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import type { Fetch } from '../../src/types'
import { createWebStorageStore } from '../../src/cookies/stores/web-storage'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

/** A fetch that answers every URL from the test server (the path and query kept; the host and scheme are only names). */
function loopbackFetch(): Fetch {
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    return fetch(`${server.url}${url.pathname}${url.search}`, init)
  }
}

/** A session whose jar treats loopback names as insecure, over `store`, talking to the test server under any name. */
function hostileWorld(store: ConstructorParameters<typeof CookieJar>[0] = new MemoryCookieStore()) {
  const jar = new CookieJar(store, { allowSecureOnLocal: false })
  const session = createSession({ cookies: jar, fetch: loopbackFetch(), retry: false })
  /** `origin` answers with these Set-Cookie headers. */
  const answer = (origin: string, raw: string[], path = '/set-cookie'): Promise<unknown> => session(`${origin}${path}`, { method: 'POST', body: raw })
  /** The cookies the jar would send to `url`, as `name=value`, sorted. */
  const sent = async (url: string): Promise<string[]> => (await jar.getCookies(url)).map(cookie => `${cookie.key}=${cookie.value}`).sort()
  return { jar, session, answer, sent }
}

describe('leave secure cookies alone (RFC 6265bis §5.7 step 16)', () => {
  it('an http subdomain cannot overwrite the parent domain\'s Secure cookie with Domain= (the issue\'s case)', async () => {
    const { session, answer, sent, jar } = hostileWorld()
    await answer('https://app.localhost', ['sid=GOOD; Secure; HttpOnly; Path=/'])
    await answer('http://sub.app.localhost', ['sid=EVIL; Domain=app.localhost; Path=/', 'other=1; Domain=app.localhost; Path=/'])
    expect(await sent('https://app.localhost/')).toEqual(['other=1', 'sid=GOOD'])
    expect(await sent('http://sub.app.localhost/')).toEqual(['other=1'])
    const [sid] = (await jar.getCookies('https://app.localhost/')).filter(cookie => cookie.key === 'sid')
    expect(sid).toMatchObject({ value: 'GOOD', secure: true, httpOnly: true, hostOnly: true })
    // What the site sees over https: its own cookie.
    expect((await session('https://app.localhost/cookies')).cookies).toEqual({ other: '1', sid: 'GOOD' })
    await session.close()
  })

  it('"or vice versa": a Secure cookie of a subdomain keeps the parent from setting its name, host-only or not', async () => {
    const { session, answer, sent } = hostileWorld()
    await answer('https://sub.app.localhost', ['sid=GOOD; Secure; Path=/'])
    await answer('http://app.localhost', ['sid=EVIL1; Path=/', 'sid=EVIL2; Domain=app.localhost; Path=/', 'theme=dark; Path=/'])
    expect(await sent('http://app.localhost/')).toEqual(['theme=dark'])
    expect(await sent('https://sub.app.localhost/')).toEqual(['sid=GOOD'])
    await session.close()
  })

  it('a Secure domain cookie of the parent keeps an http sibling from setting its name (host-only or Domain=)', async () => {
    const { session, answer, sent } = hostileWorld()
    await answer('https://www.app.localhost', ['sid=GOOD; Secure; Domain=app.localhost; Path=/'])
    await answer('http://sub.app.localhost', ['sid=EVIL1; Path=/', 'sid=EVIL2; Domain=sub.app.localhost; Path=/'])
    expect(await sent('https://sub.app.localhost/')).toEqual(['sid=GOOD'])
    expect(await sent('http://sub.app.localhost/')).toEqual([])
    await session.close()
  })

  it('compares paths one way: under the Secure cookie\'s path is refused (the default path too), above it is a cookie of its own', async () => {
    const { session, answer, sent } = hostileWorld()
    // (The test server's /set-cookie answers under any path below it.)
    await answer('https://app.localhost', ['pref=secure; Secure; Path=/set-cookie/app'])
    await answer('http://app.localhost', ['pref=deeper; Path=/set-cookie/app/x', 'pref=same; Path=/set-cookie/app'])
    // No Path: the default path of /set-cookie/app/page is /set-cookie/app, the Secure cookie's.
    await answer('http://app.localhost', ['pref=default'], '/set-cookie/app/page')
    await answer('http://app.localhost', ['pref=top; Path=/', 'pref=sibling; Path=/set-cookie/apple'])
    expect(await sent('https://app.localhost/set-cookie/app/x')).toEqual(['pref=secure', 'pref=top'])
    expect(await sent('http://app.localhost/set-cookie/apple')).toEqual(['pref=sibling', 'pref=top'])
    expect(await sent('http://app.localhost/set-cookie/app/page')).toEqual(['pref=top'])
    await session.close()
  })

  it('leaves unrelated domains, other names, Secure cookies and https responses alone', async () => {
    const { session, answer, sent } = hostileWorld()
    await answer('https://app.localhost', ['sid=GOOD; Secure; Path=/'])
    await answer('http://other.localhost', ['sid=theirs; Path=/'])
    await answer('http://sub.app.localhost', ['csrf=1; Domain=app.localhost; Path=/'])
    expect(await sent('http://other.localhost/')).toEqual(['sid=theirs'])
    expect(await sent('https://app.localhost/')).toEqual(['csrf=1', 'sid=GOOD'])
    // The site itself replaces its cookie over https, with or without Secure (a store keeps one
    // cookie per domain, path and name, host-only or not).
    await answer('https://sub.app.localhost', ['sid=NEXT; Domain=app.localhost; Path=/'])
    expect(await sent('https://app.localhost/')).toEqual(['csrf=1', 'sid=NEXT'])
    // An expired Secure cookie protects nothing.
    await answer('https://app.localhost', ['gone=1; Secure; Path=/; Max-Age=1'])
    await new Promise(resolve => setTimeout(resolve, 1100))
    await answer('http://app.localhost', ['gone=2; Path=/'])
    expect(await sent('http://app.localhost/')).toContain('gone=2')
    await session.close()
  })

  it('holds for the stores of fetch-session too (they answer by name), and for a cookie the same response set Secure', async () => {
    const storage = new Map<string, string>()
    const webStorage = { getItem: (key: string) => storage.get(key) ?? null, setItem: (key: string, value: string) => void storage.set(key, value), removeItem: (key: string) => void storage.delete(key) }
    const { session, answer, sent } = hostileWorld(createWebStorageStore(webStorage))
    await answer('https://sub.app.localhost', ['sid=GOOD; Secure; Path=/'])
    await answer('http://app.localhost', ['sid=EVIL; Domain=app.localhost; Path=/'])
    expect(await sent('https://sub.app.localhost/')).toEqual(['sid=GOOD'])
    await session.close()
    // A jar that lets http set Secure cookies (enforceSecureOriginOnStorage: false): one response's
    // Secure cookie protects its name from the rest of that response.
    const lax = new CookieJar(undefined, { allowSecureOnLocal: false, enforceSecureOriginOnStorage: false })
    const laxSession = createSession({ cookies: lax, fetch: loopbackFetch() })
    await laxSession('http://app.localhost/set-cookie', { method: 'POST', body: ['sid=GOOD; Secure; Path=/', 'sid=EVIL; Path=/'] })
    expect((await lax.getCookies('https://app.localhost/')).map(cookie => cookie.value)).toEqual(['GOOD'])
    await laxSession.close()
  })

  it('costs nothing for an https response or a Secure cookie, and one store read per insecure response otherwise', async () => {
    const calls: Record<string, number> = {}
    const store = new Proxy(new MemoryCookieStore(), {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (typeof value !== 'function' || typeof property !== 'string') return value
        return (...args: unknown[]) => {
          calls[property] = (calls[property] ?? 0) + 1
          return value.apply(target, args)
        }
      },
    })
    const { session, answer } = hostileWorld(store)
    const reset = (): void => {
      for (const key of Object.keys(calls)) delete calls[key]
    }
    await answer('https://app.localhost', ['sid=1; Secure; Path=/'])
    reset()
    await answer('https://app.localhost', ['a=1; Path=/', 'b=1; Path=/', 'c=1; Path=/'])
    // The jar's own work: one findCookies to build the request's Cookie, one findCookie and one
    // put per cookie. No getAllCookies.
    expect(calls).toEqual({ findCookies: 1, findCookie: 3, putCookie: 3 })
    reset()
    await answer('http://app.localhost', ['d=1; Secure; Path=/', 'e=1; Secure; Path=/'])
    expect(calls.getAllCookies).toBeUndefined()
    reset()
    await answer('http://app.localhost', ['f=1; Path=/', 'g=1; Path=/', 'sid=2; Path=/'])
    expect(calls.getAllCookies).toBe(1)
    await session.close()
  })
})

describe('cookie prefixes, matched case-insensitively (RFC 6265bis §5.7 steps 20–22)', () => {
  it('refuses __HOST- and __SECURE- (any case) cookies that break their prefix\'s rules, over http as over https', async () => {
    // Loopback is a secure context by default, so http://127.0.0.1 may set Secure cookies.
    const session = createSession({ baseURL: server.url })
    await session('/set-cookie', {
      method: 'POST',
      body: [
        '__HOST-domain=1; Secure; Path=/; Domain=127.0.0.1', // Domain: not for __Host-
        '__host-insecure=1; Path=/', // no Secure
        '__Host-path=1; Secure; Path=/x', // Path must be /
        '__hOsT-nopath=1; Secure', // Path must be given
        '__SECURE-insecure=1; Path=/', // no Secure
        '__secure-ok=1; Secure; Path=/',
        '__HoSt-ok=1; Secure; Path=/',
        'plain=1; Path=/',
      ],
    })
    const names = (await session.cookies!.getCookies(server.url)).map(cookie => cookie.key).sort()
    expect(names).toEqual(['__HoSt-ok', '__secure-ok', 'plain'])
    await session.close()
  })

  it('the issue\'s case: __HOST-sid with Domain= over plain http is refused', async () => {
    const jar = new CookieJar(undefined, { allowSecureOnLocal: false })
    const session = createSession({ baseURL: server.url, cookies: jar })
    await session('/set-cookie', { method: 'POST', body: ['__HOST-sid=evil; Domain=127.0.0.1; Path=/', '__Secure-sid=evil; Path=/'] })
    expect(await jar.getCookies(server.url)).toEqual([])
    expect((await session('/cookies')).cookies).toEqual({})
    await session.close()
  })

  it('a nameless cookie (a jar in loose mode) cannot pose as a prefixed one; prefixSecurity "unsafe-disabled" turns the rules off', async () => {
    const loose = createSession({ baseURL: server.url, cookies: new CookieJar(undefined, { looseMode: true }) })
    await loose('/set-cookie', { method: 'POST', body: ['__Host-sid', '=__SECURE-sid=x', 'nameless'] })
    expect((await loose('/headers')).headers.cookie).toBe('nameless')
    await loose.close()
    const disabled = createSession({ baseURL: server.url, cookies: new CookieJar(undefined, { prefixSecurity: 'unsafe-disabled' }) })
    await disabled('/set-cookie', { method: 'POST', body: ['__HOST-x=1; Domain=127.0.0.1; Path=/'] })
    expect((await disabled('/cookies')).cookies).toEqual({ '__HOST-x': '1' })
    await disabled.close()
  })
})
