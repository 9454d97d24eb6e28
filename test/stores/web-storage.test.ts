/**
 * The Web Storage store against the store contract, over a `Map`-backed Storage and over
 * happy-dom's `localStorage` and `sessionStorage`; then what it guarantees beyond the contract. Its
 * run in real Deno (`localStorage` kept between two processes) is in runtimes.test.ts.
 */
import { Window } from 'happy-dom'
import { CookieJar } from 'tough-cookie'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createSession } from '../../src/index'
import { CookieStoreError, createWebStorageStore, WebStorageCookieStore } from '../../src/cookies/stores/web-storage'
import type { WebStorageLike } from '../../src/cookies/stores/web-storage'
import { describeStoreContract } from './contract'

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

  it('keeps all cookies in one entry, the document the file store writes, readable by CookieJar.deserialize', async () => {
    const storage = new MapStorage()
    const jar = new CookieJar(createWebStorageStore(storage))
    await jar.setCookie('a=1', 'https://app.example/')
    await jar.setCookie('b=2; HttpOnly', 'https://app.example/')
    expect([...storage.map.keys()]).toEqual(['fetch-session:cookies'])
    const document = JSON.parse(storage.map.get('fetch-session:cookies')!)
    expect(document).toMatchObject({ format: 'fetch-session/cookies', formatVersion: 1 })
    expect(document.cookies.map((cookie: { key: string }) => cookie.key)).toEqual(['a', 'b'])
    const copy = await CookieJar.deserialize(document)
    expect(await copy.getCookieString('https://app.example/')).toBe('a=1; b=2')
    // Removing the last cookie removes the entry.
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
})
