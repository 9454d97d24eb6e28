/**
 * The contract of a layer (issue 13 item 1): a layer owns its option keys, says how they merge
 * across the session, a mount, an `extend()` child and a request, what it keeps per call, and
 * what it does to each request (its middleware). The order of the layers is `stack.ts`'s; this
 * module names no concrete layer.
 *
 * @module
 */
import type { TransportFetch, TransportHints } from './adapter'
import type { Adapter } from './adapter'
import type { CookieJarLike, Fetch, Middleware, RedirectHop } from './types'

export type { Middleware, TransportFetch, TransportHints }

/** Composes layers so that the first one is the outermost: `compose([a, b], f)` is `a(b(f))`. */
export function compose(layers: readonly Middleware[], fetch: Fetch): Fetch {
  return layers.reduceRight<Fetch>((next, layer) => layer(next), fetch)
}

/** One level of options: the session's (an `extend()` child's too), a mount's, a request's. */
export type Level = 'session' | 'mount' | 'request'

/** Where a layer's options are read. */
export interface ReadContext {
  level: Level
  /** The origin of this level's own `baseURL` (`'null'` when it does not parse), if it has one. */
  origin: string | undefined
  /** Read for a stateless client (`$fetch.create()`): no session-wide state such as a limiter. */
  stateless: boolean
}

/** What two levels merge into. */
export interface MergeContext {
  /**
   * `session` when the levels make a new session's (or `$fetch.create()`'s) defaults, `request`
   * when they make one call's options (session, mount, request).
   */
  level: 'session' | 'request'
  /** The origin of the merged `baseURL`. */
  origin: string | undefined
}

/** What a layer may read of a call when it prepares its per-call state. */
export interface CallContext {
  /** The request's URL, resolved. */
  url: URL
  /** The request's method, upper case. */
  method: string
  /** The call's hooks by name (session's first), wrapped so a throwing hook is the caller's error. */
  hooks: Readonly<Record<string, ReadonlyArray<(context: any) => unknown> | undefined>>
}

/** What a layer may use when the stack of a client is built (once per client). */
export interface StackContext {
  adapter: Adapter
  /** The session's jar (none for `$fetch`, `cookies: false`, or where the platform owns cookies). */
  jar: CookieJarLike | undefined
  /** The client's own options, by layer name (what each spec's `read`, then `merge`, made of them). */
  options: Readonly<Record<string, unknown>>
  /** Aborted by the session's `close()` (none for `$fetch`): for what a layer does in the background. */
  closeSignal: AbortSignal | undefined
}

/** A built-in layer: its options, how they merge, what it keeps per call, what it does per request. */
export interface LayerSpec<O = any, C = any> {
  /** Its name: the key of its options and of its call state. */
  name: string
  /** The option keys it owns (never passed on to ofetch or fetch). */
  keys: readonly string[]
  /**
   * True for a value of one of its keys that also goes on to ofetch and fetch as it is (the cache
   * layer's mode strings, a `RequestInit.cache`); every other value of its keys is its own.
   */
  passes?: (value: unknown) => boolean
  /** Reads (own properties only) and checks its options; `undefined` when the level gives none. Throws `invalidOption()`. */
  read?: (source: object, context: ReadContext) => O | undefined
  /** Merges a later level's options over an earlier one's (`base` is `undefined` for the first). Default: `over` wins. */
  merge?: (base: O | undefined, over: O, context: MergeContext) => O
  /** Its state for one call, from the merged options (also when there are none); `undefined` for nothing. */
  prepare?: (options: O | undefined, call: CallContext) => C | undefined
  /** Its middleware, once per client; `undefined` when it has nothing to do (the adapter owns the concern). */
  create: (context: StackContext) => Middleware | undefined
}

/**
 * Per-call state handed down through the layers on the `RequestInit` under a private symbol, so
 * that one composed fetch serves every request of a session. Symbol keys survive ofetch's
 * option spreading and are invisible to the runtime's fetch.
 */
export const kCall: unique symbol = Symbol('fetch-session.call') as never

/** What the engine tells the layers about the current call; each layer's own state is in `layers`. */
export interface CallState {
  /** The transport of this call (the session's pool, or a mount's). */
  transport: TransportFetch
  /**
   * The signal of the current attempt (its deadlines, the caller's signal, the session's
   * `close()`), also when the transport is not given it; the limiter's waits listen to it.
   */
  signal?: AbortSignal
  /** Filled by the redirect layer with the hops of the current attempt. */
  history: RedirectHop[]
  /** The method the caller asked for, used in error messages. */
  method: string
  /**
   * The error a layer failed the body with (the body watch's `BodyTooLargeError`): the call rejects
   * with it even where reading the body reports another error (Chromium's `arrayBuffer()` rejects
   * with "Failed to fetch" whatever the stream failed with).
   */
  bodyError?: unknown
  /** The caller's `parseResponse`, run by the session's JSON parsing (which turns its throw into `ParseError`). */
  parseResponse: ((text: string) => unknown) | undefined
  /** How many requests the call has sent so far (the trace layer's resend count). */
  sent?: number
  /**
   * Set once the current attempt's final response has come (by the outermost layer): a connection
   * that breaks after that, under its body, was not stale, so it is not sent again on that ground.
   */
  responded?: boolean
  /** Set by a layer whose answer no retry can change (the cache's `only-if-cached` miss): never retried. */
  final?: boolean
  /**
   * Set by the engine: asks to send the call again after `error` broke its response's body (the
   * resume layer). It applies the retry policy to the error (its limit, its delay, `onRetry`),
   * counts one retry, and gives the new attempt's signal; `undefined` when no retry may follow.
   */
  reattempt?: (error: unknown) => Promise<AbortSignal | undefined>
  /** Each layer's state for this call, by layer name (what its `prepare` returned; a layer may add its own later). */
  layers: Record<string, unknown>
}

/** `init[kCall]`, typed. */
export function callStateOf(init: RequestInit | undefined): CallState | undefined {
  return (init as { [kCall]?: CallState } | undefined)?.[kCall]
}

/** The state layer `name` keeps for the call of `init`, if any. */
export function layerStateOf<C>(init: RequestInit | undefined, name: string): C | undefined {
  return (init as { [kCall]?: CallState } | undefined)?.[kCall]?.layers[name] as C | undefined
}
