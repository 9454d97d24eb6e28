/**
 * Session credentials belong to the origin they were given for (issue 12 items 5 and 6): a
 * mount's headers, auth and transport apply at an origin and path-segment boundary only, never to
 * look-alike hosts, ports or paths; an `extend()` child with another base, a request's own
 * `baseURL` or an absolute URL elsewhere gets neither the session's `auth` nor its credential
 * headers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession as createNodeSession } from '../../src/adapters/node'
import { createSession, InvalidRequestError } from '../../src/index'
import type { Fetch } from '../../src/types'
import { startProxy } from '../helpers/proxy'
import type { TestProxy } from '../helpers/proxy'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let other: TestServer
let proxy: TestProxy
beforeAll(async () => {
  ;[server, other, proxy] = await Promise.all([startServer(), startServer(), startProxy()])
})
afterAll(() => Promise.all([server.close(), other.close(), proxy.close()]))
beforeEach(() => {
  server.reset()
  other.reset()
  proxy.reset()
})

/**
 * A stand-in for the network where the test needs host names that only DNS could give
 * (api.example.com and its look-alikes; the tests reach loopback only): records what would have
 * been sent, and answers 200.
 */
function capturing(): { fetch: Fetch, sent: Array<{ url: string, headers: Record<string, string> }> } {
  const sent: Array<{ url: string, headers: Record<string, string> }> = []
  return {
    sent,
    fetch: async (input, init) => {
      sent.push({ url: String(input), headers: Object.fromEntries(new Headers(init?.headers)) })
      return new Response('{}', { headers: { 'content-type': 'application/json' } })
    },
  }
}

describe('mount() matches at an origin and path-segment boundary (issue 12 item 5)', () => {
  it('a mount of http://api.example.com gives its headers and auth to that origin only, not to look-alike hosts, ports or schemes', async () => {
    const wire = capturing()
    const session = createSession({ fetch: wire.fetch })
    session.mount('http://api.example.com', { headers: { 'X-Mount': 'yes' }, auth: { bearer: 'mount-secret' } })
    const lookAlikes = ['http://api.example.com.evil.example/x', 'http://api.example.community/x', 'http://api.example.com:8080/x', 'https://api.example.com/x', 'http://api.example.co/x']
    const same = ['http://api.example.com/x', 'http://api.example.com:80/y', 'http://API.Example.com/z?q=1']
    for (const url of [...lookAlikes, ...same]) await session(url)
    expect(wire.sent.map(({ url, headers }) => [url, headers['x-mount'] ?? null, headers.authorization ?? null])).toEqual([
      ...lookAlikes.map(url => [url, null, null]),
      ['http://api.example.com/x', 'yes', 'Bearer mount-secret'],
      ['http://api.example.com/y', 'yes', 'Bearer mount-secret'],
      ['http://api.example.com/z?q=1', 'yes', 'Bearer mount-secret'],
    ])
    await session.close()
  })

  it('on the wire: a prefix that is the start of the server\'s port does not match it', async () => {
    const session = createSession()
    // http://127.0.0.1:4536 is a prefix of http://127.0.0.1:45363 as text, another origin as a URL.
    session.mount(`http://127.0.0.1:${String(server.port).slice(0, -1)}`, { headers: { Authorization: 'Bearer mount-secret' } })
    session.mount('http://127.0.0.1', { headers: { 'X-Default-Port': 'yes' } })
    const echoed = await session(`${server.url}/headers`)
    expect(echoed.headers.authorization).toBeUndefined()
    expect(echoed.headers['x-default-port']).toBeUndefined()
    await session.close()
  })

  it('a path prefix matches itself, what is below it and its query, never a longer segment', async () => {
    const session = createSession({ baseURL: server.url })
    session.mount(`${server.url}/anything/v1`, { headers: { 'X-Mount': 'v1' } })
    session.mount(`${server.url}/anything/v2/`, { headers: { 'X-Mount': 'v2/' } })
    const seen: Record<string, string | null> = {}
    for (const path of ['/anything/v1', '/anything/v1/', '/anything/v1/x', '/anything/v1?x=1', '/anything/v10', '/anything/v1x', '/anything/v2', '/anything/v2/', '/anything/v2/x', '/anything']) {
      seen[path] = (await session(path)).headers['x-mount'] ?? null
    }
    expect(seen).toEqual({
      '/anything/v1': 'v1',
      '/anything/v1/': 'v1',
      '/anything/v1/x': 'v1',
      '/anything/v1?x=1': 'v1',
      '/anything/v10': null,
      '/anything/v1x': null,
      '/anything/v2': null,
      '/anything/v2/': 'v2/',
      '/anything/v2/x': 'v2/',
      '/anything': null,
    })
    await session.close()
  })

  it('a scheme alone matches every URL of that scheme (requests\' mount(\'https://\', …)); the longest prefix wins', async () => {
    const session = createSession()
    session.mount('http://', { headers: { 'X-Layer': 'scheme' } })
    session.mount('https://', { headers: { 'X-Layer': 'https' } })
    session.mount(server.url, { headers: { 'X-Layer': 'origin' } })
    session.mount(`${server.url}/anything`, { headers: { 'X-Layer': 'path' } })
    expect((await session(`${server.url}/anything/x`)).headers['x-layer']).toBe('path')
    expect((await session(`${server.url}/get`)).headers['x-layer']).toBe('origin')
    expect((await session(`${server.altUrl}/get`)).headers['x-layer']).toBe('scheme')
    expect((await session(`${other.url}/get`)).headers['x-layer']).toBe('scheme')
    await session.close()
  })

  it('two spellings of one prefix are one mount (default port, case, a trailing slash on the origin)', async () => {
    const session = createSession()
    session.mount(`http://LOCALHOST:${server.port}`, { headers: { 'X-Layer': 'first' } })
    session.mount(`http://localhost:${server.port}/`, { headers: { 'X-Other': 'second' } })
    const echoed = await session(`${server.altUrl}/headers`)
    expect(echoed.headers['x-layer']).toBeUndefined()
    expect(echoed.headers['x-other']).toBe('second')
    await session.close()
  })

  it('refuses a prefix that cannot be matched safely, naming the option and never printing its password', () => {
    const session = createSession()
    const refused = ['api.example.com', '/v1', 'v1/', 'ftp://files.example.com/', 'https://user:pa55word@api.example.com/', 'https://api.example.com/v1?key=x', 'https://api.example.com/#top', 'https://*.example.com/', 'https://exa mple.com/', 'https://api.example.com:99999/']
    for (const prefix of refused) {
      let error: unknown
      try {
        session.mount(prefix, { headers: { 'X-Mount': '1' } })
      }
      catch (caught) {
        error = caught
      }
      expect(error, prefix).toBeInstanceOf(InvalidRequestError)
      expect((error as InvalidRequestError).option).toBe('prefix')
      expect((error as Error).message).toMatch('mount() cannot match')
      expect((error as Error).message).not.toMatch('pa55word')
    }
  })

  it('a mount\'s transport serves the hops within its prefix only: a redirect elsewhere goes the session\'s way', async () => {
    const session = createNodeSession({ proxy: false })
    session.mount(server.url, { proxy: proxy.url })
    const id = `hop-${Date.now()}`
    const echoed = await session(`${server.url}/redirect-to?url=${encodeURIComponent(`${other.url}/get?key=${id}`)}`)
    expect(echoed.args.key).toBe(id)
    // The first hop went through the mount's proxy, the hop to the other origin did not.
    expect(proxy.stats.forwarded.some(line => line.startsWith(`GET ${server.url}/redirect-to`))).toBe(true)
    expect(proxy.stats.forwarded.some(line => line.startsWith(`GET ${other.url}`))).toBe(false)
    await session.close()
  })
})

describe('session credentials stay with the origin they were given for, however the child is made (issue 12 item 6)', () => {
  it('an extend() child with another baseURL does not send the parent\'s auth there; the parent still does at home', async () => {
    const parent = createSession({ baseURL: server.url, auth: { bearer: 'parent-secret' } })
    const child = parent.extend({ baseURL: other.url })
    expect((await child('/headers')).headers.authorization).toBeUndefined()
    expect((await child(`${server.url}/headers`)).headers.authorization).toBe('Bearer parent-secret')
    expect((await parent('/headers')).headers.authorization).toBe('Bearer parent-secret')
    // Another path on the same origin is still home.
    expect((await parent.extend({ baseURL: `${server.url}/anything` })('/x')).headers.authorization).toBe('Bearer parent-secret')
    await parent.close()
  })

  it('a child that gives its own auth uses it for its own base only', async () => {
    const parent = createSession({ baseURL: server.url, auth: { bearer: 'parent-secret' } })
    const child = parent.extend({ baseURL: other.url, auth: { bearer: 'child-secret' } })
    expect((await child('/headers')).headers.authorization).toBe('Bearer child-secret')
    expect((await child(`${server.url}/headers`)).headers.authorization).toBeUndefined()
    await parent.close()
  })

  it('default headers that carry credentials (Authorization, Cookie, Proxy-Authorization, sensitiveHeaders) stay on the base\'s origin', async () => {
    const parent = createSession({
      baseURL: server.url,
      headers: { 'Authorization': 'Bearer header-secret', 'Cookie': 'sid=cookie-secret', 'Proxy-Authorization': 'Basic cHJveHk=', 'X-Api-Key': 'key-secret', 'X-Plain': 'plain' },
      sensitiveHeaders: ['X-Api-Key'],
    })
    const credentials = (headers: Record<string, string>): unknown[] => [headers.authorization, headers.cookie, headers['proxy-authorization'], headers['x-api-key'], headers['x-plain']]
    const away = [undefined, undefined, undefined, undefined, 'plain']
    const home = ['Bearer header-secret', 'sid=cookie-secret', 'Basic cHJveHk=', 'key-secret', 'plain']
    const child = parent.extend({ baseURL: other.url })
    expect(credentials((await child('/headers')).headers)).toEqual(away)
    expect(child.headers.get('authorization')).toBeNull()
    expect(child.headers.get('x-plain')).toBe('plain')
    expect(credentials((await parent('/headers', { baseURL: other.url })).headers)).toEqual(away)
    expect(credentials((await parent(`${other.url}/headers`)).headers)).toEqual(away)
    expect(credentials((await parent('/headers')).headers)).toEqual(home)
    // Given for the call, or to the child for its base, they are sent.
    expect((await parent(`${other.url}/headers`, { headers: { Authorization: 'Bearer explicit' } })).headers.authorization).toBe('Bearer explicit')
    expect((await parent.extend({ baseURL: other.url, headers: { Authorization: 'Bearer child' } })('/headers')).headers.authorization).toBe('Bearer child')
    await parent.close()
  })

  it('without a baseURL, default headers go to every request, as in requests', async () => {
    const session = createSession({ headers: { Authorization: 'Bearer everywhere' } })
    expect((await session(`${server.url}/headers`)).headers.authorization).toBe('Bearer everywhere')
    expect((await session(`${other.url}/headers`)).headers.authorization).toBe('Bearer everywhere')
    expect((await session.extend({ baseURL: other.url })('/headers')).headers.authorization).toBe('Bearer everywhere')
    await session.close()
  })
})
