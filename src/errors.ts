import { FetchError } from './fetch-error'
import { classifyNetworkError, isNetworkError } from './network-errors'
import type { NetworkErrorCode } from './network-errors'
import { redactText, redactURL } from './secrets'
import type { FetchResponse } from './types'

export { FetchError }

/**
 * Brand carried by every error this package creates. `instanceof` checks use it (through
 * `Symbol.hasInstance`), so they keep working when two copies of the package are loaded
 * (npm + JSR, two bundles…). Model: undici `lib/core/errors.js`.
 */
const kErrorKind: unique symbol = Symbol.for('fetch-session.error.kind') as never

/** What every error of this package carries besides `message` and `cause`. */
export interface ErrorDetails {
  /** The URL of the request that failed (credentials in it are never printed in `message`). */
  request?: string
  /** The HTTP method of the request that failed. */
  method?: string
  /** The resolved options of the failed request. Not enumerable, so logs do not print headers. */
  options?: unknown
  /** The cause: the runtime's own error, the signal's reason, … */
  cause?: unknown
  /** The option (or argument) that is wrong, when the error is about one: `retry.limit`, `tls.ca`… */
  option?: string
}

/**
 * Shared constructor logic: a message of the form `[GET] "http://host/path": what happened`,
 * with `request` / `options` attached as non-enumerable properties.
 */
function init(error: FetchError, kind: string, details: ErrorDetails): void {
  Object.defineProperty(error, 'name', { value: kind, enumerable: false, configurable: true, writable: true })
  Object.defineProperty(error, kErrorKind, { value: kind, enumerable: false })
  for (const key of ['request', 'options'] as const) {
    Object.defineProperty(error, key, {
      value: details[key],
      enumerable: false,
      configurable: true,
      writable: true,
    })
  }
  if (details.method !== undefined) {
    Object.defineProperty(error, 'method', { value: details.method, enumerable: false, configurable: true, writable: true })
  }
}

function brandCheck(kind: string) {
  return (value: unknown): boolean =>
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kErrorKind] === kind
}

/** `[GET] "http://host/path"`, with any `user:password@` and the secret parameters' values removed from the URL (`redactURL`). */
export function describeRequest(method: string | undefined, url: string | undefined): string {
  return `[${(method ?? 'GET').toUpperCase()}] ${JSON.stringify(redactURL(url ?? '/'))}`
}

export { redactURL }

/**
 * The final response had a status >= 400 (and `ignoreResponseError` was not set).
 *
 * @example
 * ```ts
 * try { await session('/status/404') }
 * catch (error) {
 *   if (error instanceof HTTPError) console.log(error.status, error.data)
 * }
 * ```
 */
export class HTTPError<T = any> extends FetchError<T> {
  /** The HTTP status of the final response. */
  declare status: number
  /** Alias of `status` (ofetch compatibility). */
  declare statusCode: number
  /** The status text of the final response. */
  declare statusText: string
  /** Alias of `statusText` (ofetch compatibility). */
  declare statusMessage: string
  /** The parsed body of the error response. */
  declare data: T | undefined
  /** The final response (its body already read into `data`). */
  declare response: FetchResponse<T>

  constructor(response: FetchResponse<T>, details: ErrorDetails) {
    const url = response.url || details.request
    super(`${describeRequest(details.method, url)}: ${response.status} ${response.statusText}`.trimEnd(), details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'HTTPError', details)
    this.status = response.status
    this.statusCode = response.status
    this.statusText = response.statusText
    this.statusMessage = response.statusText
    this.data = response._data
    Object.defineProperty(this, 'response', { value: response, enumerable: false, configurable: true, writable: true })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('HTTPError')
}

/** Which deadline expired. `signal` means a caller's `AbortSignal.timeout()` fired. */
export type TimeoutPhase = 'total' | 'attempt' | 'signal'

/** A deadline passed, before the headers arrived or while the body was being read. */
export class TimeoutError extends FetchError {
  /** `'total'`: the deadline of the whole call; `'attempt'`: one attempt's; `'signal'`: the caller's `AbortSignal.timeout()`. */
  readonly phase: TimeoutPhase
  /** The deadline that passed, in milliseconds (`undefined` for `phase: 'signal'`). */
  readonly timeout: number | undefined

  constructor(phase: TimeoutPhase, timeout: number | undefined, details: ErrorDetails) {
    const what = phase === 'signal'
      ? 'the caller\'s signal timed out'
      : `timed out after ${timeout} ms (${phase === 'total' ? 'deadline of the whole call' : 'deadline of one attempt'})`
    super(`${describeRequest(details.method, details.request)}: ${what}`, details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'TimeoutError', details)
    this.phase = phase
    this.timeout = timeout
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('TimeoutError')
}

/**
 * No response arrived: connection refused or reset, DNS failure, TLS failure, proxy failure.
 * `code` says which, the same on every runtime (see `NETWORK_ERROR_CODES`); `cause` is the
 * runtime's own error.
 *
 * @example
 * ```ts
 * // [GET] "http://127.0.0.1:9999/": network error (ECONNREFUSED): connection refused (connect ECONNREFUSED 127.0.0.1:9999)
 * if (error instanceof NetworkError && error.code === 'ECONNREFUSED') console.log('is the server up?')
 * ```
 */
export class NetworkError extends FetchError {
  /** Why no response arrived: one of `NETWORK_ERROR_CODES`, the same on every runtime. */
  readonly code: NetworkErrorCode
  /**
   * The runtime's own code, when it gave one: `SELF_SIGNED_CERT_IN_CHAIN`, `UND_ERR_SOCKET`,
   * `ECONNREFUSED`… (Node, Bun); `undefined` where the runtime has none (Deno, workerd, browsers).
   */
  readonly runtimeCode: string | undefined

  constructor(details: ErrorDetails) {
    const { code, runtimeCode, description } = classifyNetworkError(details.cause)
    super(`${describeRequest(details.method, details.request)}: network error (${code}): ${redactText(description)}`, { cause: redactCause(details.cause) })
    init(this, 'NetworkError', details)
    this.code = code
    this.runtimeCode = runtimeCode
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('NetworkError')
}

/** The caller's own signal aborted the request. `cause` is the signal's reason. */
export class AbortError extends FetchError {
  constructor(details: ErrorDetails) {
    const reason = details.cause
    const suffix = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : ''
    super(`${describeRequest(details.method, details.request)}: aborted by the caller${suffix}`, { cause: reason })
    init(this, 'AbortError', details)
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('AbortError')
}

/** Why a redirect could not be followed. */
export type RedirectErrorCode =
  | 'ERR_TOO_MANY_REDIRECTS'
  | 'ERR_REDIRECT_MODE'
  | 'ERR_REDIRECT_LOCATION'
  | 'ERR_REDIRECT_SCHEME'
  | 'ERR_REDIRECT_BODY'

/** A redirect could not be followed: too many redirects, `redirect: 'error'`, a bad `Location`, or a body that cannot be sent again. */
export class RedirectError extends FetchError {
  /** Machine-readable reason. */
  readonly code: RedirectErrorCode
  /** Every URL of the chain so far, the first request included. */
  readonly redirectUrls: string[]
  /** The redirect response that was refused (its body already cancelled). */
  declare response: Response | undefined

  constructor(code: RedirectErrorCode, reason: string, redirectUrls: string[], response: Response | undefined, details: ErrorDetails) {
    super(`${describeRequest(details.method, details.request)}: ${redactText(reason)}`, details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'RedirectError', details)
    this.code = code
    this.redirectUrls = redirectUrls.map(redactURL)
    Object.defineProperty(this, 'response', { value: response, enumerable: false, configurable: true, writable: true })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('RedirectError')
}

/** A request was made on a session after `close()`. */
export class SessionClosedError extends FetchError {
  /** `during`: the call was under way (waiting, sending or reading its body) when `close()` ran. */
  constructor(details: ErrorDetails, during: boolean = false) {
    super(`${describeRequest(details.method, details.request)}: ${during ? 'the session was closed during the call' : 'the session is closed; create a new session to make more requests'}`)
    init(this, 'SessionClosedError', details)
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('SessionClosedError')
}

/**
 * What the caller gave cannot work: an option (`option` names it), a URL, a header, a body with
 * GET… One rule, wherever it is found: `createSession()`, `extend()`, `mount()`, `$fetch.create()`
 * and the stores' factories throw it at once; a call rejects with it before anything is sent.
 *
 * @example
 * ```ts
 * try { createSession({ retry: { limit: -1 } }) }
 * catch (error) {
 *   if (error instanceof InvalidRequestError) console.log(error.option) // 'retry.limit'
 * }
 * ```
 */
export class InvalidRequestError extends FetchError {
  /** The option or argument that is wrong (`retry.limit`, `tls.ca`, `headers`…), when the error is about one. */
  declare readonly option: string | undefined

  constructor(reason: string, details: ErrorDetails) {
    // Found before any request (createSession(), mount()…): no request to name.
    const where = details.request === undefined && details.method === undefined ? 'fetch-session' : `${describeRequest(details.method, details.request)}: invalid request`
    super(`${where}: ${redactText(reason)}`, details.cause === undefined ? undefined : { cause: redactCause(details.cause) })
    init(this, 'InvalidRequestError', details)
    Object.defineProperty(this, 'option', { value: details.option, enumerable: false, configurable: true, writable: true })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('InvalidRequestError')
}

/** The `InvalidRequestError` for a bad option or argument, found before any request: `option` names it. */
export function invalidOption(option: string, reason: string): InvalidRequestError {
  return new InvalidRequestError(reason, { option })
}

/**
 * An option this runtime cannot honour (`proxy` in a browser, `tls.rejectUnauthorized: false` on
 * Deno…): thrown by `createSession()` and `mount()`, with `option` and `runtime`, never silently
 * ignored.
 */
export class UnsupportedOptionError extends FetchError {
  /** The option that cannot be honoured (`proxy`, `tls`, `pool`, `http2`, `dispatcher`, or a member such as `tls.rejectUnauthorized`). */
  readonly option: string
  /** The runtime adapter that refused it (`node`, `deno`, `bun`, `workerd`, `browser`, `fetch`). */
  readonly runtime: string

  constructor(option: string, runtime: string, hint: string, label: string = runtime) {
    super(`fetch-session: the \`${option}\` option is not supported on ${label}: ${hint}`)
    init(this, 'UnsupportedOptionError', { option })
    this.option = option
    this.runtime = runtime
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('UnsupportedOptionError')
}

/**
 * Authentication could not be done: the bearer token provider or the refresh after a 401 failed
 * (`cause` is why), or the server asked for a Digest algorithm that is not supported.
 */
export class AuthError extends FetchError {
  constructor(reason: string, details: ErrorDetails) {
    super(`${describeRequest(details.method, details.request)}: ${reason}`, details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'AuthError', details)
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('AuthError')
}

/** Why a fleet's store failed (`FleetError.code`). */
export type FleetErrorCode =
  /** The store refused or failed a command (connection refused or lost, an error reply); `cause` has its error. */
  | 'ERR_FLEET_UNAVAILABLE'
  /** The store did not answer a command within the fleet's `commandTimeout`, or a refresh by another process did not end within `refreshTimeout`. */
  | 'ERR_FLEET_TIMEOUT'

/**
 * The fleet's store (Redis) could not be used: a call of a session with `fleet` rejects with it
 * (before anything is sent, when the shared budgets or the host's pause cannot be read; after the
 * response, when a `Retry-After` pause cannot be shared; at a 401, when the shared refresh cannot
 * run). Never retried, and never a silent fall back to this process's own limits: the session
 * works again as soon as the store does. `cause` is the store's error, with its message only (a
 * client's error can carry the command's arguments: the token record is never in it).
 *
 * @example
 * ```ts
 * try { await session('/items') }
 * catch (error) {
 *   if (error instanceof FleetError) console.error(error.code, error.prefix) // 'ERR_FLEET_UNAVAILABLE' 'crawler'
 * }
 * ```
 */
export class FleetError extends FetchError {
  /** What failed. */
  readonly code: FleetErrorCode
  /** The fleet's prefix. */
  readonly prefix: string
  /** What failed, without the request (the message has both). */
  declare readonly reason: string

  constructor(code: FleetErrorCode, prefix: string, reason: string, details: ErrorDetails = {}) {
    const where = details.request === undefined ? 'fetch-session' : describeRequest(details.method, details.request)
    super(`${where}: fleet ${JSON.stringify(prefix)}: ${redactText(reason)}`, details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'FleetError', details)
    this.code = code
    this.prefix = prefix
    Object.defineProperty(this, 'reason', { value: reason, enumerable: false, configurable: true, writable: true })
  }

  /** The same error, naming the request it failed (the store's errors are made without one). */
  forRequest(request: string, method: string): FleetError {
    return new FleetError(this.code, this.prefix, this.reason, { request, method, cause: this.cause })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('FleetError')
}

/** The response body passed `maxBodySize` (counted after decompression). */
export class BodyTooLargeError extends FetchError {
  /** The limit that was passed, in bytes. */
  readonly limit: number

  constructor(limit: number, details: ErrorDetails) {
    super(`${describeRequest(details.method, details.request)}: the response body is larger than ${limit} bytes (maxBodySize)`)
    init(this, 'BodyTooLargeError', details)
    this.limit = limit
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('BodyTooLargeError')
}

/** True for errors created by this package (any copy of it). */
export function isSessionError(value: unknown): value is FetchError {
  return typeof value === 'object' && value !== null && typeof (value as Record<symbol, unknown>)[kErrorKind] === 'string'
}

/** How deep `redactCause` follows `cause` (and an `AggregateError`'s `errors`). */
const CAUSE_DEPTH = 8

/**
 * A runtime's error (the `cause` of a `NetworkError` or an `InvalidRequestError`, and its own
 * causes) with the secrets it may carry redacted (`redactText`): its `message`, its `stack` and
 * its enumerable string properties (Bun's `path` is the request's URL), in place, so the error
 * keeps its class, `code` and the rest of what it says. One that cannot be changed (frozen) is
 * replaced by an `Error` of the same name saying the same, redacted. This package's own errors
 * are left as they are: their messages are redacted when they are made.
 */
function redactCause(cause: unknown, depth = 0, seen: Set<object> = new Set()): unknown {
  if (typeof cause !== 'object' || cause === null || depth > CAUSE_DEPTH || seen.has(cause) || isSessionError(cause)) return cause
  seen.add(cause)
  const record = cause as Record<string, unknown>
  let writable = true
  const update = (key: string, value: unknown): void => {
    if (!writable) return
    try {
      Object.defineProperty(cause, key, { value, writable: true, configurable: true, enumerable: Object.prototype.propertyIsEnumerable.call(cause, key) })
    }
    catch {
      writable = false
    }
  }
  const redacted: Record<string, unknown> = {}
  for (const key of new Set(['message', 'stack', ...Object.keys(cause)])) {
    let value: unknown
    try {
      value = record[key]
    }
    catch {
      continue
    }
    if (typeof value === 'string') {
      const clean = redactText(value)
      redacted[key] = clean
      if (clean !== value) update(key, clean)
    }
  }
  if (Array.isArray(record.errors)) {
    const errors = record.errors.map(item => redactCause(item, depth + 1, seen))
    if (errors.some((item, index) => item !== (record.errors as unknown[])[index])) update('errors', errors)
  }
  const inner = 'cause' in record ? record.cause : undefined
  const innerRedacted = redactCause(inner, depth + 1, seen)
  if (innerRedacted !== inner) update('cause', innerRedacted)
  if (writable) return cause
  // Frozen: an Error of the same name that says the same, redacted.
  const copy = new Error(String(redacted.message ?? ''), innerRedacted === undefined ? undefined : { cause: innerRedacted })
  Object.defineProperty(copy, 'name', { value: (cause as Error).name, configurable: true, writable: true })
  if (typeof redacted.stack === 'string') Object.defineProperty(copy, 'stack', { value: redacted.stack, configurable: true, writable: true })
  for (const key of Object.keys(cause)) {
    if (key !== 'message' && key !== 'stack' && key !== 'cause') (copy as unknown as Record<string, unknown>)[key] = key in redacted ? redacted[key] : record[key]
  }
  return copy
}

/** At most this much of the body is kept on `ParseError.snippet`. */
const SNIPPET_LENGTH = 200
/** At most this much of the body is shown in `ParseError.message`. */
const MESSAGE_SNIPPET_LENGTH = 60

/**
 * A body that was to be JSON did not parse: the response said `Content-Type: application/json`
 * (or `application/*+json`), or the request asked for `responseType: 'json'`, and the body is an
 * HTML page, a truncated document, plain text…; or the caller's `parseResponse` threw (its error
 * is `cause`). An empty body is no error, and an error status (>= 400) rejects with `HTTPError`
 * whose `data` is the text instead. Never retried.
 *
 * @example
 * ```ts
 * try { await session('/api/items') }
 * catch (error) {
 *   if (error instanceof ParseError) console.log(error.status, error.snippet) // 200 '<!doctype html>…'
 * }
 * ```
 */
export class ParseError extends FetchError {
  /** The HTTP status of the response whose body did not parse. */
  declare status: number
  /** The response (its body already read). */
  declare response: FetchResponse<any>
  /** The start of the body, at most 200 characters (the message shows at most 60). */
  readonly snippet: string

  /** `byParseResponse`: the caller's `parseResponse` threw (`details.cause`), rather than JSON parsing. */
  constructor(text: string, response: Response, details: ErrorDetails, byParseResponse = false) {
    const shown = JSON.stringify(text.length > MESSAGE_SNIPPET_LENGTH ? `${text.slice(0, MESSAGE_SNIPPET_LENGTH)}…` : text)
    const type = response.headers.get('content-type')
    const reason = byParseResponse
      ? `parseResponse threw (${(details.cause as Error | undefined)?.message ?? String(details.cause)}) on the body ${shown}`
      : `the body is not valid JSON (${type === null ? 'no Content-Type' : `Content-Type: ${type}`}): ${shown}`
    super(`${describeRequest(details.method, details.request)}: ${`${response.status} ${response.statusText}`.trimEnd()}: ${reason}`, details.cause === undefined ? undefined : { cause: details.cause })
    init(this, 'ParseError', details)
    this.status = response.status
    this.snippet = text.slice(0, SNIPPET_LENGTH)
    Object.defineProperty(this, 'response', { value: response, enumerable: false, configurable: true, writable: true })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('ParseError')
}

/** One issue of a failed `schema` (Standard Schema's), its path as keys. */
export interface SchemaIssue {
  /** What the schema library says (its own words: a library may quote the value it got). */
  readonly message: string
  /** Where in the body, outermost key first (empty: the body itself). */
  readonly path: ReadonlyArray<PropertyKey>
}

/**
 * The parsed body did not match the call's `schema` (a Standard Schema: zod, valibot, arktype…):
 * never retried. The message names the paths of the issues, never a value of the body; `issues`
 * has what the schema library said.
 *
 * @example
 * ```ts
 * try {
 *   await session('/users/1', { schema: User })
 * }
 * catch (error) {
 *   if (error instanceof SchemaError) console.log(error.issues.map(issue => issue.path.join('.')))
 * }
 * ```
 */
export class SchemaError extends FetchError {
  /** The HTTP status of the response whose body did not match. */
  declare status: number
  /** The issues the schema reported. */
  readonly issues: readonly SchemaIssue[]
  /** The response (its body already read and parsed). */
  declare response: FetchResponse<any>

  constructor(issues: ReadonlyArray<{ message: string, path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }>, response: Response, details: ErrorDetails) {
    const list = issues.map(issue => ({ message: issue.message, path: (issue.path ?? []).map(part => (typeof part === 'object' && part !== null ? part.key : part)) }))
    const where = [...new Set(list.map(issue => issue.path.length === 0 ? '(the body)' : issue.path.map(String).join('.')))]
    const shown = where.slice(0, 5).join(', ') + (where.length > 5 ? `, and ${where.length - 5} more` : '')
    super(`${describeRequest(details.method, details.request)}: ${response.status}: the response body does not match the schema (${list.length} ${list.length === 1 ? 'issue' : 'issues'}, at ${shown})`)
    init(this, 'SchemaError', details)
    this.status = response.status
    this.issues = list
    Object.defineProperty(this, 'response', { value: response, enumerable: false, configurable: true, writable: true })
  }

  static override [Symbol.hasInstance]: (value: unknown) => boolean = brandCheck('SchemaError')
}

/** An error thrown by the caller's own code (a hook, `shouldRetry`): passed through untouched and never retried. */
export interface HookFailure {
  failed: boolean
  error: unknown
}

/** What `classify()` reads of a call (`Call` in `call.ts`). */
export interface ClassifyCall {
  failure: HookFailure
  details: ErrorDetails
  /** The call's options as its errors carry them (`error.options`). */
  fetchOptions: unknown
  /** The call state's error a layer failed the body with. */
  state: { bodyError?: unknown }
  deadline: { readonly signal: AbortSignal, readonly callerSignal: AbortSignal | undefined }
  timeouts: { total: number | undefined, attempt: number | undefined }
  /** The current attempt. */
  current: { readonly signal: AbortSignal } | undefined
  /** The response as the caller sees it (redirect history, the request's fragment). */
  ofCall: <T extends Response>(response: T) => T
}

/** Why an attempt's signal aborted (`timeout.ts`'s `AbortKind`). */
type AbortKindOf = 'caller' | 'total' | 'attempt' | 'closed'

/**
 * What an attempt's failure is, as the caller sees it (issue 13 item 2): the caller's own error
 * as it is; `SessionClosedError` when the session was closed under it (whatever the transport made
 * of that); a layer's body error; an `HTTPError` for ofetch's error status; this package's errors
 * as they are; the abort or deadline that fired; a `NetworkError` for what the runtime reports as
 * one; an `InvalidRequestError` for anything else the runtime refused.
 */
export function classify(error: unknown, scope: { readonly signal: AbortSignal, readonly kind: AbortKindOf | undefined }, call: ClassifyCall): unknown {
  const { failure, details } = call
  if (failure.failed && error === failure.error) return error
  if (scope.kind === 'closed' && scope.signal.aborted) return abortError('closed', call)
  if (call.state.bodyError !== undefined) return call.state.bodyError
  let cause = error
  // ofetch's own FetchError (this package's errors are its subclasses): an error status, or what it wrapped.
  if (cause instanceof FetchError && !isSessionError(cause)) {
    const response = (cause as FetchError).response
    if (response) return new HTTPError(call.ofCall(response), { ...details, options: call.fetchOptions })
    cause = (cause as FetchError).cause ?? cause
    if (failure.failed && cause === failure.error) return cause
  }
  if (isSessionError(cause)) return cause
  if (scope.signal.aborted) return abortError(scope.kind, call)
  if (!isNetworkError(cause)) {
    return new InvalidRequestError((cause as Error)?.message ?? String(cause), { ...details, options: call.fetchOptions, cause })
  }
  return new NetworkError({ ...details, options: call.fetchOptions, cause })
}

/** The error of a call whose signal aborted, by why it did. */
export function abortError(kind: AbortKindOf | undefined, call: ClassifyCall): FetchError {
  const { details } = call
  if (kind === 'closed') return new SessionClosedError(details, true)
  if (kind === 'caller') {
    const reason = call.deadline.callerSignal?.reason
    if ((reason as Error | undefined)?.name === 'TimeoutError') return new TimeoutError('signal', undefined, { ...details, cause: reason })
    return new AbortError({ ...details, cause: reason })
  }
  if (kind === 'attempt') return new TimeoutError('attempt', call.timeouts.attempt, { ...details, cause: call.current?.signal.reason })
  return new TimeoutError('total', call.timeouts.total, { ...details, cause: call.deadline.signal.reason })
}
