/**
 * Node-only details of issue 11 items 8 to 19 (the cross-runtime tests are in
 * test/conformance/areas/requests.ts): listeners and warnings of the limiter, the per-call jar's
 * laziness, and edges of retries, parsing and native().
 */
import { getEventListeners } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCookieJar } from '../../src/cookies/jar'
import { fetchAdapter } from '../../src/adapters/fetch'
import { AbortError, createSession, HTTPError, InvalidRequestError, ParseError, $fetch } from '../../src/index'
import { Limiter } from '../../src/limit'
import { decodeLocation } from '../../src/redirect-follow'
import { createSessionFactory } from '../../src/session'
import { SESSION_LAYERS } from '../../src/session-layers'
import { NEVER_ABORTED } from '../../src/timeout'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

/** Runs `fn` against a one-off server with `handler` (for answers the test server does not give). */
async function withServer(handler: Parameters<typeof createServer>[1], fn: (url: string) => Promise<void>): Promise<void> {
  const one = createServer(handler)
  await new Promise<void>(resolve => one.listen(0, '127.0.0.1', resolve))
  try {
    await fn(`http://127.0.0.1:${(one.address() as AddressInfo).port}`)
  }
  finally {
    one.closeAllConnections()
    await new Promise(resolve => one.close(resolve))
  }
}

let unique = 0
const key = (name: string): string => `${name}-${++unique}`

/** Collects the process warnings emitted while `run` runs (and one turn after). */
async function warningsDuring(run: () => Promise<unknown>): Promise<Error[]> {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => void warnings.push(warning)
  process.on('warning', onWarning)
  try {
    await run()
    await new Promise(resolve => setImmediate(resolve))
  }
  finally {
    process.off('warning', onWarning)
  }
  return warnings
}

describe('limit: no MaxListenersExceededWarning (item 17)', () => {
  it('50 calls waiting for one slot add no listener to the shared never-aborted signal, and no warning', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    const id = key('waiters')
    const warnings = await warningsDuring(() => Promise.all(Array.from({ length: 50 }, () => session(`/get?key=${id}`))))
    expect(warnings.map(warning => warning.name)).not.toContain('MaxListenersExceededWarning')
    expect(getEventListeners(NEVER_ABORTED, 'abort').length).toBe(0)
    expect(server.hits(id)).toBe(50)
    expect(server.keyStats(id).max).toBe(1)
    await session.close()
  })

  it('50 waiters on one signal share one listener and all reject when it aborts', async () => {
    const limiter = new Limiter({ concurrency: 1 })
    const controller = new AbortController()
    const release = await limiter.acquire('host', controller.signal)
    let waiting: Array<Promise<unknown>> = []
    const warnings = await warningsDuring(async () => {
      waiting = Array.from({ length: 50 }, () => limiter.acquire('host', controller.signal).then(() => 'acquired', (reason: unknown) => reason))
      expect(getEventListeners(controller.signal, 'abort').length).toBe(1)
      controller.abort(new Error('stop'))
    })
    const outcomes = await Promise.all(waiting)
    expect(outcomes.every(outcome => (outcome as Error).message === 'stop')).toBe(true)
    expect(warnings.map(warning => warning.name)).not.toContain('MaxListenersExceededWarning')
    expect(getEventListeners(controller.signal, 'abort').length).toBe(0)
    release()
  })

  it('a session call waiting its turn still honours its own abort', async () => {
    const session = createSession({ baseURL: server.url, limit: { concurrency: 1 } })
    const busy = session('/delay/300')
    const controller = new AbortController()
    const waiting = session('/get', { signal: controller.signal }).catch((error: unknown) => error)
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    expect(await waiting).toBeInstanceOf(AbortError)
    expect(Date.now() - started).toBeLessThan(250)
    await busy
    await session.close()
  })
})

describe('ignoreResponseError and retries (item 9)', () => {
  it('honours Retry-After, methods and retry: false as without ignoreResponseError', async () => {
    const session = createSession({ baseURL: server.url, retry: { delay: 1 } })
    const after = key('after')
    const started = Date.now()
    const response = await session.raw(`/flaky/${after}?fail=1&status=429&retry_after=1`, { ignoreResponseError: true })
    expect(response.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const post = key('post')
    expect((await session.raw(`/flaky/${post}?fail=5`, { method: 'POST', ignoreResponseError: true })).status).toBe(503)
    expect(server.hits(post)).toBe(1)
    const off = key('off')
    expect((await session.raw(`/flaky/${off}?fail=5`, { retry: false, ignoreResponseError: true })).status).toBe(503)
    expect(server.hits(off)).toBe(1)
    await session.close()
  })

  it('shouldRetry sees the status error; its own throw is passed through', async () => {
    const seen: number[] = []
    const session = createSession({ baseURL: server.url, retry: { delay: 1, shouldRetry: ({ error }) => void seen.push((error as HTTPError).status) } })
    await session(`/flaky/${key('seen')}?fail=1&status=502`, { ignoreResponseError: true })
    expect(seen).toEqual([502])
    const failure = new Error('decider broke')
    const throwing = createSession({ baseURL: server.url, retry: { shouldRetry: () => { throw failure } } })
    await expect(throwing(`/flaky/${key('throw')}?fail=1`, { ignoreResponseError: true })).rejects.toBe(failure)
    await session.close()
    await throwing.close()
  })
})

describe('per-call cookies without a jar (item 16)', () => {
  /** A factory whose cookie jars are counted, to see when the per-call jar is made. */
  function countingFactory(): { factory: ReturnType<typeof createSessionFactory>, made: () => number } {
    let made = 0
    const factory = createSessionFactory({
      ...fetchAdapter,
      layers: SESSION_LAYERS,
      createCookieJar: (option) => {
        const jar = createCookieJar(option)
        if (jar) made++
        return jar
      },
    })
    return { factory, made: () => made }
  }

  it('an adapter that owns neither redirects nor cookies and gives no layers for them is refused when its entry loads', () => {
    expect(() => createSessionFactory({ ...fetchAdapter, createCookieJar })).toThrow(/the fetch adapter neither owns redirects and cookies nor gives their layers/)
  })

  it('makes a jar for a call only when a request follows a response that set a cookie', async () => {
    const { factory, made } = countingFactory()
    await factory.$fetch(`${server.url}/redirect/2`)
    await factory.$fetch(`${server.url}/get`)
    // A Set-Cookie on the call's last response is never parsed: no request follows it.
    await factory.$fetch(`${server.url}/set-cookie`, { query: { raw: 'last=1; Path=/' } })
    expect(made()).toBe(0)
    expect((await factory.$fetch(`${server.url}/cookie-redirect/2`)).cookies).toEqual({ hop1: '1', hop2: '2' })
    expect(made()).toBe(1)
    const session = factory.createSession({ cookies: false })
    await session(`${server.url}/get`)
    expect(made()).toBe(1)
    await session(`${server.url}/cookies/set/a/1`)
    expect(made()).toBe(2)
    await session.close()
  })

  it('the 401 before a token refresh sets a cookie that the resend carries', async () => {
    await withServer((req, res) => {
      if (req.headers.authorization !== 'Bearer fresh') {
        res.writeHead(401, { 'set-cookie': 'challenge=abc; Path=/', 'content-type': 'application/json' })
        res.end('{"error":"expired"}')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }))
    }, async (url) => {
      expect(await $fetch(`${url}/me`, { auth: { bearer: 'stale', refresh: () => 'fresh' } })).toEqual({ cookie: 'challenge=abc' })
    })
  })

  it('a cookie set by one attempt applies to the retry of the same call, not to the next call', async () => {
    let attempts = 0
    await withServer((req, res) => {
      attempts++
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (attempts === 1) headers['set-cookie'] = 'try=1; Path=/'
      res.writeHead(attempts === 1 ? 503 : 200, headers)
      res.end(JSON.stringify({ cookie: req.headers.cookie ?? null }))
    }, async (url) => {
      expect(await $fetch(`${url}/`, { retry: { delay: 1 } })).toEqual({ cookie: 'try=1' })
      expect(await $fetch(`${url}/`)).toEqual({ cookie: null })
    })
  })
})

describe('ParseError edges (item 15)', () => {
  it('drops prototype-polluting keys, as ofetch did, and still parses the rest', async () => {
    const body = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "a": 1}'
    const data = await $fetch(`${server.url}/raw-body?type=application/json&body=${encodeURIComponent(body)}`)
    expect(data).toEqual({ a: 1 })
    expect(Object.prototype.hasOwnProperty.call(data, '__proto__')).toBe(false)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('ignoreResponseError does not hide a 200 whose JSON does not parse; HEAD and 204 parse nothing', async () => {
    await expect($fetch(`${server.url}/raw-body?type=application/json&body=oops`, { ignoreResponseError: true })).rejects.toBeInstanceOf(ParseError)
    expect(await $fetch(`${server.url}/raw-body?type=application/json&body=oops`, { method: 'HEAD' })).toBeUndefined()
    expect(await $fetch(`${server.url}/status/204`, { responseType: 'json' })).toBeUndefined()
    // An error status resolves with the text under ignoreResponseError.
    expect(await $fetch(`${server.url}/raw-body?status=500&type=application/json&body=oops`, { ignoreResponseError: true, retry: false })).toBe('oops')
  })

  it('no Content-Type is read leniently, as ofetch does (JSON when it parses, else the text)', async () => {
    expect(await $fetch(`${server.url}/raw-body?body=${encodeURIComponent('{"a":1}')}`)).toEqual({ a: 1 })
    expect(await $fetch(`${server.url}/raw-body?body=plain`)).toBe('plain')
  })
})

describe('native() (item 19)', () => {
  it('turns userinfo into Basic auth, as a session call does, and sends a Request as it is', async () => {
    const session = createSession({ baseURL: server.url })
    const url = new URL(server.url)
    const response = await session.native(`http://user:passwd@${url.host}/basic-auth/user/passwd`)
    expect(await response.json()).toEqual({ authenticated: true, user: 'user' })
    const request = await session.native(new Request(`${server.url}/get?r=1`))
    expect((await request.json()).args).toEqual({ r: '1' })
    const invalid = await session.native('http://[nope').catch((error: unknown) => error)
    expect(invalid).toBeInstanceOf(InvalidRequestError)
    await session.close()
  })
})

describe('decodeLocation (item 12)', () => {
  it('decodes UTF-8 bytes, keeps ASCII, text the runtime already decoded, and bytes that are not UTF-8', () => {
    const bytes = (text: string): string => String.fromCharCode(...new TextEncoder().encode(text))
    expect(decodeLocation(bytes('/ü-Straße'))).toBe('/ü-Straße')
    expect(decodeLocation('/plain?a=1')).toBe('/plain?a=1')
    expect(decodeLocation('/ü-€')).toBe('/ü-€')
    expect(decodeLocation('/\u00FC')).toBe('/\u00FC')
  })
})
