import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { CookieStoreError, createSession } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const setCookies = (...raw: string[]): string => `/set-cookie?${raw.map(value => `raw=${encodeURIComponent(value)}`).join('&')}`

describe('cookies', () => {
  it('never mutates the caller\'s headers (object or Headers)', async () => {
    const session = createSession({ baseURL: server.url })
    await session.cookies!.setCookie('jar=1; Path=/', server.url)
    const object = { 'X-Mine': 'a', Cookie: 'mine=1' }
    const headers = new Headers({ 'X-Mine': 'a' })
    await session('/cookies', { headers: object })
    await session('/cookies', { headers })
    expect(object).toEqual({ 'X-Mine': 'a', Cookie: 'mine=1' })
    expect([...headers]).toEqual([['x-mine', 'a']])
    expect([...session.headers]).toEqual([])
    await session.close()
  })

  it('reads the in-memory jar on every request: a cookie another holder of the jar adds, or removes, between requests is seen', async () => {
    const session = createSession({ baseURL: server.url })
    const jar = session.cookies!
    const sent = async (path = '/cookies'): Promise<Record<string, string>> => (await session<{ cookies: Record<string, string> }>(path)).cookies
    expect(await sent()).toEqual({})
    jar.setCookieSync('other=1; Path=/', server.url)
    expect(await sent()).toEqual({ other: '1' })
    // On another host of the same server (localhost), and a path the request must match.
    jar.setCookieSync('there=2; Path=/cookies', server.altUrl)
    expect(await session<{ cookies: Record<string, string> }>(`${server.altUrl}/cookies`)).toEqual({ cookies: { there: '2' } })
    expect(await sent('/get').then(() => sent())).toEqual({ other: '1' })
    await jar.removeAllCookies()
    expect(await sent()).toEqual({})
    // An expired cookie is not sent, though its domain is still in the store's index.
    jar.setCookieSync(`old=1; Path=/; Expires=${new Date(Date.now() + 200).toUTCString()}`, server.url)
    jar.setCookieSync('fresh=1; Path=/; Max-Age=1', server.url)
    await new Promise(done => setTimeout(done, 1100))
    expect(await sent()).toEqual({})
    expect(server.requests.at(-1)!.headers.cookie).toBeUndefined()
    await session.close()
  })

  it('per-request Cookie headers merge with the jar: request cookies win and are not stored', async () => {
    const session = createSession({ baseURL: server.url })
    await session('/cookies/set?a=jar&b=jar')
    const merged = await session<{ cookies: Record<string, string> }>('/cookies', { headers: { Cookie: 'b=request; c=request' } })
    expect(merged.cookies).toEqual({ a: 'jar', b: 'request', c: 'request' })
    const seen = server.requests.at(-1)!.headers.cookie
    expect(seen).toBe('b=request; c=request; a=jar')
    const after = await session<{ cookies: Record<string, string> }>('/cookies')
    expect(after.cookies).toEqual({ a: 'jar', b: 'jar' })
    await session.close()
  })

  it('sends no Cookie header at all when the jar is empty', async () => {
    const session = createSession({ baseURL: server.url })
    await session('/headers')
    expect(server.requests[0]!.rawHeaders.map(name => name.toLowerCase())).not.toContain('cookie')
    await session.close()
  })

  it('keeps cookies per site: 127.0.0.1 and localhost are two sites', async () => {
    const session = createSession()
    await session(`${server.url}/cookies/set/site/ipv4`)
    await session(`${server.altUrl}/cookies/set/site/localhost`)
    expect((await session(`${server.url}/cookies`)).cookies).toEqual({ site: 'ipv4' })
    expect((await session(`${server.altUrl}/cookies`)).cookies).toEqual({ site: 'localhost' })
    await session.close()
  })

  it('stores both cookies of a response with two Set-Cookie headers, commas in Expires included', async () => {
    const session = createSession({ baseURL: server.url })
    await session(setCookies('first=1; Expires=Wed, 09 Jun 2100 10:18:14 GMT; Path=/', 'second=2; Path=/'))
    expect((await session('/cookies')).cookies).toEqual({ first: '1', second: '2' })
    const [first] = await session.cookies!.getCookies(server.url)
    expect(first!.expires).toEqual(new Date('2100-06-09T10:18:14Z'))
    await session.close()
  })

  it('a hostile or malformed Set-Cookie never breaks the response', async () => {
    const session = createSession({ baseURL: server.url })
    const hostile = [
      'ps=1; Domain=com; Path=/', // public suffix
      'uk=1; Domain=co.uk; Path=/', // public suffix
      'foreign=1; Domain=example.org; Path=/', // not this host
      'garbage',
      '=novalue',
      '; ; ;',
      ' '.repeat(8000),
      `big=${'x'.repeat(9000)}; Path=/`,
      'tab=a\tb; Path=/',
      'good=1; Path=/',
    ]
    const started = Date.now()
    const response = await session.raw('/set-cookie', { method: 'POST', body: hostile })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(response.status).toBe(200)
    expect(response._data).toEqual({ set: hostile.length })
    const cookies = (await session('/cookies')).cookies
    expect(cookies.good).toBe('1')
    expect(cookies).not.toHaveProperty('ps')
    expect(cookies).not.toHaveProperty('uk')
    expect(cookies).not.toHaveProperty('foreign')
    await session.close()
  })

  it('a store that throws while storing a cookie rejects the call with a CookieStoreError (its error as cause), never a silently lost cookie', async () => {
    const session = createSession({ baseURL: server.url })
    const down = new Error('store is down')
    session.cookies!.setCookie = async () => {
      throw down
    }
    await expect(session('/cookies/set/a/1')).rejects.toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_IO', cause: down })
    await session.close()
  })

  it('a cookie store that fails as a whole (CookieStoreError) rejects the call with that error, unretried', async () => {
    const session = createSession({ baseURL: server.url })
    const failure = new CookieStoreError('ERR_COOKIE_STORE_FORMAT', 'cookies.json', 'the cookie file is not a fetch-session cookie file')
    session.cookies!.getCookies = async () => {
      throw failure
    }
    await expect(session('/get')).rejects.toBe(failure)
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('stores the cookie of a response before the promise resolves (the next request sees it)', async () => {
    const session = createSession({ baseURL: server.url })
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => session(`/cookies/set/c${index}/${index}`)))
    expect(results).toHaveLength(20)
    const cookies = (await session('/cookies')).cookies
    expect(Object.keys(cookies)).toHaveLength(20)
    await session.close()
  })

  it('sends cookies set on a failed attempt with the retry (Cookie is rebuilt per attempt)', async () => {
    const session = createSession({ baseURL: server.url, retry: { limit: 1, delay: 0 } })
    const data = await session(`/flaky/lb?fail=1&retry_after=0&set_cookie=${encodeURIComponent('lb=node2; Path=/')}`)
    expect(data.cookies).toEqual({ lb: 'node2' })
    await session.close()
  })
})
