/**
 * What the README says where requests and the fetch world differ ("Choices where requests and
 * the fetch world differ", and the words of "Retries" and "Errors"), shown on each runtime: HEAD
 * follows redirects, a string body is labelled JSON, `response.ok` is fetch's 2xx, a quoted
 * cookie value keeps its quotes, a `Host` header is the platform's, a GET body
 * is refused; TRACE is not retried (Node's, Deno's and browsers' fetch refuse it), retry
 * delays are whole milliseconds, the secret query parameters are redacted in messages, and a
 * cookie store that fails rejects the call.
 */
import type { SuiteArea } from '../suite'

/** Today's list of query parameters whose values messages print as `REDACTED` (README "Errors"). */
const SECRET_PARAMS = [
  'access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'api-key', 'apikey', 'key',
  'password', 'passwd', 'pwd', 'secret', 'client_secret', 'signature', 'sig', 'X-Amz-Signature',
  'X-Amz-Credential', 'X-Amz-Security-Token', 'auth', 'authorization', 'session', 'session_id',
  'sessionid', 'sid', 'code',
]

export const choices: SuiteArea = ({ describe, it, expect }, env, { key, serverOnly, caught }) => {
  const { lib, base, runtime } = env
  const { createSession, $fetch } = lib

  describe('choices where requests and the fetch world differ', () => {
    it('HEAD follows redirects (requests\' head() does not)', [], async () => {
      const session = createSession({ baseURL: base })
      const response = await session.raw('/redirect/1', { method: 'HEAD' })
      expect(response.status).toBe(200)
      expect(response.url).toBe(`${base}/get`)
      if (!env.browser) expect(response.history!.map(hop => hop.status)).toEqual([302])
      await session.close()
    })

    it('a string body is sent as is, labelled application/json unless you give a Content-Type (ofetch)', [], async () => {
      const session = createSession({ baseURL: base })
      const labelled = await session('/anything', { method: 'POST', body: 'hello' })
      expect(labelled.body).toBe('hello')
      expect(labelled.headers['content-type']).toBe('application/json')
      const own = await session('/anything', { method: 'POST', body: 'a=1', headers: { 'Content-Type': 'text/plain' } })
      expect(own.body).toBe('a=1')
      expect(own.headers['content-type']).toBe('text/plain')
      await session.close()
    })

    it('response.ok is fetch\'s: true for 2xx only (requests\' ok is true below 400)', [], async () => {
      const session = createSession({ baseURL: base })
      const notModified = await session.raw('/status/304')
      expect(notModified.status).toBe(304)
      expect(notModified.ok).toBe(false)
      expect((await session.raw('/status/201')).ok).toBe(true)
      await session.close()
    })

    serverOnly('response.ok is false for a redirect returned by redirect: \'manual\'', [], async () => {
      const session = createSession({ baseURL: base })
      const redirect = await session.raw('/redirect/1', { redirect: 'manual' })
      expect(redirect.status).toBe(302)
      expect(redirect.ok).toBe(false)
      await session.close()
    })

    serverOnly('a quoted cookie value keeps its quotes, in the jar and on the wire (RFC 6265)', [], async () => {
      const session = createSession({ baseURL: base })
      await session('/set-cookie', { query: { raw: 'quoted="a b"; Path=/' } })
      expect((await session('/headers')).headers.cookie).toBe('quoted="a b"')
      expect((await session.cookies!.getCookies(base)).map(cookie => cookie.value)).toEqual(['"a b"'])
      await session.close()
    })

    it('a Host header is the platform\'s, from the URL, on every runtime', [], async () => {
      const session = createSession({ baseURL: base })
      const echoed = await session('/headers', { headers: { Host: 'other.example' } })
      const stateless = await $fetch(`${base}/headers`, { headers: { Host: 'other.example' } })
      const expected = new URL(base).host
      expect(echoed.headers.host).toBe(expected)
      expect(stateless.headers.host).toBe(expected)
      await session.close()
    })

    it('a GET or HEAD body is refused before anything is sent: InvalidRequestError (fetch; requests sends it)', [], async () => {
      const session = createSession({ baseURL: base })
      const id = key('get-body')
      for (const method of ['GET', 'HEAD']) {
        const error = await caught(session(`/anything?key=${id}`, { method, body: 'x' }))
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch(/GET(\/| or )HEAD method cannot have (a )?body/)
      }
      const object = await caught(session(`/anything?key=${id}`, { body: { a: 1 } }))
      expect(object).toBeInstanceOf(lib.InvalidRequestError)
      expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(0)
      await session.close()
    })
  })

  describe('what the README says of retries and messages', () => {
    it('TRACE is not retried by default; Node\'s, Deno\'s and browsers\' fetch refuse to send it', [], async () => {
      expect(lib.DEFAULT_RETRY_METHODS).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
      const session = createSession({ baseURL: base, retry: { limit: 2, delay: 1 } })
      const id = key('trace')
      const error = await caught(session(`/flaky/${id}?fail=1`, { method: 'TRACE' }))
      if (runtime === 'bun' || runtime === 'workerd') {
        // Bun and workerd send TRACE: the 503 comes back at once.
        expect(error).toBeInstanceOf(lib.HTTPError)
        expect(error.status).toBe(503)
        expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(1)
      }
      else {
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch(/TRACE|forbidden/i)
        expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(0)
      }
      await session.close()
    })

    it('onRetry and shouldRetry get the delay in whole milliseconds', [], async () => {
      const delays: number[] = []
      const proposed: number[] = []
      const session = createSession({
        baseURL: base,
        retry: { limit: 2, delay: 10, jitter: delay => delay / 3, shouldRetry: ({ delay }) => void proposed.push(delay) },
        onRetry: ({ delay }) => void delays.push(delay),
      })
      await session(`/flaky/${key('delays')}?fail=2`)
      expect(delays).toEqual([3, 7])
      expect(proposed).toEqual([3, 7])
      await session.close()
    })

    it('messages print today\'s secret query parameters as REDACTED, whatever their case', [], async () => {
      const query = SECRET_PARAMS.map((name, index) => `${index % 2 ? name.toUpperCase() : name}=leak${index}`).join('&')
      const error = await caught($fetch(`${base}/status/404?page=2&${query}`, { retry: false }))
      expect(error).toBeInstanceOf(lib.HTTPError)
      expect(error.message).not.toMatch(/leak\d/)
      expect(error.message).toContain('page=2')
      for (const [index, name] of SECRET_PARAMS.entries()) {
        expect(error.message).toContain(`${index % 2 ? name.toUpperCase() : name}=REDACTED`)
      }
    })
  })

  describe('what the README says of cookie stores', () => {
    serverOnly('a cookie store that fails rejects the call with a CookieStoreError (its error as cause), before anything is sent', [], async () => {
      // A third-party tough-cookie Store whose backend is down.
      const failure = new Error('connection to the cookie backend lost')
      const fail = (...args: unknown[]): unknown => {
        const callback = args.at(-1)
        if (typeof callback === 'function') return void callback(failure)
        return Promise.reject(failure)
      }
      const session = createSession({ baseURL: base, cookies: { findCookie: fail, findCookies: fail, putCookie: fail, removeCookie: fail } })
      const id = key('broken-store')
      const error = await caught(session(`/get?key=${id}`))
      expect(error).toBeInstanceOf(lib.CookieStoreError)
      expect(error).toBeInstanceOf(lib.FetchError)
      expect(error.code).toBe('ERR_COOKIE_STORE_IO')
      expect(error.cause).toBe(failure)
      expect(error.message).toMatch('the cookie store failed: connection to the cookie backend lost')
      expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(0)
      await session.close().catch(() => {})
    })
  })
}
