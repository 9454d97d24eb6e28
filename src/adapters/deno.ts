/**
 * The Deno adapter: each session owns a `Deno.HttpClient` (its connection pool, closed by
 * `session.close()`), built from the transport options:
 *
 * - `proxy`: a URL or `{ url }` → the client's `proxy: { url }`; `true` (and the default) → the
 *   environment's proxies by curl's rule (src/proxy-env.ts), each passed to a client of its own,
 *   since Deno's own reading differs (upper case wins, `ALL_PROXY` beats `HTTPS_PROXY`). Deno then
 *   applies `NO_PROXY` itself too, to every client; it ignores the entries `*` and `host:port`.
 *   Proxy credentials are refused (URL userinfo, or in the `HTTPS_PROXY` / `ALL_PROXY` a session
 *   would use): Deno sends them to https origins too, inside the tunnel (SECURITY.md).
 * - `tls.ca` → `caCerts` (trusted in addition to the default roots), `tls.cert` + `tls.key` →
 *   the client certificate for mutual TLS.
 * - `pool.keepAliveTimeout` → `poolIdleTimeout` (ms).
 * - `http2` → `http2`: Deno negotiates HTTP/2 over TLS (ALPN) by default; `false` keeps HTTP/1.1.
 *
 * What `Deno.createHttpClient` cannot do is refused at `createSession()` with an
 * `UnsupportedOptionError`: `dispatcher` (undici's; a request's is an `InvalidRequestError`),
 * proxy credentials (above), `proxy: false` (the environment's proxies always apply),
 * `proxy.noProxy` (no per-client bypass list), `tls.rejectUnauthorized: false` (only the
 * process-wide `--unsafely-ignore-certificate-errors`), and `pool.connections` (the client caps
 * idle connections per host, `poolMaxIdlePerHost`, never the connections in use).
 *
 * @module
 */
import { createCookieJar } from '../cookies/jar'
import { PROXY_VARIABLES, proxyFor, routesFromEnvironment } from '../proxy-env'
import type { ProxyRoutes } from '../proxy-env'
import { createSessionFactory } from '../session'
import { SESSION_LAYERS } from '../session-layers'
import type { Adapter, Transport } from '../adapter'
import { validateTlsOptions } from '../tls-options'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, NO_DISPATCHER_HINT, refusingDispatcher, UnsupportedOptionError } from './fetch'
import { bare } from '../own'
import { inputURL } from '../http'
import { timedFetch } from '../timings'

/** The part of `Deno.HttpClient` the adapter uses. */
interface HttpClientLike {
  close: () => void
}

/** The part of the `Deno` namespace the adapter uses (structural: no Deno types needed). */
interface DenoLike {
  createHttpClient: (options: Record<string, unknown>) => HttpClientLike
  env?: { get: (name: string) => string | undefined }
  permissions?: { querySync?: (descriptor: { name: 'env', variable: string }) => { state: string } }
}

function deno(): DenoLike {
  const value = (globalThis as { Deno?: DenoLike }).Deno
  if (!value || typeof value.createHttpClient !== 'function') {
    throw new UnsupportedOptionError('transport', 'this runtime', 'Deno.createHttpClient is not available; import fetch-session/deno only in Deno')
  }
  return value
}

/** Why proxy credentials are refused on Deno (SECURITY.md, "Known gaps"). */
const CREDENTIALS_LEAK = 'Deno sends a proxy\'s credentials to the https origin too, inside the TLS tunnel (a Proxy-Authorization header the origin can read), so fetch-session refuses proxy credentials on Deno; use a proxy that admits you without credentials (e.g. by address), or another runtime'

/** True when a proxy URL carries credentials (userinfo). */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.username !== '' || parsed.password !== ''
  }
  catch {
    return false
  }
}

/**
 * The proxy routes of the environment by curl's rule, or `undefined` when it names no proxy or
 * cannot be read without asking: without `--allow-env` for these variables, Deno's own reading of
 * them applies.
 */
function environmentRoutes(runtime: DenoLike): ProxyRoutes | undefined {
  if (typeof runtime.env?.get !== 'function' || typeof runtime.permissions?.querySync !== 'function') return undefined
  const env: Record<string, string | undefined> = {}
  for (const variable of PROXY_VARIABLES) {
    if (runtime.permissions.querySync({ name: 'env', variable }).state !== 'granted') return undefined
    env[variable] = runtime.env.get(variable)
  }
  return routesFromEnvironment(env)
}

/** The options of `Deno.createHttpClient()` for a session's transport options (all but the proxy). */
function httpClientOptions(options: TransportOptions): Record<string, unknown> {
  const { tls, pool, http2 } = options
  // No prototype: a polluted Object.prototype must add no `caCerts` or `proxy` (issue 12 item 7).
  const client: Record<string, unknown> = Object.create(null)
  if (options.dispatcher !== undefined) throw new UnsupportedOptionError('dispatcher', 'deno', `${NO_DISPATCHER_HINT} (Deno.createHttpClient: use \`proxy\`, \`tls\`, \`pool\`, \`http2\`)`)
  validateTlsOptions(tls)
  if (tls) {
    if (tls.rejectUnauthorized === false) {
      throw new UnsupportedOptionError('tls.rejectUnauthorized', 'deno', 'Deno can only skip certificate checks for the whole process (--unsafely-ignore-certificate-errors); trust the server\'s CA with `tls.ca` instead')
    }
    if (tls.ca !== undefined) client.caCerts = Array.isArray(tls.ca) ? tls.ca : [tls.ca]
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

/**
 * Where a session's requests go: one proxy for all (`proxy` given), the environment's by curl's
 * rule (`routes`), or Deno's default (no proxy named anywhere, or the environment unreadable).
 */
type ProxyPlan = { kind: 'fixed', url: string } | { kind: 'routes', routes: ProxyRoutes } | { kind: 'default' }

function proxyPlan(options: TransportOptions, runtime: DenoLike): ProxyPlan {
  const { proxy } = options
  if (proxy === false) {
    throw new UnsupportedOptionError('proxy', 'deno', 'Deno.createHttpClient cannot ignore HTTP_PROXY / HTTPS_PROXY / ALL_PROXY; unset them for this process, or name the hosts in NO_PROXY')
  }
  if (proxy === undefined || proxy === true) {
    const routes = environmentRoutes(runtime)
    if (!routes) return { kind: 'default' }
    if (routes.https !== undefined && hasCredentials(routes.https)) {
      throw new UnsupportedOptionError('proxy', 'deno', `${routes.sources.https} names a proxy with credentials for https:// URLs, and ${CREDENTIALS_LEAK}`)
    }
    return { kind: 'routes', routes }
  }
  let url: string | URL = proxy as string | URL
  if (typeof proxy === 'object' && !(proxy instanceof URL)) {
    if (proxy.noProxy !== undefined && proxy.noProxy !== '') {
      throw new UnsupportedOptionError('proxy', 'deno', '`noProxy` has no counterpart in Deno.createHttpClient; name the hosts in the NO_PROXY environment variable, which Deno applies to this proxy too')
    }
    url = proxy.url
  }
  if (hasCredentials(String(url))) throw new UnsupportedOptionError('proxy', 'deno', `the proxy URL carries credentials, and ${CREDENTIALS_LEAK}`)
  return { kind: 'fixed', url: String(url) }
}

/**
 * Deno's fetch decodes gzip and br but not deflate (it asks for `gzip, br` only); a server that
 * sends deflate anyway (httpbin's `/deflate`, old servers) would hand the caller compressed bytes,
 * where browsers, Node, Bun and requests decode them. So a `Content-Encoding: deflate` body is
 * decoded here, zlib-wrapped (RFC 1950) or raw (RFC 1951), told apart by its first byte as
 * undici does.
 */
function decodingDeflate(send: Fetch): Fetch {
  return async (input, init) => {
    const response = await send(input, init)
    const coding = response.headers.get('content-encoding')
    if (coding === null || coding.trim().toLowerCase() !== 'deflate' || !response.body || response.status < 200 || response.status > 599) return response
    const reader = response.body.getReader()
    const first = await reader.read()
    const zlib = !first.done && first.value.length > 0 && (first.value[0]! & 0x0F) === 0x08
    const compressed = new ReadableStream<Uint8Array>(bare({
      start(controller) {
        if (first.done) controller.close()
        else controller.enqueue(first.value)
      },
      async pull(controller) {
        const chunk = await reader.read()
        if (chunk.done) controller.close()
        else controller.enqueue(chunk.value)
      },
      cancel: reason => reader.cancel(reason),
    }))
    const body = first.done ? compressed : compressed.pipeThrough(new DecompressionStream(zlib ? 'deflate' : 'deflate-raw') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
    const decoded = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
    for (const key of ['url', 'redirected'] as const) Object.defineProperty(decoded, key, { value: response[key], configurable: true })
    // The request's timings (timedFetch's getter, an own property).
    const timings = Object.getOwnPropertyDescriptor(response, 'timings')
    if (timings) Object.defineProperty(decoded, 'timings', timings)
    return decoded
  }
}

/** The Deno adapter. */
const denoAdapter: Adapter = {
  layers: SESSION_LAYERS,
  name: 'deno',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named) throw new UnsupportedOptionError(named, 'deno', 'it configures the session\'s own client, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    const runtime = deno()
    const settings = httpClientOptions(options)
    const plan = proxyPlan(options, runtime)
    // One client per proxy the session uses ('' for none): Deno.createHttpClient takes one proxy.
    const clients = new Map<string, HttpClientLike>()
    const clientFor = (proxy: string | undefined): HttpClientLike => {
      let client = clients.get(proxy ?? '')
      if (!client) {
        client = runtime.createHttpClient(proxy === undefined ? settings : bare({ ...settings, proxy: bare({ url: proxy }) }))
        clients.set(proxy ?? '', client)
      }
      return client
    }
    let send: Fetch
    if (plan.kind === 'routes') {
      const { routes } = plan
      send = (input, init) => globalThis.fetch(input, bare({ ...init, client: clientFor(proxyFor(routes, new URL(inputURL(input)))) }) as RequestInit)
    }
    else {
      const client = clientFor(plan.kind === 'fixed' ? plan.url : undefined)
      send = (input, init) => globalThis.fetch(input, bare({ ...init, client }) as RequestInit)
    }
    let closed = false
    return {
      fetch: refusingDispatcher(decodingDeflate(timedFetch(send)), 'Deno'),
      // Deno's fetch settles a request and fails its body as soon as the signal aborts, with its reason.
      honoursSignal: true,
      close: async () => {
        if (closed) return
        closed = true
        // Drops the pools: idle connections close now. Deno's close() lets a response being read
        // complete: the session's close signal has aborted those already (issue 12 item 10).
        for (const client of clients.values()) client.close()
      },
    }
  },
  sharedTransport: (fetch) => {
    const shared = fetchTransport(fetch, 'Deno')
    return fetch ? shared : { ...shared, fetch: decodingDeflate(shared.fetch) }
  },
  createCookieJar,
}

const factory = createSessionFactory(denoAdapter)

/** Creates a session with its own `Deno.HttpClient` (see the package's main entry for the API). */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over Deno's `fetch`. */
export const $fetch: $Fetch = factory.$fetch

export * from '../exports-server'
