import type { NetworkErrorCode } from './network-errors'
import type { FetchError } from './fetch-error'
import type { RetryContext, RetryOptions, ShouldRetryContext } from './types'
import { MAX_TIMEOUT } from './timeout'
import { HTTPError, invalidOption, NetworkError, TimeoutError } from './errors'
import { discard } from './response-hooks'

/**
 * Methods retried by default: the idempotent ones (RFC 9110 §9.2.2). POST and PATCH may have
 * happened on the server already; repeating them is the caller's decision. TRACE is idempotent
 * too, but Node's and Deno's fetch refuse to send it.
 */
export const DEFAULT_RETRY_METHODS: readonly string[] = Object.freeze([
  'GET', // safe
  'HEAD', // safe
  'OPTIONS', // safe
  'PUT', // idempotent: the same PUT twice leaves the same state
  'DELETE', // idempotent
])

/** Statuses retried by default (ky and got use the same list; ofetch's 409 is a real conflict, not transient). */
export const DEFAULT_RETRY_STATUS_CODES: readonly number[] = Object.freeze([
  408, // Request Timeout: the server gave up waiting for us
  413, // Content Too Large: only with Retry-After (the server says when it can take it)
  429, // Too Many Requests: rate limited, usually with Retry-After
  500, // Internal Server Error: often transient
  502, // Bad Gateway: upstream hiccup
  503, // Service Unavailable: overloaded or restarting, usually with Retry-After
  504, // Gateway Timeout: upstream too slow this time
])

/**
 * Network errors never retried by default (issue 11, item 4): they cannot succeed on a second try,
 * and some cost something each time. `shouldRetry` returning `true` still retries them.
 */
const NOT_RETRIED_NETWORK_ERRORS: ReadonlySet<NetworkErrorCode> = new Set<NetworkErrorCode>([
  'ERR_TLS_CERT_INVALID', // the same certificate comes back: a handshake per attempt for nothing
  'ERR_TLS_HANDSHAKE', // no common protocol, not TLS on that port, client certificate refused
  'ERR_PROXY_AUTH_REQUIRED', // the same credentials again: wrong passwords can lock a company account
])

/** True when a network error of this code may be retried by the default policy (and resent on a stale connection). */
export function retriesNetworkError(code: NetworkErrorCode): boolean {
  return !NOT_RETRIED_NETWORK_ERRORS.has(code)
}

/** Statuses whose `Retry-After` is honoured (urllib3 `RETRY_AFTER_STATUS_CODES`). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([413, 429, 503])

/** The defaults of the retry policy, in one frozen object. */
export const RETRY_DEFAULTS: Readonly<{ limit: number, networkErrors: boolean, timeouts: boolean, delay: number, maxDelay: number, jitter: boolean, maxRetryAfter: number }> = Object.freeze({
  limit: 2,
  networkErrors: true,
  timeouts: true,
  delay: 300,
  maxDelay: 10_000,
  jitter: true,
  maxRetryAfter: 60_000,
})

/** A retry policy with every default filled in. */
export interface RetryPolicy {
  limit: number
  methods: ReadonlySet<string>
  statusCodes: ReadonlySet<number>
  networkErrors: boolean
  timeouts: boolean
  delay: (retryCount: number) => number
  maxDelay: number
  jitter: (delay: number) => number
  maxRetryAfter: number
  shouldRetry: RetryOptions['shouldRetry']
}

const equalJitter = (delay: number): number => delay / 2 + Math.random() * (delay / 2)
const noJitter = (delay: number): number => delay

/**
 * Merges retry options layer by layer (session, mount, request). `false` turns retries off, a
 * number sets `limit`, an object overrides the keys it names.
 */
export function resolveRetry(layers: ReadonlyArray<RetryOptions | number | false | undefined>): RetryPolicy {
  const merged: RetryOptions = Object.create(null)
  let enabled = true
  for (const layer of layers) {
    if (layer === undefined) continue
    if (layer === false) {
      enabled = false
      continue
    }
    enabled = true
    if (typeof layer === 'number') {
      merged.limit = layer
      continue
    }
    for (const key of Object.keys(layer) as Array<keyof RetryOptions>) {
      if (layer[key] !== undefined) (merged as Record<string, unknown>)[key] = layer[key]
    }
  }
  const limit = enabled ? (merged.limit ?? RETRY_DEFAULTS.limit) : 0
  checkCount('retry.limit', limit)
  const maxDelay = merged.maxDelay ?? RETRY_DEFAULTS.maxDelay
  checkDelay('retry.maxDelay', maxDelay)
  const maxRetryAfter = merged.maxRetryAfter ?? RETRY_DEFAULTS.maxRetryAfter
  checkDelay('retry.maxRetryAfter', maxRetryAfter)
  const delayOption = merged.delay ?? RETRY_DEFAULTS.delay
  if (typeof delayOption === 'number') checkDelay('retry.delay', delayOption)
  const jitterOption = merged.jitter ?? RETRY_DEFAULTS.jitter
  return {
    limit,
    methods: new Set((merged.methods ?? DEFAULT_RETRY_METHODS).map(method => method.toUpperCase())),
    statusCodes: new Set(merged.statusCodes ?? DEFAULT_RETRY_STATUS_CODES),
    networkErrors: merged.networkErrors ?? RETRY_DEFAULTS.networkErrors,
    timeouts: merged.timeouts ?? RETRY_DEFAULTS.timeouts,
    delay: typeof delayOption === 'function' ? delayOption : (retryCount: number) => delayOption * 2 ** retryCount,
    maxDelay,
    jitter: typeof jitterOption === 'function' ? jitterOption : jitterOption ? equalJitter : noJitter,
    maxRetryAfter,
    shouldRetry: merged.shouldRetry,
  }
}

/** The backoff before retry number `retryCount + 1`: exponential, capped, jittered, in whole ms. */
export function backoffDelay(policy: RetryPolicy, retryCount: number): number {
  const base = Math.min(Math.max(0, policy.delay(retryCount) || 0), policy.maxDelay)
  return Math.round(Math.min(Math.max(0, policy.jitter(base) || 0), MAX_TIMEOUT))
}

/** What `nextDelay()` reads of a call (`Call` in `call.ts`). */
export interface RetryCall {
  policy: RetryPolicy
  method: string
  url: URL
  /** A stream body, consumed by the first attempt. */
  oneShotBody: boolean
  deadline: { readonly signal: AbortSignal, remaining: () => number }
  /** The call's state: `final` when a layer's answer cannot change on a retry. */
  state?: { final?: boolean }
}

/**
 * The wait before the next attempt, or `undefined` when `error` must be returned now (issue 13
 * item 2): the policy (limit, methods, statuses, network errors, attempt timeouts), the server's
 * `Retry-After`, `shouldRetry`, and the total deadline. Releases the failed attempt's body when
 * it retries.
 */
export async function nextDelay(error: unknown, retryCount: number, call: RetryCall): Promise<number | undefined> {
  const { policy, deadline } = call
  if (retryCount >= policy.limit || deadline.signal.aborted) return undefined
  // A stream body was consumed by the first attempt: sending it again would send nothing (catalogue #56).
  if (call.oneShotBody) return undefined
  // The cache's `only-if-cached` miss: the same miss again, and never a request sent.
  if (call.state?.final) return undefined
  let retry: boolean
  let delay: number
  const methodAllowed = policy.methods.has(call.method)
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
  retry = await askShouldRetry(policy, retryContext(call, error, retryCount, delay, retry) as ShouldRetryContext)
  if (!retry) return undefined
  // Waiting past the total deadline would only turn this error into a timeout.
  if (delay >= deadline.remaining()) return undefined
  // Release the failed attempt's body (a stream response is not read by ofetch).
  if (response) discard(response)
  return delay
}

/** What `shouldRetry` (with `retry`, the policy's decision) and `onRetry` (without) are given: one builder for both. */
export function retryContext(call: Pick<RetryCall, 'method' | 'url'>, error: unknown, retryCount: number, delay: number, retry?: boolean): RetryContext | ShouldRetryContext {
  const context: RetryContext & { retry?: boolean } = {
    request: call.url.href,
    method: call.method,
    attempt: retryCount + 2,
    retryCount,
    delay,
    error: error as FetchError,
    response: error instanceof HTTPError ? error.response : undefined,
  }
  if (retry !== undefined) context.retry = retry
  return context
}

/**
 * `Retry-After` in whole ms: delay-seconds (`120`) or an HTTP-date (IMF-fixdate, RFC 850, asctime),
 * floored at 0. `undefined` when absent or invalid (`-1`, `0x10`, garbage), so the backoff applies.
 * See RFC 9110 §10.2.3.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  // Read as ky reads it (source/core/retry-timing.ts); catalogue #49/#50.
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  // A date always names its month; this also keeps Date.parse away from numbers like "-1".
  if (!/[a-z]{3}/i.test(trimmed)) return undefined
  // asctime has no zone but is GMT; Date.parse would read it as local time.
  const asctime = /^[a-z]{3} [a-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/i.test(trimmed)
  const time = Date.parse(asctime ? `${trimmed} GMT` : trimmed)
  if (Number.isNaN(time)) return undefined
  // Rounded up: never sooner than the server asked.
  return Math.max(0, Math.ceil(time - now))
}

/** True when a server's `Retry-After` should be read for this status. */
export function honoursRetryAfter(status: number): boolean {
  return RETRY_AFTER_STATUSES.has(status)
}

/** Runs the `shouldRetry` escape hatch, keeping the policy's decision when it returns `undefined`. */
export async function askShouldRetry(policy: RetryPolicy, context: ShouldRetryContext): Promise<boolean> {
  if (!policy.shouldRetry) return context.retry
  const answer = await policy.shouldRetry(context)
  return answer === undefined ? context.retry : Boolean(answer)
}

function checkCount(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalidOption(name, `\`${name}\` must be a whole number >= 0, got ${String(value)}`)
  }
}

function checkDelay(name: string, value: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (value > MAX_TIMEOUT && value !== Number.POSITIVE_INFINITY)) {
    throw invalidOption(name, `\`${name}\` must be a number of ms between 0 and ${MAX_TIMEOUT}, got ${String(value)}`)
  }
}

/**
 * Validates a deadline. `undefined`, `false` and `Infinity` mean none; 0 means already passed.
 * Refs: catalogue #71 (a timer above 2^31-1 ms fires at once).
 */
export function checkTimeout(name: string, value: unknown): number | undefined {
  if (value === undefined || value === false || value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > MAX_TIMEOUT) {
    throw invalidOption(name, `\`${name}\` must be a number of ms between 0 and ${MAX_TIMEOUT} (or Infinity for none), got ${String(value)}`)
  }
  return value
}
