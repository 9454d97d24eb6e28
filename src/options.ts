/**
 * Option levels and how they merge. A request's options are built from up to three levels:
 * the session's defaults, the longest matching mount, and the request's own options.
 *
 * The engine's own options are read here; every other option key belongs to a layer
 * (`stack.ts`'s list), which reads, checks and merges its own (`LayerSpec`).
 *
 * Merge rules (tested in `test/core/options.test.ts`):
 * - `headers`: through `Headers`, later levels `set` over earlier ones (case-insensitive); in an
 *   object, a `null` or `undefined` value removes the earlier levels' header.
 * - hooks: concatenated, session first, then mount, then request: all of them run (ofetch#319).
 * - `query`: merged key by key.
 * - `retry`: `false` turns it off, a number sets `limit`, an object overrides the keys it names.
 * - `timeout`: a number sets `total`, an object overrides the keys it names, `false` clears both.
 * - `signal`: every level's signal is merged (any of them aborts the call).
 * - a layer's options: as its `merge` says (`sensitiveHeaders` united, `use` appended, else the later level wins).
 * - everything else: the later level wins.
 * Only own properties are read, so a polluted `Object.prototype` is never taken for an option.
 */
import { checkTimeout } from './retry'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { RequestOptions, RetryOptions, SessionHooks, TimeoutOptions } from './types'
import { invalidOption } from './errors'
import type { Level, MergeContext, ReadContext } from './layer'
import { LAYERS } from './stack'
import { cleanURL } from './url'
import { copyRecord, FORBIDDEN_KEYS, own, ownRecord } from './own'

export { copyRecord, own, ownRecord }

/** Names of the hook options, in the order they are listed in the docs. */
export const HOOK_NAMES: readonly ['onRequest', 'onRequestError', 'onResponse', 'onResponseError', 'onRetry', 'onRedirect'] = Object.freeze(['onRequest', 'onRequestError', 'onResponse', 'onResponseError', 'onRetry', 'onRedirect'] as const)

/** A hook option name. */
export type HookName = typeof HOOK_NAMES[number]

/** Hooks as arrays, by name. */
export type HookLists = { [K in HookName]: Array<(context: any) => unknown> }

/** The engine's own option keys (the layers' are theirs: `LAYERS`). */
const ENGINE_KEYS: readonly string[] = [
  ...HOOK_NAMES,
  'baseURL',
  'query',
  'params',
  'headers',
  'timeout',
  'retry',
  'signal',
  'schema',
  'fetch',
  'proxy',
  'tls',
  'pool',
  'http2',
  // ofetch's own retry and timeout options are replaced by ours; never forward them.
  'retryDelay',
  'retryStatusCodes',
]

/** Options that the session handles itself (everything else is passed on to ofetch and fetch). */
const OWN_KEYS: ReadonlySet<string> = new Set<string>([...ENGINE_KEYS, ...LAYERS.flatMap(spec => spec.keys)])

/** The layers' keys some of whose values also go on to ofetch and fetch (`LayerSpec.passes`). */
const PASSED_ON: ReadonlyMap<string, (value: unknown) => boolean> = new Map(LAYERS.flatMap(spec => spec.passes ? spec.keys.map(key => [key, spec.passes!] as const) : []))

/** A level without any layer's options (shared: nothing is allocated for it). */
const NO_LAYER_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null))

/** One level of options, normalised. */
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
  /** The signals of this level (any of them aborts the call). */
  signals: AbortSignal[]
  /** The Standard Schema the parsed body must match (the later level's wins). */
  schema: StandardSchemaV1 | undefined
  /** Each layer's options (what its `read` returned, or its `merge` made), by layer name. */
  layers: Readonly<Record<string, unknown>>
  /** Every other option, own keys only. */
  rest: Record<string, unknown>
}

/** How `toLayer()` reads: a request's options unless told otherwise. */
const REQUEST_READ: Omit<ReadContext, 'origin'> = Object.freeze({ level: 'request', stateless: false })

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
 * Normalises one level of options: the engine's own, then each layer's (its `read`). Throws
 * `InvalidRequestError` (`invalidOption()`) for values that cannot work.
 */
export function toLayer(options: RequestOptions | undefined, headers?: Headers, read: { level: Level, stateless?: boolean } = REQUEST_READ): OptionLayer {
  if (options === undefined && headers === undefined && read === REQUEST_READ) return NO_OPTIONS
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
    if ((OWN_KEYS.has(key) && !PASSED_ON.get(key)?.(source[key])) || FORBIDDEN_KEYS.has(key)) continue
    rest[key] = source[key]
  }
  const timeout = own<RequestOptions['timeout']>(source, 'timeout')
  const query = own<Record<string, unknown>>(source, 'query') ?? own<Record<string, unknown>>(source, 'params')
  const signal = own<AbortSignal | null>(source, 'signal') ?? undefined
  if (signal !== undefined && (typeof signal !== 'object' || typeof signal.addEventListener !== 'function')) {
    throw invalidOption('signal', '`signal` must be an AbortSignal')
  }
  const baseURL = own<string>(source, 'baseURL')
  if (baseURL !== undefined && typeof baseURL !== 'string') throw invalidOption('baseURL', '`baseURL` must be a string')
  const origin = baseURL === undefined ? undefined : originOf(baseURL)
  return {
    baseURL,
    origin,
    query: query ? copyRecord(query) : undefined,
    headers,
    hooks,
    retry: checkRetry(own<RequestOptions['retry']>(source, 'retry')),
    timeout: normalizeTimeout(timeout),
    signals: signal ? [signal] : [],
    schema: checkSchema(own<unknown>(source, 'schema')),
    layers: readLayers(source, { level: read.level, origin, stateless: read.stateless === true }),
    rest,
  }
}

/**
 * The level of a request that gives no options (most calls): one frozen object, so such a call
 * reads nothing, and its merged options can be the session's own (`Client.defaults`).
 */
export const NO_OPTIONS: OptionLayer = deepFreeze(toLayer({}))

function deepFreeze<T extends object>(layer: T): T {
  for (const value of Object.values(layer)) {
    if (typeof value === 'object' && value !== null) Object.freeze(value)
  }
  return Object.freeze(layer)
}

/** Each layer's options in `source`; the shared empty record when none gives any (most requests). */
function readLayers(source: object, context: ReadContext): Readonly<Record<string, unknown>> {
  let layers: Record<string, unknown> | undefined
  for (const spec of LAYERS) {
    const value = spec.read?.(source, context)
    if (value !== undefined) (layers ??= Object.create(null) as Record<string, unknown>)[spec.name] = value
  }
  return layers ?? NO_LAYER_OPTIONS
}

/** A Standard Schema (zod, valibot, arktype…: `schema['~standard'].validate`), or `undefined`. */
function checkSchema(schema: unknown): StandardSchemaV1 | undefined {
  if (schema === undefined) return undefined
  const standard = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard']
  if (typeof standard?.validate !== 'function') throw invalidOption('schema', '`schema` must be a Standard Schema (zod, valibot, arktype…): an object with `~standard.validate`')
  return schema as StandardSchemaV1
}

function checkRetry(retry: RequestOptions['retry']): RequestOptions['retry'] {
  if (retry === undefined || retry === false || typeof retry === 'number') return retry
  if (typeof retry !== 'object' || retry === null) throw invalidOption('retry', '`retry` must be false, a number or an options object')
  return copyRecord(retry as Record<string, unknown>) as RetryOptions
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

/**
 * Merges levels, earliest first, into one (issue 13 item 1): `extend()` and `$fetch.create()`
 * merge the parent's and the child's (`level: 'session'`), a call its session's, its mount's and
 * its own (`level: 'request'`). Headers are merged by the caller. A level that adds nothing to a
 * layer's options leaves them as they are (no copy).
 */
export function mergeLevels(levels: readonly OptionLayer[], headers: Headers | undefined, level: MergeContext['level']): OptionLayer {
  const hooks: Partial<HookLists> = Object.create(null)
  for (const name of HOOK_NAMES) {
    let list: HookLists[HookName] | undefined
    for (const item of levels) {
      const own = item.hooks[name]
      if (own && own.length > 0) list = list ? [...list, ...own] : own.slice()
    }
    if (list) hooks[name] = list
  }
  let baseURL: string | undefined
  let origin: string | undefined
  let query: Record<string, unknown> | undefined
  let retry: OptionLayer['retry']
  let schema: OptionLayer['schema']
  const timeouts: Array<TimeoutOptions | false> = []
  const signals: AbortSignal[] = []
  for (const item of levels) {
    if (item.baseURL !== undefined) {
      baseURL = item.baseURL
      origin = item.origin
    }
    if (item.query) query = Object.assign(query ?? Object.create(null), item.query)
    retry = mergeRetry(retry, item.retry)
    if (item.schema !== undefined) schema = item.schema
    if (item.timeout !== undefined) timeouts.push(item.timeout)
    signals.push(...item.signals)
  }
  let timeout: OptionLayer['timeout']
  if (timeouts.length > 0) {
    const merged = mergeTimeouts(timeouts)
    timeout = merged.total === undefined && merged.attempt === undefined ? false : merged
  }
  return {
    baseURL,
    origin,
    query,
    headers,
    hooks,
    retry,
    timeout,
    signals,
    schema,
    layers: mergeLayerOptions(levels, { level, origin }),
    rest: Object.assign(Object.create(null), ...levels.map(item => item.rest)),
  }
}

/** Two levels' `retry`: `false` or a number over anything replaces it; two objects merge key by key. */
function mergeRetry(base: OptionLayer['retry'], over: OptionLayer['retry']): OptionLayer['retry'] {
  if (over === undefined) return base
  if (over === false || base === undefined || base === false) return over
  const left = typeof base === 'number' ? { limit: base } : base
  const right = typeof over === 'number' ? { limit: over } : over
  return Object.assign(Object.create(null), left, right)
}

/** Each layer's options over `levels`, by its `merge` (default: the later level wins). */
function mergeLayerOptions(levels: readonly OptionLayer[], context: MergeContext): Readonly<Record<string, unknown>> {
  let merged: Record<string, unknown> | undefined
  for (const spec of LAYERS) {
    // The first level's options are as it read them; each later one's merge over what came before.
    let value: unknown = levels[0]?.layers[spec.name]
    for (let index = 1; index < levels.length; index++) {
      const over = levels[index]!.layers[spec.name]
      if (over !== undefined) value = spec.merge ? spec.merge(value, over, context) : over
    }
    if (value !== undefined) (merged ??= Object.create(null) as Record<string, unknown>)[spec.name] = value
  }
  return merged ?? NO_LAYER_OPTIONS
}
