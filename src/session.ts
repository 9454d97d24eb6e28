/**
 * The engine behind `createSession()` and `$fetch`: sessions and their lifecycle, and `send()`,
 * one call's life in named steps — `resolveCall()` (call.ts), the attempt loop (`attempt()` per
 * try, through ofetch, ofetch-bridge.ts, over the session's layers, stack.ts), `classify()`
 * (errors.ts), `nextDelay()` (retry.ts) and the wait. docs/ARCHITECTURE.md draws it.
 */
import type { Adapter, Transport } from './adapter'
import { Call, credentialHeaderNames, describeInput, isRequest, encodeBody, recordFailure, requestBody, resolveCall, SESSION_WIDE_KEYS } from './call'
import { createClient, isClosed, recompose } from './client'
import type { Client } from './client'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { abortError, classify, HTTPError, InvalidRequestError, invalidOption, NetworkError, SchemaError, SessionClosedError } from './errors'
import { flushStore } from './cookies/layer'
import { logRetry } from './debug'
import type { DebugLog } from './debug'
import { harLogOf } from './har-layer'
import { assignHeaders, removedHeaders } from './headers'
import { IDEMPOTENT_METHODS } from './http'
import { isStaleConnectionError } from './network-errors'
import { parseMountPrefix } from './mounts'
import type { Mount } from './mounts'
import { ofetchOptions } from './ofetch-bridge'
import { paginate } from './paginate'
import { mergeLevels, own, ownRecord, toLayer } from './options'
import { nextDelay, resolveRetry, retriesNetworkError, retryContext } from './retry'
import { Deadline, NEVER_ABORTED, raceSignal, releaseWhenDone, sleep } from './timeout'
import type { AttemptScope } from './timeout'
import { checkUse } from './use'
import type {
  $Fetch,
  Fetch,
  FetchRequest,
  FetchResponse,
  MountOptions,
  PaginateOptions,
  RequestOptions,
  RetryContext,
  Session,
  SessionOptions,
  TransportOptions,
} from './types'
import { resolveURL } from './url'

export type { Adapter, Transport }

/** The transport options a session or mount names. */
const TRANSPORT_KEYS = ['proxy', 'tls', 'pool', 'http2', 'dispatcher'] as const

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
  // A programming error of an entry point, seen when it loads rather than on its first redirect.
  if (!adapter.layers && !(adapter.owns?.redirects && adapter.owns.cookies)) throw new TypeError(`fetch-session: the ${adapter.name} adapter neither owns redirects and cookies nor gives their layers`)
  function createSession(options: SessionOptions = {}): Session {
    if (typeof options !== 'object' || options === null) throw invalidOption('options', 'createSession() takes an options object')
    refuseRequestOnly(options, 'createSession()')
    const headers = assignHeaders(new Headers(), own<HeadersInit>(options, 'headers'))
    const layer = toLayer(options as RequestOptions, headers, { level: 'session' })
    const cookiesOption = own<SessionOptions['cookies']>(options, 'cookies')
    const jar = adapter.owns?.cookies || !adapter.createCookieJar ? undefined : adapter.createCookieJar(cookiesOption)
    const transport = adapter.createTransport(pickTransportOptions(options), own<Fetch>(options, 'fetch'))
    const closer = new AbortController()
    adapter.sharedSignal?.(closer.signal)
    const client = createClient(adapter, layer, jar, transport, [transport], [], { closed: false, closer })
    client.closer = closer
    // Validate the retry policy now: a bad one is a programming error, better seen at creation.
    client.policy = resolveRetry([layer.retry])
    return createSessionObject(client)
  }

  const shared = adapter.sharedTransport(undefined)
  const $fetch = createStateless(createClient(adapter, toLayer({}, new Headers(), { level: 'session', stateless: true }), undefined, shared, [], [], { closed: false }))
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

function createStateless(client: Client): $Fetch {
  const $fetch = (<T>(input: FetchRequest, options?: RequestOptions) => send(client, input, options).then(response => response._data as T)) as $Fetch
  $fetch.raw = ((input: FetchRequest, options?: RequestOptions) => send(client, input, options)) as $Fetch['raw']
  $fetch.native = (input, init) => sendNative(client, input, init)
  $fetch.paginate = ((input: FetchRequest, options?: PaginateOptions) => paginate($fetch, input, options)) as $Fetch['paginate']
  $fetch.create = (defaults?: RequestOptions) => {
    refuseRequestOnly(defaults ?? {}, '$fetch.create()')
    for (const key of SESSION_WIDE_KEYS) {
      if (own(defaults, key) !== undefined) throw invalidOption(key, `$fetch.create() uses the platform's shared pool, so it cannot take \`${key}\`; use createSession() instead`)
    }
    const over = toLayer(defaults, undefined, { level: 'session', stateless: true })
    const headers = assignHeaders(new Headers(client.layer.headers), own<HeadersInit>(defaults, 'headers'))
    return createStateless(createClient(client.adapter, mergeLevels([client.layer, over], headers, 'session'), undefined, client.transport, [], client.mounts, client.root, client))
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
    if (client.adapter.owns?.cookies && init?.credentials === undefined) return sendNative(client, input, { ...init, credentials: 'include' })
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
    const over = toLayer(options as RequestOptions, undefined, { level: 'session' })
    const inherited = new Headers(client.layer.headers)
    // The parent's credential headers belong to the parent's origin, not to a child's other base.
    if (over.origin !== undefined && client.layer.origin !== undefined && over.origin !== client.layer.origin) {
      for (const name of credentialHeaderNames(client.layer, over)) inherited.delete(name)
    }
    const headers = assignHeaders(inherited, own<HeadersInit>(options, 'headers'))
    const child = createClient(client.adapter, mergeLevels([client.layer, over], headers, 'session'), client.jar, client.transport, [], [...client.mounts], client.root, client)
    child.policy = resolveRetry([child.layer.retry])
    return createSessionObject(child)
  }
  session.create = session.extend as unknown as $Fetch['create']
  session.har = () => harLogOf(client.layer.layers.har)
  session.use = (layer) => {
    const added = checkUse(layer)
    const current = client.layer.layers.use as Session['use'][] | undefined
    // A new list, so an extend() child made before keeps the layers it inherited.
    client.layer.layers = { ...client.layer.layers, use: current ? [...current, ...added] : added }
    recompose(client)
    return session
  }
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
    const layer = toLayer(options as RequestOptions, mountHeaders ? assignHeaders(new Headers(), mountHeaders) : undefined, { level: 'mount' })
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


/**
 * The whole life of one call: resolve, attempt, classify, retry, release. Not an `async`
 * function, nor is `attempt()`: each would add a promise and a turn of the microtask queue to
 * every call (a call's first request still starts in the same tick, as before).
 */
function send(client: Client, input: FetchRequest, options: RequestOptions | undefined): Promise<FetchResponse<any>> {
  try {
    const call = resolveCall(client, input, options)
    const read = requestBody(call)
    return read ? read.then(body => start(call, body)) : start(call, call.body)
  }
  catch (error) {
    return Promise.reject(error)
  }
}

/** The call, its body known: its deadline and ofetch's options, then the attempts (and the schema, if any). */
function start(call: Call, body: unknown): Promise<FetchResponse<any>> {
  const { schema } = call.options
  if (schema && call.rest.responseType === 'stream') throw invalidOption('schema', 'a `schema` validates a parsed body: it cannot take `responseType: \'stream\'`')
  encodeBody(call, body)
  call.deadline = new Deadline(call.options.signals, call.timeouts.total, call.client.closeSignals)
  call.fetchOptions = ofetchOptions(call)
  const answer = runAttempts(call)
  return schema ? answer.then(response => validated(call, schema, response)) : answer
}

/**
 * The parsed body through the call's Standard Schema: its output replaces it (a transforming
 * schema's too); issues reject with `SchemaError`, after the attempts, so never retried. An error
 * status resolved by `ignoreResponseError` is not validated (its body is an error's).
 */
async function validated(call: Call, schema: StandardSchemaV1, response: FetchResponse<any>): Promise<FetchResponse<any>> {
  if (response.status >= 400) return response
  const result = await schema['~standard'].validate(response._data)
  if (result.issues) throw new SchemaError(result.issues, response, { ...call.details })
  response._data = result.value
  return response
}

/** The attempt loop: one `attempt()` per try, `classify()` its failure, `nextDelay()` and the wait, until an answer. */
async function runAttempts(call: Call): Promise<FetchResponse<any>> {
  const { deadline } = call
  let staleRetried = false
  // A resume is a retry: only a call that may retry can resume.
  if (call.state.layers.resume && call.policy.limit > 0) call.state.reattempt = error => reattempt(call, error)
  try {
    for (; ; call.retries++) {
      const scope = deadline.attempt(call.timeouts.attempt)
      call.current = scope
      call.state.signal = scope.signal
      call.state.responded = false
      let error: unknown
      /** The wait before retrying an error status that `ignoreResponseError` would resolve. */
      let statusRetryDelay: number | undefined
      try {
        const response = await attempt(call, scope)
        // ignoreResponseError resolves an error status, but the retry policy still applies to it (issue 11 item 9).
        if (call.rest.ignoreResponseError && response.status >= 400 && response.status < 600) {
          error = new HTTPError(response, { ...call.details, options: call.fetchOptions })
          // A throwing shouldRetry is the caller's error: passed through as on the other path.
          statusRetryDelay = await nextDelay(error, call.retries, call).catch(thrown => recordFailure(call.failure, thrown))
        }
        if (statusRetryDelay === undefined) return keepDeadline(call, response)
      }
      catch (caught) {
        // A body that resumed is read under a later attempt's scope.
        error = classify(caught, call.current, call)
      }
      finally {
        if (!call.streaming) {
          scope.dispose()
          call.current.dispose()
        }
      }
      if (!staleRetried && isStale(call, error)) {
        staleRetried = true
        call.retries--
        continue
      }
      const delay = statusRetryDelay ?? await nextDelay(error, call.retries, call)
      if (delay === undefined) throw error
      await pause(call, error, delay)
    }
  }
  finally {
    if (!call.streaming) deadline.dispose()
  }
}

/** Before retry number `call.retries + 1`: the debug line, the `onRetry` hooks, then the wait (cut short by the deadline). */
async function pause(call: Call, error: unknown, delay: number): Promise<void> {
  const log = call.state.layers.debug as DebugLog | undefined
  if (log) logRetry(log, call.retries + 1, call.policy.limit, call.method, call.url.href, delay, error)
  if (call.hooks.onRetry) {
    const context = retryContext(call, error, call.retries, delay) as RetryContext
    for (const hook of call.hooks.onRetry) await hook(context)
  }
  try {
    await sleep(delay, call.deadline.signal)
  }
  catch {
    throw abortError(call.deadline.kind, call)
  }
}

/**
 * `CallState.reattempt`: the resume layer's retry of a body that broke. The policy decides as for
 * any retry (the error classified under the attempt it broke in); the retry is counted, waited
 * for, and has a new attempt deadline, whose signal the range request is sent with.
 */
async function reattempt(call: Call, caught: unknown): Promise<AbortSignal | undefined> {
  const current = call.current!
  const error = classify(caught, current, call)
  const delay = await nextDelay(error, call.retries, call)
  if (delay === undefined) return undefined
  await pause(call, error, delay)
  call.retries++
  current.dispose()
  const scope = call.deadline.attempt(call.timeouts.attempt)
  call.current = scope
  call.state.signal = scope.signal
  return scope.signal
}

/**
 * One attempt through ofetch and the layers. A call nothing can abort gives the transport no
 * signal (no listener to add and remove), nor does a plain call (the session's shared close
 * signal) to a transport that fails its calls itself on close(): the Node adapter's pool, with
 * undici's destroy().
 */
function attempt(call: Call, scope: AttemptScope): Promise<FetchResponse<any>> {
  const { deadline, transport } = call
  const shared = deadline.shared && scope.signal === deadline.signal
  const bare = scope.signal === NEVER_ABORTED || (shared && transport.abortsOnClose === true)
  const sent = call.client.request.raw(call.url.href, { ...call.fetchOptions, signal: bare ? undefined : scope.signal } as never)
  const answer = (bare || (shared && transport.honoursSignal === true) ? sent : raceSignal(sent, scope.signal, shared)) as Promise<FetchResponse<any>>
  return answer.then(response => call.ofCall(response))
}

/**
 * The answer, whose streamed body keeps the deadline until the caller has read it; a read that
 * fails because the session was closed rejects with SessionClosedError.
 */
function keepDeadline(call: Call, response: FetchResponse<any>): FetchResponse<any> {
  const data = response._data as ReadableStream<Uint8Array> | undefined
  const { deadline } = call
  if (data && typeof (data as ReadableStream).getReader === 'function' && deadline.signal !== NEVER_ABORTED) {
    call.streaming = true
    const first = call.current!
    // The scope of the attempt that answered, and of any resume after it (`call.current`).
    response._data = releaseWhenDone(data, () => {
      first.dispose()
      call.current!.dispose()
      deadline.dispose()
    }, readError => (call.current!.kind === 'closed' && call.current!.signal.aborted ? abortError('closed', call) : readError))
  }
  return response
}

/**
 * A kept-alive connection the server closed under an idempotent request: sent once more on a
 * fresh one, even with `retry: false` (aiohttp, urllib3; catalogue #95); never for POST or PATCH,
 * not when the caller turned network-error retries off, and not once a response has come (a body
 * that breaks is no stale connection: the retry policy, or the resume, decides).
 */
function isStale(call: Call, error: unknown): boolean {
  return !call.state.responded && call.policy.networkErrors && error instanceof NetworkError && retriesNetworkError(error.code) && IDEMPOTENT_METHODS.has(call.method) && !call.oneShotBody && !call.deadline.signal.aborted && isStaleConnectionError(error.cause)
}
