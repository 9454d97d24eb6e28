/**
 * The engine behind `createSession()` and `$fetch`: option merging, the retry loop and the
 * deadlines, around ofetch (body and response-type handling, request/response hooks) whose fetch
 * is the composed session layers (redirects, cookies) over the adapter's transport.
 */
import { createFetch, FetchError } from 'ofetch'
import { callStateOf, compose, kCall } from './compose'
import type { CallState, Middleware, TransportFetch } from './compose'
import { flushStore, withCallCookies, withCookies } from './cookies/middleware'
import {
  AbortError,
  HTTPError,
  InvalidRequestError,
  invalidOption,
  isSessionError,
  NetworkError,
  ParseError,
  redactURL,
  SessionClosedError,
  TimeoutError,
} from './errors'
import type { ErrorDetails } from './errors'
import { assignHeaders, CREDENTIAL_HEADERS, isOneShotBody, removedHeaders } from './headers'
import { isNetworkError, isStaleConnectionError } from './network-errors'
import { HOOK_NAMES, mergeLayers, mergeTimeouts, own, ownRecord, toLayer } from './options'
import type { HookLists, HookName, OptionLayer } from './options'
import { authStateOf, withAuth } from './auth'
import type { CallAuth } from './auth'
import { Limiter, withLimit } from './limit'
import { withBodyWatch } from './progress'
import { discard, withFragment, withRedirects } from './redirect'
import { PROBE } from './response-hooks'
import { askShouldRetry, backoffDelay, honoursRetryAfter, parseRetryAfter, resolveRetry, retriesNetworkError } from './retry'
import type { RetryPolicy } from './retry'
import { Deadline, NEVER_ABORTED, raceSignal, releaseWhenDone, sleep } from './timeout'
import type { AttemptScope } from './timeout'
import type {
  $Fetch,
  CookieJarLike,
  Fetch,
  FetchRequest,
  FetchResponse,
  MountOptions,
  RequestOptions,
  Session,
  SessionOptions,
  TransportOptions,
} from './types'
import { appendQuery, isAbsoluteURL, resolveURL } from './url'
import { IDEMPOTENT_METHODS, inputURL, REDIRECT_DEFAULTS } from './http'

/** A way to send requests, owned by a session (its pool) or shared (the platform's). */
export interface Transport {
  /** Sends one request; never follows redirects itself when asked for `redirect: 'manual'`. */
  fetch: TransportFetch
  /**
   * Releases the pool's connections, promptly. `reason` is the session's `SessionClosedError`:
   * a transport that `abortsOnClose` fails what it still has in flight with it.
   */
  close: (reason?: Error) => Promise<void>
  /**
   * True when `close(reason)` fails every request still in flight on this transport, their
   * bodies included, with `reason` (the Node adapter's own pool: undici's `destroy(reason)`).
   * Its calls then need no signal for `close()`; other transports are given the session's.
   */
  abortsOnClose?: boolean
  /**
   * True when a request and its body settle as soon as its signal aborts (Deno's and Bun's own
   * fetch): a call on the session's shared close signal is then not raced against it (no
   * listener and no promise of ours per call). A custom `fetch` is raced, so that one ignoring
   * the signal cannot hold a call past `close()`.
   */
  honoursSignal?: boolean
}

/** What a runtime adapter provides to the engine. */
export interface Adapter {
  /** The runtime's name, used in error messages (`node`, `deno`, `bun`, `workerd`, `browser`, `fetch`). */
  name: string
  /**
   * True where the platform owns cookies and redirects (browsers): the session sends
   * `credentials: 'include'`, lets the platform follow redirects and keeps no jar.
   */
  browser?: boolean
  /** A transport with its own pool for a session; throws for transport options it cannot honour. */
  createTransport: (options: TransportOptions, fetch: Fetch | undefined) => Transport
  /** The stateless transport of `$fetch` (the platform's shared pool). */
  sharedTransport: (fetch: Fetch | undefined) => Transport
  /** Builds the cookie jar from the `cookies` option (absent in browsers). */
  createCookieJar?: (option: SessionOptions['cookies']) => CookieJarLike | undefined
  /** Where relative URLs resolve without `baseURL` (the page's URL in browsers). */
  fallbackBase?: () => string | undefined
  /**
   * Called once with each session's close signal, which every call of the session may listen to
   * at once (Node: lifts its listener-count warning for that signal).
   */
  sharedSignal?: (signal: AbortSignal) => void
}

/** The transport options a session or mount names. */
const TRANSPORT_KEYS = ['proxy', 'tls', 'pool', 'http2', 'dispatcher'] as const

interface Mount {
  /** The prefix in its normalised form (two spellings of one prefix are one mount). */
  prefix: string
  /** Where it applies: `findMount()` matches at an origin and path-segment boundary only. */
  scope: MountScope
  layer: OptionLayer
  /** Header names the mount's `headers` remove (`null` or `undefined` values). */
  removed: string[]
  transport: Transport | undefined
  policy: RetryPolicy | undefined
}

interface Client {
  adapter: Adapter
  layer: OptionLayer
  jar: CookieJarLike | undefined
  transport: Transport
  /** Transports this client must close (its own pool and its mounts'). */
  owned: Transport[]
  mounts: Mount[]
  /** Shared by a root session and every `extend()` child; `closer` is the root session's (none for `$fetch`). */
  root: { closed: boolean, closer?: AbortController }
  closed: boolean
  /** Aborted by this session's `close()` (a root session's is `root.closer`); none for `$fetch`. */
  closer?: AbortController
  /** What aborts this client's calls: its own `closer`'s signal, and the root's for a child. */
  closeSignals: readonly AbortSignal[]
  /** The promise of `close()`, once it was called: every `close()` returns it. */
  closing?: Promise<void>
  native: Fetch
  request: ReturnType<typeof createFetch>
  /** The policy of the session's own layer, computed once. */
  policy: RetryPolicy | undefined
  /** A session (true) or a stateless `$fetch` (false). */
  stateful: boolean
  /** The session's concurrency and rate limits (shared with `extend()` children). */
  limiter: Limiter | undefined
}

/**
 * Options that configure the connection pool, so they exist per session or mount only: given to
 * one request they are refused, never dropped (issue 11 item 8).
 */
const SESSION_WIDE_KEYS = ['proxy', 'tls', 'pool', 'http2'] as const

/** Options of one request that mean nothing as a session's default: refused at `createSession()`, `extend()` and `mount()`. */
const REQUEST_ONLY_KEYS = ['body', 'method'] as const

/** Throws for a `REQUEST_ONLY_KEYS` option given to `where` (`createSession()`, `extend()`, `mount()`). */
function refuseRequestOnly(options: object, where: string): void {
  for (const key of REQUEST_ONLY_KEYS) {
    if (own(options, key) !== undefined) throw invalidOption(key, `${where} cannot take \`${key}\`: it belongs to one request, so pass it to the call (session(url, { ${key} }))`)
  }
}

const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const

const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')

/** The engine bound to one adapter. */
export interface SessionFactory {
  createSession: (options?: SessionOptions) => Session
  $fetch: $Fetch
}

/** Binds the engine to a runtime adapter. */
export function createSessionFactory(adapter: Adapter): SessionFactory {
  function createSession(options: SessionOptions = {}): Session {
    if (typeof options !== 'object' || options === null) throw invalidOption('options', 'createSession() takes an options object')
    refuseRequestOnly(options, 'createSession()')
    const headers = assignHeaders(new Headers(), own<HeadersInit>(options, 'headers'))
    const layer = toLayer(options, headers)
    const cookiesOption = own<SessionOptions['cookies']>(options, 'cookies')
    const jar = adapter.browser || !adapter.createCookieJar ? undefined : adapter.createCookieJar(cookiesOption)
    const transport = adapter.createTransport(pickTransportOptions(options), own<Fetch>(options, 'fetch'))
    const limitOption = ownRecord(own<SessionOptions['limit']>(options, 'limit'))
    // Not an object, its members would be read from the prototype (`limit: 5` would limit nothing).
    if (limitOption !== undefined && (typeof limitOption !== 'object' || limitOption === null || Array.isArray(limitOption))) throw invalidOption('limit', '`limit` must be { concurrency, perHost, rps }')
    const limiter = limitOption === undefined ? undefined : new Limiter(limitOption)
    const closer = new AbortController()
    adapter.sharedSignal?.(closer.signal)
    const client = createClient(adapter, layer, jar, transport, [transport], [], { closed: false, closer }, limiter)
    client.closer = closer
    // Validate the retry policy now: a bad one is a programming error, better seen at creation.
    client.policy = resolveRetry([layer.retry])
    return createSessionObject(client)
  }

  const shared = adapter.sharedTransport(undefined)
  const $fetch = createStateless(createClient(adapter, toLayer({}, new Headers()), undefined, shared, [], [], { closed: false }))
  return { createSession, $fetch }
}

/**
 * The transport options of `options`, own keys only, on an object without a prototype, and each
 * option object (`tls`, `pool`, `{ url, noProxy }`) copied the same way: the adapters map them,
 * and what they hand the runtime must not inherit from a polluted `Object.prototype` (issue 12 item 7).
 */
function pickTransportOptions(options: object): TransportOptions {
  const picked: Record<string, unknown> = Object.create(null)
  for (const key of TRANSPORT_KEYS) {
    const value = own(options, key)
    if (value !== undefined) picked[key] = key === 'dispatcher' ? value : ownRecord(value)
  }
  return picked as TransportOptions
}

function createClient(adapter: Adapter, layer: OptionLayer, jar: CookieJarLike | undefined, transport: Transport, owned: Transport[], mounts: Mount[], root: Client['root'], limiter?: Limiter): Client {
  // Outermost first: the body watch sees the final response; redirects see every hop; auth and cookies act per hop.
  const layers: Middleware[] = [withBodyWatch()]
  if (!adapter.browser) layers.push(withRedirects())
  layers.push(withAuth())
  if (jar && !adapter.browser) layers.push(withCookies(jar))
  else if (!adapter.browser && adapter.createCookieJar) {
    const createJar = adapter.createCookieJar
    layers.push(withCallCookies(() => createJar(true)))
  }
  // Under the redirect layer: each hop takes a slot for its own host (issue 12 item 15).
  if (limiter) layers.push(withLimit(limiter))
  const bottom: Fetch = (input, init) => {
    const state = callStateOf(init)
    return (state?.transport ?? transport.fetch)(input, toRequestInit(init), state)
  }
  const native = compose(layers, bottom)
  const client: Client = {
    adapter,
    layer,
    jar,
    transport,
    owned,
    mounts,
    root,
    closed: false,
    closeSignals: [],
    native,
    request: createFetch({ fetch: forOfetch(native) as typeof globalThis.fetch }),
    policy: undefined,
    stateful: false,
    limiter,
  }
  return client
}

/**
 * The fetch ofetch calls: the session's, and for responses that can (the Node transport's), it
 * arms the cheap answer to ofetch's check for a body. ofetch reads `response.body` once for that
 * check, and again only to hand the stream to the caller (`responseType: 'stream'`), which then
 * gets the real stream.
 */
function forOfetch(native: Fetch): Fetch {
  return (input, init) => native(input, init).then((response) => {
    const probe = (response as unknown as Record<symbol, unknown>)[PROBE]
    if (typeof probe === 'function') probe.call(response)
    const state = callStateOf(init)
    if (state && init) useStrictJSON(init as OfetchOptions, response, state, String(input))
    return response
  })
}

/** The members of ofetch's own options object (`init` of the fetch it calls) read after the response. */
interface OfetchOptions {
  responseType?: string
  parseResponse?: (text: string) => unknown
}

/** ofetch's test for a JSON `Content-Type`: `application/json`, `application/*+json`. */
const JSON_TYPE = /^application\/(?:[\w!#$%&*.^`~-]*\+)?json\s*(?:;|$)/i

/**
 * Makes ofetch parse this response's body strictly when it is to be JSON (a JSON `Content-Type`,
 * `responseType: 'json'`, or the caller's `parseResponse`): ofetch's own parser (destr) returns
 * the text when it is not JSON, which then resolves typed as the caller's JSON. `init` is ofetch's
 * options object for this call, which it reads after this fetch resolves (ofetch 1.x). Issue 11 item 15.
 */
function useStrictJSON(init: OfetchOptions, response: Response, state: CallState, request: string): void {
  // A parseResponse an onRequest hook put on ofetch's options counts as the caller's too.
  const parse = init.parseResponse ?? state.parseResponse
  const type = init.responseType
  if (parse === undefined && type !== 'json' && (type !== undefined || !JSON_TYPE.test(response.headers.get('content-type') ?? ''))) return
  init.parseResponse = (text) => {
    // An error status rejects with HTTPError carrying the text (the error page), not ParseError.
    const settle = (cause: unknown, byParseResponse: boolean): unknown => {
      if (response.status >= 400) return text
      throw new ParseError(text, response, { request: response.url || request, method: state.method, cause }, byParseResponse)
    }
    if (parse) {
      try {
        return parse(text)
      }
      catch (error) {
        return settle(error, true)
      }
    }
    // An empty body is no error (ofetch resolves it as the text).
    if (text.trim() === '') return text
    try {
      return parseJSON(text)
    }
    catch (error) {
      return settle(error, false)
    }
  }
}

/**
 * `JSON.parse`, dropping the keys that could pollute a prototype once the result is merged
 * somewhere (`__proto__`, and `constructor` holding a `prototype`), as ofetch's destr did.
 */
function parseJSON(text: string): unknown {
  if (!/__proto__|constructor|\\u/.test(text)) return JSON.parse(text)
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') return undefined
    if (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value) return undefined
    return value
  })
}

/** The `RequestInit` members a transport may read (fetch spec, plus undici's `dispatcher`). */
const REQUEST_INIT_KEYS = ['method', 'headers', 'body', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache', 'redirect', 'integrity', 'keepalive', 'signal', 'window', 'duplex', 'priority', 'dispatcher'] as const

/**
 * A clean init for the transport: only the members fetch knows, only own properties, on an object
 * without a prototype, so a polluted `Object.prototype` can never reach the runtime's fetch
 * (catalogue #83, read-side gadgets).
 */
function toRequestInit(init: RequestInit | undefined): RequestInit {
  const clean: Record<string, unknown> = Object.create(null)
  if (!init) return clean as RequestInit
  for (const key of REQUEST_INIT_KEYS) {
    if (Object.prototype.hasOwnProperty.call(init, key) && (init as Record<string, unknown>)[key] !== undefined) clean[key] = (init as Record<string, unknown>)[key]
  }
  return clean as RequestInit
}

function isClosed(client: Client): boolean {
  return client.closed || client.root.closed
}

function createStateless(client: Client): $Fetch {
  const $fetch = (<T>(input: FetchRequest, options?: RequestOptions) => send(client, input, options).then(response => response._data as T)) as $Fetch
  $fetch.raw = ((input: FetchRequest, options?: RequestOptions) => send(client, input, options)) as $Fetch['raw']
  $fetch.native = (input, init) => sendNative(client, input, init)
  $fetch.create = (defaults?: RequestOptions) => {
    for (const key of SESSION_WIDE_KEYS) {
      if (own(defaults, key) !== undefined) throw invalidOption(key, `$fetch.create() uses the platform's shared pool, so it cannot take \`${key}\`; use createSession() instead`)
    }
    const over = toLayer(defaults)
    const headers = assignHeaders(new Headers(client.layer.headers), own<HeadersInit>(defaults, 'headers'))
    return createStateless(createClient(client.adapter, mergeLayers(client.layer, over, headers), undefined, client.transport, [], client.mounts, client.root))
  }
  return $fetch
}

function createSessionObject(client: Client): Session {
  client.stateful = true
  // A root session's closer is the root's; a child's is its own, and the root's closes it too.
  const closer = client.closer ??= new AbortController()
  const rootCloser = client.root.closer
  client.closeSignals = rootCloser && rootCloser !== closer ? [closer.signal, rootCloser.signal] : [closer.signal]
  if (closer !== rootCloser) client.adapter.sharedSignal?.(closer.signal)
  const session = createStateless(client) as Session
  const closedError = (input: FetchRequest, init?: { method?: string }): SessionClosedError =>
    new SessionClosedError({ request: describeInput(input), method: init?.method })
  session.native = (input, init) => {
    if (isClosed(client)) return Promise.reject(closedError(input, init))
    // The root session's close() aborts it: without a signal of the caller's, it gets the root's
    // close signal (a caller's own signal is kept as it is, with no listener added to it that
    // could outlive the call; a child's close() leaves it be).
    const rootSignal = client.root.closer?.signal
    if (init?.signal == null && rootSignal) init = { ...init, signal: rootSignal }
    // As for session calls: a browser session's cookies are the browser's, sent with credentials.
    if (client.adapter.browser && init?.credentials === undefined) return sendNative(client, input, { ...init, credentials: 'include' })
    return sendNative(client, input, init)
  }
  for (const verb of VERBS) {
    const method = verb.toUpperCase()
    session[verb] = ((input: FetchRequest, options?: RequestOptions) => session(input, { ...options, method })) as Session['get']
  }
  Object.defineProperty(session, 'headers', { get: () => client.layer.headers, enumerable: true })
  Object.defineProperty(session, 'cookies', { get: () => client.jar, enumerable: true })
  Object.defineProperty(session, 'closed', { get: () => isClosed(client), enumerable: true })
  // Every close() gets the one promise, settled once closing is done (issue 12 item 11).
  session.close = () => (client.closing ??= closeClient(client))
  ;(session as unknown as Record<symbol, unknown>)[asyncDispose] = () => session.close()
  session.extend = (options = {}) => {
    refuseRequestOnly(options, 'extend()')
    for (const key of [...TRANSPORT_KEYS, 'cookies', 'fetch', 'limit']) {
      if (own(options, key) !== undefined) throw invalidOption(key, `extend() shares the parent's jar and pool, so it cannot take \`${key}\`; use createSession() or mount() instead`)
    }
    const over = toLayer(options)
    const inherited = new Headers(client.layer.headers)
    // The parent's credential headers belong to the parent's origin, not to a child's other base.
    if (over.origin !== undefined && client.layer.origin !== undefined && over.origin !== client.layer.origin) {
      for (const name of credentialHeaderNames(client.layer, over)) inherited.delete(name)
    }
    const headers = assignHeaders(inherited, own<HeadersInit>(options, 'headers'))
    const child = createClient(client.adapter, mergeLayers(client.layer, over, headers), client.jar, client.transport, [], [...client.mounts], client.root, client.limiter)
    child.policy = resolveRetry([child.layer.retry])
    child.native = client.native
    child.request = client.request
    return createSessionObject(child)
  }
  session.create = session.extend as unknown as $Fetch['create']
  session.mount = (prefix: string, options: MountOptions) => {
    if (typeof prefix !== 'string' || prefix === '') throw invalidOption('prefix', 'mount() needs a non-empty URL prefix')
    const scope = parseMountPrefix(prefix)
    refuseRequestOnly(options ?? {}, 'mount()')
    const transportOptions = pickTransportOptions(options ?? {})
    const transport = Object.keys(transportOptions).length > 0
      ? client.adapter.createTransport(transportOptions, undefined)
      : undefined
    if (transport) client.owned.push(transport)
    const mountHeaders = own<HeadersInit>(options, 'headers')
    const layer = toLayer(options as RequestOptions, mountHeaders ? assignHeaders(new Headers(), mountHeaders) : undefined)
    const existing = client.mounts.findIndex(mount => mount.prefix === scope.key)
    const mount: Mount = { prefix: scope.key, scope, layer, removed: removedHeaders(mountHeaders), transport, policy: resolveRetry([client.layer.retry, layer.retry]) }
    if (existing === -1) client.mounts.push(mount)
    else client.mounts[existing] = mount
    // Longest prefix first, so the first match is the most specific one.
    client.mounts.sort((a, b) => b.prefix.length - a.prefix.length)
    return session
  }
  return session
}

/**
 * Closes a session (issue 12 items 10 and 11): later calls are refused; the calls in flight, in a
 * retry backoff, in the limiter's queue or reading their body are aborted at once with
 * `SessionClosedError` (the session's close signal); then a root session releases its pools (the
 * Node adapter's with undici's `destroy()`, which also fails what is still on the wire) and the
 * cookie store is flushed. A child's close() aborts the child's calls only: the pool and the jar
 * are the root's, and its other children go on.
 */
async function closeClient(client: Client): Promise<void> {
  client.closed = true
  const isRoot = client.closer !== undefined && client.closer === client.root.closer
  if (isRoot) client.root.closed = true
  const reason = new SessionClosedError({ request: client.layer.baseURL }, true)
  client.closer?.abort(reason)
  const closed = await Promise.allSettled(client.owned.map(transport => transport.close(reason)))
  // Flushed last, once nothing of the session's is on the wire any more.
  const results = [...closed, ...await Promise.allSettled([flushStore(client.jar)])]
  const failed = results.find(result => result.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
}

/**
 * `native()`: the composed layers as they are, but a URL is resolved as a session call resolves
 * it (against the session's `baseURL`, else the page's URL in browsers; userinfo becomes Basic
 * auth), and one that cannot be resolved rejects with `InvalidRequestError` (issue 11 item 19).
 * A `Request` is sent as it is.
 */
function sendNative(client: Client, input: FetchRequest, init: RequestInit | undefined): Promise<Response> {
  if (isRequest(input)) return client.native(input, init)
  const href = describeInput(input)
  let resolved: ReturnType<typeof resolveURL>
  try {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('the request must be a URL string, a URL or a Request')
    resolved = resolveURL(href, client.layer.baseURL, undefined, client.adapter.fallbackBase?.())
  }
  catch (error) {
    const method = String(init?.method ?? 'GET').toUpperCase()
    return Promise.reject(new InvalidRequestError((error as Error).message, { request: href, method, cause: error }))
  }
  const { url, authorization } = resolved
  if (authorization && !new Headers(init?.headers).has('authorization')) {
    const headers = new Headers(init?.headers)
    headers.set('authorization', authorization)
    return client.native(url.href, { ...init, headers })
  }
  return client.native(url.href, init)
}

function describeInput(input: FetchRequest): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return (input as Request)?.url ?? String(input)
}

function isRequest(value: unknown): value is Request {
  return typeof value === 'object' && value !== null && typeof (value as Request).url === 'string' && typeof (value as Request).arrayBuffer === 'function' && typeof (value as Request).headers === 'object'
}

/**
 * A bad option or input found while a call is built, as that call's `InvalidRequestError`: it
 * names the request, and the option when the error did (`invalidOption()`).
 */
function asInvalidRequest(error: unknown, details: ErrorDetails): InvalidRequestError {
  const reason = (error as Error).message.replace(/^fetch-session: /, '')
  if (error instanceof InvalidRequestError) return new InvalidRequestError(reason, { ...details, option: error.option, cause: error.cause })
  return new InvalidRequestError(reason, { ...details, cause: error })
}

/** Errors thrown by a caller's hook, passed through untouched and never retried. */
interface HookFailure {
  failed: boolean
  error: unknown
}

function wrapHooks<T extends (context: any) => unknown>(list: T[] | undefined, failure: HookFailure): T[] | undefined {
  if (!list || list.length === 0) return undefined
  return list.map(hook => (async (context: unknown) => {
    try {
      await hook(context)
    }
    catch (error) {
      recordFailure(failure, error)
    }
  }) as unknown as T)
}

/** The whole life of one call: build, attempt, classify, retry, release. */
async function send(client: Client, input: FetchRequest, options: RequestOptions | undefined): Promise<FetchResponse<any>> {
  const requestInput = isRequest(input) ? input : undefined
  const rawMethod = own<string>(options, 'method') ?? requestInput?.method ?? 'GET'
  const method = String(rawMethod).toUpperCase()
  const href = describeInput(input)
  const details: ErrorDetails = { request: href, method }
  if (isClosed(client)) {
    try {
      details.request = resolveURL(href, own<string>(options, 'baseURL') ?? client.layer.baseURL, undefined, client.adapter.fallbackBase?.()).url.href
    }
    catch {}
    throw new SessionClosedError(details)
  }
  if (typeof input !== 'string' && !(input instanceof URL) && !requestInput) {
    throw new InvalidRequestError('the request must be a URL string, a URL or a Request', details)
  }

  // Build everything that can fail on bad input before anything is sent.
  let layer: OptionLayer
  let url: URL
  let authorization: string | undefined
  let mount: Mount | undefined
  const headers = new Headers(client.layer.headers)
  try {
    for (const key of SESSION_WIDE_KEYS) {
      if (own(options, key) !== undefined) throw invalidOption(key, `\`${key}\` is a session-wide option (it configures the connection pool): give it to createSession() or mount(), not to one request`)
    }
    layer = toLayer(options)
    const query = client.layer.query || layer.query ? { ...client.layer.query, ...layer.query } : undefined
    ;({ url, authorization } = resolveURL(href, layer.baseURL ?? client.layer.baseURL, query, client.adapter.fallbackBase?.()))
    mount = findMount(client.mounts, url)
    withoutForeignCredentials(headers, client.layer, url, layer, mount?.layer)
    // A mount's query fills in keys the URL, the session and the request leave out (a `null` there names the key too).
    appendQuery(url, mount?.layer.query, key => url.searchParams.has(key) || (query !== undefined && Object.prototype.hasOwnProperty.call(query, key)))
    for (const name of mount?.removed ?? []) headers.delete(name)
    if (mount?.layer.headers) assignHeaders(headers, mount.layer.headers)
    if (requestInput) assignHeaders(headers, requestInput.headers)
    assignHeaders(headers, own<HeadersInit>(options, 'headers'))
    // `Host` is the platform's, from the URL, on every runtime: fetch forbids it, Bun would send it.
    headers.delete('host')
  }
  catch (error) {
    throw asInvalidRequest(error, details)
  }
  details.request = url.href

  let body = own<unknown>(options, 'body')
  if (body === undefined && requestInput?.body) {
    // A Request's body is a one-shot stream; read it once so retries and 307/308 can resend it.
    body = await requestInput.arrayBuffer()
  }
  body = encodeFormBody(body, headers)

  const layers = mount ? [client.layer, mount.layer, layer] : [client.layer, layer]
  let policy: RetryPolicy
  let timeouts: { total: number | undefined, attempt: number | undefined }
  try {
    policy = layer.retry !== undefined
      ? resolveRetry(layers.map(item => item.retry))
      : mount
        ? (mount.policy ??= resolveRetry([client.layer.retry, mount.layer.retry]))
        : (client.policy ??= resolveRetry([client.layer.retry]))
    timeouts = mergeTimeouts(layers.map(item => item.timeout))
  }
  catch (error) {
    throw asInvalidRequest(error, details)
  }

  const failure: HookFailure = { failed: false, error: undefined }
  const hooks = Object.create(null) as Record<HookName, HookLists[HookName] | undefined>
  for (const name of HOOK_NAMES) {
    const list: HookLists[HookName] = []
    for (const item of layers) {
      const hooksOfLayer = item.hooks[name]
      if (hooksOfLayer) list.push(...hooksOfLayer)
    }
    hooks[name] = wrapHooks(list, failure)
  }

  const sensitive = new Set<string>()
  for (const item of layers) {
    for (const name of item.sensitiveHeaders ?? []) sensitive.add(name)
  }
  const rest: Record<string, unknown> = Object.assign(Object.create(null), ...layers.map(item => item.rest))
  const redirect = layer.redirect ?? mount?.layer.redirect ?? client.layer.redirect ?? REDIRECT_DEFAULTS.redirect
  const callState: CallState = {
    redirect,
    maxRedirects: layer.maxRedirects ?? mount?.layer.maxRedirects ?? client.layer.maxRedirects ?? REDIRECT_DEFAULTS.maxRedirects,
    onRedirect: hooks.onRedirect ?? [],
    sensitiveHeaders: sensitive,
    transport: hopTransport(client),
    history: [],
    method,
    auth: callAuth(client, layers, url),
    onDownloadProgress: layer.onDownloadProgress ?? mount?.layer.onDownloadProgress ?? client.layer.onDownloadProgress,
    maxBodySize: layer.maxBodySize ?? mount?.layer.maxBodySize ?? client.layer.maxBodySize,
    parseResponse: typeof rest.parseResponse === 'function' ? rest.parseResponse as (text: string) => unknown : undefined,
    signal: undefined,
  }
  // `user:password@` in the URL is Basic auth, unless `auth` or an Authorization header says otherwise.
  if (authorization && !headers.has('authorization') && !callState.auth) headers.set('authorization', authorization)
  // A browser session keeps its cookies in the browser's jar: send and accept them cross-origin too.
  if (client.adapter.browser && client.stateful && rest.credentials === undefined) rest.credentials = 'include'

  const signals = layers.flatMap(item => item.signals)
  const deadline = new Deadline(signals, timeouts.total, client.closeSignals)
  const transport = mount?.transport ?? client.transport
  const oneShotBody = isOneShotBody(body)
  let current: AttemptScope | undefined

  const toError = (error: unknown, scope: AttemptScope): unknown => {
    if (failure.failed && error === failure.error) return error
    // Whatever the transport made of it (an abort, a destroyed pool), the session was closed.
    if (scope.kind === 'closed' && scope.signal.aborted) return abortError('closed')
    // The body watch's own error, however the platform reported the failed read.
    if (callState.bodyError !== undefined) return callState.bodyError
    let cause = error
    if (cause instanceof FetchError && !isSessionError(cause)) {
      const response = (cause as FetchError).response
      if (response) return new HTTPError(ofCall(response), { ...details, options: fetchOptions })
      cause = (cause as FetchError).cause ?? cause
      if (failure.failed && cause === failure.error) return cause
    }
    if (isSessionError(cause)) return cause
    if (scope.signal.aborted) return abortError(scope.kind)
    if (!isNetworkError(cause)) {
      return new InvalidRequestError((cause as Error)?.message ?? String(cause), { ...details, options: fetchOptions, cause })
    }
    return new NetworkError({ ...details, options: fetchOptions, cause })
  }

  const abortError = (kind: AttemptScope['kind']): FetchError => {
    if (kind === 'closed') return new SessionClosedError(details, true)
    if (kind === 'caller') {
      const reason = deadline.callerSignal?.reason
      if ((reason as Error | undefined)?.name === 'TimeoutError') return new TimeoutError('signal', undefined, { ...details, cause: reason })
      return new AbortError({ ...details, cause: reason })
    }
    if (kind === 'attempt') return new TimeoutError('attempt', timeouts.attempt, { ...details, cause: current?.signal.reason })
    return new TimeoutError('total', timeouts.total, { ...details, cause: deadline.signal.reason })
  }

  // Every key ofetch reads is set here, so nothing is read from a polluted Object.prototype.
  const fetchOptions: Record<string | symbol, unknown> = {
    ...rest,
    method,
    headers,
    body,
    baseURL: undefined,
    query: undefined,
    params: undefined,
    retry: false,
    retryDelay: undefined,
    retryStatusCodes: undefined,
    timeout: undefined,
    redirect,
    responseType: rest.responseType,
    // The caller's parseResponse runs in the session's strict JSON parsing (callState), once the response is there.
    parseResponse: undefined,
    ignoreResponseError: rest.ignoreResponseError,
    // Streams need `duplex: 'half'` (fetch spec); ofetch only adds it when the key is absent.
    duplex: rest.duplex ?? (oneShotBody ? 'half' : undefined),
    onRequest: hooks.onRequest,
    onRequestError: [
      // First, so the caller's onRequestError hooks see the classified error (NetworkError, TimeoutError…).
      (context: { error: unknown }) => {
        if (current) context.error = toError(context.error, current)
      },
      ...(hooks.onRequestError ?? []),
    ],
    onResponse: hooks.onResponse,
    onResponseError: hooks.onResponseError,
    [kCall]: callState,
  }

  /** The call's response as the caller sees it: the redirect chain on `history`, the request's fragment on `url`. */
  const ofCall = <T extends Response>(response: T): T => {
    withHistory(response, callState)
    withFragment(response, url.hash)
    return response
  }
  // ignoreResponseError resolves an error status, but the retry policy still applies to it (issue 11 item 9).
  const resolvesErrors = Boolean(rest.ignoreResponseError)

  let streaming = false
  let staleRetried = false
  try {
    for (let retryCount = 0; ; retryCount++) {
      const scope = deadline.attempt(timeouts.attempt)
      current = scope
      let error: unknown
      /** The wait before retrying an error status that `ignoreResponseError` would resolve. */
      let statusRetryDelay: number | undefined
      callState.signal = scope.signal
      try {
        // A call nothing can abort gives the transport no signal (no listener to add and remove),
        // nor does a plain call (the session's shared close signal) to a transport that fails its
        // calls itself on close(): the Node adapter's pool, with undici's destroy().
        const shared = deadline.shared && scope.signal === deadline.signal
        const bare = scope.signal === NEVER_ABORTED || (shared && transport.abortsOnClose === true)
        const sent = client.request.raw(url.href, { ...fetchOptions, signal: bare ? undefined : scope.signal } as never)
        const response = await (bare || (shared && transport.honoursSignal === true) ? sent : raceSignal(sent, scope.signal, shared)) as FetchResponse<any>
        ofCall(response)
        if (resolvesErrors && response.status >= 400 && response.status < 600) {
          error = new HTTPError(response, { ...details, options: fetchOptions })
          // A throwing shouldRetry is the caller's error: passed through as on the other path.
          statusRetryDelay = await retryDelay(error, retryCount).catch(thrown => recordFailure(failure, thrown))
        }
        if (statusRetryDelay === undefined) {
          const data = response._data as ReadableStream<Uint8Array> | undefined
          if (data && typeof (data as ReadableStream).getReader === 'function' && deadline.signal !== NEVER_ABORTED) {
            // The deadline covers reading the body, so keep it until the caller has read the
            // stream; a read that fails because the session was closed rejects with SessionClosedError.
            streaming = true
            response._data = releaseWhenDone(data, () => {
              scope.dispose()
              deadline.dispose()
            }, readError => (scope.kind === 'closed' && scope.signal.aborted ? abortError('closed') : readError))
          }
          return response
        }
      }
      catch (caught) {
        error = toError(caught, scope)
      }
      finally {
        if (!streaming) scope.dispose()
      }

      // A kept-alive connection the server closed under an idempotent request: send it once more
      // on a fresh one, even with `retry: false` (aiohttp, urllib3; catalogue #95); never for POST
      // or PATCH, and not when the caller turned network-error retries off.
      if (!staleRetried && policy.networkErrors && error instanceof NetworkError && retriesNetworkError(error.code) && IDEMPOTENT_METHODS.has(method) && !oneShotBody && !deadline.signal.aborted && isStaleConnectionError(error.cause)) {
        staleRetried = true
        retryCount--
        continue
      }
      const delay = statusRetryDelay ?? await retryDelay(error, retryCount)
      if (delay === undefined) throw error
      if (hooks.onRetry) {
        const retryContext = {
          request: url.href,
          method,
          attempt: retryCount + 2,
          retryCount,
          delay,
          error: error as FetchError,
          response: (error as HTTPError).response,
        }
        for (const hook of hooks.onRetry) await hook(retryContext)
      }
      try {
        await sleep(delay, deadline.signal)
      }
      catch {
        throw abortError(deadline.kind)
      }
    }
  }
  finally {
    if (!streaming) deadline.dispose()
  }

  /** The wait before the next attempt, or `undefined` when `error` must be returned now. */
  async function retryDelay(error: unknown, retryCount: number): Promise<number | undefined> {
    if (retryCount >= policy.limit || deadline.signal.aborted) return undefined
    // A stream body was consumed by the first attempt: sending it again would send nothing (catalogue #56).
    if (oneShotBody) return undefined
    let retry: boolean
    let delay: number
    const methodAllowed = policy.methods.has(method)
    let response: Response | undefined
    if (error instanceof HTTPError) {
      response = error.response
      const status = error.status
      const retryAfter = honoursRetryAfter(status) ? parseRetryAfter(response.headers.get('retry-after')) : undefined
      // A server that asks for more than we may wait gets its error back at once (got `maxRetryAfter`).
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfter) return undefined
      retry = methodAllowed && policy.statusCodes.has(status) && (status !== 413 || retryAfter !== undefined)
      delay = retryAfter ?? backoffDelay(policy, retryCount)
    }
    else if (error instanceof NetworkError) {
      // A certificate, a handshake or a proxy that refused cannot do better next time (issue 11, item 4).
      retry = methodAllowed && policy.networkErrors && retriesNetworkError(error.code)
      delay = backoffDelay(policy, retryCount)
    }
    else if (error instanceof TimeoutError && error.phase === 'attempt') {
      retry = methodAllowed && policy.timeouts
      delay = backoffDelay(policy, retryCount)
    }
    else {
      return undefined
    }
    retry = await askShouldRetry(policy, {
      request: url.href,
      method,
      attempt: retryCount + 2,
      retryCount,
      delay,
      error: error as FetchError,
      response,
      retry,
    })
    if (!retry) return undefined
    // Waiting past the total deadline would only turn this error into a timeout.
    if (delay >= deadline.remaining()) return undefined
    // Release the failed attempt's body (a stream response is not read by ofetch).
    if (response) discard(response)
    return delay
  }
}

/** Remembers that the caller's code threw `error` (so it is passed through, not retried) and rethrows it. */
function recordFailure(failure: HookFailure, error: unknown): never {
  failure.failed = true
  failure.error = error
  throw error
}

/**
 * The `auth` of this call (the request's, else the mount's, else the session's; `false` turns it
 * off) and the origin it belongs to: for session-wide credentials, the origin of the `baseURL` of
 * the session that was given them (an `extend()` child keeps its parent's, unless it gives its
 * own), otherwise the request's own origin.
 */
function callAuth(client: Client, layers: OptionLayer[], url: URL): CallAuth | undefined {
  for (let index = layers.length - 1; index >= 0; index--) {
    const auth = layers[index]!.auth
    if (auth === undefined) continue
    if (auth === false) return undefined
    const fromSession = index === 0 && layers[0] === client.layer
    const origin = fromSession ? (client.layer.authOrigin ?? url.origin) : url.origin
    return { options: auth, origin, state: authStateOf(auth) }
  }
  return undefined
}

/**
 * A plain object sent with a form content type becomes that form: `URLSearchParams` for
 * `application/x-www-form-urlencoded`, `FormData` for `multipart/form-data` (whose header is then
 * dropped, so the runtime writes it with the boundary). Arrays repeat the field.
 */
function encodeFormBody(body: unknown, headers: Headers): unknown {
  if (!isPlainObject(body)) return body
  const type = headers.get('content-type')?.toLowerCase() ?? ''
  const entries = Object.keys(body).flatMap((key) => {
    const value = body[key]
    if (value === undefined) return []
    return (Array.isArray(value) ? value : [value]).map(item => [key, item] as const)
  })
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(entries.map(([key, value]) => [key, value === null ? '' : String(value)]))
  }
  if (type.startsWith('multipart/form-data')) {
    const form = new FormData()
    for (const [key, value] of entries) {
      if (value instanceof Blob) form.append(key, value, (value as File).name ?? 'blob')
      else form.append(key, value === null ? '' : String(value))
    }
    headers.delete('content-type')
    return form
  }
  return body
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function withHistory<T extends Response>(response: T, state: CallState): T {
  if (!Object.prototype.hasOwnProperty.call(response, 'history')) {
    Object.defineProperty(response, 'history', { value: state.history.slice(), enumerable: false, configurable: true, writable: true })
  }
  return response
}

/**
 * Where a mount applies. `key` is its normalised spelling; a scheme alone has no `origin`; `path`
 * is `''` for a whole origin, `/v1` for `/v1` and below it (`/v1/…`, `/v1?…`, never `/v10`), or
 * `/v1/` for what is below `/v1/`.
 */
interface MountScope {
  key: string
  protocol: string
  origin: string | undefined
  path: string
}

/** `https://` or `http:`: a prefix that names a scheme only (requests' `mount('https://', …)`). */
const SCHEME_ONLY = /^(https?):(?:\/\/)?$/i

/**
 * Parses a `mount()` prefix: a scheme alone (`https://`), an origin (`https://api.example.com`,
 * default ports normalised, so `:443` is the same mount), or an origin and a path
 * (`https://api.example.com/v1`). What cannot be matched at an origin and path-segment boundary
 * (no scheme or host, another scheme, userinfo, a query or fragment, a wildcard) is refused.
 */
function parseMountPrefix(prefix: string): MountScope {
  const schemeOnly = SCHEME_ONLY.exec(prefix)
  if (schemeOnly) {
    const protocol = `${schemeOnly[1]!.toLowerCase()}:`
    return { key: `${protocol}//`, protocol, origin: undefined, path: '' }
  }
  const refuse = (why: string): never => {
    throw invalidOption('prefix', `mount() cannot match ${JSON.stringify(redactURL(prefix))}: ${why}; give a scheme ('https://'), an origin ('https://api.example.com') or an origin and a path ('https://api.example.com/v1')`)
  }
  if (!isAbsoluteURL(prefix)) refuse('a prefix is an absolute URL (a partial host or a relative path would match look-alike URLs)')
  let url: URL
  try {
    url = new URL(prefix)
  }
  catch {
    return refuse('it is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(`only http: and https: URLs are fetched, not ${url.protocol}`)
  if (url.username || url.password) refuse('it carries credentials (user:password@), which a request URL never has')
  if (url.search || url.hash || /[?#]/.test(prefix)) refuse('a query or fragment cannot be matched at a boundary')
  if (url.hostname.includes('*')) refuse('wildcards are not supported (mount each host)')
  const path = url.pathname === '/' ? '' : url.pathname
  return { key: url.origin + path, protocol: url.protocol, origin: url.origin, path }
}

/** True when `url` is within `scope`: same scheme, same origin, and at or below its path, at a segment boundary. */
function inScope(scope: MountScope, url: URL): boolean {
  if (url.protocol !== scope.protocol) return false
  if (scope.origin === undefined) return true
  if (url.origin !== scope.origin) return false
  const { path } = scope
  if (path === '') return true
  if (path.endsWith('/')) return url.pathname.startsWith(path)
  return url.pathname === path || url.pathname.startsWith(`${path}/`)
}

/** The most specific mount whose scope holds `url` (mounts are kept longest prefix first). */
function findMount(mounts: readonly Mount[], url: URL): Mount | undefined {
  for (const mount of mounts) {
    if (inScope(mount.scope, url)) return mount
  }
  return undefined
}

/**
 * The transport of each hop of a call: the pool of the mount that holds the hop's URL, else the
 * session's, as requests picks an adapter for each request of a redirect chain. So a mount's
 * proxy, client certificate or `rejectUnauthorized: false` never serve a redirect off its prefix.
 */
function hopTransport(client: Client): Fetch {
  if (!client.mounts.some(mount => mount.transport)) return client.transport.fetch
  return (input, init) => {
    const href = inputURL(input)
    return (findMount(client.mounts, new URL(href))?.transport ?? client.transport).fetch(input, init)
  }
}

/** The headers that carry credentials for this session: those a redirect off the origin strips (`Host` aside), and the `sensitiveHeaders`. */
function credentialHeaderNames(...layers: Array<OptionLayer | undefined>): string[] {
  const names = CREDENTIAL_HEADERS.filter(name => name !== 'host')
  for (const layer of layers) names.push(...(layer?.sensitiveHeaders ?? []))
  return names
}

/**
 * Removes from the session's default `headers` those that carry credentials when `url` is not on
 * the origin of the session's `baseURL`: they were given for that origin, as `auth` was (an
 * absolute URL elsewhere, a request's own `baseURL`). Without a `baseURL` they go to every
 * request, as in requests. The request's and the mount's own headers are added after this.
 */
function withoutForeignCredentials(headers: Headers, session: OptionLayer, url: URL, ...others: Array<OptionLayer | undefined>): void {
  if (session.origin === undefined || session.origin === url.origin) return
  for (const name of credentialHeaderNames(session, ...others)) headers.delete(name)
}
