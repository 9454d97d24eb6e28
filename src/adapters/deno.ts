/**
 * The Deno adapter: each session owns a `Deno.HttpClient` (its connection pool, closed by
 * `session.close()`), built from the transport options:
 *
 * - `proxy`: a URL or `{ url }` → the client's `proxy: { url }` (credentials in the URL become
 *   `Proxy-Authorization`); `true` is what Deno always does: `HTTP_PROXY` / `HTTPS_PROXY` /
 *   `ALL_PROXY` and `NO_PROXY` (which Deno applies to the session's own proxy too).
 * - `tls.ca` → `caCerts` (trusted in addition to the default roots), `tls.cert` + `tls.key` →
 *   the client certificate for mutual TLS.
 * - `pool.keepAliveTimeout` → `poolIdleTimeout` (ms).
 * - `http2` → `http2`: Deno negotiates HTTP/2 over TLS (ALPN) by default; `false` keeps HTTP/1.1.
 *
 * What `Deno.createHttpClient` cannot do is refused at `createSession()` with an
 * `UnsupportedOptionError`: `proxy: false` (the environment's proxies always apply),
 * `proxy.noProxy` (no per-client bypass list), `tls.rejectUnauthorized: false` (only the
 * process-wide `--unsafely-ignore-certificate-errors`), and `pool.connections` (the client caps
 * idle connections per host, `poolMaxIdlePerHost`, never the connections in use).
 *
 * @module
 */
import { createCookieJar } from '../cookies/jar'
import { createSessionFactory } from '../session'
import type { Adapter, Transport } from '../session'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, UnsupportedOptionError } from './fetch'

/** The part of `Deno.HttpClient` the adapter uses. */
interface HttpClientLike {
  close: () => void
}

/** The part of the `Deno` namespace the adapter uses (structural: no Deno types needed). */
interface DenoLike {
  createHttpClient: (options: Record<string, unknown>) => HttpClientLike
}

function deno(): DenoLike {
  const value = (globalThis as { Deno?: DenoLike }).Deno
  if (!value || typeof value.createHttpClient !== 'function') {
    throw new UnsupportedOptionError('transport', 'this runtime', 'Deno.createHttpClient is not available; import fetch-session/deno only in Deno')
  }
  return value
}

/** The options of `Deno.createHttpClient()` for a session's transport options. */
function httpClientOptions(options: TransportOptions): Record<string, unknown> {
  const { proxy, tls, pool, http2 } = options
  const client: Record<string, unknown> = {}
  if (proxy === false) {
    throw new UnsupportedOptionError('proxy', 'deno', 'Deno.createHttpClient cannot ignore HTTP_PROXY / HTTPS_PROXY / ALL_PROXY; unset them for this process, or name the hosts in NO_PROXY')
  }
  // `proxy: true` asks for the environment's proxies, which is what Deno does anyway.
  if (proxy !== undefined && proxy !== true) {
    let url: string | URL = proxy as string | URL
    if (typeof proxy === 'object' && !(proxy instanceof URL)) {
      if (proxy.noProxy !== undefined && proxy.noProxy !== '') {
        throw new UnsupportedOptionError('proxy', 'deno', '`noProxy` has no counterpart in Deno.createHttpClient; name the hosts in the NO_PROXY environment variable, which Deno applies to this proxy too')
      }
      url = proxy.url
    }
    client.proxy = { url: String(url) }
  }
  if (tls) {
    if (tls.rejectUnauthorized === false) {
      throw new UnsupportedOptionError('tls.rejectUnauthorized', 'deno', 'Deno can only skip certificate checks for the whole process (--unsafely-ignore-certificate-errors); trust the server\'s CA with `tls.ca` instead')
    }
    if (tls.ca !== undefined) client.caCerts = Array.isArray(tls.ca) ? tls.ca : [tls.ca]
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('fetch-session: `tls.cert` and `tls.key` go together (a client certificate and its private key)')
    if (tls.cert !== undefined) client.cert = tls.cert
    if (tls.key !== undefined) client.key = tls.key
  }
  if (pool?.connections !== undefined) {
    throw new UnsupportedOptionError('pool.connections', 'deno', 'Deno.createHttpClient cannot cap the connections per origin (poolMaxIdlePerHost only caps the idle ones); set `pool.keepAliveTimeout` alone')
  }
  if (pool?.keepAliveTimeout !== undefined) client.poolIdleTimeout = pool.keepAliveTimeout
  if (http2 !== undefined) client.http2 = http2
  return client
}

/** The Deno adapter. */
const denoAdapter: Adapter = {
  name: 'deno',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'deno', 'it configures the session\'s own client, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const client = deno().createHttpClient(httpClientOptions(options))
    let closed = false
    const send: Fetch = (input, init) => globalThis.fetch(input, { ...init, client } as RequestInit)
    return {
      fetch: send,
      close: async () => {
        if (closed) return
        closed = true
        // Drops the pool: idle connections close now; a response being read still completes.
        client.close()
      },
    }
  },
  sharedTransport: fetchTransport,
  createCookieJar,
}

const factory = createSessionFactory(denoAdapter)

/** Creates a session with its own `Deno.HttpClient` (see the package's main entry for the API). */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over Deno's `fetch`. */
export const $fetch: $Fetch = factory.$fetch

export { fromNetscape } from '../cookies/from-netscape'
export * from '../exports'
