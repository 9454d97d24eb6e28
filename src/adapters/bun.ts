/**
 * The Bun adapter: each session owns a `Bun.FetchSession` where the installed Bun has it (its
 * keep-alive pool, closed by `session.close()`), else it passes Bun's per-request fetch options.
 * `proxy` → `proxy`, `tls` → `tls` (`rejectUnauthorized`, `ca`, `cert`, `key`), `pool` →
 * `keepAlive`. Bun negotiates HTTP/1.1 for fetch, so `http2: true` is refused.
 *
 * @module
 */
import { createCookieJar } from '../cookies/jar'
import { createSessionFactory } from '../session'
import type { Adapter, Transport } from '../session'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, UnsupportedOptionError } from './fetch'

/** The part of `Bun.FetchSession` the adapter uses. */
interface FetchSessionLike {
  fetch: Fetch
  close: () => void | Promise<void>
}

/** The part of the `Bun` namespace the adapter uses (structural: no `@types/bun` needed). */
interface BunLike {
  FetchSession?: new (options: Record<string, unknown>) => FetchSessionLike
}

/** Bun's fetch options for a session's transport options (per request, or for a FetchSession). */
export function bunFetchOptions(options: TransportOptions): Record<string, unknown> {
  const { proxy, tls, http2 } = options
  const out: Record<string, unknown> = {}
  if (http2 === true) throw new UnsupportedOptionError('http2', 'bun', 'Bun\'s fetch speaks HTTP/1.1 to servers')
  if (proxy === true) throw new UnsupportedOptionError('proxy', 'bun', 'Bun follows HTTP_PROXY / HTTPS_PROXY / NO_PROXY by default; pass a proxy URL to override them')
  if (proxy !== undefined && proxy !== false) {
    if (typeof proxy === 'object' && !(proxy instanceof URL)) {
      if (proxy.noProxy !== undefined) throw new UnsupportedOptionError('proxy', 'bun', '`noProxy` is not supported; use the NO_PROXY environment variable')
      out.proxy = String(proxy.url)
    }
    else {
      out.proxy = String(proxy)
    }
  }
  if (tls) {
    const bunTls: Record<string, unknown> = {}
    if (tls.rejectUnauthorized !== undefined) bunTls.rejectUnauthorized = tls.rejectUnauthorized
    if (tls.ca !== undefined) bunTls.ca = tls.ca
    if (tls.cert !== undefined) bunTls.cert = tls.cert
    if (tls.key !== undefined) bunTls.key = tls.key
    out.tls = bunTls
  }
  return out
}

/** The Bun adapter. */
export const bunAdapter: Adapter = {
  name: 'bun',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'bun', 'it configures the session\'s own pool, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const perRequest = bunFetchOptions(options)
    const FetchSession = (globalThis as { Bun?: BunLike }).Bun?.FetchSession
    if (typeof FetchSession === 'function') {
      const keepAlive: Record<string, unknown> = {}
      if (options.pool?.keepAliveTimeout !== undefined) keepAlive.idleTimeout = options.pool.keepAliveTimeout
      if (options.pool?.connections !== undefined) keepAlive.maxIdleSockets = options.pool.connections
      const session = new FetchSession({ ...perRequest, ...(Object.keys(keepAlive).length > 0 ? { keepAlive } : {}) })
      return {
        fetch: (input, init) => session.fetch(input, init),
        close: async () => {
          await session.close()
        },
      }
    }
    if (options.pool) throw new UnsupportedOptionError('pool', 'bun', 'this Bun has no Bun.FetchSession; upgrade Bun to size the pool')
    const send: Fetch = (input, init) => globalThis.fetch(input, { ...init, ...perRequest } as RequestInit)
    return { fetch: send, close: async () => {} }
  },
  sharedTransport: fetchTransport,
  createCookieJar,
}

const factory = createSessionFactory(bunAdapter)

/** Creates a session with its own Bun connection pool (see the package's main entry for the API). */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over Bun's `fetch`. */
export const $fetch: $Fetch = factory.$fetch

export * from '../exports'
