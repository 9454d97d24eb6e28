/**
 * A hostile server cannot break or bloat the jar, and nothing the session prints leaks a secret.
 * Each case names its entry in ../shared/research/reliability-catalogue.md (#n).
 */
import { inspect } from 'node:util'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AuthError, createSession, HTTPError, NetworkError, RedirectError, TimeoutError } from '../../src/index'
import { COOKIE_LIMITS } from '../../src/cookies/middleware'
import { closedPort } from '../helpers/ports'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
let refused: number
beforeAll(async () => {
  server = await startServer()
  refused = await closedPort()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const setCookies = (session: ReturnType<typeof createSession>, raw: string[]): Promise<unknown> =>
  session('/set-cookie', { method: 'POST', body: raw })

describe('hostile Set-Cookie', () => {
  it('ReDoS probes parse in milliseconds and never break the response (#34; CVE-2017-15010)', async () => {
    const session = createSession({ baseURL: server.url })
    // (Each response's headers stay under undici's 16 KiB limit, past which it refuses the response.)
    const probes = [' '.repeat(3000), ';'.repeat(3000), `a=${' '.repeat(3000)}x`, `b=1;${' ;'.repeat(1500)}`, `c=1; Expires=${'x'.repeat(1030)}`]
    const started = Date.now()
    expect(await setCookies(session, [...probes, 'good=1; Path=/'])).toEqual({ set: 6 })
    expect(Date.now() - started).toBeLessThan(1000)
    expect((await session('/cookies')).cookies.good).toBe('1')
    await session.close()
  })

  it('ignores a cookie whose name and value pass 4096 bytes (#42; RFC 6265bis §5.6)', async () => {
    const session = createSession({ baseURL: server.url })
    await setCookies(session, [`big=${'x'.repeat(4100)}; Path=/`, `fits=${'y'.repeat(4000)}; Path=/`])
    const names = (await session.cookies!.getCookies(server.url)).map(cookie => cookie.key)
    expect(names).toEqual(['fits'])
    await session.close()
  })

  it('keeps at most 180 cookies per domain, the least recently used going first (#42, #86)', async () => {
    const session = createSession({ baseURL: server.url })
    await setCookies(session, Array.from({ length: 400 }, (_, index) => `flood${index}=1; Path=/`))
    expect((await session.cookies!.getCookies(server.url)).length).toBe(COOKIE_LIMITS.perResponse)
    for (let round = 0; round < 5; round++) {
      await setCookies(session, Array.from({ length: 100 }, (_, index) => `r${round}c${index}=1; Path=/`))
    }
    const names = (await session.cookies!.getCookies(server.url)).map(cookie => cookie.key)
    expect(names).toHaveLength(COOKIE_LIMITS.perDomain)
    expect(names).toContain('r4c99') // the newest stayed
    expect(names).not.toContain('flood0') // the oldest went
    await session.close()
  })

  it('cookie names like __proto__ and constructor are ordinary cookies and pollute nothing (#35; CVE-2023-26136)', async () => {
    const session = createSession({ baseURL: server.url })
    await setCookies(session, ['__proto__=a; Path=/', 'constructor=b; Path=/', 'toString=c; Path=/notauth'])
    expect(({} as Record<string, unknown>)['/notauth']).toBeUndefined()
    expect(typeof ({}).toString).toBe('function')
    expect((await session('/cookies')).cookies).toEqual({ __proto__: 'a', constructor: 'b' })
    await session.close()
  })

  it('refuses __Host- and __Secure- cookies that break their prefix rules (#28)', async () => {
    const session = createSession({ baseURL: server.url })
    await setCookies(session, [
      '__Secure-missing=1; Path=/', // no Secure
      '__Host-domain=1; Secure; Path=/; Domain=127.0.0.1', // Domain not allowed
      '__Host-path=1; Secure; Path=/x', // Path must be /
      '__Host-ok=1; Secure; Path=/',
    ])
    const names = (await session.cookies!.getCookies(server.url)).map(cookie => cookie.key)
    expect(names).toEqual(['__Host-ok'])
    await session.close()
  })
})

describe('leave secure cookies alone (RFC 6265bis §5.7)', () => {
  // tough-cookie treats loopback as a secure context by default (like browsers); a jar with
  // allowSecureOnLocal: false makes http://127.0.0.1 what any other plain-http host is.
  it('a plain-http response cannot overwrite or shadow a Secure cookie of the host; other cookies are stored', async () => {
    const session = createSession({ baseURL: server.url, cookies: new CookieJar(undefined, { allowSecureOnLocal: false }) })
    const https = `https://127.0.0.1:${server.port}/`
    // Set earlier by the site over https.
    await session.cookies!.setCookie('sid=good; Secure; Path=/', https)
    await session.cookies!.setCookie('pref=dark; Secure; Path=/app', https)
    await setCookies(session, ['sid=evil; Path=/', 'sid=evil2; Path=/deeper', 'other=1; Path=/', 'pref=light; Path=/'])
    const overHttps = await session.cookies!.getCookies(`${https}deeper/app`)
    expect(overHttps.map(cookie => `${cookie.key}=${cookie.value}${cookie.secure ? ' (Secure)' : ''}`).sort())
      // sid: refused twice (its path '/' covers both); pref=light: its path '/' is not under the
      // Secure cookie's '/app', so the rule does not apply and it is a cookie of its own.
      .toEqual(['other=1', 'pref=light', 'sid=good (Secure)'])
    expect((await session.cookies!.getCookies(`${https}app`)).map(cookie => `${cookie.key}=${cookie.value}`).sort())
      .toEqual(['other=1', 'pref=dark', 'pref=light', 'sid=good'])
    // Over http, the Secure cookie is not sent, and nothing took its place.
    expect((await session('/cookies')).cookies).toEqual({ other: '1', pref: 'light' })
    await session.close()
  })

  it('loopback is a secure context by default: there, http may replace it (as browsers allow on localhost)', async () => {
    const session = createSession({ baseURL: server.url })
    await session.cookies!.setCookie('sid=good; Secure; Path=/', server.url)
    await setCookies(session, ['sid=next; Path=/'])
    expect((await session('/cookies')).cookies).toEqual({ sid: 'next' })
    await session.close()
  })
})

describe('secrets never appear in errors (#90)', () => {
  const secrets = ['top-secret-token', 'cookie-secret-value', 'url-password', 'query-secret']
  const printed = (error: unknown): string =>
    [String(error), (error as Error).message, (error as Error).stack ?? '', inspect(error, { depth: 6 }), JSON.stringify(error)].join('\n')

  it('Authorization, cookie values, URL passwords and secret query values stay out of every printed form', async () => {
    const session = createSession({ headers: { Authorization: 'Bearer top-secret-token' }, retry: false })
    await session.cookies!.setCookie('sid=cookie-secret-value; Path=/', server.url)
    const base = `http://user:url-password@127.0.0.1:${server.port}`
    const errors = await Promise.all([
      session(`${base}/status/401?token=query-secret`, { headers: { Cookie: 'extra=cookie-secret-value' } }).catch((error: unknown) => error),
      session(`http://user:url-password@127.0.0.1:${refused}/x?api_key=query-secret`).catch((error: unknown) => error),
      session(`${base}/hang?access_token=query-secret`, { timeout: 50 }).catch((error: unknown) => error),
      session(`${base}/redirect/3?password=query-secret`, { maxRedirects: 1 }).catch((error: unknown) => error),
      createSession({ retry: false })(`${base}/api/users/1?sig=query-secret`, { auth: { bearer: 'top-secret-token', refresh: () => { throw new Error('refresh failed') } } })
        .catch((error: unknown) => error),
    ])
    expect(errors.map(error => (error as Error).name)).toEqual(['HTTPError', 'NetworkError', 'TimeoutError', 'RedirectError', 'AuthError'])
    expect(errors[0]).toBeInstanceOf(HTTPError)
    expect(errors[1]).toBeInstanceOf(NetworkError)
    expect(errors[2]).toBeInstanceOf(TimeoutError)
    expect(errors[3]).toBeInstanceOf(RedirectError)
    expect(errors[4]).toBeInstanceOf(AuthError)
    for (const error of errors) {
      const text = printed(error)
      for (const secret of secrets) expect(text, `${(error as Error).name} printed ${secret}`).not.toContain(secret)
    }
    expect((errors[0] as Error).message).toBe(`[GET] "http://127.0.0.1:${server.port}/status/401?token=REDACTED": 401 Unauthorized`)
    await session.close()
  })
})
