/**
 * The workerd (Cloudflare Workers) adapter: the platform's `fetch`, which returns real 3xx
 * responses with `redirect: 'manual'` and exposes `getSetCookie()`, so the session owns cookies
 * and redirects as on servers (each redirect hop is a subrequest, and Workers limit subrequests
 * per incoming request). The pool is the platform's: `proxy`, `tls`, `pool`, `http2` and
 * `dispatcher` cannot be honoured and are refused at `createSession()` (a request's `dispatcher`
 * rejects with `InvalidRequestError`). A network failure rejects with workerd's
 * `Error: Network connection lost.`, classified as `NetworkError`.
 *
 * @module
 */
import { createCookieJar } from '../cookies/jar'
import { createSessionFactory } from '../session'
import { SESSION_LAYERS } from '../session-layers'
import type { Adapter } from '../adapter'
import type { $Fetch, Session, SessionOptions } from '../types'
import { fetchTransport, refuseTransportOptions } from './fetch'

/** The workerd adapter. */
const workerdAdapter: Adapter = {
  layers: SESSION_LAYERS,
  name: 'workerd',
  createTransport(options, fetch) {
    refuseTransportOptions(options, 'workerd', 'Workers own their connections; configure egress in the Workers runtime instead')
    return fetchTransport(fetch, 'workerd')
  },
  sharedTransport: fetch => fetchTransport(fetch, 'workerd'),
  createCookieJar,
  // A stream body goes chunked, whatever Content-Length says, unless it is a FixedLengthStream's.
  sizedStream(stream, length) {
    const { readable, writable } = new (globalThis as unknown as { FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream(length)
    stream.pipeTo(writable).catch(() => {})
    return readable
  },
}

const factory = createSessionFactory(workerdAdapter)

/** Creates a session over the Workers runtime's `fetch` (see the package's main entry for the API). */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode. */
export const $fetch: $Fetch = factory.$fetch

export * from '../exports-server'
