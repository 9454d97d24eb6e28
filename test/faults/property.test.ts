/**
 * Property-based tests (fast-check) of the cookie and redirect layers, against the real local
 * server and its two sites (127.0.0.1 and localhost): any sequence of hostile Set-Cookie headers
 * and redirects never throws anything but the package's typed errors, never hangs, and never
 * sends a cookie or the caller's credentials to a site that did not get them.
 * Catalogue #18, #23, #34 and the redirect cases #1–#5, #13, #14.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createSession, isSessionError } from '../../src/index'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => server.reset())

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/)
// (ASCII only: a header carries bytes, and the test compares names as strings.)
const junk = fc.string({ maxLength: 40, unit: fc.constantFrom('a', '=', ';', ' ', ',', '"', '\t', '\\', '/', '.', 'x', '%') })
const attribute = fc.oneof(
  fc.constantFrom('Path=/', 'Path=/cookies', 'Path=', 'Secure', 'HttpOnly', 'SameSite=None', 'SameSite=garbage', 'Max-Age=0', 'Max-Age=-5', 'Max-Age=60', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'Expires=garbage'),
  fc.constantFrom('Domain=127.0.0.1', 'Domain=localhost', 'Domain=.localhost', 'Domain=com', 'Domain=example.com', 'Domain=__proto__', 'Domain=', 'Domain=0.1'),
  junk,
)
/** One Set-Cookie line: mostly well-formed, sometimes garbage. */
const setCookie = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name, fc.stringMatching(/^[A-Za-z0-9]{0,6}$/), fc.array(attribute, { maxLength: 4 })).map(([key, value, attributes]) => [`${key}=${value}`, ...attributes].join('; ')) },
  { weight: 1, arbitrary: junk },
)

type Site = 'a' | 'b'
interface Hop { site: Site, status: 301 | 302 | 303 | 307 | 308, cookies: string[] }

describe('property: hostile Set-Cookie and redirects', () => {
  it('a cookie set by one site is never sent to the other; the response never breaks', async () => {
    await fc.assert(fc.asyncProperty(fc.array(setCookie, { maxLength: 12 }), async (lines) => {
      server.reset()
      const session = createSession({ timeout: 5000 })
      const set = await session(`${server.url}/set-cookie`, { method: 'POST', body: lines })
      expect(set).toEqual({ set: lines.length })
      const atB = await session(`${server.altUrl}/cookies`)
      expect(atB.cookies).toEqual({})
      // what A gets back is a subset of what A set
      const atA = await session(`${server.url}/cookies`)
      const setNames = new Set(lines.map(line => line.split(';')[0]!.split('=')[0]!.trim()))
      for (const key of Object.keys(atA.cookies)) expect(setNames.has(key)).toBe(true)
      await session.close()
    }), { numRuns: 60 })
  }, 60_000)

  it('redirect chains never leak the caller\'s credentials or one site\'s cookies to the other', async () => {
    const hop = fc.record<Hop>({
      site: fc.constantFrom<Site>('a', 'b'),
      status: fc.constantFrom(301, 302, 303, 307, 308),
      cookies: fc.array(setCookie, { maxLength: 3 }),
    })
    await fc.assert(fc.asyncProperty(fc.array(hop, { minLength: 1, maxLength: 5 }), fc.constantFrom<Site>('a', 'b'), fc.constantFrom('GET', 'POST', 'PUT'), async (hops, end, method) => {
      server.reset()
      const origin = (site: Site): string => site === 'a' ? server.url : server.altUrl
      // Built from the end: each hop redirects to the next, the last to /headers.
      let target = `${origin(end)}/headers`
      for (const step of [...hops].reverse()) {
        const cookies = step.cookies.map(line => `&set_cookie=${encodeURIComponent(line)}`).join('')
        target = `${origin(step.site)}/redirect-to?url=${encodeURIComponent(target)}&status_code=${step.status}${cookies}`
      }
      const session = createSession({ timeout: 5000, retry: false })
      try {
        await session(target, { method, body: method === 'GET' ? undefined : 'payload', headers: { Authorization: 'Bearer first-site-only', Cookie: 'caller=first-site-only' } })
      }
      catch (error) {
        // Only the package's typed errors may come out (a hostile chain may be refused).
        expect(isSessionError(error)).toBe(true)
      }
      // The caller's credentials were given for the first request's site: once the chain left it,
      // they are gone, even when it comes back.
      const firstHost = server.requests[0]!.host
      let left = false
      for (const request of server.requests) {
        if (request.host !== firstHost) left = true
        if (left) {
          expect(request.headers.authorization).toBeUndefined()
          expect(request.headers.cookie ?? '').not.toContain('caller=first-site-only')
        }
      }
      // Whatever reached a site carried only cookies that hops of that site set (or the caller's, before leaving).
      for (const site of ['a', 'b'] as const) {
        const host = new URL(origin(site)).host
        const setHere = new Set(hops.filter(step => step.site === site).flatMap(step => step.cookies.map(line => line.split(';')[0]!.split('=')[0]!.trim())))
        setHere.add('caller')
        for (const request of server.requests.filter(item => item.host === host)) {
          for (const pair of (request.headers.cookie as string | undefined)?.split('; ') ?? []) {
            expect(setHere.has(pair.split('=')[0]!)).toBe(true)
          }
        }
      }
      await session.close()
    }), { numRuns: 60 })
  }, 60_000)
})
