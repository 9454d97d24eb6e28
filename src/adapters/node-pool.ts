/**
 * The Node adapter's undici half (its pools, proxy routing and undici's `fetch` fallback), loaded
 * by src/adapters/node.ts with a dynamic `import()` when a session first sends, so that importing
 * fetch-session does not load undici (about 100 ms on a cold Node process, issue 18). Everything
 * a session's options decide, and every check of them, is done before, in node.ts
 * (`DispatcherPlan`): creating the dispatcher here cannot fail for an option.
 *
 * @module
 */
import { Agent, buildConnector, Client, Dispatcher, FormData as UndiciFormData, fetch as undiciFetch, getGlobalDispatcher, Pool, ProxyAgent } from 'undici'
import { proxyFor } from '../proxy-env'
import type { ProxyRoutes } from '../proxy-env'
import { markSocket } from '../transports/socket-timings'
import type { Fetch } from '../types'
import { bare } from '../own'

export { getGlobalDispatcher }

/** What a session's transport options decide of its dispatcher, checked (src/adapters/node.ts). */
export interface DispatcherPlan {
  /** The target's TLS settings (`connect` options of undici). */
  connect: Record<string, unknown>
  /** The TLS settings of a connection to a proxy itself: the defaults, never the target's. */
  proxyConnect: Record<string, unknown>
  /** `connections` and `keepAliveTimeout`, own values. */
  poolOptions: { connections: number | null, keepAliveTimeout: number }
  http2: boolean
  /** Direct, routed by scheme and `no_proxy` between direct and proxies, or every request through one proxy. */
  route: { kind: 'direct' } | { kind: 'router', routes: ProxyRoutes } | { kind: 'through', uri: string }
}

/** Builds the undici dispatcher of a session's checked plan. */
export function createDispatcher(plan: DispatcherPlan): Dispatcher {
  const { connect, proxyConnect, poolOptions, http2 } = plan
  const agentOptions: Agent.Options = bare({
    ...poolOptions,
    allowH2: http2,
    connect,
  })
  // The connector the Agent would build from `connect` (what its Pools pass to buildConnector),
  // marking each socket's DNS, TCP and TLS for `response.timings` (src/transports/socket-timings.ts).
  // The ProxyAgent below keeps the options: it builds the connectors of its tunnels itself.
  const direct = (): Dispatcher => new Agent(bare({ ...agentOptions, connect: timedConnector(bare({ allowH2: http2, ...connect })) }))
  const poolFor = (origin: string | URL, factoryOptions: object): Dispatcher => {
    // The connection to the proxy itself: the default TLS settings, never the target's.
    const merged = bare({ ...poolOptions, connect: timedConnector(proxyConnect), ...factoryOptions }) as Pool.Options
    return merged.connections === 1 ? new Client(origin, merged) : new Pool(origin, merged)
  }
  const through = (uri: string): Dispatcher => new SchemeSplit(
    // An `http://` target gets an ordinary absolute-form request, as curl, requests, Deno and Bun
    // send it (a stock squid refuses CONNECT to ports but 443), on connections with the pool settings.
    new AbsoluteFormProxy(uri, poolFor),
    // CONNECT for `https://`: the proxy sees the CONNECT; the target's TLS settings apply inside the tunnel.
    new ProxyAgent(bare({ ...agentOptions, uri, requestTls: connect, proxyTls: proxyConnect })),
  )
  const { route } = plan
  if (route.kind === 'direct') return direct()
  if (route.kind === 'router') return new ProxyRouter(route.routes, direct(), through)
  return through(route.uri)
}

/** undici's connector type (`buildConnector.connector`). */
type Connector = buildConnector.connector

/**
 * undici's connector for these options (what an `Agent` builds from its `connect` options),
 * marking each socket it opens (src/transports/socket-timings.ts).
 */
function timedConnector(options: buildConnector.BuildOptions): Connector {
  const connect = buildConnector(options)
  return (connectOptions, callback) => {
    const begin = performance.now()
    const socket = connect(connectOptions, callback)
    // undici's types say void; its connector returns the socket (lib/core/connect.js).
    markSocket(socket as unknown, begin, connectOptions.protocol === 'https:')
    return socket as never
  }
}

/**
 * A dispatcher that sends through others (`members()`) and closes or destroys them all: undici's
 * `close()` / `destroy()` overloads, a promise or a callback, written once.
 */
abstract class Composite extends Dispatcher {
  protected abstract members(): Dispatcher[]

  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    return settle(this.members().map(dispatcher => dispatcher.close()), callback)
  }

  override destroy(): Promise<void>
  override destroy(error: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(error: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : first ?? null
    return settle(this.members().map(dispatcher => dispatcher.destroy(error)), typeof first === 'function' ? first : second)
  }
}

/** Waits for every promise, then calls `callback` or resolves. */
function settle(promises: Array<Promise<void>>, callback: (() => void) | undefined): Promise<void> | void {
  const done = Promise.all(promises).then(() => {})
  if (callback) done.then(callback, callback)
  else return done
}

/**
 * Sends each request direct or through the proxy its URL's scheme names, by curl's rule
 * (src/proxy-env.ts), rather than undici's `EnvHttpProxyAgent`, which sends `https://` through
 * `HTTP_PROXY` when `HTTPS_PROXY` is unset.
 */
class ProxyRouter extends Composite {
  readonly #routes: ProxyRoutes
  readonly #direct: Dispatcher
  readonly #proxies: Map<string, Dispatcher> = new Map()
  /** The dispatcher chosen for each origin seen (the choice depends on the origin only). */
  readonly #chosen: Map<string, Dispatcher> = new Map()

  constructor(routes: ProxyRoutes, direct: Dispatcher, through: (uri: string) => Dispatcher) {
    super()
    this.#routes = routes
    this.#direct = direct
    // Made at once (their URLs were checked at createSession(), src/adapters/node.ts).
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

  protected members(): Dispatcher[] {
    return [this.#direct, ...this.#proxies.values()]
  }
}

/** Sends `http://` origins to one dispatcher and every other to another; closes both. */
class SchemeSplit extends Composite {
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

  protected members(): Dispatcher[] {
    return [this.#http, this.#other]
  }
}

/**
 * A forward proxy for `http://` targets: each request goes to the proxy in absolute form
 * (`GET http://host/path`, RFC 9112 §3.2.2), with `Host` and the proxy's credentials. Unlike
 * undici's own (`proxyTunnel: false`), a proxy's 407 is a response, as curl, requests, Deno and
 * Bun give it, not an error that reads like an abort.
 */
class AbsoluteFormProxy extends Composite {
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

  protected members(): Dispatcher[] {
    return [this.#pool]
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
export function undiciFetchOn(dispatcher: Dispatcher): Fetch {
  return (input, init) => {
    const chosen = (init as { dispatcher?: unknown } | undefined)?.dispatcher ?? dispatcher
    return undiciFetch(input as string, { ...withUndiciFormData(init), dispatcher: chosen } as never) as unknown as Promise<Response>
  }
}

