import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CookieJar, MemoryCookieStore } from 'tough-cookie'
import { $fetch, createSession, FetchError, SessionClosedError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('createSession()', () => {
  it('is callable like $fetch and resolves to the parsed body', async () => {
    const session = createSession({ baseURL: server.url })
    const data = await session<{ method: string, args: Record<string, string> }>('/get', { query: { a: 1, b: 'two' } })
    expect(data.method).toBe('GET')
    expect(data.args).toEqual({ a: '1', b: 'two' })
    await session.close()
  })

  it('.raw() resolves to the Response with the parsed body on _data', async () => {
    const session = createSession({ baseURL: server.url })
    const response = await session.raw('/status/201')
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(201)
    expect(response._data).toEqual({ status: 201 })
    expect(response.headers.get('content-type')).toBe('application/json')
    await session.close()
  })

  it('has verb helpers that set the method', async () => {
    const session = createSession({ baseURL: server.url })
    for (const verb of ['get', 'post', 'put', 'patch', 'delete', 'options'] as const) {
      const data = await session[verb]<{ method: string }>('/anything')
      expect(data.method).toBe(verb.toUpperCase())
    }
    const head = await session.head('/anything')
    expect(head).toBeUndefined()
    expect(server.requests.at(-1)!.method).toBe('HEAD')
    await session.close()
  })

  it('sends JSON bodies, URLSearchParams and strings as given', async () => {
    const session = createSession({ baseURL: server.url })
    const json = await session.post('/anything', { body: { hello: 'world' } })
    expect(json.json).toEqual({ hello: 'world' })
    expect(json.headers['content-type']).toBe('application/json')
    const form = await session.post('/anything', { body: new URLSearchParams({ a: '1', b: '2' }) })
    expect(form.form).toEqual({ a: '1', b: '2' })
    const text = await session.post('/anything', { body: 'plain text', headers: { 'content-type': 'text/plain' } })
    expect(text.body).toBe('plain text')
    await session.close()
  })

  it('session.headers is live: set and delete apply to every later request', async () => {
    const session = createSession({ baseURL: server.url, headers: { 'X-Seed': 'from-options' } })
    expect(session.headers).toBeInstanceOf(Headers)
    expect(session.headers.get('x-seed')).toBe('from-options')
    session.headers.set('User-Agent', 'My Web Scraper 1.0')
    session.headers.set('Authorization', 'Bearer t0ken')
    const first = await session<{ headers: Record<string, string> }>('/headers')
    expect(first.headers['user-agent']).toBe('My Web Scraper 1.0')
    expect(first.headers.authorization).toBe('Bearer t0ken')
    expect(first.headers['x-seed']).toBe('from-options')
    session.headers.delete('authorization')
    const second = await session<{ headers: Record<string, string> }>('/headers')
    expect(second.headers.authorization).toBeUndefined()
    expect(second.headers['user-agent']).toBe('My Web Scraper 1.0')
    await session.close()
  })

  it('request headers override session headers whatever their case, without piling up', async () => {
    const session = createSession({ baseURL: server.url, headers: { 'X-Token': 'session' } })
    await session('/headers', { headers: { 'x-TOKEN': 'request' } })
    const seen = server.requests.at(-1)!
    const names = seen.rawHeaders.filter((_, index) => index % 2 === 0).map(name => name.toLowerCase())
    expect(names.filter(name => name === 'x-token')).toHaveLength(1)
    expect(seen.headers['x-token']).toBe('request')
    // and the session's own headers are untouched
    expect(session.headers.get('x-token')).toBe('session')
    await session.close()
  })

  it('keeps cookies in session.cookies, a tough-cookie CookieJar', async () => {
    const session = createSession({ baseURL: server.url })
    await session('/cookies/set/sessioncookie/123456789')
    expect(session.cookies).toBeInstanceOf(CookieJar)
    expect(await session.cookies!.getCookieString(server.url)).toBe('sessioncookie=123456789')
    await session.cookies!.setCookie('manual=1; Path=/', server.url)
    const data = await session<{ cookies: Record<string, string> }>('/cookies')
    expect(data.cookies).toEqual({ sessioncookie: '123456789', manual: '1' })
    await session.close()
  })

  it('accepts a CookieJar, a Store, or false', async () => {
    const jar = new CookieJar()
    await jar.setCookie('fromjar=yes; Path=/', server.url)
    const withJar = createSession({ baseURL: server.url, cookies: jar })
    expect(withJar.cookies).toBe(jar)
    expect((await withJar('/cookies')).cookies).toEqual({ fromjar: 'yes' })

    const store = new MemoryCookieStore()
    const withStore = createSession({ baseURL: server.url, cookies: store })
    await withStore('/cookies/set/stored/1')
    expect(await new CookieJar(store).getCookieString(server.url)).toBe('stored=1')

    const without = createSession({ baseURL: server.url, cookies: false })
    expect(without.cookies).toBeUndefined()
    await without('/cookies/set/lost/1')
    expect((await without('/cookies')).cookies).toEqual({})
    expect(() => createSession({ cookies: 'yes' as never })).toThrow(/`cookies` must be/)
    await Promise.all([withJar.close(), withStore.close(), without.close()])
  })

  it('close() refuses later requests with an error that says so', async () => {
    const session = createSession({ baseURL: server.url })
    await session('/get')
    expect(session.closed).toBe(false)
    await session.close()
    expect(session.closed).toBe(true)
    const error = await session('/get').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SessionClosedError)
    expect(error).toBeInstanceOf(FetchError)
    expect((error as Error).name).toBe('SessionClosedError')
    expect((error as Error).message).toBe(`[GET] "${server.url}/get": the session is closed; create a new session to make more requests`)
    await expect(session.post('/post')).rejects.toThrow(/the session is closed/)
    await expect(session.native(`${server.url}/get`)).rejects.toThrow(/the session is closed/)
    // closing twice is fine
    await session.close()
    expect(server.requests).toHaveLength(1)
  })

  it('Symbol.asyncDispose closes the session (await using)', async () => {
    let outer: ReturnType<typeof createSession> | undefined
    {
      await using session = createSession({ baseURL: server.url })
      outer = session
      await session('/get')
      expect(session.closed).toBe(false)
    }
    expect(outer!.closed).toBe(true)
    await expect(outer!('/get')).rejects.toBeInstanceOf(SessionClosedError)
  })

  it('extend() gives a child with merged defaults that shares the jar', async () => {
    const parent = createSession({ baseURL: server.url, headers: { 'X-Parent': '1' } })
    const child = parent.extend({ headers: { 'X-Child': '2' }, query: { from: 'child' } })
    expect(child.cookies).toBe(parent.cookies)
    await child('/cookies/set/shared/yes')
    expect((await parent('/cookies')).cookies).toEqual({ shared: 'yes' })
    const seen = await child<{ headers: Record<string, string>, args: Record<string, string> }>('/get')
    expect(seen.headers['x-parent']).toBe('1')
    expect(seen.headers['x-child']).toBe('2')
    expect(seen.args).toEqual({ from: 'child' })
    // the parent's headers do not get the child's
    expect(parent.headers.has('x-child')).toBe(false)
    expect(() => parent.extend({ cookies: false } as never)).toThrow(/shares the parent's jar and pool/)
    // closing the child leaves the parent open; closing the parent closes the child
    await child.close()
    expect(parent.closed).toBe(false)
    const other = parent.extend()
    await parent.close()
    expect(other.closed).toBe(true)
    await expect(other('/get')).rejects.toBeInstanceOf(SessionClosedError)
  })

  it('reuses connections: 10 sequential requests open at most 2 sockets', async () => {
    const session = createSession({ baseURL: server.url })
    const before = server.totalSockets()
    const ids = new Set<number>()
    for (let index = 0; index < 10; index++) ids.add((await session<{ connection: number }>('/conn')).connection)
    expect(server.totalSockets() - before).toBeLessThanOrEqual(2)
    expect(ids.size).toBeLessThanOrEqual(2)
    await session.close()
  })

  it('mount() applies per-prefix defaults, the longest prefix winning', async () => {
    const session = createSession({ headers: { 'X-Layer': 'session' } })
    session.mount(`${server.url}/`, { headers: { 'X-Layer': 'short' } })
    session.mount(`${server.url}/anything/`, { headers: { 'X-Layer': 'long' }, query: { mounted: 'yes' } })
    expect((await session(`${server.url}/headers`)).headers['x-layer']).toBe('short')
    const long = await session(`${server.url}/anything/x`)
    expect(long.headers['x-layer']).toBe('long')
    expect(long.args).toEqual({ mounted: 'yes' })
    expect((await session(`${server.altUrl}/headers`)).headers['x-layer']).toBe('session')
    await session.close()
  })

  it('mount() can carry its own retry policy', async () => {
    const session = createSession({ retry: false })
    session.mount(`${server.url}/flaky/`, { retry: { limit: 3, delay: 1 } })
    const ok = await session(`${server.url}/flaky/mounted-retry?fail=2`)
    expect(ok.attempts).toBe(3)
    await expect(session(`${server.altUrl}/flaky/unmounted?fail=1`)).rejects.toMatchObject({ status: 503 })
    expect(server.hits('unmounted')).toBe(1)
    await session.close()
  })
})

describe('$fetch', () => {
  it('keeps no state: no cookies, no headers between calls', async () => {
    // Within the call, its own redirect hop gets the cookie (issue 11 item 16); the next call does not.
    const first = await $fetch<{ cookies: Record<string, string> }>(`${server.url}/cookies/set/sessioncookie/123456789`)
    expect(first.cookies).toEqual({ sessioncookie: '123456789' })
    const sent = server.requests.length
    const data = await $fetch<{ cookies: Record<string, string> }>(`${server.url}/cookies`)
    expect(data.cookies).toEqual({})
    expect(server.requests.slice(sent).every(request => request.headers.cookie === undefined)).toBe(true)
    expect(($fetch as unknown as { cookies?: unknown }).cookies).toBeUndefined()
  })

  it('has raw, native and create', async () => {
    const response = await $fetch.raw(`${server.url}/status/202`)
    expect(response.status).toBe(202)
    const native = await $fetch.native(`${server.url}/get`)
    expect(native).toBeInstanceOf(Response)
    expect((await native.json()).method).toBe('GET')
    const api = $fetch.create({ baseURL: server.url, headers: { 'X-Default': 'yes' } })
    const seen = await api<{ headers: Record<string, string> }>('/headers')
    expect(seen.headers['x-default']).toBe('yes')
    const child = api.create({ headers: { 'X-More': '1' } })
    const both = await child<{ headers: Record<string, string> }>('/headers')
    expect(both.headers['x-default']).toBe('yes')
    expect(both.headers['x-more']).toBe('1')
  })

  it('follows redirects with the same rules as sessions (no jar)', async () => {
    const response = await $fetch.raw(`${server.url}/redirect/2`)
    expect(response.url).toBe(`${server.url}/get`)
    expect(response.redirected).toBe(true)
    expect(response.history!.map(hop => hop.status)).toEqual([302, 302])
  })
})
