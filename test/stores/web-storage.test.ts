/**
 * The Web Storage store against the store contract, over a `Map`-backed Storage and over
 * happy-dom's `localStorage` and `sessionStorage`; then what it guarantees beyond the contract. Its
 * run in real Deno (`localStorage` kept between two processes) is in runtimes.test.ts.
 */
import { Window } from 'happy-dom'
import { Cookie, CookieJar } from 'tough-cookie'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createSession } from '../../src/index'
import { CookieStoreError, createWebStorageStore, WebStorageCookieStore } from '../../src/cookies/stores/web-storage'
import type { WebStorageLike } from '../../src/cookies/stores/web-storage'
import { describeStoreContract } from './contract'
import { QuotaStorage } from './quota-storage'
import { stringifyDocument } from '../../src/cookies/stores/base'

/** A Storage over a Map, counting writes. */
class MapStorage implements WebStorageLike {
  readonly map = new Map<string, string>()
  writes = 0
  getItem(key: string): string | null {
    return this.map.get(key) ?? null
  }

  setItem(key: string, value: string): void {
    this.writes++
    this.map.set(key, String(value))
  }

  removeItem(key: string): void {
    this.writes++
    this.map.delete(key)
  }
}

const windows: Window[] = []
afterAll(async () => {
  await Promise.all(windows.map(window => window.happyDOM.close()))
})

function happyWindow(): Window {
  const window = new Window({ url: 'https://app.example/' })
  windows.push(window)
  return window
}

describeStoreContract('web storage (Map-backed Storage)', async () => {
  const storage = new MapStorage()
  return { store: createWebStorageStore(storage), reopen: () => createWebStorageStore(storage) }
})

describeStoreContract('web storage (happy-dom localStorage)', async () => {
  const storage = happyWindow().localStorage as unknown as WebStorageLike
  return { store: createWebStorageStore(storage), reopen: () => createWebStorageStore(storage) }
})

describeStoreContract('web storage (happy-dom sessionStorage, own key)', async () => {
  const storage = happyWindow().sessionStorage as unknown as WebStorageLike
  return { store: createWebStorageStore(storage, { key: 'app:jar' }), reopen: () => createWebStorageStore(storage, { key: 'app:jar' }) }
})

describe('the web storage store', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('keeps one entry per cookie, a list of names per domain and an index of domains', async () => {
    const storage = new MapStorage()
    const jar = new CookieJar(createWebStorageStore(storage))
    await jar.setCookie('a=1', 'https://app.example/')
    await jar.setCookie('b=2; HttpOnly; Path=/x:y', 'https://app.example/')
    await jar.setCookie('c=3', 'https://[::1]/')
    expect([...storage.map.keys()].sort()).toEqual([
      'fetch-session:cookies',
      'fetch-session:cookies:%3A%3A1',
      'fetch-session:cookies:%3A%3A1:/:c',
      'fetch-session:cookies:app.example',
      'fetch-session:cookies:app.example:/:a',
      'fetch-session:cookies:app.example:/x%3Ay:b',
    ])
    expect(JSON.parse(storage.map.get('fetch-session:cookies')!)).toEqual({ format: 'fetch-session/web-storage', formatVersion: 1, domains: ['app.example', '::1'] })
    expect(JSON.parse(storage.map.get('fetch-session:cookies:app.example')!)).toEqual([['/', 'a'], ['/x:y', 'b']])
    // Each cookie is tough-cookie's own JSON.
    expect(Cookie.fromJSON(storage.map.get('fetch-session:cookies:app.example:/x%3Ay:b')!)).toMatchObject({ key: 'b', value: '2', httpOnly: true, path: '/x:y' })
    // Removing the last cookie of a domain removes its list; the last of all, the index.
    await jar.setCookie('c=; Max-Age=0', 'https://[::1]/')
    expect(JSON.parse(storage.map.get('fetch-session:cookies')!).domains).toEqual(['app.example'])
    await jar.removeAllCookies()
    expect(storage.map.size).toBe(0)
  })

  it('is synchronous: setCookieSync, getCookieStringSync and JSON.stringify(jar) work', () => {
    const store = createWebStorageStore(new MapStorage())
    expect(store.synchronous).toBe(true)
    const jar = new CookieJar(store)
    jar.setCookieSync('s=1', 'https://app.example/')
    expect(jar.getCookieStringSync('https://app.example/')).toBe('s=1')
    expect(CookieJar.fromJSON(JSON.stringify(jar)).getCookieStringSync('https://app.example/')).toBe('s=1')
  })

  it('two stores over one storage (two tabs) see each other\'s cookies and lose none', async () => {
    const storage = new MapStorage()
    const tab1 = new CookieJar(createWebStorageStore(storage))
    const tab2 = new CookieJar(createWebStorageStore(storage))
    for (let index = 0; index < 20; index++) {
      await tab1.setCookie(`one${index}=${index}`, 'https://app.example/')
      await tab2.setCookie(`two${index}=${index}`, 'https://app.example/')
    }
    expect((await tab1.getCookies('https://app.example/')).length).toBe(40)
    expect((await tab2.getCookies('https://app.example/')).length).toBe(40)
    await tab2.setCookie('one0=changed', 'https://app.example/')
    expect(await tab1.getCookieString('https://app.example/')).toContain('one0=changed')
  })

  it('different keys keep different jars in one storage', async () => {
    const storage = new MapStorage()
    const alice = new CookieJar(createWebStorageStore(storage, { key: 'alice' }))
    const bob = new CookieJar(createWebStorageStore(storage, { key: 'bob' }))
    await alice.setCookie('who=alice', 'https://app.example/')
    await bob.setCookie('who=bob', 'https://app.example/')
    expect(await alice.getCookieString('https://app.example/')).toBe('who=alice')
    expect(await bob.getCookieString('https://app.example/')).toBe('who=bob')
  })

  it('reads a jar serialized by tough-cookie (JSON.stringify(jar)) stored under its key', async () => {
    const source = new CookieJar()
    await source.setCookie('legacy=1', 'https://app.example/')
    const storage = new MapStorage()
    storage.setItem('fetch-session:cookies', JSON.stringify(source))
    const jar = new CookieJar(createWebStorageStore(storage))
    expect(await jar.getCookieString('https://app.example/')).toBe('legacy=1')
  })

  it.each([
    ['invalid JSON', '{"cookies": [', /invalid JSON/],
    ['another app\'s data', JSON.stringify({ theme: 'dark' }), /no "format"/],
    ['a newer format version', JSON.stringify({ format: 'fetch-session/cookies', formatVersion: 2, cookies: [] }), /newer fetch-session/],
    ['a cookie that is not one', JSON.stringify({ format: 'fetch-session/cookies', formatVersion: 1, cookies: [{ key: 1 }] }), /cookies\[0\] is not a cookie/],
  ])('an entry holding %s is a clear error and is never overwritten', async (_label, text, reason) => {
    const storage = new MapStorage()
    storage.map.set('fetch-session:cookies', text)
    const store = createWebStorageStore(storage)
    const jar = new CookieJar(store)
    const failure = await jar.setCookie('a=1', 'https://app.example/').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CookieStoreError)
    expect(failure).toMatchObject({ code: 'ERR_COOKIE_STORE_FORMAT', location: 'fetch-session:cookies' })
    expect((failure as Error).message).toMatch(reason)
    expect((failure as Error).message).toContain('left untouched')
    await expect(jar.getCookies('https://app.example/')).rejects.toThrow(CookieStoreError)
    await expect(store.removeAllCookies()).rejects.toThrow(CookieStoreError)
    await expect(store.load()).rejects.toThrow(CookieStoreError)
    expect(storage.writes).toBe(0)
    expect(storage.map.get('fetch-session:cookies')).toBe(text)
    // A session swallows cookie errors during requests; close() reports them.
    const session = createSession({ cookies: store })
    await expect(session.close()).rejects.toThrow(/not a fetch-session cookie store/)
  })

  it('a storage that refuses a write (quota) is a CookieStoreError, and the store stays consistent', async () => {
    const storage = new MapStorage()
    const store = createWebStorageStore(storage)
    const jar = new CookieJar(store)
    await jar.setCookie('a=1', 'https://app.example/')
    const setItem = vi.spyOn(storage, 'setItem').mockImplementation(() => {
      throw Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' })
    })
    const failure = await jar.setCookie('b=2', 'https://app.example/').catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_IO' })
    expect((failure as Error).message).toContain('quota')
    setItem.mockRestore()
    expect(await jar.getCookieString('https://app.example/')).toBe('a=1')
  })

  it('uses globalThis.localStorage by default, and says so where there is none', async () => {
    const storage = new MapStorage()
    vi.stubGlobal('localStorage', storage)
    const jar = new CookieJar(createWebStorageStore())
    await jar.setCookie('d=1', 'https://app.example/')
    expect(storage.map.has('fetch-session:cookies')).toBe(true)
    vi.stubGlobal('localStorage', undefined)
    expect(() => createWebStorageStore()).toThrow(expect.objectContaining({ code: 'ERR_COOKIE_STORE_UNAVAILABLE', message: expect.stringContaining('no localStorage') }))
    expect(() => createWebStorageStore({} as WebStorageLike)).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'storage' }))
    expect(() => createWebStorageStore(storage, { key: '' })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'key' }))
  })

  it('flush() resolves (writes are immediate), so session.close() works', async () => {
    const storage = new MapStorage()
    const store = createWebStorageStore(storage)
    expect(store).toBeInstanceOf(WebStorageCookieStore)
    const jar = new CookieJar(store)
    await jar.setCookie('a=1', 'https://app.example/')
    const writes = storage.writes
    await store.flush()
    expect(storage.writes).toBe(writes)
  })

  it('rewrites the single-entry document of earlier versions in this layout on first use, cookies and attributes kept', async () => {
    const source = new CookieJar()
    await source.setCookie('sid=abc; HttpOnly; Secure; Path=/', 'https://app.example/')
    await source.setCookie('wide=1; Domain=example.com; Path=/docs', 'https://www.example.com/docs')
    const storage = new MapStorage()
    storage.map.set('fetch-session:cookies', stringifyDocument(await source.store.getAllCookies()))
    const store = createWebStorageStore(storage)
    await store.load()
    // The index lists the domains most recently used first: the two cookies may be set within one millisecond or not.
    const index = JSON.parse(storage.map.get('fetch-session:cookies')!) as { format: string, domains: string[] }
    expect(index.format).toBe('fetch-session/web-storage')
    expect([...index.domains].sort()).toEqual(['app.example', 'example.com'])
    const jar = new CookieJar(store)
    expect(await jar.getCookies('https://app.example/')).toEqual([expect.objectContaining({ key: 'sid', value: 'abc', httpOnly: true, secure: true })])
    expect(await jar.getCookieString('https://a.example.com/docs/x')).toBe('wide=1')
  })

  it('a document of an earlier version that filled the storage is rewritten within the budget, the most recently used kept', async () => {
    // What the earlier single-entry store let a hostile site write: nearly 5 MB in one entry.
    const storage = new QuotaStorage()
    const jar = new CookieJar()
    for (let index = 0; index < 1200; index++) {
      await jar.setCookie(`flood${index}=${'x'.repeat(4000)}; Path=/`, `http://site${index % 8}.example/`, { now: new Date(Date.now() - 100_000 + index) })
    }
    await jar.setCookie('sid=login; Path=/', 'http://app.example/')
    storage.setItem('fetch-session:cookies', stringifyDocument(await jar.store.getAllCookies()))
    expect(storage.used).toBeGreaterThan(4_900_000)
    const store = createWebStorageStore(storage)
    await store.load()
    expect(storage.used).toBeLessThanOrEqual(1_000_000)
    const after = new CookieJar(store)
    expect(await after.getCookieString('http://app.example/')).toBe('sid=login')
    const kept = (await store.getAllCookies()).map(cookie => cookie.key)
    expect(kept).toContain('flood1199')
    expect(kept).not.toContain('flood0')
    // Room again: a new login is stored.
    await after.setCookie('next=1; Path=/', 'http://app.example/')
    expect(await after.getCookieString('http://app.example/')).toBe('sid=login; next=1')
  })

  it('keeps within maxBytes: crowded domains go first, least recently used first, never the cookie being set', async () => {
    const storage = new QuotaStorage()
    const store = createWebStorageStore(storage, { maxBytes: 40_000 })
    const jar = new CookieJar(store)
    const at = (ms: number): { now: Date } => ({ now: new Date(Date.now() - 1_000_000 + ms) })
    await jar.setCookie('sid=login; Path=/', 'https://app.example/', at(0))
    for (let index = 0; index < 100; index++) await jar.setCookie(`f${index}=${'x'.repeat(900)}; Path=/`, 'https://flood.example/', at(1 + index))
    expect(storage.used).toBeLessThanOrEqual(40_000)
    // The login (the oldest cookie, on a domain of its own) stays; the flood's oldest went.
    expect(await jar.getCookieString('https://app.example/')).toBe('sid=login')
    const flood = (await jar.getCookies('https://flood.example/')).map(cookie => cookie.key)
    expect(flood).toContain('f99')
    expect(flood).not.toContain('f0')
    // A big cookie is stored though older ones must go for it.
    await jar.setCookie(`big=${'y'.repeat(4000)}; Path=/`, 'https://other.example/')
    expect((await jar.getCookies('https://other.example/')).map(cookie => cookie.key)).toEqual(['big'])
    expect(storage.used).toBeLessThanOrEqual(40_000)
  })

  it('a cookie that alone does not fit is not stored (the one it would replace stays); maxBytes is checked', async () => {
    const storage = new MapStorage()
    const store = createWebStorageStore(storage, { maxBytes: 8192 })
    await store.putCookie(Object.assign(Cookie.parse('huge=small')!, { domain: 'app.example', path: '/', creation: new Date() }))
    await store.putCookie(Object.assign(Cookie.parse(`huge=${'z'.repeat(9000)}`)!, { domain: 'app.example', path: '/', creation: new Date() }))
    expect((await store.findCookie('app.example', '/', 'huge'))?.value).toBe('small')
    for (const maxBytes of [0, 8191, 1.5, '1000000', Number.NaN]) {
      expect(() => createWebStorageStore(storage, { maxBytes: maxBytes as number })).toThrow(expect.objectContaining({ name: 'InvalidRequestError', option: 'maxBytes' }))
    }
  })

  it('counts what another tab wrote before it evicts, so two tabs together stay within the budget', async () => {
    const storage = new QuotaStorage()
    const tab1 = new CookieJar(createWebStorageStore(storage, { maxBytes: 30_000 }))
    const tab2 = new CookieJar(createWebStorageStore(storage, { maxBytes: 30_000 }))
    // Each cookie is set a millisecond after the one before. Cookies set within one millisecond
    // are equally recent, and eviction takes them in the index's order: on a fast machine a real
    // clock made the newest cookies of the first domains go (1 run in about 100 failed here).
    const start = Date.now() - 1_000_000
    const at = (ms: number): { now: Date } => ({ now: new Date(start + ms) })
    await tab2.setCookie('early=1', 'https://two.example/', at(0))
    for (let index = 0; index < 40; index++) {
      await tab1.setCookie(`one${index}=${'x'.repeat(1000)}`, `https://one${index % 4}.example/`, at(1 + 2 * index))
      await tab2.setCookie(`two${index}=${'x'.repeat(1000)}`, `https://two${index % 4}.example/`, at(2 + 2 * index))
    }
    expect(storage.used).toBeLessThanOrEqual(30_000)
    expect((await tab1.getCookies('https://two0.example/')).map(cookie => cookie.key)).toContain('two36')
  })

  it.each([
    ['an index of a newer version', 'fetch-session:cookies', JSON.stringify({ format: 'fetch-session/web-storage', formatVersion: 2, domains: [] }), /newer fetch-session/],
    ['a list of names that is not one', 'fetch-session:cookies:app.example', '{"theme":"dark"}', /not a list of cookie paths and names/],
    ['a cookie that is not one', 'fetch-session:cookies:app.example:/:a', '"dark"', /not a cookie/],
  ])('%s is a clear error and is left untouched', async (_label, key, text, reason) => {
    const storage = new MapStorage()
    const jar = new CookieJar(createWebStorageStore(storage))
    await jar.setCookie('a=1', 'https://app.example/')
    storage.map.set(key, text)
    const failure = await jar.getCookies('https://app.example/').catch((error: unknown) => error)
    expect(failure).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_FORMAT', location: key })
    expect((failure as Error).message).toMatch(reason)
    expect((failure as Error).message).toContain('left untouched')
    expect(storage.map.get(key)).toBe(text)
  })
})
