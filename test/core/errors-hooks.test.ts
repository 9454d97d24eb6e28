import { inspect } from 'node:util'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AbortError,
  createSession,
  FetchError,
  HTTPError,
  InvalidRequestError,
  NetworkError,
  RedirectError,
  SessionClosedError,
  TimeoutError,
} from '../../src/index'
import { closedPort as findClosedPort } from '../helpers/ports'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let closedPort: number
beforeAll(async () => {
  server = await startServer()
  closedPort = await findClosedPort()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

describe('errors', () => {
  it('HTTPError carries status, statusText, data, response and request; message as ofetch', async () => {
    const session = createSession({ baseURL: server.url })
    const error = await session('/status/404').catch((caught: unknown) => caught) as HTTPError
    expect(error).toBeInstanceOf(HTTPError)
    expect(error).toBeInstanceOf(FetchError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('HTTPError')
    expect(error.message).toBe(`[GET] "${server.url}/status/404": 404 Not Found`)
    expect(error.status).toBe(404)
    expect(error.statusCode).toBe(404)
    expect(error.statusText).toBe('Not Found')
    expect(error.data).toEqual({ status: 404 })
    expect(error.response.status).toBe(404)
    expect(error.request).toBe(`${server.url}/status/404`)
    const post = await session('/status/500', { method: 'post', retry: false }).catch((caught: unknown) => caught) as HTTPError
    expect(post.message).toBe(`[POST] "${server.url}/status/500": 500 Internal Server Error`)
    await session.close()
  })

  it('ignoreResponseError resolves instead', async () => {
    const session = createSession({ baseURL: server.url })
    await expect(session('/status/404', { ignoreResponseError: true })).resolves.toEqual({ status: 404 })
    await session.close()
  })

  it('NetworkError keeps the runtime\'s error as cause', async () => {
    const session = createSession({ retry: false })
    const error = await session(`http://127.0.0.1:${closedPort}/x`).catch((caught: unknown) => caught) as NetworkError
    expect(error).toBeInstanceOf(NetworkError)
    expect(error).toBeInstanceOf(FetchError)
    expect(error.name).toBe('NetworkError')
    expect(error.code).toBe('ECONNREFUSED')
    expect(error.cause).toBeInstanceOf(TypeError)
    expect((error.cause as Error).message).toBe('fetch failed')
    expect(error.message).toBe(`[GET] "http://127.0.0.1:${closedPort}/x": network error (ECONNREFUSED): connection refused (connect ECONNREFUSED 127.0.0.1:${closedPort})`)
    await session.close()
  })

  it('a connection reset mid-body is a NetworkError', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    const error = await session('/reset-mid-body').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(NetworkError)
    await session.close()
  })

  it('every kind is told apart by name and instanceof, and all are FetchError', async () => {
    const session = createSession({ baseURL: server.url, retry: false })
    const kinds = await Promise.all([
      session('/status/418').catch((caught: unknown) => caught),
      session('/hang', { timeout: 50 }).catch((caught: unknown) => caught),
      session(`http://127.0.0.1:${closedPort}/`).catch((caught: unknown) => caught),
      session('/hang', { signal: AbortSignal.abort() }).catch((caught: unknown) => caught),
      session('/redirect/3', { maxRedirects: 1 }).catch((caught: unknown) => caught),
      session('/get', { headers: { 'x-bad': 'a\r\nb' } }).catch((caught: unknown) => caught),
    ])
    expect(kinds.map(error => (error as Error).name)).toEqual(['HTTPError', 'TimeoutError', 'NetworkError', 'AbortError', 'RedirectError', 'InvalidRequestError'])
    const classes = [HTTPError, TimeoutError, NetworkError, AbortError, RedirectError, InvalidRequestError]
    kinds.forEach((error, index) => {
      expect(error).toBeInstanceOf(FetchError)
      classes.forEach((klass, other) => expect(error instanceof klass).toBe(index === other))
    })
    expect(new SessionClosedError({})).toBeInstanceOf(FetchError)
    await session.close()
  })

  it('instanceof holds for errors from another copy of the package (branded)', () => {
    const foreign = Object.assign(Object.create(Error.prototype), { [Symbol.for('fetch-session.error.kind')]: 'HTTPError' })
    expect(foreign instanceof HTTPError).toBe(true)
    expect(foreign instanceof TimeoutError).toBe(false)
  })

  it('bad input gets a clear InvalidRequestError before anything is sent', async () => {
    const session = createSession()
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['relative URL without baseURL', () => session('/get'), /"\/get" is not an absolute URL and no baseURL is set/],
      ['garbage URL', () => session('http://[::1'), /is not a valid URL/],
      ['file: URL', () => session('file:///etc/passwd'), /unsupported URL scheme "file:"/],
      ['CR/LF in a header value', () => session(`${server.url}/get`, { headers: { 'x-evil': 'a\r\nInjected: yes' } }), /invalid request/],
      ['NUL in a header name', () => session(`${server.url}/get`, { headers: { 'x\0y': '1' } }), /invalid request/],
      ['GET with a body', () => session(`${server.url}/get`, { body: 'x' }), /invalid request/],
      ['a bad redirect option', () => session(`${server.url}/get`, { redirect: 'sometimes' as never }), /`redirect` must be 'follow', 'manual' or 'error'/],
      ['not a URL at all', () => session(42 as never), /the request must be a URL string, a URL or a Request/],
    ]
    for (const [, run, message] of cases) {
      const error = await run().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InvalidRequestError)
      expect((error as Error).message).toMatch(message)
    }
    expect(server.requests).toHaveLength(0)
    await session.close()
  })

  it('credentials in the URL become Basic auth and never appear in messages', async () => {
    const session = createSession({ retry: false })
    const echoed = await session(`http://alice:s3cret@127.0.0.1:${server.port}/headers`)
    expect(echoed.headers.authorization).toBe(`Basic ${btoa('alice:s3cret')}`)
    const error = await session(`http://alice:s3cret@127.0.0.1:${server.port}/status/500`).catch((caught: unknown) => caught) as HTTPError
    expect(error.message).not.toContain('s3cret')
    expect(String(error)).not.toContain('s3cret')
    await session.close()
  })

  it('does not print request headers (tokens) when an error is logged', async () => {
    const session = createSession({ baseURL: server.url, headers: { Authorization: 'Bearer top-secret-token' } })
    const error = await session('/status/401').catch((caught: unknown) => caught)
    expect(inspect(error, { depth: 5 })).not.toContain('top-secret-token')
    await session.close()
  })
})

describe('hooks', () => {
  it('session hooks and request hooks both run, session first (ofetch#319)', async () => {
    const calls: string[] = []
    const session = createSession({
      baseURL: server.url,
      onRequest: () => void calls.push('session:onRequest'),
      onResponse: [() => void calls.push('session:onResponse:1'), () => void calls.push('session:onResponse:2')],
      onResponseError: () => void calls.push('session:onResponseError'),
    })
    await session('/get', {
      onRequest: () => void calls.push('request:onRequest'),
      onResponse: () => void calls.push('request:onResponse'),
    })
    expect(calls).toEqual(['session:onRequest', 'request:onRequest', 'session:onResponse:1', 'session:onResponse:2', 'request:onResponse'])
    calls.length = 0
    await session('/status/404', { onResponseError: () => void calls.push('request:onResponseError') }).catch(() => {})
    expect(calls).toEqual(['session:onRequest', 'session:onResponse:1', 'session:onResponse:2', 'session:onResponseError', 'request:onResponseError'])
    await session.close()
  })

  it('onRequest can change headers for that attempt only', async () => {
    let count = 0
    const session = createSession({
      baseURL: server.url,
      retry: { delay: 1 },
      onRequest: ({ options }) => {
        options.headers.set('x-attempt', String(++count))
      },
    })
    await session('/flaky/hook-headers?fail=1')
    expect(server.requests.map(request => request.headers['x-attempt'])).toEqual(['1', '2'])
    expect(session.headers.has('x-attempt')).toBe(false)
    await session.close()
  })

  it('onRequestError sees the classified error', async () => {
    const seen: string[] = []
    const session = createSession({ retry: false, onRequestError: ({ error }) => void seen.push(error.name) })
    await session(`http://127.0.0.1:${closedPort}/`).catch(() => {})
    await session(`${server.url}/hang`, { timeout: 50 }).catch(() => {})
    expect(seen).toEqual(['NetworkError', 'TimeoutError'])
    await session.close()
  })

  it('onRedirect runs for every hop, session and request hooks, and may change the next hop\'s headers', async () => {
    const hops: string[] = []
    const session = createSession({
      baseURL: server.url,
      onRedirect: ({ hop, status, location, headers }) => {
        hops.push(`session ${hop} ${status} ${new URL(location).pathname}`)
        headers.set('x-hop', String(hop))
      },
    })
    await session('/redirect/2', { onRedirect: ({ hop }) => void hops.push(`request ${hop}`) })
    expect(hops).toEqual(['session 1 302 /redirect/1', 'request 1', 'session 2 302 /get', 'request 2'])
    expect(server.requests.map(request => request.headers['x-hop'])).toEqual([undefined, '1', '2'])
    await session.close()
  })

  it('an error thrown by a hook rejects the call as is and is never retried', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    const boom = new Error('hook failed')
    await expect(session('/flaky/hook-throws?fail=1', { onResponseError: () => { throw boom } })).rejects.toBe(boom)
    expect(server.hits('hook-throws')).toBe(1)
    await expect(session('/get', { onRequest: () => { throw boom } })).rejects.toBe(boom)
    await expect(session('/redirect/1', { onRedirect: () => { throw boom } })).rejects.toBe(boom)
    await session.close()
  })
})

describe('hooks see the resolved options (issue 13 item 5)', () => {
  it('retry, timeout, baseURL and query as the call resolved them; auth redacted; the headers sent', async () => {
    const seen: Array<Record<string, unknown>> = []
    const record = ({ options }: { options: Record<string, any> }): void => {
      seen.push({ retry: options.retry, timeout: options.timeout, baseURL: options.baseURL, query: options.query, auth: options.auth, header: options.headers.get('x-session') })
    }
    const session = createSession({
      baseURL: server.url,
      headers: { 'x-session': '1' },
      retry: { limit: 1, statusCodes: [503] },
      timeout: { total: 5000, attempt: 2000 },
      auth: { bearer: 'sekret-token' },
      query: { a: '1' },
      onRequest: record,
      onResponse: record,
    })
    await session('/flaky/hook-options?fail=1', { query: { b: '2' }, retry: { delay: 0 } })
    expect(seen).toHaveLength(4)
    for (const options of seen) {
      expect(options).toEqual({
        retry: { limit: 1, methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'], statusCodes: [503], networkErrors: true, timeouts: true, maxDelay: 10_000, maxRetryAfter: 60_000 },
        timeout: { total: 5000, attempt: 2000 },
        baseURL: server.url,
        query: { a: '1', b: '2' },
        auth: { bearer: '[redacted]' },
        header: '1',
      })
    }
    expect(JSON.stringify(seen)).not.toContain('sekret')
    await session.close()
  })

  it('Basic and Digest credentials show the username, never the password; an onRequest hook may still set ofetch options', async () => {
    let auth: unknown
    const session = createSession({ baseURL: server.url, auth: { username: 'alice', password: 's3cret', type: 'digest' } })
    const data = await session('/get', {
      responseType: 'json',
      onRequest: ({ options }) => {
        auth = options.auth
        options.parseResponse = () => 'parsed by the hook'
      },
    })
    expect(auth).toEqual({ username: 'alice', password: '[redacted]', type: 'digest' })
    expect(data).toBe('parsed by the hook')
    await session.close()
  })
})
