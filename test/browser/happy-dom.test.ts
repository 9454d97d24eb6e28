// @vitest-environment happy-dom
/**
 * Fast unit tests of the browser adapter (src/adapters/browser.ts, from source) under happy-dom.
 *
 * What is real: the local test server (node:http, loopback) and every request it answers; the
 * engine (retries, deadlines, errors) runs unchanged.
 * What is emulated: the "browser". `fetch`, `Headers`, `AbortController`, `location` and the
 * cookie jar are happy-dom's: its fetch sends real HTTP to the server and keeps cookies like a
 * browser (credentials rules, no Set-Cookie for scripts), but it is not Chromium: it shows 3xx
 * responses to `redirect: 'manual'` where a browser gives an opaque one, and its errors are
 * DOMExceptions. Where a test records the init the adapter hands to fetch, it wraps the real
 * fetch with a spy (the request still goes out). The real-browser run is
 * test/runtimes/browser.test.ts (Chromium). Like a browser's, happy-dom's console prints the
 * failed requests and 4xx/5xx answers these tests provoke on purpose; this file captures that
 * console (so that the run stays quiet) and checks, at the end, that it printed those and nothing else.
 */
import nodeConsole from 'node:console'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { $fetch, createSession, FetchError, RedirectError, UnsupportedOptionError } from '../../src/adapters/browser'
import type { Fetch } from '../../src/types'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { closedPort } from '../runtimes/common'

interface HappyDOMWindow {
  happyDOM: { setURL: (url: string) => void }
}

let server: TestServer
/** The page's URL: relative URLs of a session without `baseURL` resolve against it. */
let pageURL: string

/** What happy-dom's page console printed (vitest hands it Node's own console, not the test's). */
const printed: string[] = []

beforeAll(async () => {
  vi.spyOn(nodeConsole, 'error').mockImplementation((...args: unknown[]) => {
    printed.push(args.map(arg => arg instanceof Error ? `${arg.name}: ${arg.message}` : String(arg)).join(' '))
  })
  server = await startServer()
  pageURL = `${server.url}/anything/app/page.html`
  ;(globalThis as unknown as HappyDOMWindow).happyDOM.setURL(pageURL)
})
afterAll(async () => {
  vi.mocked(nodeConsole.error).mockRestore()
  await server.close()
  // Exactly what the tests below provoke: two 503s then a 200 (retries), a POST's 503, three
  // refused connections (a retried network error), three requests aborted on /hang (two
  // deadlines and a caller's abort), a 404, and a 302 refused by redirect: 'error'.
  const seen = printed.map(line => line.replaceAll(server.url, 'SERVER').replace(/127\.0\.0\.1:\d+/g, 'CLOSED_PORT')).sort()
  expect(seen).toEqual([
    'Error: connect ECONNREFUSED CLOSED_PORT',
    'Error: connect ECONNREFUSED CLOSED_PORT',
    'Error: connect ECONNREFUSED CLOSED_PORT',
    'Error: socket hang up',
    'Error: socket hang up',
    'Error: socket hang up',
    'GET SERVER/flaky/hd-retry?fail=2&status=503&retry_after=0 503 (Service Unavailable)',
    'GET SERVER/flaky/hd-retry?fail=2&status=503&retry_after=0 503 (Service Unavailable)',
    'GET SERVER/redirect-to?key=hd-redirect&url=%2Fget 302 (Found)',
    'GET SERVER/status/404 404 (Not Found)',
    'POST SERVER/flaky/hd-post?fail=1 503 (Service Unavailable)',
  ])
})
afterEach(() => {
  vi.unstubAllGlobals()
})

async function caught(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise
  }
  catch (error) {
    return error as Error & Record<string, any>
  }
  throw new Error('expected the call to reject, but it resolved')
}

/** A spy around the real fetch: records each init, then sends the request. */
function recordingFetch(): { fetch: Fetch, inits: RequestInit[] } {
  const inits: RequestInit[] = []
  const real = globalThis.fetch
  return {
    inits,
    fetch: (input, init) => {
      inits.push({ ...init })
      return real(input, init)
    },
  }
}

describe('browser adapter (happy-dom)', () => {
  it('runs in happy-dom, against the test server', () => {
    expect(location.href).toBe(pageURL)
    expect(typeof (globalThis as unknown as HappyDOMWindow).happyDOM.setURL).toBe('function')
  })

  describe('credentials', () => {
    it('a session sends credentials: \'include\' on every call; the caller may override it', async () => {
      const spy = recordingFetch()
      const session = createSession({ baseURL: server.url, fetch: spy.fetch })
      await session('/get')
      await session.post('/post', { body: { a: 1 } })
      expect(spy.inits.map(init => init.credentials)).toEqual(['include', 'include'])
      await session('/get', { credentials: 'omit' })
      expect(spy.inits[2]!.credentials).toBe('omit')
      await session.close()
    })

    it('a session created with extend() keeps credentials: \'include\'', async () => {
      const spy = recordingFetch()
      const session = createSession({ baseURL: server.url, fetch: spy.fetch })
      const child = session.extend({ headers: { 'x-child': '1' } })
      expect((await child('/headers')).headers['x-child']).toBe('1')
      expect(spy.inits[0]!.credentials).toBe('include')
      await session.close()
    })

    it('stateless $fetch sends credentials only when asked', async () => {
      const spy = recordingFetch()
      vi.stubGlobal('fetch', spy.fetch)
      await $fetch(`${server.url}/get`)
      await $fetch(`${server.url}/get`, { credentials: 'include' })
      expect(spy.inits.map(init => init.credentials)).toEqual([undefined, 'include'])
    })

    it('credentials: \'include\' on the wire: a cross-origin cookie is stored and sent back (CORS with credentials)', async () => {
      // The page is on 127.0.0.1; localhost is another origin. Without credentials the browser
      // (happy-dom) neither stores the cookie of a cross-origin response nor sends one.
      const session = createSession({ baseURL: server.altUrl })
      await session('/cookies/set/crossorigin/1')
      const seen = await session('/headers')
      expect(seen.headers.origin).toBe(server.url)
      expect((await session('/cookies')).cookies.crossorigin).toBe('1')
      expect((await session('/cookies', { credentials: 'same-origin' })).cookies.crossorigin).toBeUndefined()
      expect((await $fetch(`${server.altUrl}/cookies`)).cookies.crossorigin).toBeUndefined()
      await session.close()
    })

    it('the browser\'s jar (happy-dom\'s here) keeps the cookies the server set and sends them back', async () => {
      const session = createSession({ baseURL: server.url })
      await session('/cookies/set/hdcookie/yes')
      expect((await session('/cookies')).cookies.hdcookie).toBe('yes')
      await session('/cookies/delete?hdcookie')
      expect((await session('/cookies')).cookies.hdcookie).toBeUndefined()
      await session.close()
    })
  })

  describe('cookies', () => {
    it('session.cookies is undefined: no jar, whatever the cookies option', async () => {
      for (const cookies of [undefined, true, false] as const) {
        const session = createSession({ cookies })
        expect(session.cookies).toBeUndefined()
        await session.close()
      }
    })
  })

  describe('URLs', () => {
    it('relative URLs resolve against location', async () => {
      const session = createSession()
      const relative = await session('data?x=1')
      expect(relative.path).toBe('/anything/app/data')
      expect(relative.args).toEqual({ x: '1' })
      expect((await session('/get')).url).toBe(`${server.url}/get`)
      await session.close()
    })

    it('baseURL still wins over location', async () => {
      const session = createSession({ baseURL: `${server.url}/anything/api/` })
      expect((await session('items')).path).toBe('/anything/api/items')
      await session.close()
    })
  })

  describe('transport options', () => {
    it.each([
      ['proxy', { proxy: 'http://127.0.0.1:9' }],
      ['tls', { tls: { rejectUnauthorized: false } }],
      ['pool', { pool: { connections: 2 } }],
      ['http2', { http2: true }],
    ] as const)('refuses `%s` at createSession(), naming the option and the runtime', (option, options) => {
      let error: UnsupportedOptionError | undefined
      try {
        createSession(options)
      }
      catch (caughtError) {
        error = caughtError as UnsupportedOptionError
      }
      expect(error).toBeInstanceOf(UnsupportedOptionError)
      expect(error).toBeInstanceOf(FetchError)
      expect(error!.option).toBe(option)
      expect(error!.runtime).toBe('browser')
      expect(error!.message).toMatch(`the \`${option}\` option is not supported on browsers`)
    })

    it('accepts the options that ask for nothing (proxy: false, http2: false)', async () => {
      const session = createSession({ proxy: false, http2: false })
      await session.close()
    })

    it('refuses transport options on mount() too', async () => {
      const session = createSession()
      expect(() => session.mount(server.url, { tls: { ca: 'x' } })).toThrow(UnsupportedOptionError)
      await session.close()
    })
  })

  describe('retries', () => {
    it('retries a 503 on GET, honouring Retry-After', async () => {
      const session = createSession({ baseURL: server.url, retry: { limit: 3, delay: 1 } })
      const attempts: number[] = []
      const data = await session(`/flaky/hd-retry?fail=2&status=503&retry_after=0`, { onRetry: ({ attempt }) => void attempts.push(attempt) })
      expect(data.attempts).toBe(3)
      expect(attempts).toEqual([2, 3])
      await session.close()
    })

    it('does not retry a POST', async () => {
      const session = createSession({ baseURL: server.url, retry: { limit: 3, delay: 1 } })
      const error = await caught(session('/flaky/hd-post?fail=1', { method: 'POST', body: 'x' }))
      expect(error.status).toBe(503)
      expect(server.hits('hd-post')).toBe(1)
      await session.close()
    })

    it('retries a network error (nothing listens) and then rejects with NetworkError', async () => {
      const session = createSession({ retry: { limit: 2, delay: 1 } })
      const retries: string[] = []
      const error = await caught(session(`http://127.0.0.1:${await closedPort()}/`, { onRetry: ({ error: cause }) => void retries.push(cause.name) }))
      expect(error.name).toBe('NetworkError')
      expect(retries).toEqual(['NetworkError', 'NetworkError'])
      await session.close()
    })
  })

  describe('deadlines', () => {
    it('timeout: a number is the deadline of the whole call', async () => {
      const session = createSession({ baseURL: server.url, timeout: 150 })
      const started = Date.now()
      const error = await caught(session('/hang'))
      expect(error.name).toBe('TimeoutError')
      expect(error.phase).toBe('total')
      expect(Date.now() - started).toBeLessThan(1500)
      await session.close()
    })

    it('an attempt that passes its own deadline is retried', async () => {
      const session = createSession({ baseURL: server.url, timeout: { attempt: 150, total: 5000 }, retry: { delay: 1 } })
      const data = await session('/flaky/hd-hang?fail=1&mode=hang')
      expect(data.attempts).toBe(2)
      await session.close()
    })

    it('the caller\'s signal aborts with AbortError, not retried', async () => {
      const session = createSession({ baseURL: server.url, retry: { limit: 3, delay: 1 } })
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 100)
      const error = await caught(session('/hang', { signal: controller.signal }))
      expect(error.name).toBe('AbortError')
      await session.close()
    })
  })

  describe('errors', () => {
    it('HTTPError for status >= 400', async () => {
      const session = createSession({ baseURL: server.url })
      const error = await caught(session('/status/404'))
      expect(error.name).toBe('HTTPError')
      expect(error.status).toBe(404)
      expect(error.data).toEqual({ status: 404 })
      await session.close()
    })

    it('redirect: \'error\' rejects with a RedirectError and is not retried', async () => {
      const session = createSession({ baseURL: server.url })
      const error = await caught(session(`/redirect-to?key=hd-redirect&url=${encodeURIComponent('/get')}`, { redirect: 'error' }))
      expect(error).toBeInstanceOf(RedirectError)
      expect(error.code).toBe('ERR_REDIRECT_MODE')
      expect(error.message).toMatch('redirect to "/get" refused')
      expect(server.hits('hd-redirect')).toBe(1)
      await session.close()
    })

    it('redirects are followed by the platform\'s fetch', async () => {
      const session = createSession({ baseURL: server.url })
      expect((await session('/redirect/2')).url).toBe(`${server.url}/get`)
      await session.close()
    })

    it('close() refuses later calls', async () => {
      const session = createSession({ baseURL: server.url })
      await session.close()
      expect((await caught(session('/get'))).name).toBe('SessionClosedError')
    })
  })
})
