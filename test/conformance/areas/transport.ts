/**
 * Transport rules every runtime keeps (issue 11): `http://` through a proxy is an absolute-form
 * request, not a CONNECT tunnel; a `tls` option that is not well formed is an `InvalidRequestError` naming
 * the option at `createSession()` and `mount()`; a `dispatcher` (undici's) is refused where there
 * is no undici, session-wide and per request.
 */
import { FEATURES } from '../suite'
import type { SuiteArea } from '../suite'

/** Runtimes whose adapter takes `tls` (and `proxy`); the others refuse both. */
const TLS_RUNTIMES: ReadonlySet<string> = new Set(['node', 'deno', 'bun'])

/** A PEM block of `label` around text that is not base64, standing for a secret that must never be printed. */
const SECRET = 'SECRETKEYMATERIAL!!not*base64'
const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`

export const transportArea: SuiteArea = ({ describe, it, expect }, env, { key, caught }) => {
  const { lib, base } = env
  const { createSession, $fetch } = lib

  /** The error `fn` throws (fails when it returns). */
  const thrown = (fn: () => unknown): Error & Record<string, any> => {
    try {
      fn()
    }
    catch (error) {
      return error as Error & Record<string, any>
    }
    throw new Error('expected a throw, but it returned')
  }

  describe('transport rules', () => {
    if (env.proxy && TLS_RUNTIMES.has(env.runtime)) {
      const proxy = env.proxy
      it('sends an http:// URL to the proxy as an ordinary absolute-form request, not through CONNECT', [FEATURES.transport], async () => {
        const stats = (): Promise<{ forwarded: string[], connects: string[] }> => $fetch(`${proxy}/__stats`)
        const before = await stats()
        const session = createSession({ proxy })
        const id = key('absolute-form')
        expect((await session(`${base}/get?key=${id}`)).args.key).toBe(id)
        await session.close()
        const after = await stats()
        expect(after.forwarded.filter(line => line.includes(id))).toEqual([`GET ${base}/get?key=${id}`])
        expect(after.connects.length).toBe(before.connects.length)
      })
    }

    if (TLS_RUNTIMES.has(env.runtime)) {
      it('refuses a malformed tls option at createSession() and mount(), naming it and never printing the key', [FEATURES.transport], () => {
        const ca = env.ca!
        const cases: Array<[options: Record<string, unknown>, option: string]> = [
          [{ cert: ca }, 'tls.cert'],
          [{ key: pem('PRIVATE KEY', 'AAAA') }, 'tls.key'],
          [{ ca: pem('CERTIFICATE', SECRET) }, 'tls.ca'],
          [{ ca: 'not a certificate' }, 'tls.ca'],
          [{ ca: [ca, pem('CERTIFICATE', 'AAAA')] }, 'tls.ca[1]'],
          [{ ca: ca.slice(0, Math.floor(ca.length / 2)) }, 'tls.ca'],
          [{ cert: ca, key: pem('PRIVATE KEY', SECRET) }, 'tls.key'],
          [{ cert: ca, key: ca }, 'tls.key'],
          [{ cert: ca, key: pem('ENCRYPTED PRIVATE KEY', 'MAA=') }, 'tls.key'],
          [{ servername: 'example.com' }, 'tls.servername'],
        ]
        const session = createSession()
        for (const [tls, option] of cases) {
          for (const attempt of [() => createSession({ tls }), () => session.mount(`${base}/`, { tls })]) {
            const error = thrown(attempt)
            expect(error).toBeInstanceOf(lib.InvalidRequestError)
            expect(error.option).toBe(option)
            expect(error.message).toMatch(`\`${option}\``)
            expect(error.message).not.toMatch(SECRET)
            expect(error.message).not.toMatch(ca.split('\n')[1]!)
          }
        }
        return session.close()
      })
    }

    if (env.runtime === 'node') {
      it('a dispatcher that is not one is an InvalidRequestError at createSession() and per request', [FEATURES.transport], async () => {
        expect(thrown(() => createSession({ dispatcher: {} as never }))).toBeInstanceOf(lib.InvalidRequestError)
        const session = createSession({ baseURL: base })
        const error = await caught(session('/get', { dispatcher: 'pool' } as never))
        expect(error).toBeInstanceOf(lib.InvalidRequestError)
        expect(error.message).toMatch('`dispatcher`')
        await session.close()
      })
    }
    else {
      it('refuses a dispatcher (undici\'s): UnsupportedOptionError at createSession(), InvalidRequestError per request', [FEATURES.refusal], async () => {
        const dispatcher = { dispatch: () => true }
        const error = thrown(() => createSession({ dispatcher }))
        expect(error).toBeInstanceOf(lib.UnsupportedOptionError)
        expect(error.option).toBe('dispatcher')
        expect(error.message).toMatch('undici')
        const session = createSession({ baseURL: base })
        expect(thrown(() => session.mount(`${base}/`, { dispatcher })).option).toBe('dispatcher')
        for (const call of [session('/get', { dispatcher } as never), $fetch(`${base}/get`, { dispatcher } as never)]) {
          const perRequest = await caught(call)
          expect(perRequest).toBeInstanceOf(lib.InvalidRequestError)
          expect(perRequest.message).toMatch('`dispatcher`')
        }
        await session.close()
      })
    }
  })
}
