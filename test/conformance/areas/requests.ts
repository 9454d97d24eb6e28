/**
 * Requests as a user builds them, and what comes back: per-request options that cannot apply,
 * header and query values, URLs with spaces and fragments, UTF-8 redirects, JSON that is not
 * JSON, cookies within one call, and `native()`. Issue 11, items 8 to 19.
 */
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

export const requests: SuiteArea = ({ describe, it, skip, expect }, env, { key, serverOnly, caught }) => {
  const { lib, base } = env
  const { createSession, $fetch } = lib
  const skipped = (name: string, features: string[], _fn: () => unknown, reason: string): void => skip(name, features, reason)
  const hits = async (id: string): Promise<number> => (await $fetch(`${base}/__hits/${id}`)).hits

  describe('requests', () => {
    it('refuses a transport option given to one request, before sending anything (they are session-wide)', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      const cases: Array<[string, Record<string, unknown>]> = [
        ['tls', { tls: { rejectUnauthorized: false } }],
        ['proxy', { proxy: 'http://127.0.0.1:9' }],
        ['pool', { pool: { connections: 1 } }],
        ['http2', { http2: true }],
      ]
      for (const [option, options] of cases) {
        const id = key(option)
        const error = await caught(session(`/get?key=${id}`, options))
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch(`\`${option}\` is a session-wide option`)
        expect(error.message).toMatch('createSession() or mount()')
        expect(await hits(id)).toBe(0)
      }
      const stateless = await caught($fetch(`${base}/get`, { tls: { rejectUnauthorized: false } } as never))
      expect(stateless).toBeInstanceOf(lib.InvalidRequestError)
      await session.close()
    })

    it('ignoreResponseError still retries a 503 by the policy, and resolves the last response', [FEATURES.retry], async () => {
      const session = createSession({ baseURL: base, retry: { limit: 2, delay: 1 } })
      const id = key('ignored')
      const retries: number[] = []
      const response = await session.raw(`/flaky/${id}?fail=10&status=503`, { ignoreResponseError: true, onRetry: ({ attempt }) => void retries.push(attempt) })
      expect(response.status).toBe(503)
      expect(retries).toEqual([2, 3])
      expect(await hits(id)).toBe(3)
      const recovers = key('recovers')
      expect((await session(`/flaky/${recovers}?fail=1&status=503`, { ignoreResponseError: true })).attempts).toBe(2)
      await session.close()
    })

    it('a null or undefined header value removes the session\'s (or mount\'s) default for that call', [FEATURES.headers], async () => {
      const session = createSession({ baseURL: base, headers: { 'X-Default': 'session', 'X-Keep': 'kept', 'X-Mounted': 'session' } })
      const dropped = await session('/headers', { headers: { 'x-default': null, 'X-Keep': undefined } })
      expect(dropped.headers['x-default']).toBeUndefined()
      expect(dropped.headers['x-keep']).toBeUndefined()
      expect(dropped.headers['x-mounted']).toBe('session')
      expect(session.headers.get('x-default')).toBe('session')
      session.mount(`${base}/anything`, { headers: { 'X-Mounted': null, 'X-Extra': 'mount' } })
      const mounted = await session('/anything')
      expect(mounted.headers['x-mounted']).toBeUndefined()
      expect(mounted.headers['x-extra']).toBe('mount')
      expect(mounted.headers['x-default']).toBe('session')
      const child = session.extend({ headers: { 'X-Keep': null } })
      expect((await child('/headers')).headers['x-keep']).toBeUndefined()
      await session.close()
    })

    it('drops null query values and sends a Date as its ISO string (arrays too)', [FEATURES.errors], async () => {
      const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5))
      const session = createSession({ baseURL: base, query: { fromSession: 'yes', none: null } })
      session.mount(`${base}/anything`, { query: { since: date, gone: null } })
      // A null also drops the session's default of that name, as a null header does.
      const data = await session('/get', { query: { fromSession: null, a: null, b: undefined, at: date, list: [date, null, 'x', undefined] } })
      const sent = new URL(data.url).searchParams
      expect([...sent.keys()]).toEqual(['at', 'list', 'list'])
      expect(sent.get('at')).toBe('2024-01-02T03:04:05.000Z')
      expect(sent.getAll('list')).toEqual(['2024-01-02T03:04:05.000Z', 'x'])
      const mounted = new URL((await session('/anything')).url).searchParams
      expect([...mounted.entries()]).toEqual([['fromSession', 'yes'], ['since', '2024-01-02T03:04:05.000Z']])
      const unmounted = new URL((await session('/anything', { query: { since: null } })).url).searchParams
      expect([...unmounted.entries()]).toEqual([['fromSession', 'yes']])
      const invalid = await caught(session('/get', { query: { at: new Date('nope') } }))
      expect(invalid).toBeInstanceOf(lib.InvalidRequestError)
      expect(invalid.message).toMatch('`at` is an invalid Date')
      await session.close()
    })

    it('decodes a UTF-8 Location as UTF-8', [FEATURES.redirects], async () => {
      const session = createSession({ baseURL: base })
      const data = await session(`/raw-redirect?url=${encodeURIComponent('/anything/ü-Straße?q=ä')}`)
      expect(data.path).toBe('/anything/%C3%BC-Stra%C3%9Fe')
      expect(data.args).toEqual({ q: 'ä' })
      await session.close()
    })

    const latin1 = env.runtime === 'workerd' ? skipped : serverOnly
    latin1('keeps a Location that is not valid UTF-8 as its bytes (Latin-1)', [FEATURES.redirects], async () => {
      const session = createSession({ baseURL: base })
      const response = await session.raw(`/raw-redirect?encoding=latin1&url=${encodeURIComponent('/anything/ü')}`)
      expect(response._data.path).toBe('/anything/%C3%BC')
      expect(response.history![0]!.location).toBe(`${base}/anything/%C3%BC`)
      await session.close()
    }, env.browser
      ? 'the browser follows redirects itself, and what it makes of bytes that are not UTF-8 is its own'
      : 'workerd decodes header values as UTF-8 itself: bytes that are not UTF-8 become U+FFFD before the session sees them')

    it('response.url carries the request\'s fragment, with or without redirects; the fragment never goes on the wire', [FEATURES.redirects], async () => {
      const session = createSession({ baseURL: base })
      const plain = await session.raw('/get#top')
      expect(plain.url).toBe(`${base}/get#top`)
      expect(plain._data.url).toBe(`${base}/get`)
      const redirected = await session.raw('/redirect/2#top')
      expect(redirected.url).toBe(`${base}/get#top`)
      expect(redirected._data.url).toBe(`${base}/get`)
      if (!env.browser) expect(redirected.history!.map(hop => hop.url)).toEqual([`${base}/redirect/2#top`, `${base}/redirect/1#top`])
      const stateless = await $fetch.raw(`${base}/get#frag`)
      expect(stateless.url).toBe(`${base}/get#frag`)
      const failed = await caught(session('/status/404#why'))
      expect(failed.response.url).toBe(`${base}/status/404#why`)
      await session.close()
    })

    serverOnly('a Location with its own fragment replaces the request\'s', [FEATURES.redirects], async () => {
      const session = createSession({ baseURL: base })
      const response = await session.raw(`/redirect-to?url=${encodeURIComponent('/get#there')}#here`)
      expect(response.url).toBe(`${base}/get#there`)
      expect(response.history![0]!.location).toBe(`${base}/get#there`)
      await session.close()
    }, 'the browser follows redirects itself and does not reveal the Location\'s fragment')

    it('strips spaces and C0 controls around a URL, and tabs and newlines inside it, as the URL parser does', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: ` ${base}\n` })
      expect((await session('  /get ')).url).toBe(`${base}/get`)
      expect((await session('\t/g\net\u0000', { query: { a: 1 } })).url).toBe(`${base}/get?a=1`)
      expect((await $fetch(`  ${base}/get?b=2 \r\n`)).url).toBe(`${base}/get?b=2`)
      expect((await session.raw(' /get ')).status).toBe(200)
      await session.close()
    })

    it('rejects JSON that is not JSON with ParseError (URL, status, response, the start of the body), never retried', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      const page = `<!doctype html><html><body>${'x'.repeat(300)}</body></html>`
      const id = key('parse')
      const error = await caught(session(`/raw-body?key=${id}&type=application/json&body=${encodeURIComponent(page)}`))
      expect(error).toBeInstanceOf(lib.ParseError)
      expect(error).toBeInstanceOf(lib.FetchError)
      expect(error.name).toBe('ParseError')
      expect(error.status).toBe(200)
      expect(error.snippet).toBe(page.slice(0, 200))
      expect(error.response.status).toBe(200)
      // Redacted as in every message (`key` is a secret-looking parameter).
      expect(error.message).toMatch(`[GET] "${base}/raw-body?key=REDACTED&type=`)
      expect(error.message).toMatch(`: 200 OK: the body is not valid JSON (Content-Type: application/json): ${JSON.stringify(`${page.slice(0, 60)}…`)}`)
      expect(await hits(id)).toBe(1)

      const truncated = await caught(session(`/raw-body?type=application/problem%2Bjson&body=${encodeURIComponent('{"a": [1, 2')}`))
      expect(truncated).toBeInstanceOf(lib.ParseError)
      expect(truncated.snippet).toBe('{"a": [1, 2')
      const asked = await caught(session(`/raw-body?type=text/html&body=${encodeURIComponent('<p>hi</p>')}`, { responseType: 'json' }))
      expect(asked).toBeInstanceOf(lib.ParseError)
      expect(asked.message).toMatch('Content-Type: text/html')
      await session.close()
    })

    it('an empty JSON body resolves, an error page rejects with HTTPError (its text as data), a throwing parseResponse with ParseError', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base })
      expect(await session('/raw-body?type=application/json')).toBe('')
      expect(await session(`/raw-body?type=application/json&body=${encodeURIComponent(' {"ok": true} ')}`)).toEqual({ ok: true })
      expect(await session(`/raw-body?type=text/plain&body=${encodeURIComponent('not json')}`)).toBe('not json')
      const page = await caught(session(`/raw-body?status=502&type=application/json&body=${encodeURIComponent('<h1>Bad Gateway</h1>')}`, { retry: false }))
      expect(page).toBeInstanceOf(lib.HTTPError)
      expect(page.data).toBe('<h1>Bad Gateway</h1>')
      const failure = new Error('my parser failed')
      const custom = await caught(session(`/raw-body?type=application/json&body=${encodeURIComponent('[1]')}`, { parseResponse: () => { throw failure } }))
      expect(custom).toBeInstanceOf(lib.ParseError)
      expect(custom.cause).toBe(failure)
      expect(custom.message).toMatch('parseResponse threw (my parser failed)')
      await session.close()
    })

    serverOnly('cookies set within one call apply to it without a jar ($fetch, cookies: false), and are gone after it', [FEATURES.cookies], async () => {
      const digest = { username: 'user', password: 'pass', type: 'digest' as const }
      expect(await $fetch(`${base}/digest-auth/auth/user/pass/MD5?require-cookie=1`, { auth: digest })).toEqual({ authenticated: true, user: 'user' })
      expect((await $fetch(`${base}/cookie-redirect/2`)).cookies).toEqual({ hop1: '1', hop2: '2' })
      expect((await $fetch(`${base}/cookies`)).cookies).toEqual({})
      const session = createSession({ baseURL: base, cookies: false })
      expect(await session('/digest-auth/auth/user/pass/SHA-256?require-cookie=1', { auth: { ...digest } })).toEqual({ authenticated: true, user: 'user' })
      expect((await session('/cookie-redirect/3')).cookies).toEqual({ hop1: '1', hop2: '2', hop3: '3' })
      expect((await session('/cookies')).cookies).toEqual({})
      expect(session.cookies).toBeUndefined()
      await session.close()
    })

    it('refuses body and method as session-wide options (createSession, extend, mount, $fetch.create)', [FEATURES.errors], async () => {
      const refused = (make: () => unknown): Error & Record<string, any> => {
        try {
          make()
        }
        catch (error) {
          return error as Error & Record<string, any>
        }
        throw new Error('expected an InvalidRequestError, nothing was thrown')
      }
      const body = refused(() => createSession({ body: { a: 1 } } as never))
      expect(body).toBeInstanceOf(lib.InvalidRequestError)
      expect(body.option).toBe('body')
      expect(body.message).toMatch('createSession() cannot take `body`')
      const session = createSession({ baseURL: base })
      expect(refused(() => session.extend({ method: 'POST' } as never)).message).toMatch('extend() cannot take `method`')
      expect(refused(() => session.mount(`${base}/x`, { body: 'x' } as never)).message).toMatch('mount() cannot take `body`')
      const create = refused(() => $fetch.create({ method: 'POST' } as never))
      expect([create.name, create.option]).toEqual(['InvalidRequestError', 'method'])
      expect(create.message).toMatch('$fetch.create() cannot take `method`')
      await session.close()
    })

    it('session.native() resolves a relative URL against baseURL; without a base it rejects with InvalidRequestError', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: `${base}/anything` })
      const response = await session.native(' /native?x=1')
      expect(response.status).toBe(200)
      expect((await response.json()).url).toBe(`${base}/anything/native?x=1`)
      if (env.browser) {
        // The page is the base in a browser, as for session calls.
        expect((await $fetch.native('/get')).status).toBe(200)
      }
      else {
        const error = await caught($fetch.native('/get'))
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch('is not an absolute URL and no baseURL is set')
        const bare = createSession()
        expect(await caught(bare.native('/get'))).toBeInstanceOf(lib.InvalidRequestError)
        await bare.close()
      }
      await session.close()
    })
  })
}
