/**
 * Redirects must never carry credentials off their origin, nor reach a non-HTTP target. Each case
 * names its entry in ../shared/research/reliability-catalogue.md (#n) and the advisories behind it.
 */
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession as createNodeSession } from '../../src/adapters/node'
import { createSession, RedirectError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { makeCertificates } from '../helpers/tls'
import type { TestCertificates } from '../helpers/tls'

let server: TestServer
let other: TestServer
let secure: TestServer
let certificates: TestCertificates
beforeAll(async () => {
  certificates = makeCertificates()
  ;[server, other, secure] = await Promise.all([startServer(), startServer(), startServer({ tls: certificates })])
})
afterAll(async () => {
  await Promise.all([server.close(), other.close(), secure.close()])
})
beforeEach(() => {
  server.reset()
  other.reset()
  secure.reset()
})

const redirectTo = (base: string, target: string, status = 302, extra = ''): string =>
  `${base}/redirect-to?url=${encodeURIComponent(target)}&status_code=${status}${extra}`

describe('credentials on redirects (#1–#5; CVE-2022-0155, CVE-2023-45143, CVE-2024-28849, CVE-2024-24758, CVE-2018-18074)', () => {
  const forms: Array<[string, () => HeadersInit]> = [
    ['a plain object', () => ({ Authorization: 'Bearer secret', Cookie: 'mine=1', 'Proxy-Authorization': 'Basic cHJveHk=' })],
    ['mixed case', () => ({ AuThOrIzAtIoN: 'Bearer secret', cOOkie: 'mine=1', 'ProXy-AuthoriZation': 'Basic cHJveHk=' })],
    ['a Headers', () => new Headers({ authorization: 'Bearer secret', cookie: 'mine=1', 'proxy-authorization': 'Basic cHJveHk=' })],
    ['tuples', () => [['Authorization', 'Bearer secret'], ['Cookie', 'mine=1'], ['Proxy-Authorization', 'Basic cHJveHk=']]],
  ]

  it.each(forms)('strips Authorization, Proxy-Authorization and Cookie given as %s on a cross-host hop', async (_, make) => {
    const session = createSession()
    const headers = make()
    await session(redirectTo(server.url, `${server.altUrl}/headers`), { headers })
    const [atA, atB] = server.requests
    expect(atA!.headers.authorization).toBe('Bearer secret')
    expect(atA!.headers.cookie).toBe('mine=1')
    expect(atA!.headers['proxy-authorization']).toBe('Basic cHJveHk=')
    expect(atB!.host).toBe(`localhost:${server.port}`)
    expect(atB!.headers.authorization).toBeUndefined()
    expect(atB!.headers.cookie).toBeUndefined()
    expect(atB!.headers['proxy-authorization']).toBeUndefined()
    // the caller's headers were not mutated
    expect(JSON.stringify(headers instanceof Headers ? [...headers] : headers)).toBe(JSON.stringify(headers instanceof Headers ? [...make() as Headers] : make()))
    await session.close()
  })

  it('strips them on a port change (another origin on the same host)', async () => {
    const session = createSession({ headers: { Authorization: 'Bearer secret' } })
    await session(redirectTo(server.url, `${other.url}/headers`))
    expect(server.requests[0]!.headers.authorization).toBe('Bearer secret')
    expect(other.requests[0]!.headers.authorization).toBeUndefined()
    // and the session's default header is still there for the next request
    expect(session.headers.get('authorization')).toBe('Bearer secret')
    await session.close()
  })

  it('keeps them on a same-origin hop', async () => {
    const session = createSession({ headers: { Authorization: 'Bearer secret' } })
    await session(redirectTo(server.url, '/headers'), { headers: { cookie: 'mine=1' } })
    const [, target] = server.requests
    expect(target!.headers.authorization).toBe('Bearer secret')
    expect(target!.headers.cookie).toBe('mine=1')
    await session.close()
  })

  it('strips names listed in sensitiveHeaders', async () => {
    const session = createSession({ sensitiveHeaders: ['X-Api-Key'] })
    await session(redirectTo(server.url, `${server.altUrl}/headers`), { headers: { 'x-api-key': 'k', 'x-other': 'o' } })
    const [, atB] = server.requests
    expect(atB!.headers['x-api-key']).toBeUndefined()
    expect(atB!.headers['x-other']).toBe('o')
    await session.close()
  })

  it('the jar still supplies the new site\'s own cookies after a caller Cookie was stripped', async () => {
    const session = createSession()
    await session.cookies!.setCookie('site=b; Path=/', server.altUrl)
    await session(redirectTo(server.url, `${server.altUrl}/cookies`), { headers: { Cookie: 'mine=1' } })
    const [atA, atB] = server.requests
    expect(atA!.headers.cookie).toBe('mine=1')
    expect(atB!.headers.cookie).toBe('site=b')
    await session.close()
  })

  it('strips credentials and Secure cookies on an https → http downgrade (same host)', async () => {
    // tough-cookie treats loopback as a secure context by default (like browsers); a jar with
    // allowSecureOnLocal: false shows the rule as it applies to any other host.
    const session = createNodeSession({ tls: { ca: certificates.ca }, cookies: new CookieJar(undefined, { allowSecureOnLocal: false }) })
    await session.cookies!.setCookie('secret=1; Secure; Path=/', secure.url)
    await session.cookies!.setCookie('plain=1; Path=/', secure.url)
    // Cookies ignore ports, so https://127.0.0.1:A → http://127.0.0.1:B is a downgrade on the same host.
    await session(redirectTo(secure.url, `${server.url}/headers`), { headers: { Authorization: 'Bearer secret' } })
    expect(secure.requests[0]!.headers.authorization).toBe('Bearer secret')
    expect(secure.requests[0]!.headers.cookie).toBe('secret=1; plain=1')
    const atHttp = server.requests[0]!
    expect(atHttp.headers.authorization).toBeUndefined()
    expect(atHttp.headers.cookie).toBe('plain=1')
    await session.close()
  })
})

describe('307 and 308 to another origin (issue 12, choice: the fetch spec and requests, not got)', () => {
  it.each([307, 308])('%i: the method and body are sent again, Authorization, Cookie and sensitiveHeaders are not', async (status) => {
    const session = createSession({ headers: { Authorization: 'Bearer secret' }, sensitiveHeaders: ['X-Api-Key'] })
    await session.cookies!.setCookie('jar=a; Path=/', server.url)
    // Another host (cookies ignore ports): the jar's cookie of 127.0.0.1 is not for localhost.
    const echoed = await session(redirectTo(server.url, `${server.altUrl}/anything/landing`, status), { method: 'POST', body: { moved: status }, headers: { 'Cookie': 'mine=1', 'X-Api-Key': 'k' } })
    const [atA, atB] = server.requests
    expect([atA!.method, atA!.headers.authorization, atA!.headers['x-api-key']]).toEqual(['POST', 'Bearer secret', 'k'])
    expect(atA!.headers.cookie).toMatch('mine=1')
    expect(atB!.host).toBe(`localhost:${server.port}`)
    expect([atB!.method, atB!.path, atB!.body, atB!.headers['content-type']]).toEqual(['POST', '/anything/landing', JSON.stringify({ moved: status }), 'application/json'])
    expect([atB!.headers.authorization, atB!.headers.cookie, atB!.headers['x-api-key']]).toEqual([undefined, undefined, undefined])
    expect(echoed.json).toEqual({ moved: status })
    await session.close()
  })
})

describe('targets a redirect may not reach', () => {
  // #15: fetch spec redirect step 6; CVE-2022-33987 (got followed a redirect to a unix: socket).
  it.each(['file:///etc/passwd', 'data:text/plain,x', 'javascript:alert(1)', 'ftp://127.0.0.1/x', 'about:blank'])('refuses a redirect to %s', async (location) => {
    const session = createSession()
    const error = await session(redirectTo(server.url, location)).catch((caught: unknown) => caught) as RedirectError
    expect(error).toBeInstanceOf(RedirectError)
    expect(error.code).toBe('ERR_REDIRECT_SCHEME')
    expect(server.requests).toHaveLength(1)
    await session.close()
  })


  // #8: got "strips credentials embedded in cross-origin redirect Location URL".
  it('never derives credentials from userinfo in a Location', async () => {
    const session = createSession({ baseURL: server.url })
    await session(redirectTo(server.url, `http://injected:creds@localhost:${server.port}/headers`))
    const last = server.requests.at(-1)!
    expect(last.headers.authorization).toBeUndefined()
    expect(last.host).toBe(`localhost:${server.port}`)
    await session.close()
  })

  // #7: fetch-cookie #77; got `crossOriginStripHeaders`. Node's fetch sets Host itself, so the check is the wire.
  it('an explicit Host header never follows a cross-host redirect', async () => {
    const session = createSession()
    await session(redirectTo(server.url, `${server.altUrl}/headers`), { headers: { 'x-original-host': 'a' } })
    expect(server.requests[1]!.host).toBe(`localhost:${server.port}`)
    await session.close()
  })
})
