/**
 * Option layers and how they merge. A request's options are built from up to three layers:
 * the session's defaults, the longest matching mount, and the request's own options.
 *
 * Merge rules (tested in `test/core/options.test.ts`):
 * - `headers`: through `Headers`, later layers `set` over earlier ones (case-insensitive); in an
 *   object, a `null` or `undefined` value removes the earlier layers' header.
 * - hooks: concatenated, session first, then mount, then request: all of them run (ofetch#319).
 * - `query`: merged key by key.
 * - `retry`: `false` turns it off, a number sets `limit`, an object overrides the keys it names.
 * - `timeout`: a number sets `total`, an object overrides the keys it names, `false` clears both.
 * - `signal`: every layer's signal is merged (any of them aborts the call).
 * - `sensitiveHeaders`: united.
 * - everything else: the later layer wins.
 * Only own properties are read, so a polluted `Object.prototype` is never taken for an option.
 */
import { checkAuth } from './auth'
import { checkTimeout } from './retry'
import type { AuthOptions, RequestOptions, RetryOptions, SessionHooks, TimeoutOptions } from './types'
import { invalidOption } from './errors'
import { cleanURL } from './url'
import { own } from './own'

export { own }

/** Names of the hook options, in the order they are listed in the docs. */
export const HOOK_NAMES: readonly ['onRequest', 'onRequestError', 'onResponse', 'onResponseError', 'onRetry', 'onRedirect'] = Object.freeze(['onRequest', 'onRequestError', 'onResponse', 'onResponseError', 'onRetry', 'onRedirect'] as const)

/** A hook option name. */
export type HookName = typeof HOOK_NAMES[number]

/** Hooks as arrays, by name. */
export type HookLists = { [K in HookName]: Array<(context: any) => unknown> }

/** Options that the session handles itself (everything else is passed on to ofetch and fetch). */
const OWN_KEYS: ReadonlySet<string> = new Set<string>([
  ...HOOK_NAMES,
  'baseURL',
  'query',
  'params',
  'headers',
  'timeout',
  'retry',
  'redirect',
  'maxRedirects',
  'sensitiveHeaders',
  'signal',
  'cookies',
  'fetch',
  'proxy',
  'tls',
  'pool',
  'http2',
  // ofetch's own retry and timeout options are replaced by ours; never forward them.
  'retryDelay',
  'retryStatusCodes',
  'auth',
  'limit',
  'onDownloadProgress',
  'maxBodySize',
])

/** Keys that must never be copied from caller objects. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** One layer of options, normalised. */
export interface OptionLayer {
  baseURL: string | undefined
  /**
   * The origin of `baseURL` (`'null'` when it does not parse), computed once: where a session's
   * credentials (`auth`, and default headers that carry them) belong.
   */
  origin: string | undefined
  query: Record<string, unknown> | undefined
  headers: Headers | undefined
  hooks: Partial<HookLists>
  retry: RetryOptions | number | false | undefined
  timeout: TimeoutOptions | false | undefined
  redirect: RequestOptions['redirect']
  maxRedirects: number | undefined
  sensitiveHeaders: string[] | undefined
  /** The signals of this layer (any of them aborts the call). */
  signals: AbortSignal[]
  /** `auth`; `false` turns off the auth of earlier layers. */
  auth: AuthOptions | false | undefined
  /**
   * The origin `auth` was given for: the `baseURL` origin of the layer that gave it (an
   * `extend()` child inherits its parent's), or `undefined` for each request's own origin.
   */
  authOrigin: string | undefined
  /** `onDownloadProgress` (the later layer wins). */
  onDownloadProgress: RequestOptions['onDownloadProgress']
  /** `maxBodySize` (the later layer wins). */
  maxBodySize: number | undefined
  /** Every other option, own keys only. */
  rest: Record<string, unknown>
}


/** The origin of a `baseURL` as resolveURL reads it, or `'null'` (no http origin) when it does not parse. */
export function originOf(baseURL: string): string {
  try {
    return new URL(cleanURL(baseURL)).origin
  }
  catch {
    return 'null'
  }
}

/**
 * An option object as the session reads it: a plain object (or one without a prototype) becomes
 * a copy with its own keys only and no prototype, so that a polluted `Object.prototype` is read
 * neither by the session nor by the runtime it is handed to; anything else (a string, a URL, an
 * array, a class instance such as a `Dispatcher` or a cookie jar) is returned as it is.
 */
export function ownRecord<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  return copyRecord(value as Record<string, unknown>) as T
}

/** Normalises one layer of options. Throws `TypeError` / `RangeError` for values that cannot work. */
export function toLayer(options: RequestOptions | undefined, headers?: Headers): OptionLayer {
  const hooks: Partial<HookLists> = Object.create(null)
  const rest: Record<string, unknown> = Object.create(null)
  const source = (options ?? {}) as Record<string, unknown>
  for (const name of HOOK_NAMES) {
    const value = own<SessionHooks[HookName]>(source, name)
    if (value === undefined || value === null) continue
    const list = Array.isArray(value) ? value : [value]
    for (const hook of list) {
      if (typeof hook !== 'function') throw invalidOption(name, `\`${name}\` must be a function or an array of functions`)
    }
    hooks[name] = list as HookLists[HookName]
  }
  for (const key of Object.keys(source)) {
    if (OWN_KEYS.has(key) || FORBIDDEN_KEYS.has(key)) continue
    rest[key] = source[key]
  }
  const timeout = own<RequestOptions['timeout']>(source, 'timeout')
  const query = own<Record<string, unknown>>(source, 'query') ?? own<Record<string, unknown>>(source, 'params')
  const redirect = own<RequestOptions['redirect']>(source, 'redirect')
  if (redirect !== undefined && redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') {
    throw invalidOption('redirect', `\`redirect\` must be 'follow', 'manual' or 'error', got ${JSON.stringify(redirect)}`)
  }
  const maxRedirects = own<number>(source, 'maxRedirects')
  if (maxRedirects !== undefined && (!Number.isInteger(maxRedirects) || maxRedirects < 0)) {
    throw invalidOption('maxRedirects', `\`maxRedirects\` must be a whole number >= 0, got ${String(maxRedirects)}`)
  }
  const signal = own<AbortSignal | null>(source, 'signal') ?? undefined
  if (signal !== undefined && (typeof signal !== 'object' || typeof signal.addEventListener !== 'function')) {
    throw invalidOption('signal', '`signal` must be an AbortSignal')
  }
  const baseURL = own<string>(source, 'baseURL')
  if (baseURL !== undefined && typeof baseURL !== 'string') throw invalidOption('baseURL', '`baseURL` must be a string')
  const sensitive = own<readonly string[]>(source, 'sensitiveHeaders')
  const auth = checkAuth(own(source, 'auth'))
  const origin = baseURL === undefined ? undefined : originOf(baseURL)
  return {
    baseURL,
    origin,
    query: query ? copyRecord(query) : undefined,
    headers,
    hooks,
    retry: checkRetry(own<RequestOptions['retry']>(source, 'retry')),
    timeout: normalizeTimeout(timeout),
    redirect,
    maxRedirects,
    sensitiveHeaders: sensitive ? sensitive.map(name => String(name).toLowerCase()) : undefined,
    signals: signal ? [signal] : [],
    auth,
    authOrigin: auth ? origin : undefined,
    onDownloadProgress: checkFunction('onDownloadProgress', own(source, 'onDownloadProgress')),
    maxBodySize: checkSize(own(source, 'maxBodySize')),
    rest,
  }
}

function checkSize(value: unknown): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidOption('maxBodySize', `\`maxBodySize\` must be a whole number of bytes >= 0, got ${String(value)}`)
  return value
}

function checkFunction<T>(name: string, value: T): T {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(name, `\`${name}\` must be a function`)
  return value
}

function checkRetry(retry: RequestOptions['retry']): RequestOptions['retry'] {
  if (retry === undefined || retry === false || typeof retry === 'number') return retry
  if (typeof retry !== 'object' || retry === null) throw invalidOption('retry', '`retry` must be false, a number or an options object')
  return copyRecord(retry as Record<string, unknown>) as RetryOptions
}

/** A copy with own keys only, prototype-pollution keys dropped, and no prototype to read through. */
export function copyRecord(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(record)) {
    if (!FORBIDDEN_KEYS.has(key)) copy[key] = record[key]
  }
  return copy
}

/** `number` → `{ total }`; objects are validated; `false` stays `false` (clears the deadlines). */
export function normalizeTimeout(timeout: RequestOptions['timeout']): TimeoutOptions | false | undefined {
  if (timeout === undefined || timeout === false) return timeout
  if (typeof timeout === 'number') return { total: checkTimeout('timeout', timeout) }
  if (typeof timeout !== 'object' || timeout === null) throw invalidOption('timeout', '`timeout` must be a number of ms or { total, attempt }')
  return {
    total: checkTimeout('timeout.total', own(timeout, 'total')),
    attempt: checkTimeout('timeout.attempt', own(timeout, 'attempt')),
  }
}

/** Merges the deadlines of several layers. */
export function mergeTimeouts(layers: ReadonlyArray<TimeoutOptions | false | undefined>): { total: number | undefined, attempt: number | undefined } {
  let total: number | undefined
  let attempt: number | undefined
  for (const layer of layers) {
    if (layer === undefined) continue
    if (layer === false) {
      total = undefined
      attempt = undefined
      continue
    }
    if ('total' in layer && layer.total !== undefined) total = layer.total
    if ('attempt' in layer && layer.attempt !== undefined) attempt = layer.attempt
  }
  return { total, attempt }
}

/** Merges two layers into one (used by `extend()` and `$fetch.create()`). Headers are merged by the caller. */
export function mergeLayers(base: OptionLayer, over: OptionLayer, headers: Headers | undefined): OptionLayer {
  const hooks: Partial<HookLists> = Object.create(null)
  for (const name of HOOK_NAMES) {
    const list = [...(base.hooks[name] ?? []), ...(over.hooks[name] ?? [])]
    if (list.length > 0) hooks[name] = list
  }
  const timeouts = [base.timeout, over.timeout].filter(value => value !== undefined)
  let timeout: OptionLayer['timeout']
  if (timeouts.length > 0) {
    const merged = mergeTimeouts(timeouts)
    timeout = merged.total === undefined && merged.attempt === undefined ? false : merged
  }
  let retry: OptionLayer['retry'] = base.retry
  if (over.retry !== undefined) {
    if (over.retry === false || base.retry === undefined || base.retry === false) retry = over.retry
    else {
      const left = typeof base.retry === 'number' ? { limit: base.retry } : base.retry
      const right = typeof over.retry === 'number' ? { limit: over.retry } : over.retry
      retry = Object.assign(Object.create(null), left, right)
    }
  }
  const baseURL = over.baseURL ?? base.baseURL
  return {
    baseURL,
    origin: over.baseURL === undefined ? base.origin : over.origin,
    query: base.query || over.query ? Object.assign(Object.create(null), base.query, over.query) : undefined,
    headers,
    hooks,
    retry,
    timeout,
    redirect: over.redirect ?? base.redirect,
    maxRedirects: over.maxRedirects ?? base.maxRedirects,
    sensitiveHeaders: base.sensitiveHeaders || over.sensitiveHeaders ? [...(base.sensitiveHeaders ?? []), ...(over.sensitiveHeaders ?? [])] : undefined,
    signals: [...base.signals, ...over.signals],
    auth: over.auth ?? base.auth,
    // The parent's auth stays with the origin it was given for, whatever the child's baseURL;
    // the child's own auth belongs to the child's base (issue 12 item 6).
    authOrigin: over.auth !== undefined ? (over.auth ? (baseURL === undefined ? undefined : originOf(baseURL)) : undefined) : base.authOrigin,
    onDownloadProgress: over.onDownloadProgress ?? base.onDownloadProgress,
    maxBodySize: over.maxBodySize ?? base.maxBodySize,
    rest: Object.assign(Object.create(null), base.rest, over.rest),
  }
}
