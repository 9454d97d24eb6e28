/**
 * Layers of the caller's own (issue 13 item 4): `use` and `session.use()`. A signing layer puts an
 * HMAC-SHA256 of `method\nurl\nbody` on each request; the server's log of what it received is
 * checked against it, request by request: every attempt and every redirect hop is signed as it
 * went on the wire.
 */
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { $fetch, createSession, InvalidRequestError } from '../../src/index'
import type { Middleware } from '../../src/index'
import { startServer } from '../helpers/server'
import type { SeenRequest, TestServer } from '../helpers/server'

let server: TestServer
let other: TestServer
beforeAll(async () => {
  ;[server, other] = await Promise.all([startServer(), startServer()])
})
afterAll(() => Promise.all([server.close(), other.close()]))
beforeEach(() => {
  server.reset()
  other.reset()
})

const KEY = 'layer-test-key'

function sign(method: string, url: string, body: string): string {
  return createHmac('sha256', KEY).update(`${method}\n${url}\n${body}`).digest('hex')
}

/** The body as the signer reads it: what the layer is given is what goes on the wire. */
function bodyText(body: unknown): string {
  if (body === undefined || body === null) return ''
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return new TextDecoder().decode(body)
  throw new TypeError(`cannot sign a ${Object.prototype.toString.call(body)} body`)
}

/** Signs every request, or only those to `origin` when given (a signature is for one API). */
function signer(origin?: string): Middleware {
  return next => (input, init) => {
    const url = String(input)
    if (origin !== undefined && new URL(url).origin !== origin) return next(input, init)
    const headers = new Headers(init?.headers)
    headers.set('x-signature', sign(init?.method ?? 'GET', url, bodyText(init?.body)))
    return next(input, { ...init, headers })
  }
}

/** Appends `name` to the `x-order` header. */
function tag(name: string): Middleware {
  return next => (input, init) => {
    const headers = new Headers(init?.headers)
    headers.append('x-order', name)
    return next(input, { ...init, headers })
  }
}

function expectSigned(request: SeenRequest): void {
  expect(request.headers['x-signature'], `${request.method} ${request.url}`).toBe(sign(request.method, request.url, request.body))
}

describe('a signing layer (use)', () => {
  it('signs each attempt of a retried request, the same request each time', async () => {
    const session = createSession({ baseURL: server.url, use: signer(), retry: { delay: 0 } })
    const response = await session('/flaky/signed-retry?fail=1', { method: 'PUT', body: { n: 1 } })
    expect(response).toMatchObject({ ok: true, attempts: 2 })
    expect(server.requests).toHaveLength(2)
    for (const request of server.requests) expectSigned(request)
    expect(server.requests[0]!.body).toBe('{"n":1}')
    await session.close()
  })

  it('signs each redirect hop: after a 303, the GET without its body', async () => {
    const session = createSession({ baseURL: server.url, use: signer() })
    await session.post('/redirect-to?status_code=303&url=/get', { body: 'hello' })
    expect(server.requests.map(request => [request.method, request.body])).toEqual([['POST', 'hello'], ['GET', '']])
    for (const request of server.requests) expectSigned(request)
    await session.close()
  })

  it('signs each redirect hop: after a 307, the same method and body', async () => {
    const session = createSession({ baseURL: server.url, use: signer() })
    await session.post('/redirect-to?status_code=307&url=/post', { body: new URLSearchParams({ a: '1' }) })
    expect(server.requests.map(request => [request.method, request.body])).toEqual([['POST', 'a=1'], ['POST', 'a=1']])
    for (const request of server.requests) expectSigned(request)
    await session.close()
  })

  it('does not sign a hop to another origin when the layer says so', async () => {
    const session = createSession({ baseURL: server.url, use: signer(new URL(server.url).origin) })
    await session(`/redirect-to?url=${encodeURIComponent(`${other.url}/get`)}`)
    expectSigned(server.requests[0]!)
    expect(other.requests).toHaveLength(1)
    expect(other.requests[0]!.headers['x-signature']).toBeUndefined()
    await session.close()
  })

  it('sees the headers the session set: Authorization and Cookie', async () => {
    const seen: Array<[string | null, string | null]> = []
    const spy: Middleware = next => (input, init) => {
      const headers = new Headers(init?.headers)
      seen.push([headers.get('authorization'), headers.get('cookie')])
      return next(input, init)
    }
    const session = createSession({ baseURL: server.url, auth: { bearer: 'token' }, use: spy })
    await session('/set-cookie?raw=a%3D1')
    await session('/get')
    expect(seen[1]).toEqual(['Bearer token', 'a=1'])
    await session.close()
  })
})

describe('the order of the layers', () => {
  it('runs the layers of `use` outermost first', async () => {
    const session = createSession({ baseURL: server.url, use: [tag('a'), tag('b')] })
    await session('/get')
    expect(server.requests[0]!.headers['x-order']).toBe('a, b')
    await session.close()
  })

  it('session.use() adds a layer under the earlier ones to later calls, and chains', async () => {
    const session = createSession({ baseURL: server.url })
    await session('/get')
    expect(session.use(signer())).toBe(session)
    session.use(tag('b')).use([tag('c')])
    await session('/get?second')
    expect(server.requests[0]!.headers['x-signature']).toBeUndefined()
    expectSigned(server.requests[1]!)
    expect(server.requests[1]!.headers['x-order']).toBe('b, c')
    await session.close()
  })

  it('an extend() child runs its parent\'s layers, then its own; use() on either changes that one only', async () => {
    const parent = createSession({ baseURL: server.url, use: tag('parent') })
    const child = parent.extend({ use: tag('child') })
    child.use(tag('later'))
    parent.use(tag('parent-later'))
    const plain = parent.extend({ headers: { 'x-plain': '1' } })
    await child('/get')
    await parent('/get')
    await plain('/get')
    expect(server.requests.map(request => request.headers['x-order'])).toEqual(['parent, child, later', 'parent, parent-later', 'parent, parent-later'])
    await parent.close()
  })

  it('$fetch.create() takes layers too', async () => {
    const signed = $fetch.create({ use: signer() })
    await signed(`${server.url}/get`)
    expectSigned(server.requests[0]!)
  })
})

describe('bad layers are refused', () => {
  const refused = (run: () => unknown): void => {
    let error: unknown
    try {
      run()
    }
    catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect((error as InvalidRequestError).option).toBe('use')
  }

  it('at creation: not a function, or one that gives back no fetch', () => {
    refused(() => createSession({ use: 5 as never }))
    refused(() => createSession({ use: [signer(), 'x' as never] }))
    refused(() => createSession({ use: (() => undefined) as never }))
    const session = createSession()
    refused(() => session.use(null as never))
    refused(() => session.extend({ use: {} as never }))
    refused(() => session.mount('https://example.com', { use: signer() } as never))
  })

  it('per request: rejected before anything is sent', async () => {
    const session = createSession({ baseURL: server.url })
    const error = await session('/get', { use: signer() } as never).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect((error as InvalidRequestError).option).toBe('use')
    expect((error as Error).message).toContain('session.use()')
    expect(server.requests).toHaveLength(0)
    await session.close()
  })
})
