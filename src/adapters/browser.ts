/**
 * The browser adapter. In a browser the browser owns cookies and redirects: `Set-Cookie` is
 * unreadable to scripts and `redirect: 'manual'` gives an opaque response. So sessions send
 * `credentials: 'include'` (the browser stores and sends the cookies, cross-origin too when the
 * server answers CORS with credentials), let the browser follow redirects (at most 20, its own
 * limit: `maxRedirects` and `onRedirect` do not apply), keep no jar (`session.cookies` is
 * `undefined`; tough-cookie is never imported), and keep headers, retries, deadlines, hooks and
 * errors. `redirect: 'error'` rejects with a `RedirectError` (`ERR_REDIRECT_MODE`), as elsewhere,
 * rather than with the browser's network error. Relative URLs resolve against the page (or the
 * worker's `location`). `proxy`, `tls`, `pool`, `http2` and `dispatcher` are refused at
 * `createSession()` (a request's `dispatcher` rejects with `InvalidRequestError`).
 *
 * @module
 */
import { RedirectError, redactURL } from '../errors'
import { createSessionFactory } from '../session'
import type { Adapter, Transport } from '../adapter'
import type { $Fetch, Fetch, Session, SessionOptions } from '../types'
import { fetchTransport, refuseTransportOptions } from './fetch'
import { inputURL, REDIRECT_STATUSES } from '../http'

/** The statuses a browser follows (fetch spec "redirect status"). */

/**
 * The platform's fetch, with `redirect: 'error'` made observable: a browser rejects such a call
 * with the same `TypeError` as a network failure (which would be retried), so it is sent as
 * `redirect: 'manual'` and a redirect becomes a `RedirectError`: an opaque one (browsers), or a
 * readable 3xx with a `Location` (a custom `fetch`, DOM emulations).
 */
function browserTransport(fetch: Fetch | undefined): Transport {
  // Browsers record a Resource Timing entry per request: `timings` reads its phases (src/timings.ts).
  const base = fetchTransport(fetch, 'a browser', true)
  const send: Fetch = async (input, init) => {
    if (init?.redirect !== 'error') return base.fetch(input, init)
    const response = await base.fetch(input, { ...init, redirect: 'manual' })
    const redirected = response.type === 'opaqueredirect' || (REDIRECT_STATUSES.has(response.status) && response.headers.has('location'))
    if (!redirected) return response
    response.body?.cancel().catch(() => {})
    const url = inputURL(input)
    const method = (init.method ?? 'GET').toUpperCase()
    const location = response.headers.get('location')
    const reason = location === null
      ? 'redirect refused (redirect: \'error\'; the browser does not reveal its target)'
      : `redirect to ${JSON.stringify(redactURL(location))} refused (redirect: 'error')`
    throw new RedirectError('ERR_REDIRECT_MODE', reason, [url], response, { request: url, method })
  }
  return { fetch: send, close: base.close }
}

/** The browser adapter. */
const browserAdapter: Adapter = {
  name: 'browser',
  owns: { cookies: true, redirects: true, connections: true, cache: true },
  // Chromium streams a request body over HTTP/2 only, Firefox and Safari not at all.
  streamingUploads: false,
  createTransport(options, fetch) {
    refuseTransportOptions(options, 'browser', 'the browser owns connections, proxies and certificates', 'browsers')
    return browserTransport(fetch)
  },
  sharedTransport: browserTransport,
  fallbackBase: () => (globalThis as { location?: { href?: string } }).location?.href,
}

const factory = createSessionFactory(browserAdapter)

/**
 * Creates a browser session: `credentials: 'include'`, the browser's cookies and redirects, plus
 * default headers, retries, deadlines and hooks (see the package's main entry for the API).
 */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode (`credentials` as you pass them). */
export const $fetch: $Fetch = factory.$fetch

export { fromNetscape } from '../cookies/from-netscape-browser'
export { createMemoryCacheStore } from '../cache/memory-browser'
export * from '../exports'
