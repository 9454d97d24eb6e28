/**
 * The session's HTTP cache (issue 14) against the local server's `/cache/:name` resources: what
 * the caller sees (`cacheStatus`, bodies, headers) and what the server saw (how many requests,
 * bodies served, 304s). The cache-tests.fyi suite (cache-tests.test.ts) covers the RFC's details;
 * this file covers what it does not: sessions, cookies and auth with `Vary`, a shared store, one
 * fill and one revalidation for concurrent callers, bodies not read to their end, the modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, HTTPError, InvalidRequestError, $fetch } from '../../src/index'
import type { CacheRecord, CacheStore } from '../../src/cache/store'
import { createMemoryCacheStore } from '../../src/cache/memory'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let counter = 0
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

/** A fresh resource name, so that no two tests share a URL. */
function named(prefix: string): string {
  return `${prefix}-${++counter}`
}

async function stats(name: string): Promise<{ served: number, notModified: number, requests: number }> {
  return (await fetch(`${server.url}/cache/${name}/stats`)).json()
}

interface Body { name: string, version: number, served: number, user: string | null }

describe('a fresh response', () => {
  it('is served from the cache without a request, with its Age', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('fresh')
    const first = await session.raw<Body>(`/cache/${name}?cc=max-age=60`)
    const second = await session.raw<Body>(`/cache/${name}?cc=max-age=60`)
    expect([first.cacheStatus, second.cacheStatus]).toEqual(['miss', 'hit'])
    expect(second._data).toEqual(first._data)
    expect(second.status).toBe(200)
    expect(second.headers.get('age')).toMatch(/^\d+$/)
    expect(second.headers.get('content-type')).toBe('application/json')
    expect(second.url).toBe(`${server.url}/cache/${name}?cc=max-age=60`)
    expect(await stats(name)).toMatchObject({ requests: 1, served: 1 })
  })

  it('a session without a cache sends every request, and its responses have no cacheStatus', async () => {
    await using session = createSession({ baseURL: server.url })
    const name = named('nocache')
    const first = await session.raw(`/cache/${name}?cc=max-age=60`)
    await session.raw(`/cache/${name}?cc=max-age=60`)
    expect('cacheStatus' in first).toBe(false)
    expect(await stats(name)).toMatchObject({ requests: 2 })
  })

  it('is fresh by heuristic only with Last-Modified and no explicit freshness (RFC 9111 §4.2.2)', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const heuristic = named('heuristic')
    await session(`/cache/${heuristic}?lm=1`)
    expect((await session.raw(`/cache/${heuristic}?lm=1`)).cacheStatus).toBe('hit')
    const none = named('no-validator')
    await session(`/cache/${none}`)
    expect((await session.raw(`/cache/${none}`)).cacheStatus).toBe('miss')
    expect(await stats(none)).toMatchObject({ requests: 2 })
  })

  it('no-store is never stored; max-age=0 without a validator is fetched again', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    for (const cc of ['no-store', 'max-age=0']) {
      const name = named('nostore')
      await session(`/cache/${name}?cc=${cc}`)
      expect((await session.raw(`/cache/${name}?cc=${cc}`)).cacheStatus).toBe('miss')
      expect(await stats(name)).toMatchObject({ requests: 2, served: 2 })
    }
  })
})

describe('validation', () => {
  it('a 304 updates the stored headers and the caller sees 200 with the stored body (ETag)', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('etag')
    const path = `/cache/${name}?etag=1&cc=no-cache`
    const first = await session.raw<Body>(path)
    const second = await session.raw<Body>(path)
    expect([first.cacheStatus, second.cacheStatus]).toEqual(['miss', 'revalidated'])
    expect(second.status).toBe(200)
    expect(second._data).toEqual(first._data)
    // The 304's headers replace the stored ones: the request count is the 304's.
    expect([first.headers.get('x-request-count'), second.headers.get('x-request-count')]).toEqual(['1', '2'])
    expect(await stats(name)).toEqual({ requests: 2, served: 1, notModified: 1 })
    // Stored again with the merged headers.
    expect((await session.raw(path)).headers.get('x-request-count')).toBe('3')
  })

  it('revalidates with If-Modified-Since when there is only Last-Modified', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('lm')
    const path = `/cache/${name}?lm=1&cc=no-cache`
    await session(path)
    expect((await session.raw(path)).cacheStatus).toBe('revalidated')
    expect(await stats(name)).toEqual({ requests: 2, served: 1, notModified: 1 })
    const sent = server.requests.filter(request => request.path === `/cache/${name}`)
    expect(sent.map(request => [request.headers['if-modified-since'] !== undefined, request.headers['if-none-match']])).toEqual([[false, undefined], [true, undefined]])
  })

  it('a changed resource answers the revalidation with 200: the new body is served and stored', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('changed')
    const path = `/cache/${name}?etag=1&cc=no-cache`
    await session(path)
    await fetch(`${server.url}/cache/${name}/bump`, { method: 'POST' })
    const changed = await session.raw<Body>(path)
    expect([changed.cacheStatus, changed._data?.version]).toEqual(['miss', 2])
    expect(((await session.raw<Body>(path))._data)?.version).toBe(2)
  })

  it('must-revalidate: a stale response is not used without asking the server', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('must')
    const path = `/cache/${name}?etag=1&cc=max-age=0,must-revalidate,stale-while-revalidate=60`
    await session(path)
    expect((await session.raw(path)).cacheStatus).toBe('revalidated')
  })
})

describe('stale responses', () => {
  it('stale-while-revalidate: ten concurrent callers get the stale response, and the server sees one revalidation', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('swr')
    const path = `/cache/${name}?etag=1&cc=max-age=0,stale-while-revalidate=60&delay=50`
    await session(path)
    const answers = await Promise.all(Array.from({ length: 10 }, () => session.raw<Body>(path)))
    expect(answers.map(answer => answer.cacheStatus)).toEqual(Array(10).fill('stale'))
    expect(new Set(answers.map(answer => answer._data?.served))).toEqual(new Set([1]))
    await until(async () => (await stats(name)).requests === 2)
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(await stats(name)).toEqual({ requests: 2, served: 1, notModified: 1 })
  })

  it('stale-if-error: a stored response answers a 5xx and a network error', async () => {
    const other = await startServer()
    try {
      await using session = createSession({ baseURL: other.url, cache: true, retry: false })
      const name = named('sie')
      const path = `/cache/${name}?cc=max-age=0,stale-if-error=60`
      const stored = await session.raw<Body>(path)
      await fetch(`${other.url}/cache/${name}/break`, { method: 'POST' })
      const onError = await session.raw<Body>(path)
      expect([onError.status, onError.cacheStatus, onError._data]).toEqual([200, 'stale', stored._data])
      await other.close()
      const offline = await session.raw<Body>(path)
      expect([offline.cacheStatus, offline._data]).toEqual(['stale', stored._data])
    }
    finally {
      await other.close().catch(() => {})
    }
  })

  it('without stale-if-error a 5xx is the answer', async () => {
    await using session = createSession({ baseURL: server.url, cache: true, retry: false })
    const name = named('no-sie')
    const path = `/cache/${name}?cc=max-age=0&etag=1`
    await session(path)
    await fetch(`${server.url}/cache/${name}/break`, { method: 'POST' })
    await expect(session(path)).rejects.toMatchObject({ name: 'HTTPError', status: 503 })
  })
})

describe('one request per key', () => {
  it('ten concurrent misses make one request; each caller gets the body', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('fill')
    const path = `/cache/${name}?cc=max-age=60&delay=100`
    const answers = await Promise.all(Array.from({ length: 10 }, () => session.raw<Body>(path)))
    expect(answers.map(answer => answer._data?.served)).toEqual(Array(10).fill(1))
    expect(await stats(name)).toMatchObject({ requests: 1 })
    expect((await session.raw(path)).cacheStatus).toBe('hit')
  })

  it('stream bodies: concurrent callers each get their own copy, none waits for another to read', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('fill-stream')
    const path = `/cache/${name}?cc=max-age=60&delay=50&size=200000`
    const [a, b] = await Promise.all([session(path, { responseType: 'stream' }), session(path, { responseType: 'stream' })])
    const [left, right] = await Promise.all([new Response(a).arrayBuffer(), new Response(b).arrayBuffer()])
    expect([left.byteLength, right.byteLength]).toEqual([200000, 200000])
    expect(await stats(name)).toMatchObject({ requests: 1 })
  })

  it('concurrent misses whose Vary headers differ each get their own response', async () => {
    await using alice = createSession({ baseURL: server.url, cache: true, headers: { cookie: 'user=alice' } })
    const bob = alice.extend({ headers: { cookie: 'user=bob' } })
    const name = named('fill-vary')
    const path = `/cache/${name}?cc=max-age=60&vary=Cookie&delay=100`
    const [a, b] = await Promise.all([alice<Body>(path), bob<Body>(path)])
    expect([a.user, b.user]).toEqual(['alice', 'bob'])
    expect(await stats(name)).toMatchObject({ requests: 2 })
  })
})

describe('bodies', () => {
  it('a body cancelled after ten bytes stores nothing; one read to its end is stored', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('cancel')
    const path = `/cache/${name}?cc=max-age=60&size=100000`
    const stream = await session(path, { responseType: 'stream' }) as ReadableStream<Uint8Array>
    const reader = stream.getReader()
    let read = 0
    while (read < 10) read += (await reader.read()).value!.byteLength
    await reader.cancel()
    const again = await session.raw(path, { responseType: 'arrayBuffer' })
    expect(again.cacheStatus).toBe('miss')
    expect((again._data as ArrayBuffer).byteLength).toBe(100000)
    const third = await session.raw(path, { responseType: 'arrayBuffer' })
    expect(third.cacheStatus).toBe('hit')
    expect(new Uint8Array(third._data as ArrayBuffer)).toEqual(new Uint8Array(100000).fill(120))
    expect(await stats(name)).toMatchObject({ requests: 2 })
  })

  it('a body larger than maxEntrySize is passed on and not stored, its length announced or not', async () => {
    await using session = createSession({ baseURL: server.url, cache: { maxEntrySize: 1000 } })
    for (const query of ['', '&chunked=1']) {
      const name = named('large')
      const path = `/cache/${name}?cc=max-age=60&size=5000${query}`
      expect(((await session.raw(path, { responseType: 'arrayBuffer' }))._data as ArrayBuffer).byteLength).toBe(5000)
      expect((await session.raw(path, { responseType: 'arrayBuffer' })).cacheStatus).toBe('miss')
    }
    const small = named('small')
    await session(`/cache/${small}?cc=max-age=60&size=1000&chunked=1`, { responseType: 'arrayBuffer' })
    expect((await session.raw(`/cache/${small}?cc=max-age=60&size=1000&chunked=1`, { responseType: 'arrayBuffer' })).cacheStatus).toBe('hit')
  })
})

describe('cookies, auth and Vary', () => {
  it('a cached Set-Cookie is never replayed into the jar, nor shown on a hit', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('set-cookie')
    const path = `/cache/${name}?cc=max-age=60&set_cookie=visit%3D1%3B%20Path%3D%2F`
    await session(path)
    expect(await session.cookies!.getCookieString(server.url)).toBe('visit=1')
    await session.cookies!.removeAllCookies()
    const hit = await session.raw(path)
    expect(hit.cacheStatus).toBe('hit')
    expect(hit.headers.get('set-cookie')).toBeNull()
    expect(await session.cookies!.getCookieString(server.url)).toBe('')
  })

  it('a 304\'s own Set-Cookie, fresh from the server, goes to the jar', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('set-cookie-304')
    const path = `/cache/${name}?cc=no-cache&etag=1&set_cookie=seen%3D1%3B%20Path%3D%2F`
    await session(path)
    await session.cookies!.removeAllCookies()
    const revalidated = await session.raw(path)
    expect(revalidated.cacheStatus).toBe('revalidated')
    expect(revalidated.headers.get('set-cookie')).toBe('seen=1; Path=/')
    expect(await session.cookies!.getCookieString(server.url)).toBe('seen=1')
  })

  it('shared store, Vary: Cookie: bob never gets alice\'s body, each gets his own from the cache', async () => {
    const store = createMemoryCacheStore()
    await using alice = createSession({ baseURL: server.url, cache: { store, shared: true } })
    await using bob = createSession({ baseURL: server.url, cache: { store, shared: true } })
    await alice('/cookies/set/user/alice')
    await bob('/cookies/set/user/bob')
    const name = named('me-cookie')
    const path = `/cache/${name}?cc=max-age=60&vary=Cookie`
    expect((await alice<Body>(path)).user).toBe('alice')
    const first = await bob.raw<Body>(path)
    expect([first.cacheStatus, first._data?.user]).toEqual(['miss', 'bob'])
    const again = await bob.raw<Body>(path)
    expect([again.cacheStatus, again._data?.user]).toEqual(['hit', 'bob'])
    expect((await alice.raw<Body>(path))._data?.user).toBe('alice')
    expect(await stats(name)).toMatchObject({ requests: 2 })
  })

  it('the store never holds a credential: Vary\'d Cookie and Authorization are kept as digests', async () => {
    const records = new Map<string, CacheRecord>()
    const store: CacheStore = { get: key => records.get(key), set: (key, record) => void records.set(key, record), delete: key => void records.delete(key) }
    await using session = createSession({ baseURL: server.url, cache: { store, shared: true }, auth: { bearer: 'secret-token-1' }, headers: { cookie: 'user=secret-cookie-1' } })
    await session(`/cache/${named('digest')}?cc=public,max-age=60&vary=Cookie,Authorization`)
    const text = JSON.stringify([...records], (_, value) => value instanceof Uint8Array ? '' : value)
    expect(text).not.toContain('secret-token-1')
    expect(text).not.toContain('secret-cookie-1')
    expect(text).toMatch(/sha256:[0-9a-f]{64}/)
  })

  it('shared, Vary: Authorization: per token, and only when the response allows it (public)', async () => {
    const store = createMemoryCacheStore()
    await using alice = createSession({ baseURL: server.url, cache: { store, shared: true }, auth: { bearer: 'alice' } })
    await using bob = createSession({ baseURL: server.url, cache: { store, shared: true }, auth: { bearer: 'bob' } })
    const name = named('me-auth')
    const path = `/cache/${name}?cc=public,max-age=60&vary=Authorization`
    expect((await alice<Body>(path)).user).toBe('alice')
    expect((await bob<Body>(path)).user).toBe('bob')
    expect((await bob.raw<Body>(path)).cacheStatus).toBe('hit')
    expect((await alice.raw<Body>(path))._data?.user).toBe('alice')
    // Without public (or s-maxage, must-revalidate), a shared cache stores nothing for an authorized request.
    const plain = named('me-auth-plain')
    await alice(`/cache/${plain}?cc=max-age=60`)
    const second = await bob.raw<Body>(`/cache/${plain}?cc=max-age=60`)
    expect([second.cacheStatus, second._data?.user]).toEqual(['miss', 'bob'])
  })

  it('a private cache stores a response to an authorized request when it allows it; a shared one not `private`', async () => {
    await using mine = createSession({ baseURL: server.url, cache: true, auth: { bearer: 'alice' } })
    const name = named('private-auth')
    await mine(`/cache/${name}?cc=private,max-age=60`)
    expect((await mine.raw(`/cache/${name}?cc=private,max-age=60`)).cacheStatus).toBe('hit')
    await using shared = createSession({ baseURL: server.url, cache: { shared: true } })
    const other = named('shared-private')
    await shared(`/cache/${other}?cc=private,max-age=60`)
    expect((await shared.raw(`/cache/${other}?cc=private,max-age=60`)).cacheStatus).toBe('miss')
    // s-maxage counts in a shared cache only.
    const smax = named('smaxage')
    await shared(`/cache/${smax}?cc=max-age=0,s-maxage=60`)
    expect((await shared.raw(`/cache/${smax}?cc=max-age=0,s-maxage=60`)).cacheStatus).toBe('hit')
  })
})

describe('statuses', () => {
  it('a final status with explicit freshness is stored (a 404, a 500), a 401 challenge never (the auth layer answers it with credentials)', async () => {
    await using session = createSession({ baseURL: server.url, cache: true, retry: false, ignoreResponseError: true })
    for (const status of [404, 500]) {
      const name = named(`status-${status}`)
      await session(`/cache/${name}?cc=max-age=60&status=${status}`)
      const again = await session.raw(`/cache/${name}?cc=max-age=60&status=${status}`)
      expect([again.status, again.cacheStatus]).toEqual([status, 'hit'])
    }
    const name = named('status-401')
    await session(`/cache/${name}?cc=max-age=60&status=401`)
    expect((await session.raw(`/cache/${name}?cc=max-age=60&status=401`)).cacheStatus).toBe('miss')
  })
})

describe('invalidation', () => {
  it('an unsafe method invalidates its URL', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('put')
    const path = `/cache/${name}?cc=max-age=60`
    await session(path)
    expect((await session.raw(path)).cacheStatus).toBe('hit')
    const put = await session.raw(path, { method: 'PUT', body: 'x' })
    expect(put.cacheStatus).toBe('bypass')
    const after = await session.raw<Body>(path)
    expect([after.cacheStatus, after._data?.version]).toEqual(['miss', 2])
  })

  it('…and its Content-Location and Location on the same origin, not on another', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    for (const header of ['content-location', 'location']) {
      const name = named(header)
      const path = `/cache/${name}?cc=max-age=60`
      await session(path)
      await session(`/cache/${name}/bump?location=${encodeURIComponent(path)}&header=${header}`, { method: 'POST' })
      expect((await session.raw(path)).cacheStatus).toBe('miss')
    }
    const name = named('cross')
    const foreign = `${server.url.replace('127.0.0.1', 'localhost')}/cache/${name}?cc=max-age=60`
    await session(foreign)
    await session(`/cache/${name}/bump?location=${encodeURIComponent(foreign)}`, { method: 'POST' })
    expect((await session.raw(foreign)).cacheStatus).toBe('hit')
  })
})

describe('request modes', () => {
  it('only-if-cached is the offline mode: stored responses, stale too, and a 504 with no request for the rest', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('offline')
    const path = `/cache/${name}?cc=max-age=0&etag=1`
    await session(path)
    const offline = await session.raw<Body>(path, { cache: 'only-if-cached' })
    expect([offline.cacheStatus, offline._data?.served]).toEqual(['stale', 1])
    const missing = named('offline-missing')
    const error = await session(`/cache/${missing}`, { cache: 'only-if-cached' }).catch(caught => caught)
    expect(error).toBeInstanceOf(HTTPError)
    expect(error.status).toBe(504)
    expect(error.message).toMatch(/504 Gateway Timeout \(not in the cache: only-if-cached\)/)
    expect(error.response.cacheStatus).toBe('miss')
    const resolved = await session.raw(`/cache/${missing}`, { cache: 'only-if-cached', ignoreResponseError: true })
    expect([resolved.status, resolved.cacheStatus]).toEqual([504, 'miss'])
    expect(await stats(missing)).toMatchObject({ requests: 0 })
    expect(await stats(name)).toMatchObject({ requests: 1 })
  })

  it('only-if-cached is never retried (a 504 is, by default)', async () => {
    let retries = 0
    await using session = createSession({ baseURL: server.url, cache: true, retry: { limit: 3, delay: 1 }, onRetry: () => void retries++ })
    await expect(session(`/cache/${named('offline-retry')}`, { cache: 'only-if-cached' })).rejects.toMatchObject({ status: 504 })
    expect(retries).toBe(0)
  })

  it('no-store, reload, no-cache and force-cache do what the fetch spec says', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('modes')
    const path = `/cache/${name}?cc=max-age=60&etag=1`
    await session(path)
    expect((await session.raw(path, { cache: 'no-store' })).cacheStatus).toBe('bypass')
    expect((await session.raw(path, { cache: 'no-cache' })).cacheStatus).toBe('revalidated')
    const reloaded = await session.raw<Body>(path, { cache: 'reload' })
    expect([reloaded.cacheStatus, reloaded._data?.served]).toEqual(['miss', 3])
    expect((await session.raw<Body>(path))._data?.served).toBe(3)
    expect(await stats(name)).toEqual({ requests: 4, served: 3, notModified: 1 })
    const stale = named('force')
    await session(`/cache/${stale}?cc=max-age=0&etag=1`)
    expect((await session.raw(`/cache/${stale}?cc=max-age=0&etag=1`, { cache: 'force-cache' })).cacheStatus).toBe('stale')
    expect(await stats(stale)).toMatchObject({ requests: 1 })
  })

  it('a mode set on the session, or a mount, is every request\'s default; the platform\'s fetch never sees it', async () => {
    const modes: unknown[] = []
    const recording = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      modes.push(init?.cache)
      return fetch(input, init)
    }
    await using session = createSession({ baseURL: server.url, cache: true, fetch: recording })
    const name = named('mode-default')
    await session(`/cache/${name}?cc=max-age=60`)
    session.mount(`${server.url}/cache/${name}`, { cache: 'no-store' })
    expect((await session.raw(`/cache/${name}?cc=max-age=60`)).cacheStatus).toBe('bypass')
    expect(modes).toEqual([undefined, undefined])
    // Without a cache, the mode is the platform's: undici's fetch refuses only-if-cached outside same-origin mode.
    const offline = createSession({ baseURL: server.url, cache: 'only-if-cached' })
    await expect(offline(`/cache/${named('no-cache-session')}`)).rejects.toMatchObject({ name: 'InvalidRequestError', message: expect.stringMatching(/only-if-cached/) })
    await offline.close()
  })

  it('without a cache, a mode goes to the platform\'s fetch as it always did', async () => {
    const modes: unknown[] = []
    await using session = createSession({ baseURL: server.url, fetch: (input, init) => (modes.push(init?.cache), fetch(input, init)) })
    await session(`/cache/${named('passed')}`, { cache: 'no-store' })
    expect(modes).toEqual(['no-store'])
  })
})

describe('options', () => {
  it('bad values are an InvalidRequestError naming the option', async () => {
    const refused = (run: () => unknown): unknown => {
      try {
        run()
      }
      catch (error) {
        return error
      }
      return undefined
    }
    expect(refused(() => createSession({ cache: 'sometimes' as never }))).toMatchObject({ name: 'InvalidRequestError', option: 'cache' })
    expect(refused(() => createSession({ cache: { store: {} as never } }))).toMatchObject({ option: 'cache.store' })
    expect(refused(() => createSession({ cache: { maxEntrySize: -1 } }))).toMatchObject({ option: 'cache.maxEntrySize' })
    expect(refused(() => createSession({ cache: { shared: 'yes' as never } }))).toMatchObject({ option: 'cache.shared' })
    expect(refused(() => $fetch.create({ cache: true as never }))).toMatchObject({ option: 'cache', message: expect.stringMatching(/createSession\(\{ cache \}\)/) })
    expect(refused(() => createSession().mount('http://a.test', { cache: true as never }))).toMatchObject({ option: 'cache' })
    await using session = createSession({ baseURL: server.url })
    await expect(session('/get', { cache: true as never })).rejects.toBeInstanceOf(InvalidRequestError)
  })

  it('a failing store never fails a request: a get that throws is a miss, and onError hears of it', async () => {
    const errors: unknown[] = []
    const store: CacheStore = { get: () => { throw new Error('store down') }, set: () => Promise.reject(new Error('store down')), delete: () => {} }
    await using session = createSession({ baseURL: server.url, cache: { store, onError: error => errors.push(error) } })
    const answer = await session.raw(`/cache/${named('down')}?cc=max-age=60`)
    expect([answer.status, answer.cacheStatus]).toEqual([200, 'miss'])
    expect(errors.map(error => (error as Error).message)).toEqual(['store down', 'store down'])
  })

  it('extend() children share the cache; extend({ cache: false }) has none', async () => {
    await using session = createSession({ baseURL: server.url, cache: true })
    const name = named('extend')
    await session(`/cache/${name}?cc=max-age=60`)
    expect((await session.extend({ headers: { 'x-a': '1' } }).raw(`/cache/${name}?cc=max-age=60`)).cacheStatus).toBe('hit')
    expect('cacheStatus' in await session.extend({ cache: false }).raw(`/cache/${name}?cc=max-age=60`)).toBe(false)
  })
})

async function until(check: () => Promise<boolean>, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
