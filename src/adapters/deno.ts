/**
 * The Deno adapter: each session owns a `Deno.HttpClient` (its connection pool, closed by
 * `session.close()`), built from the transport options: `proxy` → `proxy: { url }`, `tls.ca` →
 * `caCerts`, `tls.cert`/`tls.key` → client certificate, `pool` → `poolMaxIdlePerHost` /
 * `poolIdleTimeout`, `http2` → `http2`. Deno honours `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` itself.
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
export function httpClientOptions(options: TransportOptions): Record<string, unknown> {
  const { proxy, tls, pool, http2 } = options
  const client: Record<string, unknown> = {}
  if (proxy === true || proxy === false) {
    throw new UnsupportedOptionError('proxy', 'deno', 'Deno always follows HTTP_PROXY / HTTPS_PROXY / NO_PROXY itself; pass a proxy URL to override them')
  }
  if (proxy !== undefined) {
    if (typeof proxy === 'object' && !(proxy instanceof URL)) {
      if (proxy.noProxy !== undefined) throw new UnsupportedOptionError('proxy', 'deno', '`noProxy` is not supported by Deno.createHttpClient; use the NO_PROXY environment variable')
      client.proxy = { url: String(proxy.url) }
    }
    else {
      client.proxy = { url: String(proxy) }
    }
  }
  if (tls) {
    if (tls.rejectUnauthorized === false) {
      throw new UnsupportedOptionError('tls.rejectUnauthorized', 'deno', 'Deno can only skip certificate checks for the whole process (--unsafely-ignore-certificate-errors); trust the server with `tls.ca` instead')
    }
    if (tls.ca !== undefined) client.caCerts = Array.isArray(tls.ca) ? tls.ca : [tls.ca]
    if (tls.cert !== undefined) client.cert = tls.cert
    if (tls.key !== undefined) client.key = tls.key
  }
  if (pool?.connections !== undefined) client.poolMaxIdlePerHost = pool.connections
  if (pool?.keepAliveTimeout !== undefined) client.poolIdleTimeout = pool.keepAliveTimeout
  if (http2 !== undefined) client.http2 = http2
  return client
}

/** The Deno adapter. */
export const denoAdapter: Adapter = {
  name: 'deno',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'deno', 'it configures the session\'s own client, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const client = deno().createHttpClient(httpClientOptions(options))
    const send: Fetch = (input, init) => globalThis.fetch(input, { ...init, client } as RequestInit)
    return {
      fetch: send,
      close: async () => {
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

export * from '../exports'
