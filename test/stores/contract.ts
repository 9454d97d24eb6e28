/**
 * The cookie store contract: one suite that every store runs (memory, file, Web Storage, unstorage
 * with the memory driver and with Redis), the way unstorage tests each of its drivers. It speaks
 * to a store through tough-cookie's `CookieJar` (what a session does) and through the `Store`
 * methods themselves, with promises and with callbacks (what `CookieJar` uses).
 *
 *   describeStoreContract('file', async () => ({ store, reopen, cleanup }))
 *
 * `reopen` (persistent stores) gives a second store over the same backing storage: what another
 * process sees once the first store flushed.
 */
import { Cookie, CookieJar } from 'tough-cookie'
import type { Store } from 'tough-cookie'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

/** A store with the optional `flush()` of the persistent ones. */
export type StoreWithFlush = Store & { flush?: () => Promise<void> }

/** What a contract run needs for one test: a fresh, empty store. */
export interface StoreUnderTest {
  store: StoreWithFlush
  /** A new store over the same backing storage (persistent stores). */
  reopen?: () => StoreWithFlush | Promise<StoreWithFlush>
  /** Removes the backing storage. */
  cleanup?: () => void | Promise<void>
}

const SITE = 'http://example.com'

/** tough-cookie's callback style, as a promise. */
function viaCallback<T>(call: (callback: (error: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => error ? reject(error) : resolve(value as T)))
}

/** Retries `check` until it passes (tough-cookie removes expired cookies without waiting for the store). */
async function eventually(check: () => Promise<void>, timeout = 2000): Promise<void> {
  const started = Date.now()
  for (;;) {
    try {
      return await check()
    }
    catch (error) {
      if (Date.now() - started > timeout) throw error
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }
}

function cookie(text: string, domain: string, path = '/'): Cookie {
  const parsed = Cookie.parse(text)!
  parsed.domain = domain
  parsed.path = path
  parsed.hostOnly = true
  parsed.creation = new Date()
  return parsed
}

/** The cookies a jar sends to `url`, sorted (the order of equal-length paths is creation order, to the millisecond). */
async function sent(view: CookieJar, url: string): Promise<string> {
  return (await view.getCookies(url)).map(item => `${item.key}=${item.value}`).sort().join('; ')
}

function names(cookies: Cookie[]): string[] {
  return cookies.map(item => `${item.key}=${item.value}`).sort()
}

/** Runs the contract against the stores `create` makes (skipped, saying why, when `skip` is a reason). */
export function describeStoreContract(name: string, create: () => Promise<StoreUnderTest>, skip?: string): void {
  describe.skipIf(skip !== undefined)(`store contract: ${name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let server: TestServer
    let current: StoreUnderTest
    let store: StoreWithFlush
    let jar: CookieJar

    beforeAll(async () => {
      server = await startServer()
    })
    afterAll(() => server.close())
    beforeEach(async () => {
      current = await create()
      store = current.store
      jar = new CookieJar(store)
    })
    afterEach(async () => {
      await store.flush?.()
      await current.cleanup?.()
    })

    /** What a second store over the same storage sees (after a flush), or this store without `reopen`. */
    async function reopened(): Promise<CookieJar> {
      await store.flush?.()
      return new CookieJar(current.reopen ? await current.reopen() : store)
    }

    it('is a tough-cookie Store', () => {
      for (const method of ['findCookie', 'findCookies', 'putCookie', 'updateCookie', 'removeCookie', 'removeCookies', 'removeAllCookies', 'getAllCookies'] as const) {
        expect(typeof store[method]).toBe('function')
      }
    })

    it('sets cookies and gets them back by domain and path', async () => {
      await jar.setCookie('root=1; Path=/', `${SITE}/`)
      await jar.setCookie('docs=2; Path=/docs', `${SITE}/docs/`)
      await jar.setCookie('deep=3; Path=/docs/api', `${SITE}/docs/api/x`)
      await jar.setCookie('wide=4; Domain=example.com; Path=/', 'http://www.example.com/')
      await jar.setCookie('host=5; Path=/', 'http://www.example.com/')
      await jar.setCookie('other=6; Path=/', 'http://example.org/')
      for (const view of [jar, await reopened()]) {
        expect(await sent(view, `${SITE}/`)).toBe('root=1; wide=4')
        expect(await sent(view, `${SITE}/docs/page`)).toBe('docs=2; root=1; wide=4')
        expect(await sent(view, `${SITE}/docs/api/x`)).toBe('deep=3; docs=2; root=1; wide=4')
        // /docsx does not path-match /docs
        expect(await sent(view, `${SITE}/docsx`)).toBe('root=1; wide=4')
        expect(await sent(view, 'http://www.example.com/docs')).toBe('host=5; wide=4')
        expect(await sent(view, 'http://api.www.example.com/')).toBe('wide=4')
        expect(await sent(view, 'http://example.org/')).toBe('other=6')
        expect(await sent(view, 'http://example.net/')).toBe('')
      }
    })

    it('findCookie finds one cookie by domain, path and name (promise and callback)', async () => {
      await store.putCookie(cookie('a=1', 'example.com'))
      await store.putCookie(cookie('a=2', 'example.com', '/x'))
      await store.putCookie(cookie('a=3', 'www.example.com'))
      expect((await store.findCookie('example.com', '/', 'a'))?.value).toBe('1')
      expect((await store.findCookie('example.com', '/x', 'a'))?.value).toBe('2')
      expect((await viaCallback<Cookie | undefined>(callback => store.findCookie('www.example.com', '/', 'a', callback as never)))?.value).toBe('3')
      expect(await store.findCookie('example.com', '/', 'b')).toBeUndefined()
      expect(await store.findCookie('example.com', '/y', 'a')).toBeUndefined()
      expect(await store.findCookie(null, '/', 'a')).toBeUndefined()
    })

    it('findCookiesByName (the stores of fetch-session) returns every cookie of that name, on any domain and path', async (context) => {
      const byName = (store as { findCookiesByName?: (key: string) => Promise<Cookie[]> }).findCookiesByName
      if (typeof byName !== 'function') return context.skip('tough-cookie\'s own store has no findCookiesByName (the session reads getAllCookies instead)')
      await store.putCookie(cookie('sid=1', 'example.com'))
      await store.putCookie(cookie('sid=2', 'www.example.com', '/app'))
      await store.putCookie(cookie('sid=3', 'example.org'))
      await store.putCookie(cookie('other=4', 'example.com'))
      expect(names(await byName.call(store, 'sid'))).toEqual(['sid=1', 'sid=2', 'sid=3'])
      expect(await byName.call(store, 'missing')).toEqual([])
    })

    it('findCookies returns the cookies of the domain and its parents that path-match (every path for null)', async () => {
      await store.putCookie(cookie('top=1', 'example.com'))
      await store.putCookie(cookie('sub=2', 'www.example.com'))
      await store.putCookie(cookie('path=3', 'www.example.com', '/app'))
      await store.putCookie(cookie('other=4', 'example.org'))
      expect(names(await store.findCookies('www.example.com', '/', false))).toEqual(['sub=2', 'top=1'])
      expect(names(await store.findCookies('www.example.com', '/app/x', false))).toEqual(['path=3', 'sub=2', 'top=1'])
      expect(names(await store.findCookies('www.example.com', null, false))).toEqual(['path=3', 'sub=2', 'top=1'])
      expect(names(await viaCallback<Cookie[]>(callback => store.findCookies('example.com', '/', false, callback as never)))).toEqual(['top=1'])
      expect(await store.findCookies('example.net', '/', false)).toEqual([])
      expect(await store.findCookies('', '/', false)).toEqual([])
    })

    it('keeps every attribute: Secure, HttpOnly, SameSite, Expires, host-only and domain cookies', async () => {
      const expires = new Date(Date.now() + 3_600_000)
      expires.setMilliseconds(0)
      await jar.setCookie(`full=1; Domain=example.com; Path=/p; Secure; HttpOnly; SameSite=Strict; Expires=${expires.toUTCString()}`, 'https://www.example.com/p')
      await jar.setCookie('plain=2', `${SITE}/`)
      const view = await reopened()
      const [full] = await view.getCookies('https://a.example.com/p', { sameSiteContext: 'strict' })
      expect(full).toMatchObject({ key: 'full', value: '1', domain: 'example.com', path: '/p', secure: true, httpOnly: true, sameSite: 'strict', hostOnly: false })
      expect((full!.expires as Date).getTime()).toBe(expires.getTime())
      const [plain] = await view.getCookies(`${SITE}/`)
      expect(plain).toMatchObject({ key: 'plain', value: '2', hostOnly: true, secure: false, httpOnly: false, expires: 'Infinity' })
      expect(await view.getCookies('http://www.example.com/')).toEqual([])
    })

    it('updates a cookie in place: one cookie, the new value, the first creation time', async () => {
      await jar.setCookie('token=old; Path=/', `${SITE}/`)
      const [first] = await jar.getCookies(`${SITE}/`)
      await new Promise(resolve => setTimeout(resolve, 5))
      await jar.setCookie('token=new; Path=/; Max-Age=600', `${SITE}/`)
      for (const view of [jar, await reopened()]) {
        const cookies = await view.getCookies(`${SITE}/`)
        expect(cookies.map(item => item.value)).toEqual(['new'])
        expect(cookies[0]!.creation).toEqual(first!.creation)
        expect(cookies[0]!.maxAge).toBe(600)
      }
      expect((await store.getAllCookies()).length).toBe(1)
    })

    it('expires cookies: a Max-Age that ran out is not sent and is removed from the store', async () => {
      await jar.setCookie('brief=1; Max-Age=1', `${SITE}/`)
      await jar.setCookie('stays=1', `${SITE}/`)
      await jar.setCookie('gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT', `${SITE}/`).catch(() => {})
      expect(await sent(jar, `${SITE}/`)).toBe('brief=1; stays=1')
      await new Promise(resolve => setTimeout(resolve, 1300))
      expect(await jar.getCookieString(`${SITE}/`)).toBe('stays=1')
      await eventually(async () => expect(await store.findCookie('example.com', '/', 'brief')).toBeUndefined())
      expect(await (await reopened()).getCookieString(`${SITE}/`)).toBe('stays=1')
    })

    it('a cookie put with an expiry in the past is never returned', async () => {
      await store.putCookie(cookie('old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'example.com'))
      await store.putCookie(cookie('new=1', 'example.com'))
      expect(await jar.getCookieString(`${SITE}/`)).toBe('new=1')
      expect(await (await reopened()).getCookieString(`${SITE}/`)).toBe('new=1')
    })

    it('a server deleting a cookie (Max-Age=0) removes it', async () => {
      await jar.setCookie('sid=abc; Path=/', `${SITE}/`)
      await jar.setCookie('keep=1; Path=/', `${SITE}/`)
      await jar.setCookie('sid=; Path=/; Max-Age=0', `${SITE}/`)
      expect(await jar.getCookieString(`${SITE}/`)).toBe('keep=1')
      expect(await (await reopened()).getCookieString(`${SITE}/`)).toBe('keep=1')
    })

    it('removeCookie removes exactly one cookie (promise and callback)', async () => {
      await store.putCookie(cookie('a=1', 'example.com'))
      await store.putCookie(cookie('b=2', 'example.com'))
      await store.putCookie(cookie('a=3', 'example.com', '/x'))
      await store.removeCookie('example.com', '/', 'a')
      expect(names(await store.findCookies('example.com', null, false))).toEqual(['a=3', 'b=2'])
      await viaCallback(callback => store.removeCookie('example.com', '/x', 'a', callback as never))
      await store.removeCookie('example.com', '/', 'missing')
      expect(names(await store.findCookies('example.com', null, false))).toEqual(['b=2'])
      expect(names(await (await reopened()).getCookies(`${SITE}/x`))).toEqual(['b=2'])
    })

    it('removeCookies removes a domain\'s cookies, of one path or of all', async () => {
      await store.putCookie(cookie('a=1', 'example.com'))
      await store.putCookie(cookie('b=2', 'example.com', '/x'))
      await store.putCookie(cookie('c=3', 'example.com', '/y'))
      await store.putCookie(cookie('d=4', 'example.org'))
      await store.removeCookies('example.com', '/x')
      expect(names(await store.findCookies('example.com', null, false))).toEqual(['a=1', 'c=3'])
      await store.removeCookies('example.com', null)
      expect(await store.findCookies('example.com', null, false)).toEqual([])
      expect(names(await store.getAllCookies())).toEqual(['d=4'])
    })

    it('removeAllCookies removes every cookie (through the jar too)', async () => {
      await jar.setCookie('a=1', `${SITE}/`)
      await jar.setCookie('b=2', 'http://example.org/')
      await store.removeAllCookies()
      expect(await store.getAllCookies()).toEqual([])
      await jar.setCookie('c=3', `${SITE}/`)
      await jar.removeAllCookies()
      expect(await store.getAllCookies()).toEqual([])
      expect(await (await reopened()).getCookieString(`${SITE}/`)).toBe('')
      await viaCallback(callback => store.removeAllCookies(callback as never))
    })

    it('getAllCookies returns every cookie, oldest first', async () => {
      for (const name of ['first', 'second', 'third']) {
        await jar.setCookie(`${name}=1`, `${SITE}/`)
        await new Promise(resolve => setTimeout(resolve, 2))
      }
      expect((await store.getAllCookies()).map(item => item.key)).toEqual(['first', 'second', 'third'])
      expect((await viaCallback<Cookie[]>(callback => store.getAllCookies(callback as never))).length).toBe(3)
    })

    it('holds many cookies over many domains, set concurrently', async () => {
      const domains = Array.from({ length: 20 }, (_, index) => `site${index}.example`)
      await Promise.all(domains.flatMap(domain => Array.from({ length: 15 }, (_, index) =>
        jar.setCookie(`c${index}=${domain}-${index}; Path=/`, `http://${domain}/`))))
      expect((await store.getAllCookies()).length).toBe(300)
      const view = await reopened()
      expect((await view.serialize()).cookies.length).toBe(300)
      for (const domain of [domains[0]!, domains[19]!]) {
        const cookies = await view.getCookies(`http://${domain}/`)
        expect(cookies.length).toBe(15)
        expect(cookies.every(item => item.value.startsWith(`${domain}-`))).toBe(true)
      }
    })

    it('serializes: jar.serialize() and CookieJar.deserialize() round-trip its cookies', async () => {
      await jar.setCookie('a=1; HttpOnly', `${SITE}/`)
      await jar.setCookie('b=2; Path=/x', `${SITE}/x`)
      const serialized = await jar.serialize()
      expect(serialized.cookies.map(item => item.key).sort()).toEqual(['a', 'b'])
      const copy = await CookieJar.deserialize(serialized)
      expect(await copy.getCookieString(`${SITE}/x`)).toBe('b=2; a=1')
    })

    it('works with the synchronous CookieJar API when the store says it is synchronous', (context) => {
      if (!store.synchronous) return context.skip('an asynchronous store: the jar\'s *Sync methods refuse it, as tough-cookie documents')
      jar.setCookieSync('sync=1', `${SITE}/`)
      expect(jar.getCookieStringSync(`${SITE}/`)).toBe('sync=1')
      expect(JSON.parse(JSON.stringify(jar)).cookies.map((item: { key: string }) => item.key)).toEqual(['sync'])
    })

    it('backs a session: createSession({ cookies: store }) keeps the cookies of redirect hops; close() flushes', async () => {
      const session = createSession({ cookies: store, baseURL: server.url })
      await session('/cookie-redirect/3')
      expect(await session('/cookies')).toEqual({ cookies: { hop1: '1', hop2: '2', hop3: '3' } })
      expect(session.cookies!.store).toBe(store)
      await session.close()
      const view = await reopened()
      expect(await sent(view, server.url)).toBe('hop1=1; hop2=2; hop3=3')
    })
  })
}
