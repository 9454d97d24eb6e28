/**
 * The Node adapter: each session owns an undici `Agent` (its connection pool, closed by
 * `session.close()`), or a `ProxyAgent` when a proxy applies (a router of its own between direct
 * and proxies when the environment's or `{ url, noProxy }` apply, by curl's rule: see
 * src/proxy-env.ts); `tls` maps to the agent's `connect` options and `http2` to `allowH2`.
 * `http://` targets go to the proxy as absolute-form requests, `https://` targets through CONNECT.
 * A caller's `dispatcher` replaces the session's pool (and stays the caller's to close).
 * `$fetch` uses the shared pool of Node's own `fetch` (undici's global dispatcher).
 *
 * Both send through the dispatch transport (src/transports/dispatch.ts): undici's dispatcher API
 * with a lean `Response`, about a third of the CPU of `fetch` per request on Node 20, sending the
 * same bytes and failing the same way. What it does not take (streams and `FormData` as bodies,
 * fetch-only options…) goes to undici's `fetch` on the same pool (a session) or to Node's
 * `fetch` (`$fetch`).
 *
 * Tests' mocks take the requests of both (see `interceptable()`): a mock's `globalThis.fetch`
 * (MSW, nock) gets every request, a session's with its pool as the `dispatcher`; undici's
 * `MockAgent` set as the global dispatcher gets those of the sessions' own pools and of `$fetch`.
 * Any other replaced `globalThis.fetch` gets `$fetch`'s only.
 *
 * @module
 */
import { setMaxListeners } from 'node:events'
import { readFileSync } from 'node:fs'
import * as tls from 'node:tls'
import { Agent, Client, Dispatcher, FormData as UndiciFormData, fetch as undiciFetch, getGlobalDispatcher, Pool, ProxyAgent } from 'undici'
import { createCookieJar } from '../cookies/jar'
import { proxyFor, routesFromEnvironment, routesFromOption } from '../proxy-env'
import type { ProxyEnvironment, ProxyRoutes } from '../proxy-env'
import { createSessionFactory } from '../session'
import { SESSION_LAYERS } from '../session-layers'
import type { Adapter, Transport, TransportFetch } from '../adapter'
import { certificateBlocks, validateTlsOptions } from '../tls-options'
import { createDispatchFetch, isDispatcher, NOT_A_DISPATCHER } from '../transports/dispatch'
import { storedLeanResponse } from '../transports/lean-response'
import { timedConnector } from '../transports/socket-timings'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, UnsupportedOptionError } from './fetch'
import { invalidOption } from '../errors'
import { bare } from '../own'

/** The process environment (read when a session is created). */
function environment(): ProxyEnvironment {
  return (globalThis as { process?: { env?: ProxyEnvironment } }).process?.env ?? {}
}

let extraCertificates: string[] | undefined

/**
 * The certificates of the file `NODE_EXTRA_CA_CERTS` names, read once, as Node reads it at
 * start-up. Node 20 cannot list them (no `tls.getCACertificates`), yet a `ca` of our own
 * replaces Node's whole default store, the extra CAs included.
 */
function extraCACertificates(): string[] {
  if (extraCertificates) return extraCertificates
  extraCertificates = []
  const file = environment().NODE_EXTRA_CA_CERTS
  if (file) {
    try {
      extraCertificates = certificateBlocks(readFileSync(file, 'utf8'))
    }
    catch {
      // Node itself warned at start-up ("Ignoring extra certs from …") and trusts none of them.
    }
  }
  return extraCertificates
}

/**
 * `tls.ca` adds to the trusted roots (as on Deno and Bun); Node's own `ca` would replace them. The
 * default store is Node's bundled roots plus NODE_EXTRA_CA_CERTS (listed by `getCACertificates`
 * on Node 22.15+, read from the file before that).
 */
function withDefaultRoots(value: string | string[]): string[] {
  const extra = Array.isArray(value) ? value : [value]
  const { getCACertificates } = tls as { getCACertificates?: (type: 'default') => string[] }
  const defaults = typeof getCACertificates === 'function' ? getCACertificates('default') : [...tls.rootCertificates, ...extraCACertificates()]
  return [...defaults, ...extra]
}

/**
 * Sends each request direct or through the proxy its URL's scheme names, by curl's rule
 * (src/proxy-env.ts), rather than undici's `EnvHttpProxyAgent`, which sends `https://` through
 * `HTTP_PROXY` when `HTTPS_PROXY` is unset.
 */
class ProxyRouter extends Dispatcher {
  readonly #routes: ProxyRoutes
  readonly #direct: Dispatcher
  readonly #proxies: Map<string, Dispatcher> = new Map()
  /** The dispatcher chosen for each origin seen (the choice depends on the origin only). */
  readonly #chosen: Map<string, Dispatcher> = new Map()

  constructor(routes: ProxyRoutes, direct: Dispatcher, through: (uri: string) => Dispatcher) {
    super()
    this.#routes = routes
    this.#direct = direct
    // Made now, so that a malformed proxy URL fails at createSession().
    for (const uri of [routes.http, routes.https]) {
      if (uri !== undefined && !this.#proxies.has(uri)) this.#proxies.set(uri, through(uri))
    }
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin)
    let target = this.#chosen.get(origin)
    if (target === undefined) {
      const proxy = proxyFor(this.#routes, new URL(origin))
      target = proxy === undefined ? this.#direct : this.#proxies.get(proxy)!
      if (this.#chosen.size >= 1024) this.#chosen.clear()
      this.#chosen.set(origin, target)
    }
    return target.dispatch(options, handler)
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all([this.#direct, ...this.#proxies.values()].map(dispatcher => dispatcher.close())).then(() => {})
    if (callback) done.then(callback, callback)
    else return done
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : first ?? null
    const callback = typeof first === 'function' ? first : second
    const done = Promise.all([this.#direct, ...this.#proxies.values()].map(dispatcher => dispatcher.destroy(error))).then(() => {})
    if (callback) done.then(callback, callback)
    else return done
  }
}

/** Sends `http://` origins to one dispatcher and every other to another; closes both. */
class SchemeSplit extends Dispatcher {
  readonly #http: Dispatcher
  readonly #other: Dispatcher

  constructor(http: Dispatcher, other: Dispatcher) {
    super()
    this.#http = http
    this.#other = other
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return (String(options.origin).startsWith('http:') ? this.#http : this.#other).dispatch(options, handler)
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    return settleAll([this.#http, this.#other].map(dispatcher => dispatcher.close()), callback)
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : first ?? null
    return settleAll([this.#http, this.#other].map(dispatcher => dispatcher.destroy(error)), typeof first === 'function' ? first : second)
  }
}

/**
 * A forward proxy for `http://` targets: each request goes to the proxy in absolute form
 * (`GET http://host/path`, RFC 9112 §3.2.2), with `Host` and the proxy's credentials. Unlike
 * undici's own (`proxyTunnel: false`), a proxy's 407 is a response, as curl, requests, Deno and
 * Bun give it, not an error that reads like an abort.
 */
class AbsoluteFormProxy extends Dispatcher {
  readonly #pool: Dispatcher
  readonly #authorization: string | undefined

  constructor(uri: string, poolFor: (origin: string | URL, options: object) => Dispatcher) {
    super()
    const url = new URL(uri)
    this.#authorization = url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined
    this.#pool = poolFor(url.origin, {})
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin).replace(/\/$/, '')
    const headers = headerPairs(options.headers)
    if (!headers.some(([name]) => name.toLowerCase() === 'host')) headers.unshift(['host', new URL(origin).host])
    if (this.#authorization) headers.push(['proxy-authorization', this.#authorization])
    return this.#pool.dispatch({ ...options, origin: undefined, path: origin + (options.path ?? '/'), headers: headers.flat() } as Dispatcher.DispatchOptions, handler)
  }

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    return settleAll([this.#pool.close()], callback)
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : first ?? null
    return settleAll([this.#pool.destroy(error)], typeof first === 'function' ? first : second)
  }
}

/** Dispatch headers in any of undici's forms (flat list, pairs, object) as pairs. */
function headerPairs(headers: Dispatcher.DispatchOptions['headers']): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  if (!headers) return pairs
  if (Array.isArray(headers)) {
    if (Array.isArray(headers[0])) for (const [name, value] of headers as unknown as Array<[string, string]>) pairs.push([name, value])
    else for (let index = 0; index < headers.length; index += 2) pairs.push([String(headers[index]), String(headers[index + 1])])
    return pairs
  }
  for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (value === undefined) continue
    for (const each of Array.isArray(value) ? value : [value]) pairs.push([name, each])
  }
  return pairs
}

/** Waits for every promise, then calls `callback` or resolves. */
function settleAll(promises: Array<Promise<void>>, callback: (() => void) | undefined): Promise<void> | void {
  const done = Promise.all(promises).then(() => {})
  if (callback) done.then(callback, callback)
  else return done
}

/**
 * The TLS settings of a connection, with an own value for every member of `tls` whether given or
 * not: undici spreads them into the options of `tls.connect()`, and node:tls reads `ca`, `cert`,
 * `key` (and `pfx`, `passphrase`, `secureContext`) of that object through its prototype, so a
 * polluted `Object.prototype.ca` would otherwise be trusted and `rejectUnauthorized` set off.
 */
function tlsConnectOptions(tlsOptions: TransportOptions['tls']): Record<string, unknown> {
  return bare({
    rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
    ca: tlsOptions?.ca === undefined ? undefined : withDefaultRoots(tlsOptions.ca),
    cert: tlsOptions?.cert,
    key: tlsOptions?.key,
    pfx: undefined,
    passphrase: undefined,
    secureContext: undefined,
  })
}

/** Builds the undici dispatcher for a session's transport options. */
function createDispatcher(options: TransportOptions): Dispatcher {
  const { proxy, tls: tlsOptions, pool, http2 } = options
  const connect = tlsConnectOptions(tlsOptions)
  // Own values even when not given (undici's defaults: no cap, 4 s): undici copies these options
  // into objects of its own and reads them there, through a possibly polluted prototype.
  const poolOptions = bare({
    connections: pool?.connections ?? null,
    keepAliveTimeout: pool?.keepAliveTimeout ?? 4000,
  })
  const agentOptions: Agent.Options = bare({
    ...poolOptions,
    allowH2: http2 === true,
    connect,
  })
  // The connector the Agent would build from `connect` (what its Pools pass to buildConnector),
  // marking each socket's DNS, TCP and TLS for `response.timings` (src/transports/socket-timings.ts).
  // The ProxyAgent below keeps the options: it builds the connectors of its tunnels itself.
  const direct = (): Dispatcher => new Agent(bare({ ...agentOptions, connect: timedConnector(bare({ allowH2: http2 === true, ...connect })) }))
  const poolFor = (origin: string | URL, factoryOptions: object): Dispatcher => {
    // The connection to the proxy itself: the default TLS settings, never the target's.
    const merged = bare({ ...poolOptions, connect: timedConnector(tlsConnectOptions(undefined)), ...factoryOptions }) as Pool.Options
    return merged.connections === 1 ? new Client(origin, merged) : new Pool(origin, merged)
  }
  const through = (uri: string): Dispatcher => new SchemeSplit(
    // An `http://` target gets an ordinary absolute-form request, as curl, requests, Deno and Bun
    // send it (a stock squid refuses CONNECT to ports but 443), on connections with the pool settings.
    new AbsoluteFormProxy(uri, poolFor),
    // CONNECT for `https://`: the proxy sees the CONNECT; the target's TLS settings apply inside the tunnel.
    new ProxyAgent(bare({ ...agentOptions, uri, requestTls: connect, proxyTls: tlsConnectOptions(undefined) })),
  )
  if (proxy === false) return direct()
  if (proxy === undefined || proxy === true) {
    const routes = routesFromEnvironment(environment())
    return routes ? new ProxyRouter(routes, direct(), through) : direct()
  }
  if (typeof proxy === 'object' && !(proxy instanceof URL)) {
    const uri = String(proxy.url)
    return proxy.noProxy === undefined ? through(uri) : new ProxyRouter(routesFromOption(uri, proxy.noProxy), direct(), through)
  }
  return through(String(proxy))
}

/** The transport over a caller's own dispatcher (`dispatcher` option): the caller closes it. */
function callerTransport(options: TransportOptions): Transport {
  const dispatcher = options.dispatcher
  if (!isDispatcher(dispatcher)) throw invalidOption('dispatcher', '`dispatcher` must be an undici Dispatcher (an object with a dispatch() method)')
  for (const key of Object.keys(options)) {
    const value = (options as Record<string, unknown>)[key]
    if (key !== 'dispatcher' && value !== undefined && value !== false) {
      throw new UnsupportedOptionError(key, 'node', 'the session sends through your `dispatcher`, whose connections are yours to configure: set it on the dispatcher (e.g. an undici Agent or ProxyAgent)', 'node with a `dispatcher`')
    }
  }
  const own = dispatcher as unknown as Dispatcher
  // No MockAgent of the global dispatcher here: `fetch(url, { dispatcher })` does not use it either.
  const { fetch } = interceptable(createDispatchFetch({ dispatcher: own, fallback: undiciFetchOn(own), userAgent: 'undici' }), own, false)
  return {
    fetch,
    close: async () => {},
  }
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

/** The fetch a session falls back to: undici's, on the session's own pool (or the request's `dispatcher`). */
function undiciFetchOn(dispatcher: Dispatcher): Fetch {
  return (input, init) => {
    const chosen = (init as { dispatcher?: unknown } | undefined)?.dispatcher ?? dispatcher
    return undiciFetch(input as string, { ...withUndiciFormData(init), dispatcher: chosen } as never) as unknown as Promise<Response>
  }
}

/** The transport of `$fetch`: the global dispatcher (the pool of Node's fetch), through `globalThis.fetch` when it was replaced. */
function createSharedTransport(): Transport {
  const platform: Fetch = (input, init) => globalThis.fetch(input, init)
  // A MockAgent set as the global dispatcher is the one `getGlobalDispatcher` returns: nothing to detect.
  const lean = createDispatchFetch({ dispatcher: getGlobalDispatcher, fallback: platform, userAgent: 'node' })
  return {
    fetch: (input, init) => {
      if (!globalFetchReplaced()) return lean(input, init)
      const requested = (init as { dispatcher?: unknown } | undefined)?.dispatcher
      return requested === undefined || isDispatcher(requested) ? platform(input, init) : Promise.reject(new TypeError(NOT_A_DISPATCHER))
    },
    close: async () => {},
  }
}

/** Where undici, Node's own and the npm package alike, keeps the global dispatcher (`setGlobalDispatcher()`). */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1')

/**
 * True while a fetch interceptor of @mswjs/interceptors (under MSW 2 and nock 14 and 15) is applied:
 * up to 0.41 it sets `globalThis[Symbol.for('fetch-interceptor')]`, from 0.44 on it lists itself,
 * active, in `globalThis.__MSW_INTERCEPTORS_REGISTRY`. Read at load and when `globalThis.fetch`
 * changes, never per request.
 */
function interceptorApplied(): boolean {
  const scope = globalThis as unknown as Record<PropertyKey, unknown>
  if (scope[Symbol.for('fetch-interceptor')] !== undefined) return true
  const registry = scope.__MSW_INTERCEPTORS_REGISTRY
  if (!(registry instanceof Map)) return false
  for (const interceptor of registry.values()) {
    if ((interceptor as { readyState?: unknown } | null)?.readyState === 'ACTIVE') return true
  }
  return false
}

/**
 * Node's own `globalThis.fetch`: the one seen when this module loaded, unless a mocking library
 * had replaced it already (nock does on import), and then the first one seen once none is applied.
 */
let nodeFetch: unknown = interceptorApplied() ? undefined : globalThis.fetch
let seenFetch: unknown = globalThis.fetch
/** `seenFetch` is not Node's own: `$fetch` sends through it, whoever replaced it. */
let fetchReplaced = seenFetch !== nodeFetch
/**
 * `seenFetch` is a mock's (MSW's, nock's): sessions send through it too. Not through another
 * replacement (a framework's caching fetch…): a session keeps its own pool, as before.
 */
let fetchMocked = fetchReplaced && interceptorApplied()

/** Classifies `globalThis.fetch` when it changed: one read and compare per request otherwise. */
function observeGlobalFetch(): void {
  const current = globalThis.fetch
  if (current === seenFetch) return
  seenFetch = current
  const applied = interceptorApplied()
  if (nodeFetch === undefined && !applied) nodeFetch = current
  fetchReplaced = current !== nodeFetch
  fetchMocked = fetchReplaced && applied
}

/** True when `globalThis.fetch` is not Node's own (a mocking library's, or any other). */
function globalFetchReplaced(): boolean {
  observeGlobalFetch()
  return fetchReplaced
}

/** True when `globalThis.fetch` is a mocking library's (@mswjs/interceptors: MSW 2, nock 14 and 15). */
function globalFetchMocked(): boolean {
  observeGlobalFetch()
  return fetchMocked
}

/** undici's `MockAgent` (any version), told from other dispatchers by the methods only it has. */
function asMockAgent(value: unknown): Dispatcher | undefined {
  return isDispatcher(value) && typeof (value as { disableNetConnect?: unknown }).disableNetConnect === 'function' ? value : undefined
}

let seenGlobalDispatcher: unknown = (globalThis as Record<PropertyKey, unknown>)[GLOBAL_DISPATCHER]
let globalMock: Dispatcher | undefined = asMockAgent(seenGlobalDispatcher)

/**
 * The global dispatcher when it is a `MockAgent` (`setGlobalDispatcher(mockAgent)`), else
 * undefined: one read and compare per request. Another global dispatcher (a `ProxyAgent`…) is
 * Node's fetch's and `$fetch`'s, not a session's: a session has its own pool, and its proxies.
 */
function globalMockAgent(): Dispatcher | undefined {
  const current = (globalThis as Record<PropertyKey, unknown>)[GLOBAL_DISPATCHER]
  if (current !== seenGlobalDispatcher) {
    seenGlobalDispatcher = current
    globalMock = asMockAgent(current)
  }
  return globalMock
}

/**
 * A session's fetch (`lean`, over `dispatcher`: its own pool, or the caller's), that a test's
 * mock takes over while it is installed:
 * - a mock's `globalThis.fetch` (MSW, nock: `globalFetchMocked()`): the request goes through it as
 *   `fetch(url, { ...init, dispatcher })`, so the mock answers it and a request it lets through
 *   still leaves on the session's pool (or the request's `dispatcher`). The session's layers stay
 *   above it: redirects are asked `manual` and followed by the session, cookies are its jar's,
 *   retries and deadlines its own;
 * - with `ownPool`, a `MockAgent` set as the global dispatcher: the request goes through it, on
 *   the lean path, unless it names a `dispatcher` of its own.
 * Nothing mocked costs two reads and compares per request. `close(reason)` fails the mocked
 * requests still in flight with the session's reason, as `destroy()` does the pool's.
 */
function interceptable(lean: TransportFetch, dispatcher: Dispatcher, ownPool: boolean): { fetch: TransportFetch, close: (reason?: Error) => void } {
  let closing: AbortController | undefined
  // A call that may be closed without a signal of its own (the pool fails those on close): the transport's.
  const signalOf = (init: RequestInit | undefined): AbortSignal | null | undefined => {
    if (init?.signal || !ownPool) return init?.signal
    if (!closing) {
      closing = new AbortController()
      setMaxListeners(Number.POSITIVE_INFINITY, closing.signal)
    }
    return closing.signal
  }
  const fetch: TransportFetch = (input, init, hints) => {
    const requested = (init as { dispatcher?: unknown } | undefined)?.dispatcher
    if (globalFetchMocked()) {
      if (requested !== undefined && !isDispatcher(requested)) return Promise.reject(new TypeError(NOT_A_DISPATCHER))
      const through = requested ?? (ownPool ? globalMockAgent() : undefined) ?? dispatcher
      return globalThis.fetch(input, { ...init, dispatcher: through, signal: signalOf(init) } as RequestInit)
    }
    if (!ownPool || requested !== undefined) return lean(input, init, hints)
    const mock = globalMockAgent()
    if (mock === undefined) return lean(input, init, hints)
    return lean(input, { ...init, dispatcher: mock, signal: signalOf(init) } as RequestInit, hints)
  }
  return {
    fetch,
    close: (reason) => {
      closing?.abort(reason)
    },
  }
}

/** The Node adapter. */
const nodeAdapter: Adapter = {
  layers: SESSION_LAYERS,
  name: 'node',
  createTransport(options, fetch): Transport {
    if (fetch) {
      const named = Object.keys(options)[0]
      if (named === 'dispatcher') throw new UnsupportedOptionError(named, 'node', 'a custom `fetch` and a `dispatcher` both decide how requests are sent; pass one of them')
      if (named) throw new UnsupportedOptionError(named, 'node', 'it configures the session\'s own pool, so it cannot be combined with a custom `fetch`')
      return fetchTransport(fetch)
    }
    if (options.dispatcher !== undefined) return callerTransport(options)
    validateTlsOptions(options.tls)
    const dispatcher = createDispatcher(options)
    const mocked = interceptable(createDispatchFetch({ dispatcher, fallback: undiciFetchOn(dispatcher), userAgent: 'undici' }), dispatcher, true)
    return {
      fetch: mocked.fetch,
      // destroy(), not close(): undici's close() waits for every request in flight, a hanging one
      // or a body nobody reads included (issue 12 item 10). What is still on the wire fails with
      // `reason`, the session's SessionClosedError, and the sockets are closed at once (a mock's
      // requests too: see `interceptable()`).
      close: (reason) => {
        mocked.close(reason)
        return dispatcher.destroy(reason ?? null)
      },
      abortsOnClose: true,
    }
  },
  sharedTransport: fetch => (fetch ? fetchTransport(fetch) : createSharedTransport()),
  createCookieJar,
  // Every call of a session may listen to its close signal: no MaxListenersExceededWarning for it.
  // (Infinity, not 0: Node 20's getMaxListeners(), which undici's fetch calls, throws for 0.)
  sharedSignal: signal => setMaxListeners(Number.POSITIVE_INFINITY, signal),
  storedResponse: storedLeanResponse,
}

const factory = createSessionFactory(nodeAdapter)

/**
 * Creates a session with its own undici connection pool (see the package's main entry for the API).
 * Transport options: `proxy` (a URL, `{ url, noProxy }`, `true` for `http_proxy` / `https_proxy` /
 * `all_proxy` / `no_proxy` (either case), which are also honoured by default when set, or `false`
 * to ignore them), `tls`, `pool`, `http2`, or instead of those a `dispatcher` of your own.
 */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/** The stateless mode, over the shared pool of Node's own `fetch`. */
export const $fetch: $Fetch = factory.$fetch

export * from '../exports-server'
