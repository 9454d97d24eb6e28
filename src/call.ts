/**
 * One call, resolved (issue 13 item 2): its URL, headers, body, mount, merged options, retry
 * policy, deadlines, hooks and the layers' call state, built before anything is sent, so that
 * every bad input is an `InvalidRequestError` of that call.
 *
 * @module
 */
import type { Transport } from './adapter'
import { hopTransport, isClosed } from './client'
import type { Client } from './client'
import { classify, InvalidRequestError, invalidOption, SessionClosedError } from './errors'
import type { ClassifyCall, ErrorDetails, HookFailure } from './errors'
import { assignHeaders, CREDENTIAL_HEADERS, isOneShotBody } from './headers'
import type { CallContext, CallState } from './layer'
import { findMount } from './mounts'
import type { Mount } from './mounts'
import { HOOK_NAMES, mergeLevels, mergeTimeouts, NO_OPTIONS, own, toLayer } from './options'
import type { HookLists, HookName, OptionLayer } from './options'
import { redirectModeOf, sensitiveHeadersOf, withFragment } from './redirect'
import { resolveRetry } from './retry'
import type { RetryCall, RetryPolicy } from './retry'
import { LAYERS } from './stack'
import type { AttemptScope, Deadline } from './timeout'
import type { FetchRequest, RedirectMode, RequestOptions } from './types'
import { appendQuery, resolveURL } from './url'

/**
 * Options that configure the connection pool, so they exist per session or mount only: given to
 * one request they are refused, never dropped (issue 11 item 8).
 */
export const SESSION_WIDE_KEYS = ['proxy', 'tls', 'pool', 'http2'] as const

/** The hooks of a call by name, wrapped (see `wrapHooks`). */
export type CallHooks = Record<HookName, HookLists[HookName] | undefined>

/**
 * A call: what `resolveCall()` built, and what its attempts share (`deadline`, the current
 * attempt, the options ofetch is given). A class so its helpers are shared, not made per call.
 */
export class Call implements ClassifyCall, RetryCall {
  /** Set by the attempt loop, once the body is read: the call's whole deadline. */
  deadline!: Deadline
  /** The attempt under way. */
  current: AttemptScope | undefined = undefined
  /** What ofetch is given (`ofetchOptions()`), also `error.options`. */
  fetchOptions: Record<string | symbol, unknown> | undefined = undefined
  /** True once a streamed body holds the deadline until the caller has read it. */
  streaming = false
  oneShotBody = false
  /** Retries so far: the attempt loop's, and the resumes of a broken body (`CallState.reattempt`). */
  retries = 0

  constructor(
    readonly client: Client,
    readonly url: URL,
    readonly method: string,
    readonly details: ErrorDetails,
    readonly headers: Headers,
    public body: unknown,
    /** The `Request` given as input, whose body is read once the call is resolved. */
    readonly requestInput: Request | undefined,
    /** The merged options of the session, the mount and the request. */
    readonly options: OptionLayer,
    readonly policy: RetryPolicy,
    readonly timeouts: { total: number | undefined, attempt: number | undefined },
    readonly hooks: CallHooks,
    readonly rest: Record<string, unknown>,
    readonly redirect: RedirectMode,
    readonly transport: Transport,
    readonly state: CallState,
    /** Set when the caller's own code (a hook, `shouldRetry`) threw. */
    readonly failure: HookFailure,
  ) {}

  /** The call's response as the caller sees it: the redirect chain on `history`, the request's fragment on `url`. */
  ofCall<T extends Response>(response: T): T {
    if (!Object.prototype.hasOwnProperty.call(response, 'history')) {
      Object.defineProperty(response, 'history', { value: this.state.history.slice(), enumerable: false, configurable: true, writable: true })
    }
    withFragment(response, this.url.hash)
    return response
  }

  #viewOf: object | undefined = undefined
  #view: object | undefined = undefined
  #resolved: Record<string, unknown> | undefined = undefined

  /**
   * `options` (ofetch's for this attempt) as the hooks see it (issue 13 item 5): ofetch's object,
   * whose `retry`, `timeout`, `baseURL` and `query` ofetch is given switched off (the session does
   * them), read as this call resolved them, with `auth` redacted. Writes go to ofetch's object.
   */
  optionsView(options: object): object {
    if (this.#viewOf !== options) {
      this.#viewOf = options
      const resolved = this.#resolved ??= resolvedOptions(this)
      this.#view = new Proxy(options, {
        get: (target, key, receiver) => typeof key === 'string' && key in resolved ? resolved[key] : Reflect.get(target, key, receiver),
      })
    }
    return this.#view!
  }

  /** The error ofetch's `onRequestError` hooks are shown: the classified one. */
  requestError(error: unknown): unknown {
    return this.current ? classify(error, this.current, this) : error
  }
}

/** Never shown: what stands for a secret in the options hooks see. */
const REDACTED = '[redacted]'

/**
 * The options a call resolved, as hooks see them: `retry` as the policy in force (`limit`,
 * `methods`, `statusCodes`, `networkErrors`, `timeouts`, `maxDelay`, `maxRetryAfter`, and the
 * caller's `shouldRetry`), `timeout` as `{ total, attempt }`, `baseURL`, `query` (merged), and
 * `auth` with its secrets redacted.
 */
function resolvedOptions(call: Call): Record<string, unknown> {
  const { policy } = call
  const retry: Record<string, unknown> = { limit: policy.limit, methods: [...policy.methods], statusCodes: [...policy.statusCodes], networkErrors: policy.networkErrors, timeouts: policy.timeouts, maxDelay: policy.maxDelay, maxRetryAfter: policy.maxRetryAfter }
  if (policy.shouldRetry) retry.shouldRetry = policy.shouldRetry
  return Object.assign(Object.create(null), {
    retry,
    timeout: { total: call.timeouts.total, attempt: call.timeouts.attempt },
    baseURL: call.options.baseURL,
    query: call.options.query ? { ...call.options.query } : undefined,
    params: undefined,
    auth: redactedAuth(call.state.layers.auth as { options: Record<string, unknown> } | undefined),
  })
}

function redactedAuth(auth: { options: Record<string, unknown> } | undefined): unknown {
  if (!auth) return undefined
  const { options } = auth
  if (Object.prototype.hasOwnProperty.call(options, 'bearer')) return { bearer: REDACTED }
  const shown: Record<string, unknown> = { username: options.username, password: REDACTED }
  if (options.type !== undefined) shown.type = options.type
  return shown
}

/** The call a failure record belongs to, once it is built: its hooks are shown its resolved options. */
interface CallFailure extends HookFailure {
  call?: Call
}

/**
 * Builds a call from the caller's input and options, before anything is sent; every bad input
 * throws that call's `InvalidRequestError` (a closed session, `SessionClosedError`). The body of a
 * `Request` is read afterwards (`readRequestBody`), the only asynchronous step.
 */
export function resolveCall(client: Client, input: FetchRequest, options: RequestOptions | undefined): Call {
  const requestInput = isRequest(input) ? input : undefined
  const method = String(own<string>(options, 'method') ?? requestInput?.method ?? 'GET').toUpperCase()
  const href = describeInput(input)
  const details: ErrorDetails = { request: href, method }
  if (isClosed(client)) throw closedCall(client, href, options, details)
  if (typeof input !== 'string' && !(input instanceof URL) && !requestInput) {
    throw new InvalidRequestError('the request must be a URL string, a URL or a Request', details)
  }
  try {
    return buildCall(client, href, options, requestInput, method, details)
  }
  catch (error) {
    throw asInvalidRequest(error, details)
  }
}

/** The `SessionClosedError` of a call on a closed session, naming the URL it would have had. */
function closedCall(client: Client, href: string, options: RequestOptions | undefined, details: ErrorDetails): SessionClosedError {
  try {
    details.request = resolveURL(href, own<string>(options, 'baseURL') ?? client.layer.baseURL, undefined, client.adapter.fallbackBase?.()).url.href
  }
  catch {}
  return new SessionClosedError(details)
}

/** `resolveCall()`'s work; what it throws becomes the call's `InvalidRequestError`. */
function buildCall(client: Client, href: string, options: RequestOptions | undefined, requestInput: Request | undefined, method: string, details: ErrorDetails): Call {
  for (const key of SESSION_WIDE_KEYS) {
    if (own(options, key) !== undefined) throw invalidOption(key, `\`${key}\` is a session-wide option (it configures the connection pool): give it to createSession() or mount(), not to one request`)
  }
  const session = client.layer
  const layer = toLayer(options)
  const query = session.query || layer.query ? { ...session.query, ...layer.query } : undefined
  const { url, authorization } = resolveURL(href, layer.baseURL ?? session.baseURL, query, client.adapter.fallbackBase?.())
  const mount = findMount(client.mounts, url)
  const headers = callHeaders(client, url, layer, mount, requestInput, options)
  // A mount's query fills in keys the URL, the session and the request leave out (a `null` there names the key too).
  appendQuery(url, mount?.layer.query, key => url.searchParams.has(key) || (query !== undefined && Object.prototype.hasOwnProperty.call(query, key)))
  details.request = url.href

  const levels = mount ? [session, mount.layer, layer] : [session, layer]
  // A request that gives no options, off any mount, has the session's own (merged once per client).
  const merged = layer === NO_OPTIONS && !mount ? (client.defaults ??= mergeLevels(levels, undefined, 'request')) : mergeLevels(levels, headers, 'request')
  const policy = layer.retry !== undefined
    ? resolveRetry(levels.map(item => item.retry))
    : mount
      ? (mount.policy ??= resolveRetry([session.retry, mount.layer.retry]))
      : (client.policy ??= resolveRetry([session.retry]))
  const failure: CallFailure = { failed: false, error: undefined, call: undefined }
  const hooks = hasHooks(merged.hooks) ? wrappedHooks(merged.hooks, failure) : NO_HOOKS
  let rest = merged.rest
  const state: CallState = {
    transport: hopTransport(client),
    signal: undefined,
    history: [],
    method,
    parseResponse: typeof rest.parseResponse === 'function' ? rest.parseResponse as (text: string) => unknown : undefined,
    layers: prepareLayers(merged, { url, method, hooks }),
  }
  // The offline mode: a retry would miss the same cache again (and in browsers, ask for nothing).
  if (rest.cache === 'only-if-cached') state.final = true
  // `user:password@` in the URL is Basic auth, unless `auth` or an Authorization header says otherwise.
  if (authorization && !headers.has('authorization') && state.layers.auth === undefined) headers.set('authorization', authorization)
  // Where the platform keeps the cookies (browsers): send and accept them cross-origin too.
  if (client.adapter.owns?.cookies && client.stateful && rest.credentials === undefined) rest = Object.assign(Object.create(null), rest, { credentials: 'include' })
  const call = new Call(client, url, method, details, headers, own<unknown>(options, 'body'), requestInput, merged, policy, mergeTimeouts([merged.timeout]), hooks, rest, redirectModeOf(merged.layers), mount?.transport ?? client.transport, state, failure)
  failure.call = call
  return call
}

/** The hooks of a call that has none (most calls): one object for all of them, never written. */
const NO_HOOKS: CallHooks = Object.freeze(Object.create(null))

/** True when any hook list is given (`mergeLevels` keeps only the names that have hooks). */
function hasHooks(lists: Partial<HookLists>): boolean {
  for (const _ in lists) return true
  return false
}

function wrappedHooks(lists: Partial<HookLists>, failure: CallFailure): CallHooks {
  const hooks = Object.create(null) as CallHooks
  for (const name of HOOK_NAMES) hooks[name] = wrapHooks(lists[name], failure)
  return hooks
}

/** Each layer's state for this call (its `prepare`), by name. */
function prepareLayers(merged: OptionLayer, context: CallContext): Record<string, unknown> {
  const states: Record<string, unknown> = {}
  for (const spec of LAYERS) {
    if (!spec.prepare) continue
    const state = spec.prepare(merged.layers[spec.name], context)
    if (state !== undefined) states[spec.name] = state
  }
  return states
}

/**
 * The headers of a call: the session's (less those that carry credentials, off its origin), the
 * mount's, the `Request`'s, the request's own; never `Host`.
 */
function callHeaders(client: Client, url: URL, layer: OptionLayer, mount: Mount | undefined, requestInput: Request | undefined, options: RequestOptions | undefined): Headers {
  const headers = new Headers(client.layer.headers)
  withoutForeignCredentials(headers, client.layer, url, layer, mount?.layer)
  for (const name of mount?.removed ?? []) headers.delete(name)
  if (mount?.layer.headers) assignHeaders(headers, mount.layer.headers)
  if (requestInput) assignHeaders(headers, requestInput.headers)
  assignHeaders(headers, own<HeadersInit>(options, 'headers'))
  // `Host` is the platform's, from the URL, on every runtime: fetch forbids it, Bun would send it.
  headers.delete('host')
  return headers
}

/**
 * The body of the call, once resolved: a `Request`'s, read once (a one-shot stream) so retries
 * and 307/308 can resend it. Only such a call waits here: any other goes on in the same tick, so
 * calls reach the limiter's queue in the order they were made.
 */
export function requestBody(call: Call): Promise<ArrayBuffer> | undefined {
  return call.body === undefined && call.requestInput?.body ? call.requestInput.arrayBuffer() : undefined
}

/** The body as it is sent: a plain object becomes the form its content type names. */
export function encodeBody(call: Call, body: unknown): void {
  call.body = encodeFormBody(body, call.headers)
  call.oneShotBody = isOneShotBody(call.body)
}

/**
 * A bad option or input found while a call is built, as that call's `InvalidRequestError`: it
 * names the request, and the option when the error did (`invalidOption()`).
 */
export function asInvalidRequest(error: unknown, details: ErrorDetails): InvalidRequestError {
  const reason = (error as Error).message.replace(/^fetch-session: /, '')
  if (error instanceof InvalidRequestError) return new InvalidRequestError(reason, { ...details, option: error.option, cause: error.cause })
  return new InvalidRequestError(reason, { ...details, cause: error })
}

/** Remembers that the caller's code threw `error` (so it is passed through, not retried) and rethrows it. */
export function recordFailure(failure: HookFailure, error: unknown): never {
  failure.failed = true
  failure.error = error
  throw error
}

/**
 * The caller's hooks, each wrapped: what it throws is recorded as the caller's (never retried),
 * and ofetch's hooks (those given `context.options`) see the call's resolved options
 * (`Call.optionsView`) while they run; ofetch runs them one after another, so the swap is theirs alone.
 */
function wrapHooks<T extends (context: any) => unknown>(list: T[] | undefined, failure: CallFailure): T[] | undefined {
  if (!list || list.length === 0) return undefined
  return list.map(hook => (async (context: { options?: object }) => {
    const options = context?.options
    const view = options && failure.call ? failure.call.optionsView(options) : undefined
    if (view) context.options = view
    try {
      await hook(context)
    }
    catch (error) {
      recordFailure(failure, error)
    }
    finally {
      if (view && context.options === view) context.options = options
    }
  }) as unknown as T)
}

/** The URL of an input, as given. */
export function describeInput(input: FetchRequest): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return (input as Request)?.url ?? String(input)
}

/** A `Request` (of this realm or another). */
export function isRequest(value: unknown): value is Request {
  return typeof value === 'object' && value !== null && typeof (value as Request).url === 'string' && typeof (value as Request).arrayBuffer === 'function' && typeof (value as Request).headers === 'object'
}

/** The headers that carry credentials for this session: those a redirect off the origin strips (`Host` aside), and the `sensitiveHeaders`. */
export function credentialHeaderNames(...layers: Array<OptionLayer | undefined>): string[] {
  const names = CREDENTIAL_HEADERS.filter(name => name !== 'host')
  for (const layer of layers) names.push(...(sensitiveHeadersOf(layer?.layers) ?? []))
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
