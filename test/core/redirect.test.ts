import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, FetchError, RedirectError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

// Credential stripping, refused schemes and Location userinfo: test/security/redirect-credentials.test.ts

let server: TestServer
let other: TestServer
beforeAll(async () => {
  ;[server, other] = await Promise.all([startServer(), startServer()])
})
afterAll(async () => {
  await Promise.all([server.close(), other.close()])
})
beforeEach(() => {
  server.reset()
  other.reset()
})

const redirectTo = (base: string, target: string, status = 302, extra = ''): string =>
  `${base}/redirect-to?url=${encodeURIComponent(target)}&status_code=${status}${extra}`

describe('cookies across redirect hops', () => {
  it('stores the Set-Cookie of every hop against that hop\'s URL and rebuilds Cookie per hop', async () => {
    const session = createSession()
    // A (127.0.0.1) sets a, redirects to B (localhost) which sets b, back to A's /cookies.
    const backToA = `${server.url}/cookies`
    const viaB = redirectTo(server.altUrl, backToA, 302, `&set_cookie=${encodeURIComponent('b=2; Path=/')}`)
    const start = redirectTo(server.url, viaB, 302, `&set_cookie=${encodeURIComponent('a=1; Path=/')}`)
    const data = await session(start)
    expect(data.cookies).toEqual({ a: '1' })
    const [, atB, atA] = server.requests
    expect(atB!.host).toBe(`localhost:${server.port}`)
    expect(atB!.headers.cookie).toBeUndefined()
    expect(atA!.headers.cookie).toBe('a=1')
    expect(await session.cookies!.getCookieString(server.altUrl)).toBe('b=2')
    // Exactly one Cookie header on the wire.
    expect(atA!.rawHeaders.filter((_, index) => index % 2 === 0 && _.toLowerCase() === 'cookie')).toHaveLength(1)
    await session.close()
  })

  it('keeps the cookie of each hop of a 3-hop same-origin chain', async () => {
    const session = createSession({ baseURL: server.url })
    const response = await session.raw('/cookie-redirect/3')
    expect(response._data.cookies).toEqual({ hop1: '1', hop2: '2', hop3: '3' })
    expect(server.requests.map(request => request.headers.cookie)).toEqual([undefined, 'hop1=1', 'hop1=1; hop2=2', 'hop1=1; hop2=2; hop3=3'])
    expect(response.redirected).toBe(true)
    expect(response.url).toBe(`${server.url}/cookies`)
    expect(response.history!.map(hop => [new URL(hop.url).pathname, hop.status])).toEqual([
      ['/cookie-redirect/3', 302],
      ['/cookie-redirect/2', 302],
      ['/cookie-redirect/1', 302],
    ])
    await session.close()
  })

  it('does not mark a response that was not redirected', async () => {
    const session = createSession({ baseURL: server.url })
    const response = await session.raw('/get')
    expect(response.redirected).toBe(false)
    expect(response.history).toEqual([])
    await session.close()
  })
})

describe('method and body rewriting', () => {
  const cases: Array<[number, string, string, boolean]> = [
    // status, method, expected method at the target, body kept
    [301, 'POST', 'GET', false],
    [302, 'POST', 'GET', false],
    [303, 'POST', 'GET', false],
    [303, 'PUT', 'GET', false],
    [303, 'DELETE', 'GET', false],
    [303, 'HEAD', 'HEAD', false],
    [301, 'PUT', 'PUT', true],
    [302, 'PATCH', 'PATCH', true],
    [302, 'DELETE', 'DELETE', true],
    [307, 'POST', 'POST', true],
    [308, 'POST', 'POST', true],
    [307, 'PUT', 'PUT', true],
    [308, 'PATCH', 'PATCH', true],
  ]
  it.each(cases)('%i after %s → %s (body kept: %s)', async (status, method, expected, kept) => {
    const session = createSession()
    const hasBody = method !== 'HEAD'
    await session(redirectTo(server.url, `${server.url}/anything/target`, status), {
      method,
      body: hasBody ? JSON.stringify({ payload: 42 }) : undefined,
      headers: hasBody ? { 'content-type': 'application/json', 'content-language': 'en' } : undefined,
    })
    const target = server.requests.at(-1)!
    expect(target.path).toBe('/anything/target')
    expect(target.method).toBe(expected)
    if (kept) {
      expect(target.body).toBe('{"payload":42}')
      expect(target.headers['content-type']).toBe('application/json')
    }
    else {
      expect(target.body).toBe('')
      expect(target.headers['content-type']).toBeUndefined()
      expect(target.headers['content-language']).toBeUndefined()
    }
    await session.close()
  })

  it('307 resends a byte-identical body of every replayable kind', async () => {
    const session = createSession()
    const bytes = new Uint8Array(2 * 1024 * 1024).map((_, index) => index % 251)
    const form = new FormData()
    form.set('field', 'value')
    form.set('file', new Blob(['file contents'], { type: 'text/plain' }), 'a.txt')
    const bodies: unknown[] = ['a string', bytes, new Blob(['blob body']), new URLSearchParams({ q: 'x y' }), form]
    for (const body of bodies) {
      server.reset()
      await session(redirectTo(server.url, `${server.url}/anything`, 307), { method: 'POST', body: body as BodyInit })
      const [first, second] = server.requests
      expect(second!.method).toBe('POST')
      expect(second!.body.length).toBe(first!.body.length)
      if (!(body instanceof FormData)) expect(second!.body).toBe(first!.body)
      else expect(second!.body).toContain('file contents')
    }
    await session.close()
  })

  it('refuses to follow 307/308 with a one-shot stream body, with a clear error', async () => {
    const session = createSession()
    for (const status of [307, 308]) {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('streamed'))
          controller.close()
        },
      })
      const error = await session(redirectTo(server.url, `${server.url}/anything`, status), { method: 'POST', body, retry: false }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RedirectError)
      expect(error).toBeInstanceOf(FetchError)
      expect((error as RedirectError).code).toBe('ERR_REDIRECT_BODY')
      expect((error as Error).message).toMatch(/request body is a stream and cannot be sent again/)
    }
    // the target was never reached
    expect(server.requests.every(request => request.path === '/redirect-to')).toBe(true)
    await session.close()
  })

  it('turns a stream-body POST into a GET on 303 (the stream is dropped)', async () => {
    const session = createSession()
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const data = await session(redirectTo(server.url, `${server.url}/anything`, 303), { method: 'POST', body })
    expect(data.method).toBe('GET')
    await session.close()
  })
})

describe('limits and refusals', () => {
  it('follows 20 redirects and refuses the 21st with an error that names redirects', async () => {
    const session = createSession({ baseURL: server.url })
    expect((await session.raw('/redirect/20')).history).toHaveLength(20)
    const error = await session('/redirect/21').catch((caught: unknown) => caught) as RedirectError
    expect(error).toBeInstanceOf(RedirectError)
    expect(error.name).toBe('RedirectError')
    expect(error.code).toBe('ERR_TOO_MANY_REDIRECTS')
    expect(error.message).toBe(`[GET] "${server.url}/redirect/21": too many redirects: more than 20 (maxRedirects)`)
    expect(error.redirectUrls).toHaveLength(21)
    await session.close()
  })

  it('honours maxRedirects per session and per request', async () => {
    const session = createSession({ baseURL: server.url, maxRedirects: 2 })
    await expect(session('/redirect/2')).resolves.toMatchObject({ method: 'GET' })
    await expect(session('/redirect/3')).rejects.toThrow(/more than 2 \(maxRedirects\)/)
    await expect(session('/redirect/3', { maxRedirects: 3 })).resolves.toMatchObject({ method: 'GET' })
    await expect(session('/redirect/1', { maxRedirects: 0 })).rejects.toThrow(/more than 0/)
    await session.close()
  })

  it('ends an endless loop at the limit, cancelling every hop', async () => {
    const session = createSession({ baseURL: server.url, maxRedirects: 5 })
    await expect(session('/loop')).rejects.toMatchObject({ code: 'ERR_TOO_MANY_REDIRECTS' })
    expect(server.requests).toHaveLength(6)
    await session.close()
  })

  it('redirect: "manual" returns the 3xx; "error" rejects', async () => {
    const session = createSession({ baseURL: server.url })
    const manual = await session.raw('/redirect/1', { redirect: 'manual' })
    expect(manual.status).toBe(302)
    expect(manual.headers.get('location')).toBe(`${server.url}/get`)
    const error = await session('/redirect/1', { redirect: 'error' }).catch((caught: unknown) => caught) as RedirectError
    expect(error.code).toBe('ERR_REDIRECT_MODE')
    expect(error.message).toMatch(/refused \(redirect: 'error'\)/)
    expect(server.requests).toHaveLength(2)
    await session.close()
  })

  it('does not follow 300, 304 or 305, and treats a 3xx without Location as a response', async () => {
    const session = createSession({ baseURL: server.url })
    for (const status of [300, 305]) {
      const response = await session.raw(`/status/${status}?location=${encodeURIComponent(`${other.url}/get`)}`, { ignoreResponseError: true })
      expect(response.status).toBe(status)
    }
    expect((await session.raw('/status/302', { ignoreResponseError: true })).status).toBe(302)
    expect(other.requests).toHaveLength(0)
    await session.close()
  })

  it('resolves relative Locations', async () => {
    const session = createSession({ baseURL: server.url })
    expect((await session.raw('/relative-redirect/3')).url).toBe(`${server.url}/get`)
    await session.close()
  })

  it('cancels the body of every redirect response (the server sees it hang up)', async () => {
    const session = createSession({ baseURL: server.url })
    const data = await session('/redirect-slow-body?url=/get')
    expect(data.method).toBe('GET')
    await expect.poll(() => server.hits('redirect-body-closed'), { timeout: 3000 }).toBe(1)
    await session.close()
  })
})
