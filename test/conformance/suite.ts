/**
 * The conformance suite: one runtime-agnostic set of tests, run against the built package in
 * Node, Deno, Bun, workerd and Chromium (see `test/runtimes.test.ts`). It talks only to the local
 * test server, and uses only the harness's describe / it / expect.
 *
 * Feature tags name the rows of the README's runtime table.
 */
import type { Harness } from './harness'
import { AREAS } from './areas'

/** The package as loaded in the runtime under test (the built `dist/` of its export condition). */
export type Library = typeof import('../../src/index')

/** Where the suite runs. */
export interface SuiteEnv {
  /** `node`, `deno`, `bun`, `workerd` or `browser`. */
  runtime: string
  /** The test server, e.g. `http://127.0.0.1:PORT`. */
  base: string
  /** The same server under another host name (another site for cookies): `http://localhost:PORT`. */
  alt: string
  /** A loopback port where nothing listens. */
  closedPort: number
  /** True in a browser: the browser owns cookies and redirects. */
  browser: boolean
  /** The test forward proxy (`http://127.0.0.1:PORT`); its `/__stats` tells what went through it. */
  proxy?: string
  /** A test proxy that answers 407 unless given `user:secret` (`http://127.0.0.1:PORT`, no credentials in it); its `/__stats` counts the refusals. */
  authProxy?: string
  /** An https test server whose certificate is signed by `ca` (not trusted by default). */
  https?: string
  /** The PEM of the CA that signed `https`'s certificate. */
  ca?: string
  /** The package under test. */
  lib: Library
}

/** Features, as named in the README's runtime table. */
export const FEATURES = {
  cookies: 'cookie jar across redirect hops',
  perSite: 'cookies kept per site',
  browserCookies: 'browser cookies (credentials: include)',
  headers: 'live default headers',
  redirects: 'redirects followed by the session (method rules, credential stripping)',
  retry: 'retry policy with Retry-After',
  deadlines: 'deadlines (total and per attempt, body included)',
  abort: 'caller abort',
  errors: 'typed errors',
  reuse: 'connection reuse',
  close: 'close() and await using',
  transport: 'transport options (proxy, tls, pool)',
  refusal: 'clear error for transport options the runtime cannot honour',
  uploadProgress: 'upload progress (onUploadProgress), every body kind',
  resume: 'download resume (Range + If-Range), never spliced',
  schema: 'Standard Schema validation (schema)',
  paginate: 'pagination (paginate(), Link rel="next")',
} as const

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function caught(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await promise
  }
  catch (error) {
    return error as Error & Record<string, any>
  }
  throw new Error('expected the call to reject, but it resolved')
}

/** Registers the suite's tests on the harness. */
export function defineSuite(harness: Harness, env: SuiteEnv): void {
  const { describe, it, skip, expect } = harness
  const { lib, base, alt } = env
  const { createSession, $fetch } = lib
  const tools = createTools(harness, env)
  const { key, serverOnly } = tools

  describe('cookies', () => {
    serverOnly('keeps the cookie of every redirect hop', [FEATURES.cookies], async () => {
      const session = createSession({ baseURL: base })
      const response = await session.raw('/cookie-redirect/3')
      expect(response._data.cookies).toEqual({ hop1: '1', hop2: '2', hop3: '3' })
      expect(response.history!.length).toBe(3)
      expect(response.url).toBe(`${base}/cookies`)
      await session.close()
    })

    serverOnly('stateless $fetch keeps no cookie; a session does', [FEATURES.cookies], async () => {
      await $fetch(`${base}/cookies/set/sessioncookie/123456789`)
      expect(await $fetch(`${base}/cookies`)).toEqual({ cookies: {} })
      const session = createSession()
      await session(`${base}/cookies/set/sessioncookie/123456789`)
      expect(await session(`${base}/cookies`)).toEqual({ cookies: { sessioncookie: '123456789' } })
      expect(await session.cookies!.getCookieString(base)).toBe('sessioncookie=123456789')
      await session.close()
    })

    serverOnly('keeps cookies per site (127.0.0.1 and localhost are two sites)', [FEATURES.perSite], async () => {
      const session = createSession()
      await session(`${base}/cookies/set/site/ipv4`)
      await session(`${alt}/cookies/set/site/name`)
      expect((await session(`${base}/cookies`)).cookies).toEqual({ site: 'ipv4' })
      expect((await session(`${alt}/cookies`)).cookies).toEqual({ site: 'name' })
      await session.close()
    })

    serverOnly('a hostile Set-Cookie never breaks the response', [FEATURES.cookies], async () => {
      const session = createSession({ baseURL: base })
      const raw = ['ps=1; Domain=com; Path=/', 'foreign=1; Domain=example.org', 'garbage', '=x', 'good=1; Path=/']
      const response = await session('/set-cookie', { method: 'POST', body: raw })
      expect(response).toEqual({ set: 5 })
      expect((await session('/cookies')).cookies).toEqual({ good: '1' })
      await session.close()
    })

    if (env.browser) {
      it('the browser keeps and sends back the cookies the server set (credentials: include)', [FEATURES.browserCookies], async () => {
        const session = createSession({ baseURL: base })
        expect(session.cookies).toBeUndefined()
        const name = key('bc').replace(/-/g, '')
        await session(`/cookies/set/${name}/yes`)
        expect((await session('/cookies')).cookies[name]).toBe('yes')
        await session.close()
      })
      it('sends credentials on cross-origin calls (CORS with credentials)', [FEATURES.browserCookies], async () => {
        const session = createSession({ baseURL: alt })
        const echoed = await session('/headers', { headers: { 'x-cross': '1' } })
        expect(echoed.headers['x-cross']).toBe('1')
        expect(echoed.headers.origin).toBe(base)
        await session.close()
      })
    }
  })

  describe('headers', () => {
    it('session.headers is live and merged case-insensitively', [FEATURES.headers], async () => {
      const session = createSession({ baseURL: base, headers: { 'X-Seed': 'options' } })
      session.headers.set('X-Agent', 'My Web Scraper 1.0')
      const first = await session('/headers')
      expect(first.headers['x-agent']).toBe('My Web Scraper 1.0')
      expect(first.headers['x-seed']).toBe('options')
      session.headers.delete('x-seed')
      const second = await session('/headers', { headers: { 'x-AGENT': 'override' } })
      expect(second.headers['x-seed']).toBeUndefined()
      expect(second.headers['x-agent']).toBe('override')
      expect(session.headers.get('x-agent')).toBe('My Web Scraper 1.0')
      await session.close()
    })
  })

  describe('redirects', () => {
    serverOnly('strips Authorization and Cookie on a hop to another origin, keeps them on the same origin', [FEATURES.redirects], async () => {
      const session = createSession({ headers: { Authorization: 'Bearer secret' } })
      const same = await session(`${base}/redirect-to?url=${encodeURIComponent('/headers')}`, { headers: { Cookie: 'mine=1' } })
      expect(same.headers.authorization).toBe('Bearer secret')
      expect(same.headers.cookie).toBe('mine=1')
      const cross = await session(`${base}/redirect-to?url=${encodeURIComponent(`${alt}/headers`)}`, { headers: { CoOkIe: 'mine=1' } })
      expect(cross.headers.authorization).toBeUndefined()
      expect(cross.headers.cookie).toBeUndefined()
      await session.close()
    })

    serverOnly('303 after POST becomes a GET without body; 307 keeps method and body', [FEATURES.redirects], async () => {
      const session = createSession({ baseURL: base })
      const seeOther = await session(`/redirect-to?url=${encodeURIComponent('/anything')}&status_code=303`, { method: 'POST', body: { a: 1 } })
      expect(seeOther.method).toBe('GET')
      expect(seeOther.body).toBe('')
      const temporary = await session(`/redirect-to?url=${encodeURIComponent('/anything')}&status_code=307`, { method: 'POST', body: { a: 1 } })
      expect(temporary.method).toBe('POST')
      expect(temporary.json).toEqual({ a: 1 })
      await session.close()
    })

    serverOnly('refuses more than maxRedirects with a RedirectError', [FEATURES.redirects, FEATURES.errors], async () => {
      const session = createSession({ baseURL: base, maxRedirects: 3 })
      const error = await caught(session('/redirect/4'))
      expect(error).toBeInstanceOf(lib.RedirectError)
      expect(error.name).toBe('RedirectError')
      expect(error.message).toMatch('too many redirects')
      await session.close()
    })

    if (env.browser) {
      it('the browser follows redirects itself', [FEATURES.redirects], async () => {
        const session = createSession({ baseURL: base })
        const data = await session('/redirect/2')
        expect(data.method).toBe('GET')
        await session.close()
      })
      it('redirect: \'error\' rejects with a RedirectError, not a (retried) network error', [FEATURES.redirects, FEATURES.errors], async () => {
        const session = createSession({ baseURL: base })
        const id = key('redirect-error')
        const error = await caught(session(`/redirect-to?key=${id}&url=${encodeURIComponent('/get')}`, { redirect: 'error' }))
        expect(error).toBeInstanceOf(lib.RedirectError)
        expect(error.code).toBe('ERR_REDIRECT_MODE')
        expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(1)
        await session.close()
      })
    }
  })

  describe('retry', () => {
    it('retries a 503 with Retry-After: 1, waiting about a second', [FEATURES.retry], async () => {
      const session = createSession({ baseURL: base })
      const attempts: number[] = []
      const started = Date.now()
      const data = await session(`/flaky/${key('ra')}?fail=1&status=503&retry_after=1`, { onRetry: ({ attempt }) => void attempts.push(attempt) })
      const elapsed = Date.now() - started
      expect(data.attempts).toBe(2)
      expect(attempts).toEqual([2])
      expect(elapsed).toBeGreaterThanOrEqual(900)
      expect(elapsed).toBeLessThan(3000)
      await session.close()
    })

    it('does not retry a POST; does not wait for a Retry-After beyond maxRetryAfter', [FEATURES.retry], async () => {
      const session = createSession({ baseURL: base, retry: { maxRetryAfter: 1000 } })
      const post = await caught(session(`/flaky/${key('post')}?fail=1`, { method: 'POST', body: 'x' }))
      expect(post.status).toBe(503)
      const started = Date.now()
      const long = await caught(session(`/flaky/${key('long')}?fail=1&status=429&retry_after=30`))
      expect(long.status).toBe(429)
      expect(Date.now() - started).toBeLessThan(1000)
      await session.close()
    })
  })

  describe('deadlines', () => {
    it('timeout: a number is the deadline of the whole call', [FEATURES.deadlines, FEATURES.errors], async () => {
      const session = createSession({ baseURL: base, timeout: 200 })
      const started = Date.now()
      const error = await caught(session('/hang'))
      expect(error).toBeInstanceOf(lib.TimeoutError)
      expect(error).toBeInstanceOf(lib.FetchError)
      expect(error.name).toBe('TimeoutError')
      expect(error.phase).toBe('total')
      expect(Date.now() - started).toBeLessThan(1500)
      await session.close()
    })

    it('the deadline covers reading the body', [FEATURES.deadlines], async () => {
      const session = createSession({ baseURL: base, timeout: 300 })
      const started = Date.now()
      const error = await caught(session('/trickle?chunks=100&interval=50'))
      expect(error.name).toBe('TimeoutError')
      expect(Date.now() - started).toBeLessThan(2000)
      await session.close()
    })

    it('an attempt that passes its own deadline is retried', [FEATURES.deadlines, FEATURES.retry], async () => {
      const session = createSession({ baseURL: base, timeout: { attempt: 300, total: 5000 }, retry: { delay: 1 } })
      const data = await session(`/flaky/${key('hang')}?fail=1&mode=hang`)
      expect(data.attempts).toBe(2)
      await session.close()
    })
  })

  describe('abort', () => {
    it('the caller\'s signal aborts with AbortError, and no retry follows', [FEATURES.abort, FEATURES.errors], async () => {
      const session = createSession({ baseURL: base, retry: { limit: 5, delay: 1000 } })
      const controller = new AbortController()
      setTimeout(() => controller.abort(), 150)
      const id = key('abort')
      const started = Date.now()
      const error = await caught(session(`/flaky/${id}?fail=10`, { signal: controller.signal }))
      expect(error).toBeInstanceOf(lib.AbortError)
      expect(error.name).toBe('AbortError')
      expect(Date.now() - started).toBeLessThan(900)
      await sleep(100)
      const hits = await $fetch(`${base}/__hits/${id}`)
      expect(hits.hits).toBe(1)
      await session.close()
    })
  })

  describe('errors', () => {
    it('HTTPError for status >= 400, with status, data and the ofetch message', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      const error = await caught(session('/status/404'))
      expect(error).toBeInstanceOf(lib.HTTPError)
      expect(error).toBeInstanceOf(lib.FetchError)
      expect(error.status).toBe(404)
      expect(error.data).toEqual({ status: 404 })
      expect(error.message).toBe(`[GET] "${base}/status/404": 404 Not Found`)
      await session.close()
    })

    it('NetworkError when nothing listens', [FEATURES.errors], async () => {
      const session = createSession({ retry: false })
      const error = await caught(session(`http://127.0.0.1:${env.closedPort}/`))
      expect(error).toBeInstanceOf(lib.NetworkError)
      expect(error).toBeInstanceOf(lib.FetchError)
      expect(error.name).toBe('NetworkError')
      expect(error.cause).toBeDefined()
      await session.close()
    })
  })

  describe('connections', () => {
    serverOnly('reuses connections: 8 sequential calls on one session use at most 2', [FEATURES.reuse], async () => {
      const session = createSession({ baseURL: base })
      const ids = new Set<number>()
      for (let index = 0; index < 8; index++) ids.add((await session('/conn')).connection)
      expect(ids.size).toBeLessThanOrEqual(2)
      await session.close()
    }, 'the browser\'s connection pool is its own: a page cannot see which connection a request used')

    it('close() refuses later calls with SessionClosedError; await using closes', [FEATURES.close, FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      await session('/get')
      await session.close()
      expect(session.closed).toBe(true)
      const error = await caught(session('/get'))
      expect(error).toBeInstanceOf(lib.SessionClosedError)
      expect(error.message).toMatch('the session is closed')
      let outer: { closed: boolean } | undefined
      {
        await using scoped = createSession({ baseURL: base })
        outer = scoped
        await scoped('/get')
      }
      expect(outer!.closed).toBe(true)
    })

    if (env.runtime === 'workerd' || env.browser) {
      it('refuses transport options it cannot honour, naming the option and the runtime', [FEATURES.refusal], () => {
        let error: (Error & { option?: string, runtime?: string }) | undefined
        try {
          createSession({ proxy: 'http://127.0.0.1:9' })
        }
        catch (caughtError) {
          error = caughtError as Error
        }
        expect(error).toBeInstanceOf(lib.UnsupportedOptionError)
        expect(error!.option).toBe('proxy')
        expect(error!.message).toMatch(env.browser ? 'browsers' : 'workerd')
      })
    }

    if (env.runtime === 'deno' || env.runtime === 'bun') {
      it('refuses the transport options it cannot honour, naming the option and the runtime', [FEATURES.refusal], () => {
        const bypass = { proxy: { url: 'http://127.0.0.1:9', noProxy: 'localhost' } }
        const cannot: Array<[object, string]> = env.runtime === 'deno'
          ? [[{ proxy: false }, 'proxy'], [bypass, 'proxy'], [{ tls: { rejectUnauthorized: false } }, 'tls.rejectUnauthorized'], [{ pool: { connections: 2 } }, 'pool.connections']]
          : [[{ http2: true }, 'http2'], [bypass, 'proxy'], [{ pool: { connections: 2 } }, 'pool.connections']]
        for (const [options, option] of cannot) {
          let error: (Error & { option?: string, runtime?: string }) | undefined
          try {
            createSession(options)
          }
          catch (caughtError) {
            error = caughtError as Error
          }
          expect(error).toBeInstanceOf(lib.UnsupportedOptionError)
          expect(error!.option).toBe(option)
          expect(error!.runtime).toBe(env.runtime)
          expect(error!.message).toMatch(`not supported on ${env.runtime}`)
        }
      })
    }
  })

  if (env.proxy && env.https && env.ca) {
    const { proxy, https, ca } = env
    const stats = (): Promise<{ forwarded: string[], connects: string[] }> => $fetch(`${proxy}/__stats`)
    describe('transport', () => {
      it('sends the session\'s requests through `proxy` (the proxy counts them)', [FEATURES.transport], async () => {
        const before = await stats()
        const session = createSession({ proxy })
        const id = key('proxied')
        const data = await session(`${base}/get?key=${id}`)
        expect(data.args.key).toBe(id)
        const after = await stats()
        const forwarded = after.forwarded.some(line => line.includes(id))
        const tunnelled = after.connects.length > before.connects.length
        expect(forwarded || tunnelled).toBe(true)
        await session.close()
      })

      it('refuses a certificate from an unknown CA by default, accepts it with tls.ca', [FEATURES.transport, FEATURES.errors], async () => {
        const strict = createSession({ retry: false })
        const error = await caught(strict(`${https}/get`))
        expect(error).toBeInstanceOf(lib.NetworkError)
        await strict.close()
        const trusting = createSession({ tls: { ca } })
        expect((await trusting(`${https}/get`)).method).toBe('GET')
        await trusting.close()
      })

      it('tls.rejectUnauthorized: false accepts it, or is refused at createSession() where the runtime cannot', [FEATURES.transport], async () => {
        let session
        try {
          session = createSession({ tls: { rejectUnauthorized: false } })
        }
        catch (error) {
          expect(error).toBeInstanceOf(lib.UnsupportedOptionError)
          expect((error as Error).message).toMatch(env.runtime)
          return
        }
        expect((await session(`${https}/get`)).method).toBe('GET')
        await session.close()
      })

      it('reaches an https server through the proxy (CONNECT)', [FEATURES.transport], async () => {
        const before = await stats()
        const session = createSession({ proxy, tls: { ca } })
        expect((await session(`${https}/get`)).method).toBe('GET')
        const after = await stats()
        expect(after.connects.length).toBeGreaterThan(before.connects.length)
        await session.close()
      })

      it('accepts pool options and closes its pool', [FEATURES.transport, FEATURES.close], async () => {
        // Deno and Bun cap idle connections only, so they refuse `pool.connections` (tested above).
        const capsIdleOnly = env.runtime === 'deno' || env.runtime === 'bun'
        const session = createSession({ baseURL: base, pool: capsIdleOnly ? { keepAliveTimeout: 2000 } : { connections: 2, keepAliveTimeout: 2000 } })
        const results = await Promise.all([1, 2, 3, 4].map(() => session('/conn')))
        expect(results.length).toBe(4)
        await session.close()
      })
    })
  }

  // Areas of their own (test/conformance/areas/*.ts), each registered in areas.ts.
  for (const define of AREAS) define(harness, env, tools)
}

/** What every area of the suite shares. */
export interface SuiteTools {
  /** A key unique to this run, for the server's per-key counters (`?key=`, `/flaky/:key`). */
  key: (name: string) => string
  /** `it()` everywhere but in browsers, where the browser owns cookies and redirects. */
  serverOnly: (name: string, features: string[], fn: () => unknown, reason?: string) => void
  /** The error a promise rejects with (fails when it resolves). */
  caught: (promise: Promise<unknown>) => Promise<Error & Record<string, any>>
  sleep: (ms: number) => Promise<void>
}

/** An area of the suite: registers its tests on the harness. */
export type SuiteArea = (harness: Harness, env: SuiteEnv, tools: SuiteTools) => void

function createTools({ it, skip }: Harness, env: SuiteEnv): SuiteTools {
  const unique = `${env.runtime}-${Math.random().toString(36).slice(2, 8)}`
  let counter = 0
  return {
    key: (name: string): string => `${unique}-${name}-${++counter}`,
    serverOnly: (name, features, fn, reason = 'in browsers the browser owns cookies and redirects (Set-Cookie is unreadable, redirect: "manual" is opaque)'): void => {
      if (env.browser) skip(name, features, reason)
      else it(name, features, fn)
    },
    caught,
    sleep,
  }
}
