/**
 * Credentials and secrets on every runtime (issue 12, items 5, 6, 8, 9 and the 307/308 choice):
 * a mount applies at an origin and path-segment boundary only; an `extend()` child with another
 * base gets neither the parent's `auth` nor its credential headers; no secret of a URL or a
 * header reaches what an error prints, its cause chain included; one token refresh per burst of
 * 401s; a 307/308 to another origin sends the method and body again, without credentials.
 */
import { SECRET_PARAMETER_NAMES } from '../../../src/secrets'
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

/** The runtime's `inspect` (Deno's, Bun's, Node's util), where there is one. */
function runtimeInspect(): ((value: unknown) => string) | undefined {
  const runtime = globalThis as { Deno?: { inspect?: (value: unknown, options: object) => string }, Bun?: { inspect?: (value: unknown, options: object) => string }, process?: { getBuiltinModule?: (id: string) => unknown } }
  if (typeof runtime.Deno?.inspect === 'function') return value => runtime.Deno!.inspect!(value, { depth: 10 })
  if (typeof runtime.Bun?.inspect === 'function') return value => runtime.Bun!.inspect!(value, { depth: 10 })
  const util = runtime.process?.getBuiltinModule?.('node:util') as { inspect?: (value: unknown, options: object) => string } | undefined
  if (typeof util?.inspect === 'function') return value => util.inspect!(value, { depth: 10 })
  return undefined
}

/** Everything an error prints: message, stack, JSON, inspect, and each error of its cause chain (message, stack, enumerable properties). */
function printed(error: unknown): string {
  const inspect = runtimeInspect()
  const parts = [String(error), JSON.stringify(error) ?? '', inspect ? inspect(error) : '']
  const seen: unknown[] = []
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth < 10 && !seen.includes(current); depth++) {
    seen.push(current)
    const record = current as Record<string, unknown>
    parts.push(String(record.message), String(record.stack))
    for (const name of Object.keys(record)) parts.push(`${name}=${typeof record[name] === 'object' ? JSON.stringify(record[name]) : String(record[name])}`)
    current = record.cause
  }
  return parts.join('\n')
}

export const securityCredentials: SuiteArea = ({ describe, it, expect }, env, { key, serverOnly, caught, sleep }) => {
  const { lib, base, alt } = env
  const { createSession, $fetch } = lib
  const secretOf = (index: number): string => `S3CRET${index}x`
  const query = SECRET_PARAMETER_NAMES.map((name, index) => `${encodeURIComponent(name)}=${secretOf(index)}`).join('&')
  const PASSWORD = 'pa55-S3CRETpw'
  const secrets = [...SECRET_PARAMETER_NAMES.map((_, index) => secretOf(index)), PASSWORD, 'FRAGMENT-S3CRET']
  /** Where `error` prints a secret: `label: the secret, in context`, or nothing. */
  const leaks = (error: unknown, label: string): string[] => {
    const text = printed(error)
    const found = secrets.find(secret => text.includes(secret))
    return found === undefined ? [] : [`${label} printed ${found}: …${text.slice(Math.max(0, text.indexOf(found) - 120), text.indexOf(found) + 20)}`]
  }
  const store = async (location: string): Promise<string> => `${base}/stored-redirect/${(await $fetch(`${base}/stored-redirect`, { method: 'POST', body: location, headers: { 'content-type': 'text/plain' } })).id}`

  describe('security: credentials and secrets', () => {
    it('mount() matches at an origin and path-segment boundary: never look-alike hosts, ports or longer segments', [FEATURES.headers], async () => {
      const sent: Array<[string, string | null]> = []
      const capture = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        // A stand-in for DNS, which the tests cannot use: records what would be sent.
        sent.push([String(input), new Headers(init?.headers).get('x-mount')])
        return new Response('{}', { headers: { 'content-type': 'application/json' } })
      }
      const wire = createSession({ fetch: capture })
      wire.mount('http://api.example.com', { headers: { 'X-Mount': 'yes' } })
      for (const url of ['http://api.example.com.evil.example/', 'http://api.example.community/', 'http://api.example.com:8080/', 'http://api.example.com/x']) await wire(url)
      expect(sent.map(([, mounted]) => mounted)).toEqual([null, null, null, 'yes'])
      await wire.close()

      const session = createSession({ baseURL: base })
      session.mount(`${base}/anything/v1`, { headers: { 'X-Mount': 'v1' } })
      const port = new URL(base).port
      session.mount(`http://127.0.0.1:${port.slice(0, -1)}`, { headers: { 'X-Port': 'look-alike' } })
      const at = async (path: string): Promise<unknown> => (await session(path)).headers['x-mount'] ?? null
      expect([await at('/anything/v1'), await at('/anything/v1/x'), await at('/anything/v1?x=1'), await at('/anything/v10')]).toEqual(['v1', 'v1', 'v1', null])
      expect((await session('/headers')).headers['x-port']).toBeUndefined()
      let refused: (Error & { option?: string }) | undefined
      try {
        session.mount('api.example.com', { headers: { 'X-Mount': '1' } })
      }
      catch (error) {
        refused = error as Error
      }
      expect(refused).toBeInstanceOf(lib.InvalidRequestError)
      expect(refused!.option).toBe('prefix')
      await session.close()
    })

    it('an extend() child with another baseURL gets neither the parent\'s auth nor its credential headers', [FEATURES.headers], async () => {
      const parent = createSession({ baseURL: base, auth: { bearer: 'parent-secret' }, headers: { 'X-Api-Key': 'key-secret', 'X-Plain': 'plain' }, sensitiveHeaders: ['X-Api-Key'] })
      const child = parent.extend({ baseURL: alt })
      const away = (await child('/headers')).headers
      expect([away.authorization, away['x-api-key'], away['x-plain']]).toEqual([undefined, undefined, 'plain'])
      const home = (await parent('/headers')).headers
      expect([home.authorization, home['x-api-key']]).toEqual(['Bearer parent-secret', 'key-secret'])
      const own = parent.extend({ baseURL: alt, auth: { bearer: 'child-secret' } })
      expect((await own('/headers')).headers.authorization).toBe('Bearer child-secret')
      await parent.close()
    })

    it('one token refresh per burst: 20 concurrent 401s and a refreshed token the server still rejects give 1 refresh and 20 AuthErrors', [FEATURES.errors], async () => {
      let refreshes = 0
      const session = createSession({ baseURL: base, auth: { bearer: 'stale', refresh: async () => `rejected-${++refreshes}` } })
      const errors = await Promise.all(Array.from({ length: 20 }, (_, index) => sleep(3 * index).then(() => caught(session(`/api/users/${index}`)))))
      expect(refreshes).toBe(1)
      for (const error of errors) expect(error).toBeInstanceOf(lib.AuthError)
      expect(await caught(session('/api/users/99'))).toBeInstanceOf(lib.AuthError)
      expect(refreshes).toBe(1)
      await session.close()
    })

    it('no secret of a URL in any printed form of an error, its cause chain included: an unparsable URL, a refused connection, an error status', [FEATURES.errors], async () => {
      const session = createSession({ retry: false })
      const cases: Array<[string, () => Promise<unknown>, string]> = [
        ['unparsable URL', () => session(`http://user:${PASSWORD}@127.0.0.1:99999/x?${query}`), 'InvalidRequestError'],
        ['refused connection', () => session(`http://user:${PASSWORD}@127.0.0.1:${env.closedPort}/x?${query}`), 'NetworkError'],
        ['error status', () => session(`${base}/status/401?${query}#access_token=FRAGMENT-S3CRET`), 'HTTPError'],
      ]
      const found: string[] = []
      for (const [label, call, name] of cases) {
        const error = await caught(call())
        expect(error.name).toBe(name)
        found.push(...leaks(error, label))
      }
      expect(found).toEqual([])
      await session.close()
    })

    serverOnly('no secret of a refused Location in a RedirectError (redirect: \'error\', an invalid Location)', [FEATURES.errors, FEATURES.redirects], async () => {
      const session = createSession({ retry: false })
      const found: string[] = []
      for (const [location, options, code] of [
        [`http://user:${PASSWORD}@localhost:1/cb?${query}#access_token=FRAGMENT-S3CRET`, { redirect: 'error' }, 'ERR_REDIRECT_MODE'],
        [`/cb?${query}`, { redirect: 'error' }, 'ERR_REDIRECT_MODE'],
        [`http://user:${PASSWORD}@[bad/cb?${query}`, {}, 'ERR_REDIRECT_LOCATION'],
      ] as const) {
        const error = await caught(session(await store(location), options))
        expect(error).toBeInstanceOf(lib.RedirectError)
        expect(error.code).toBe(code)
        found.push(...leaks(error, code))
      }
      expect(found).toEqual([])
      await session.close()
    })

    it('a CR or LF in Authorization, Cookie, Proxy-Authorization or a sensitive header: InvalidRequestError naming the header, never its value', [FEATURES.errors], async () => {
      const session = createSession({ baseURL: base, sensitiveHeaders: ['X-Api-Key'], retry: false })
      const id = key('crlf')
      for (const name of ['Authorization', 'Cookie', 'Proxy-Authorization', 'X-Api-Key']) {
        const error = await caught(session(`/headers?key=${id}`, { headers: { [name]: 'Bearer HDR-S3CRET\r\nX-Injected: 1' } }))
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch(`the value of the header ${JSON.stringify(name)} is not a valid header value`)
        expect(printed(error)).not.toContain('HDR-S3CRET')
      }
      const token = await caught(session(`/headers?key=${id}`, { auth: { bearer: 'AUTH-S3CRET\r\nX: 1' } }))
      expect(token).toBeInstanceOf(lib.InvalidRequestError)
      expect(printed(token)).not.toContain('AUTH-S3CRET')
      expect((await $fetch(`${base}/__hits/${id}`)).hits).toBe(0)
      await session.close()
    })

    serverOnly('a 307 or 308 to another origin sends the method and body again, without Authorization or Cookie (the fetch spec, requests)', [FEATURES.redirects], async () => {
      const session = createSession({ headers: { Authorization: 'Bearer secret' } })
      for (const status of [307, 308]) {
        const target = `${alt}/anything/landing`
        const echoed = await session(`${base}/redirect-to?url=${encodeURIComponent(target)}&status_code=${status}`, { method: 'PUT', body: { moved: status }, headers: { Cookie: 'mine=1' } })
        expect([echoed.method, echoed.url, echoed.json]).toEqual(['PUT', target, { moved: status }])
        expect(echoed.headers['content-type']).toBe('application/json')
        expect(echoed.headers.authorization).toBeUndefined()
        expect(echoed.headers.cookie).toBeUndefined()
      }
      await session.close()
    })
  })
}
