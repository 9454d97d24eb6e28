/**
 * The Node adapter: each session owns an undici `Agent` (its connection pool, closed by
 * `session.close()`), or a `ProxyAgent` when a proxy applies (a router of its own between direct
 * and proxies when the environment's or `{ url, noProxy }` apply, by curl's rule: see
 * src/proxy-env.ts); `tls` maps to the agent's `connect` options and `http2` to `allowH2`.
 * `http://` targets go to the proxy as absolute-form requests, `https://` targets through CONNECT.
 * A caller's `dispatcher` replaces the session's pool (and stays the caller's to close).
 * `$fetch` uses the shared pool of Node's own `fetch` (undici's global dispatcher). undici itself
 * (node-pool.ts) is loaded when a session is made or `$fetch` first sends, never on import.
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
import type { Dispatcher } from 'undici'
import { createCookieJar } from '../cookies/jar'
import { routesFromEnvironment, routesFromOption } from '../proxy-env'
import type { ProxyEnvironment } from '../proxy-env'
import { createSessionFactory } from '../session'
import { SESSION_LAYERS } from '../session-layers'
import type { Adapter, Transport, TransportFetch } from '../adapter'
import { certificateBlocks, validateTlsOptions } from '../tls-options'
import { createDispatchFetch, isDispatcher, NOT_A_DISPATCHER } from '../transports/dispatch'
import { storedLeanResponse } from '../transports/lean-response'
import type { $Fetch, Fetch, Session, SessionOptions, TransportOptions } from '../types'
import { fetchTransport, UnsupportedOptionError } from './fetch'
import { invalidOption } from '../errors'
import { bare } from '../own'
import type { DispatcherPlan } from './node-pool'

type PoolModule = typeof import('./node-pool')

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

/**
 * What a session's transport options decide of its pool, checked now, so that a bad option fails
 * at createSession() although the pool is made when the session first sends (node-pool.ts).
 */
function planDispatcher(options: TransportOptions): DispatcherPlan {
  const { proxy, tls: tlsOptions, pool, http2 } = options
  let route: DispatcherPlan['route'] = { kind: 'direct' }
  if (proxy === undefined || proxy === true) {
    const routes = routesFromEnvironment(environment())
    if (routes) route = { kind: 'router', routes }
  }
  else if (typeof proxy === 'object' && !(proxy instanceof URL)) {
    const uri = String(proxy.url)
    route = proxy.noProxy === undefined ? { kind: 'through', uri } : { kind: 'router', routes: routesFromOption(uri, proxy.noProxy) }
  }
  else if (proxy !== false) {
    route = { kind: 'through', uri: String(proxy) }
  }
  if (route.kind === 'through') checkProxyURL(route.uri, 'the proxy option')
  if (route.kind === 'router') {
    const { http, https, sources } = route.routes
    if (http !== undefined) checkProxyURL(http, sources.http ?? 'the proxy option')
    if (https !== undefined) checkProxyURL(https, sources.https ?? 'the proxy option')
  }
  return {
    connect: tlsConnectOptions(tlsOptions),
    proxyConnect: tlsConnectOptions(undefined),
    // Own values even when not given (undici's defaults: no cap, 4 s): undici copies these options
    // into objects of its own and reads them there, through a possibly polluted prototype.
    poolOptions: bare({
      connections: pool?.connections ?? null,
      keepAliveTimeout: pool?.keepAliveTimeout ?? 4000,
    }),
    http2: http2 === true,
    route,
  }
}

/**
 * A proxy URL undici's `ProxyAgent` takes: `http:` or `https:`. Else an `InvalidRequestError`
 * naming where it came from, never the URL itself (it may hold credentials).
 */
function checkProxyURL(uri: string, source: string): void {
  let url: URL
  try {
    url = new URL(uri)
  }
  catch {
    throw invalidOption('proxy', `the proxy URL of ${source} is not a valid URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidOption('proxy', `the proxy URL of ${source} must start with http: or https: (${url.protocol.slice(0, 16)} is not supported on node)`)
  }
}

/** node-pool.ts, once loaded: every transport sends through it. */
let pool: PoolModule | undefined
let loadingPool: Promise<PoolModule> | undefined

/** Loads node-pool.ts, and with it undici: when a session is made or `$fetch` first sends, never on import. */
function loadPool(): Promise<PoolModule> {
  return loadingPool ??= import('./node-pool').then((loaded) => {
    pool = loaded
    return loaded
  })
}

/**
 * A session's transport over its own pool, made when the first request is sent (undici is loaded
 * when the session is made). A request sent while undici loads waits for it; one still waiting
 * when the session closes fails with the session's reason, and no pool is made.
 */
function poolTransport(plan: DispatcherPlan): Transport {
  let dispatcher: Dispatcher | undefined
  let mocked: ReturnType<typeof interceptable> | undefined
  let closed: { reason: Error | undefined } | undefined
  const open = (loaded: PoolModule): TransportFetch => {
    if (closed) throw closed.reason ?? new Error('fetch-session: the session is closed')
    if (!mocked) {
      const own = loaded.createDispatcher(plan)
      dispatcher = own
      mocked = interceptable(createDispatchFetch({ dispatcher: own, fallback: loaded.undiciFetchOn(own), userAgent: 'undici' }), own, true)
    }
    return mocked.fetch
  }
  // Started now, so that the first request rarely waits; a failure is the first request's.
  loadPool().catch(() => {})
  return {
    fetch: (input, init, hints) => (mocked ? mocked.fetch(input, init, hints) : loadPool().then(loaded => open(loaded)(input, init, hints))),
    // destroy(), not close(): undici's close() waits for every request in flight, a hanging one
    // or a body nobody reads included (issue 12 item 10). What is still on the wire fails with
    // `reason`, the session's SessionClosedError, and the sockets are closed at once (a mock's
    // requests too: see `interceptable()`).
    close: (reason) => {
      closed = { reason }
      if (!mocked) return Promise.resolve()
      mocked.close(reason)
      return dispatcher!.destroy(reason ?? null)
    },
    abortsOnClose: true,
  }
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

/** undici's `fetch` on a caller's `dispatcher` (node-pool.ts), for what the lean path does not take. */
function undiciFetchOn(dispatcher: Dispatcher): Fetch {
  return (input, init) => (pool ? pool.undiciFetchOn(dispatcher)(input, init) : loadPool().then(loaded => loaded.undiciFetchOn(dispatcher)(input, init)))
}

/** The transport of `$fetch`: the global dispatcher (the pool of Node's fetch), through `globalThis.fetch` when it was replaced. */
function createSharedTransport(): Transport {
  const platform: Fetch = (input, init) => globalThis.fetch(input, init)
  // A MockAgent set as the global dispatcher is the one `getGlobalDispatcher` returns: nothing to detect.
  // undici's global dispatcher: node-pool.ts is loaded before the first request goes to it.
  const lean = createDispatchFetch({ dispatcher: () => pool!.getGlobalDispatcher(), fallback: platform, userAgent: 'node' })
  return {
    fetch: (input, init) => {
      if (!globalFetchReplaced()) return pool ? lean(input, init) : loadPool().then(() => lean(input, init))
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
    return poolTransport(planDispatcher(options))
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
