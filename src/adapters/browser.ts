/**
 * The browser adapter. In a browser the browser owns cookies and redirects: `Set-Cookie` is
 * unreadable to scripts and `redirect: 'manual'` gives an opaque response. So sessions send
 * `credentials: 'include'` (the browser stores and sends the cookies), let the browser follow
 * redirects, keep no jar (`session.cookies` is `undefined`; tough-cookie is never imported), and
 * keep headers, retries, deadlines, hooks and errors. Relative URLs resolve against the page.
 * `proxy`, `tls`, `pool` and `http2` are refused at `createSession()`.
 *
 * @module
 */
import { createSessionFactory } from '../session'
import type { Adapter } from '../session'
import type { $Fetch, Session, SessionOptions } from '../types'
import { fetchTransport, refuseTransportOptions } from './fetch'

/** The browser adapter. */
export const browserAdapter: Adapter = {
  name: 'browser',
  browser: true,
  createTransport(options, fetch) {
    refuseTransportOptions(options, 'browsers', 'the browser owns connections, proxies and certificates')
    return fetchTransport(fetch)
  },
  sharedTransport: fetchTransport,
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

export * from '../exports'
