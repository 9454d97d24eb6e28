/**
 * The Node adapter: each session owns an undici `Agent` (its connection pool, closed by
 * `session.close()`), or a `ProxyAgent` / `EnvHttpProxyAgent` when a proxy applies; `tls` maps to
 * the agent's `connect` options and `http2` to `allowH2`. `$fetch` uses the shared pool of Node's
 * own `fetch` (undici's global dispatcher).
 *
 * Both send through the dispatch transport (src/transports/dispatch.ts): undici's dispatcher API
 * with a lean `Response`, about a third of the CPU of `fetch` per request on Node 20, sending the
 * same bytes and failing the same way. What it does not take (streams and `FormData` as bodies,
 * fetch-only options…) goes to undici's `fetch` on the same pool (a session) or to Node's
 * `fetch` (`$fetch`, and whenever `globalThis.fetch` was replaced, e.g. by a mocking library).
 *
 * @module
 */
import * as tls from 'node:tls'
import { Agent, EnvHttpProxyAgent, FormData as UndiciFormData, fetch as undiciFetch, getGlobalDispatcher, ProxyAgent } from 'undici'
import type { Dispatcher } from 'undici'
import { createCookieJar } from '../cookies/jar'
import { createSessionFactory } from '../session'
import type { Adapter, Transport } from '../session'
import { createDispatchFetch } from '../transports/dispatch'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, UnsupportedOptionError } from './fetch'

const PROXY_ENV = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'] as const

/** True when the process environment names a proxy (read when a session is created). */
function environmentHasProxy(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {}
  return PROXY_ENV.some(name => Boolean(env[name]))
}

/**
 * `tls.ca` adds to the trusted roots (as on Deno and Bun); Node's own `ca` would replace them. The
 * default store includes NODE_EXTRA_CA_CERTS where Node can list it (`getCACertificates`, Node 22.15+).
 */
function withDefaultRoots(value: string | string[]): string[] {
  const extra = Array.isArray(value) ? value : [value]
  const { getCACertificates } = tls as { getCACertificates?: (type: 'default') => string[] }
  const defaults = typeof getCACertificates === 'function' ? getCACertificates('default') : tls.rootCertificates
  return [...defaults, ...extra]
}

/** Builds the undici dispatcher for a session's transport options. */
function createDispatcher(options: TransportOptions): Dispatcher {
  const { proxy, tls: tlsOptions, pool, http2 } = options
  const connect: Record<string, unknown> = {}
  if (tlsOptions) {
    if (tlsOptions.rejectUnauthorized !== undefined) connect.rejectUnauthorized = tlsOptions.rejectUnauthorized
    if (tlsOptions.ca !== undefined) connect.ca = withDefaultRoots(tlsOptions.ca)
    if (tlsOptions.cert !== undefined) connect.cert = tlsOptions.cert
    if (tlsOptions.key !== undefined) connect.key = tlsOptions.key
  }
  const agentOptions: Agent.Options = {
    ...(pool?.connections !== undefined ? { connections: pool.connections } : {}),
    ...(pool?.keepAliveTimeout !== undefined ? { keepAliveTimeout: pool.keepAliveTimeout } : {}),
    ...(http2 ? { allowH2: true } : {}),
    ...(Object.keys(connect).length > 0 ? { connect } : {}),
  }
  // The proxy sees the CONNECT; the target's TLS settings apply inside the tunnel.
  const proxied = { ...agentOptions, ...(Object.keys(connect).length > 0 ? { requestTls: connect } : {}) }
  if (proxy === false) return new Agent(agentOptions)
  if (proxy === true || (proxy === undefined && environmentHasProxy())) return new EnvHttpProxyAgent(proxied)
  if (proxy === undefined) return new Agent(agentOptions)
  if (typeof proxy === 'object' && !(proxy instanceof URL)) {
    const uri = String(proxy.url)
    return proxy.noProxy === undefined
      ? new ProxyAgent({ ...proxied, uri })
      : new EnvHttpProxyAgent({ ...proxied, httpProxy: uri, httpsProxy: uri, noProxy: proxy.noProxy })
  }
  return new ProxyAgent({ ...proxied, uri: String(proxy) })
}

/**
 * undici's `fetch` takes only its own `FormData` class, not Node's global one (it would send
 * `[object FormData]` as text): copy the entries (files included) into undici's.
 */
function withUndiciFormData(init: RequestInit | undefined): RequestInit | undefined {
  const body = init?.body
  if (body instanceof FormData && !(body instanceof UndiciFormData)) {
    const form = new UndiciFormData()
    for (const [name, value] of body) form.append(name, value as string | Blob)
    return { ...init, body: form as unknown as BodyInit }
  }
  return init
}

/** The fetch a session falls back to: undici's, on the session's own pool. */
function undiciFetchOn(dispatcher: Dispatcher): Fetch {
  return (input, init) => undiciFetch(input as string, { ...withUndiciFormData(init), dispatcher } as never) as unknown as Promise<Response>
}

/** `globalThis.fetch` as Node installed it, to tell when a library replaced it. */
const nodeFetch = globalThis.fetch

/** The transport of `$fetch`: the global dispatcher (the pool of Node's fetch), through Node's fetch when it was replaced. */
function createSharedTransport(): Transport {
  const platform: Fetch = (input, init) => globalThis.fetch(input, init)
  const lean = createDispatchFetch({ dispatcher: getGlobalDispatcher, fallback: platform, userAgent: 'node' })
  return {
    fetch: (input, init) => (globalThis.fetch === nodeFetch ? lean(input, init) : platform(input, init)),
    close: async () => {},
  }
}

/** The Node adapter. */
const nodeAdapter: Adapter = {
  name: 'node',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'node', 'it configures the session\'s own pool, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const dispatcher = createDispatcher(options)
    return {
      fetch: createDispatchFetch({ dispatcher, fallback: undiciFetchOn(dispatcher), userAgent: 'undici' }),
      close: () => dispatcher.close(),
    }
  },
  sharedTransport: fetch => (fetch ? fetchTransport(fetch) : createSharedTransport()),
  createCookieJar,
}

const factory = createSessionFactory(nodeAdapter)

/**
 * Creates a session with its own undici connection pool (see the package's main entry for the API).
 * Transport options: `proxy` (a URL, `{ url, noProxy }`, `true` for `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`,
 * which are also honoured by default when set, or `false` to ignore them), `tls`, `pool`, `http2`.
 */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over the shared pool of Node's own `fetch`. */
export const $fetch: $Fetch = factory.$fetch

export { fromNetscape } from '../cookies/from-netscape'
export * from '../exports'
