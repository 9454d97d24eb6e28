/**
 * The contract between the engine and a runtime adapter: what a transport is, and what an adapter
 * provides. Types only, so the engine, the layers and the adapters all read it without a circle.
 *
 * @module
 */
import type { CacheConfig } from './cache/config'
import type { HarSettings } from './har-settings'
import type { CookieJarLike, Fetch, Middleware, SessionOptions, TransportOptions } from './types'

/** What a call tells the transport beyond the `RequestInit` (the layers' call state). */
export interface TransportHints {
  /** The largest decoded body the call accepts (`maxBodySize`): a transport that decodes ahead of the reader bounds it (Bun). */
  maxBodySize?: number | undefined
}

/** The fetch of a transport: a `Fetch`, told what the call needs of it. */
export type TransportFetch = (input: string | URL | Request, init?: RequestInit, hints?: TransportHints) => Promise<Response>

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

/**
 * What the platform does itself, so the session does not (issue 13 item 3). Each one switches a
 * concern off independently: a runtime that owns cookies but not redirects needs no special case.
 */
export interface AdapterOwns {
  /**
   * The platform keeps the cookies (browsers): the session keeps no jar, has no cookie layer, and
   * sends its calls (and `native()`'s) with `credentials: 'include'`.
   */
  cookies?: boolean
  /** The platform follows redirects (browsers): no redirect layer; `redirect` goes to its fetch as it is. */
  redirects?: boolean
  /**
   * The platform owns the connections, proxies and certificates (browsers): informative for the
   * engine, whose transport options the adapter's `createTransport` refuses itself.
   */
  connections?: boolean
  /** The platform has an HTTP cache of its own (browsers): no cache layer; the `cache` mode goes to its fetch. */
  cache?: boolean
}

/**
 * The middleware of the concerns a platform may own, for the adapters where the session does them
 * itself: each entry that needs them gives them (src/session-layers.ts), so the browser build,
 * whose adapter owns both, carries neither.
 */
export interface OwnableLayers {
  /** Follows redirects hop by hop (redirect-follow.ts). */
  redirects: () => Middleware
  /** The cookie layer over the session's jar (cookies/middleware.ts). */
  cookies: (jar: CookieJarLike) => Middleware
  /** The cookie layer of one call, where the session keeps no jar (`$fetch`, `cookies: false`). */
  callCookies: (createJar: () => CookieJarLike | undefined) => Middleware
  /** The HAR recorder's layer (har.ts); absent where the platform's devtools record (browsers). */
  har?: (settings: HarSettings) => Middleware
  /** The HTTP cache over a session's cache (cache/middleware.ts). */
  cache?: (cache: CacheConfig, context: CacheContext) => Middleware
}

/** A response built from stored bytes (the cache's hits); `body` null for a status without one. */
export type StoredResponse = (status: number, statusText: string, url: string, headers: Headers, body: Uint8Array | null) => Response

/** What the cache layer is given besides its config. */
export interface CacheContext {
  /** Aborted by the session's `close()`: ends the cache's background revalidations. */
  closeSignal: AbortSignal | undefined
  /** The adapter's way to build a stored response (Node: a lean one), else `new Response()`. */
  respond: StoredResponse | undefined
}

/** What a runtime adapter provides to the engine. */
export interface Adapter {
  /** The runtime's name, used in error messages (`node`, `deno`, `bun`, `workerd`, `browser`, `fetch`). */
  name: string
  /** What the platform does itself (browsers: all three). Absent: the session does everything. */
  owns?: AdapterOwns
  /** The middleware of what the platform does not own (required unless `owns` says both redirects and cookies). */
  layers?: OwnableLayers
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
  /**
   * False where the platform refuses a streamed request body (browsers over HTTP/1.1): upload
   * progress then sends the body sized, as it is, and reports its start and end only.
   */
  streamingUploads?: boolean
  /**
   * A stream of `length` bytes the platform sends with that `Content-Length` (workerd's
   * `FixedLengthStream`), where a `Content-Length` header given with a stream body is dropped.
   */
  sizedStream?: (stream: ReadableStream<Uint8Array>, length: number) => ReadableStream<Uint8Array>
  /** Builds the cache's hits cheaply where the platform's `Response` is costly (Node); absent: `new Response()`. */
  storedResponse?: StoredResponse
}
