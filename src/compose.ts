import type { CallAuth } from './auth'
import type { CookieJarLike, DownloadProgress, Fetch, RedirectContext, RedirectHop, RedirectMode } from './types'

/**
 * A layer of the session: takes the fetch below it and returns a fetch that adds one concern
 * (cookies, redirects…). Model: wretch `src/middleware.ts`.
 */
export type Middleware = (next: Fetch) => Fetch

/** What a call tells the transport beyond the `RequestInit` (the layers' call state). */
export interface TransportHints {
  /** The largest decoded body the call accepts (`maxBodySize`): a transport that decodes ahead of the reader bounds it (Bun). */
  maxBodySize?: number | undefined
}

/** The fetch of a transport: a `Fetch`, told what the call needs of it. */
export type TransportFetch = (input: string | URL | Request, init?: RequestInit, hints?: TransportHints) => Promise<Response>

/** Composes layers so that the first one is the outermost: `compose([a, b], f)` is `a(b(f))`. */
export function compose(layers: readonly Middleware[], fetch: Fetch): Fetch {
  return layers.reduceRight<Fetch>((next, layer) => layer(next), fetch)
}

/**
 * Per-call state handed down through the layers on the `RequestInit` under a private symbol, so
 * that one composed fetch serves every request of a session. Symbol keys survive ofetch's
 * option spreading and are invisible to the runtime's fetch.
 */
export const kCall: unique symbol = Symbol('fetch-session.call') as never

/** What the layers need to know about the current call. */
export interface CallState {
  /** `redirect` as the caller asked for it. */
  redirect: RedirectMode
  /** Redirects allowed per attempt. */
  maxRedirects: number
  /** `onRedirect` hooks, session's first. */
  onRedirect: Array<(context: RedirectContext) => unknown>
  /** Lower-case names stripped when a redirect leaves the origin. */
  sensitiveHeaders: ReadonlySet<string>
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
  /** Credentials for the auth layer, and the origin they belong to. */
  auth: CallAuth | undefined
  /** Called as the final response's body arrives. */
  onDownloadProgress: ((progress: DownloadProgress) => void) | undefined
  /** The largest decoded body accepted, in bytes. */
  maxBodySize: number | undefined
  /**
   * The `BodyTooLargeError` the body watch failed the body with: the call rejects with it even
   * where reading the body reports another error (Chromium's `arrayBuffer()` rejects with
   * "Failed to fetch" whatever the stream failed with).
   */
  bodyError?: unknown
  /** The caller's `parseResponse`, run by the session's JSON parsing (which turns its throw into `ParseError`). */
  parseResponse: ((text: string) => unknown) | undefined
  /**
   * The cookies of this call alone, where the session keeps none (`$fetch`, `cookies: false`):
   * created when a request follows a response that set a cookie, gone when the call ends.
   */
  jar?: CookieJarLike
  /** `Set-Cookie` headers of this call's responses (by URL) not yet in `jar`: stored when a request follows. */
  pendingCookies?: Array<[url: string, setCookies: string[]]>
}

/** `init[kCall]`, typed. */
export function callStateOf(init: RequestInit | undefined): CallState | undefined {
  return (init as { [kCall]?: CallState } | undefined)?.[kCall]
}
