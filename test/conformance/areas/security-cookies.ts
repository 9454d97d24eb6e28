/**
 * What a hostile server cannot do to the cookie jar, on every runtime (issue 12, items 1, 2
 * and 4; item 3, the Web Storage budget, runs in test/stores/runtimes.test.ts):
 *
 * - RFC 6265bis §5.7 step 16, "leave secure cookies alone", with its "vice versa": an http
 *   subdomain cannot overwrite its parent's Secure cookie with `Domain=`, nor the parent a
 *   subdomain's;
 * - the `__Secure-` and `__Host-` prefixes, matched case-insensitively;
 * - `toNetscape()` leaves out a cookie whose Path holds a tab, so the file reads back whole.
 *
 * Parent and sub domains need host names, and `*.localhost` does not resolve everywhere: the
 * sessions get a `fetch` (a public option) that sends every URL to the test server, whatever its
 * host and scheme. tough-cookie counts loopback names as secure unless the jar says
 * `allowSecureOnLocal: false`, which these jars do, so http://*.localhost is plain http to them.
 */
import { CookieJar } from 'tough-cookie'
import type { SuiteArea } from '../suite'

export const securityCookies: SuiteArea = ({ describe, expect }, env, { serverOnly }) => {
  const { lib, base } = env
  const { createSession, fromNetscape, toNetscape } = lib

  /** Every URL answered by the test server (path and query kept). */
  const loopbackFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    return fetch(`${base}${url.pathname}${url.search}`, init)
  }
  const world = () => {
    const jar = new CookieJar(undefined, { allowSecureOnLocal: false })
    const session = createSession({ cookies: jar, fetch: loopbackFetch, retry: false })
    const answer = (origin: string, raw: string[]): Promise<unknown> => session(`${origin}/set-cookie`, { method: 'POST', body: raw })
    const sent = async (url: string): Promise<string> => (await jar.getCookies(url)).map(cookie => `${cookie.key}=${cookie.value}`).sort().join('; ')
    return { jar, session, answer, sent }
  }

  describe('security: what a hostile server cannot do to the jar', () => {
    serverOnly('an http subdomain cannot overwrite the parent\'s Secure cookie with Domain= (RFC 6265bis §5.7 step 16)', [], async () => {
      const { session, answer, sent } = world()
      await answer('https://app.localhost', ['sid=GOOD; Secure; HttpOnly; Path=/'])
      await answer('http://sub.app.localhost', ['sid=EVIL; Domain=app.localhost; Path=/', 'other=1; Domain=app.localhost; Path=/'])
      expect(await sent('https://app.localhost/')).toBe('other=1; sid=GOOD')
      expect(await sent('http://sub.app.localhost/')).toBe('other=1')
      await session.close()
    })

    serverOnly('"or vice versa": nor can the http parent overwrite a subdomain\'s Secure cookie, host-only or not', [], async () => {
      const { session, answer, sent } = world()
      await answer('https://sub.app.localhost', ['sid=GOOD; Secure; Path=/'])
      await answer('http://app.localhost', ['sid=EVIL1; Path=/', 'sid=EVIL2; Domain=app.localhost; Path=/', 'pref=top; Path=/'])
      expect(await sent('http://app.localhost/')).toBe('pref=top')
      expect(await sent('https://sub.app.localhost/')).toBe('sid=GOOD')
      await session.close()
    })

    serverOnly('__Secure- and __Host- are matched case-insensitively: __HOST-sid with Domain= over http is refused', [], async () => {
      const session = createSession({ baseURL: base, cookies: new CookieJar(undefined, { allowSecureOnLocal: false }) })
      await session('/set-cookie', { method: 'POST', body: ['__HOST-sid=evil; Domain=127.0.0.1; Path=/', '__SECURE-a=1; Path=/', '__host-b=1; Path=/', 'plain=1; Path=/'] })
      expect((await session('/cookies')).cookies).toEqual({ plain: '1' })
      await session.close()
      // Loopback is a secure context by default: there the rules of each prefix decide.
      const local = createSession({ baseURL: base })
      await local('/set-cookie', { method: 'POST', body: ['__HOST-domain=1; Secure; Domain=127.0.0.1; Path=/', '__host-ok=1; Secure; Path=/', '__SeCuRe-ok=1; Secure; Path=/'] })
      expect(Object.keys((await local('/cookies')).cookies).sort()).toEqual(['__SeCuRe-ok', '__host-ok'])
      await local.close()
    })

    serverOnly('toNetscape() leaves out a cookie whose Path holds a tab: the file reads back whole, nothing forged', [], async () => {
      const session = createSession({ baseURL: base })
      await session('/set-cookie', { method: 'POST', body: ['sid=real; Path=/; HttpOnly', 'x=1; Path=/\tFALSE\t0\tsid\tFORGED', 'y=1; Path=/\tbogus'] })
      const skipped: string[] = []
      const text = await toNetscape(session.cookies!, { onSkip: cookie => void skipped.push(`${cookie.name}:${cookie.field}`) })
      expect(skipped).toEqual(['x:path', 'y:path'])
      const back = await fromNetscape(text)
      expect((await back.serialize()).cookies.map(cookie => `${cookie.key}=${cookie.value}`).join('; ')).toBe('sid=real')
      await session.close()
    })
  })
}
