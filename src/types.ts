/**
 * The public contract of fetch-session, in one place. Runtime pass-through options have
 * structural types: nothing here needs `undici`, `@types/bun` or workers types, nor the DOM lib
 * (only globals that `@types/node` declares too: `Headers`, `Request`, `Response`, `RequestInit`…).
 */
import type { CookieJar } from 'tough-cookie'
import type { FetchError, FetchResponse, RedirectHop, Timings } from './fetch-error'
import type { CacheStore } from './cache/store'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { Fleet } from './fleet/contract'

export type { Fleet, FleetLimits, FleetToken } from './fleet/contract'

/** The `fetch` signature every layer and transport speaks. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * A layer of your own (`use`, `session.use()`): given the fetch below it (`next`), it returns the
 * fetch that does one more thing and calls `next`. It sits below the session's retries,
 * redirects, auth and cookies and above the limiter and the transport, so it runs once per
 * request on the wire: each attempt, each redirect hop (after a 303 the hop is a `GET` without
 * body), with the session's headers already set.
 *
 * It is called as `(input, init)`: `input` is the absolute URL (a string), `init.method` the
 * method (upper case), `init.headers` the request's headers (a `Headers`, which it may change, or
 * replace in the `init` it passes on), and `init.body` the body as it will be sent (a string,
 * bytes, `URLSearchParams`, `FormData`, a `Blob`, a stream, or `undefined`; a plain object is
 * already JSON text). It must pass `init` on (spread it: `{ ...init, headers }`), so the layers
 * below keep the call's state.
 *
 * @example
 * ```ts
 * const stamp: Middleware = next => (input, init) => {
 *   const headers = new Headers(init?.headers)
 *   headers.set('x-sent-at', new Date().toISOString())
 *   return next(input, { ...init, headers })
 * }
 * ```
 */
export type Middleware = (next: Fetch) => Fetch

/** How the body of a response is read. Detected from `Content-Type` when not given. */
export type ResponseType = 'json' | 'text' | 'blob' | 'arrayBuffer' | 'stream'

/** What each non-JSON `responseType` resolves to. */
export interface ResponseMap {
  blob: Blob
  text: string
  arrayBuffer: ArrayBuffer
  stream: ReadableStream<Uint8Array>
}

/** The resolved value for a `responseType` (`T` for JSON). */
export type MappedResponseType<R extends ResponseType, JsonType = any> = R extends keyof ResponseMap ? ResponseMap[R] : JsonType

/**
 * What a call resolves to. `R` is the `responseType` the options name, inferred when no type
 * argument is given (`session(url, { responseType: 'text' })` is a `string`); when it is not known
 * (no `responseType`, options typed as `RequestOptions`, or `T` given explicitly) it is `T`.
 */
export type ResponseBody<R extends ResponseType, T = any> = [ResponseType] extends [R] ? T : MappedResponseType<R, T>

/**
 * Request headers: a `Headers`, a record of names to values, or a list of name-value pairs (the
 * fetch `HeadersInit`, spelled out here so that no DOM lib is needed).
 */
export type HeadersInput = Headers | Record<string, string> | Array<[string, string]>

export type { FetchResponse, RedirectHop, Timings }

/** Anything `fetch` accepts as a request. */
export type FetchRequest = string | URL | Request

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>
/** A value or an array of them. */
export type MaybeArray<T> = T | T[]

/** What every request hook receives (ofetch's `FetchContext`). */
export interface FetchContext<T = any, R extends ResponseType = ResponseType> {
  /** The request URL (absolute) or `Request`. Hooks may replace it in `onRequest`. */
  request: FetchRequest
  /**
   * The resolved options of this attempt; `headers` is a `Headers` that `onRequest` may change.
   * `retry` is the policy in force (`{ limit, methods, statusCodes, networkErrors, timeouts,
   * maxDelay, maxRetryAfter }`, and `shouldRetry` when given), `timeout` is `{ total, attempt }`,
   * `baseURL` and `query` are the merged ones (session, mount, request), and `auth` shows no
   * secret (`{ bearer: '[redacted]' }`, `{ username, password: '[redacted]' }`).
   */
  options: ResolvedRequestOptions<R>
  /** The response, in `onResponse` and `onResponseError`. */
  response?: FetchResponse<T>
  /** The error, in `onRequestError`. */
  error?: Error
}

/** A hook: a function of the context that may return a promise. */
export type FetchHook<C = FetchContext> = (context: C) => MaybePromise<void>

/** What `onRetry` receives before each retry. */
export interface RetryContext {
  /** The absolute URL of the request. */
  request: string
  /** The request method. */
  method: string
  /** The number of the attempt about to start: 2 for the first retry, 3 for the second… */
  attempt: number
  /** How many retries have happened before this one (0 for the first retry). */
  retryCount: number
  /** The wait before the retry, in whole milliseconds. */
  delay: number
  /** Why the previous attempt failed. */
  error: FetchError
  /** The previous attempt's response, when there was one. */
  response?: Response
}

/** What `shouldRetry` receives; `delay` is what the policy would wait. */
export interface ShouldRetryContext extends Omit<RetryContext, 'delay'> {
  /** The wait the policy computed (backoff or `Retry-After`), in whole milliseconds. */
  delay: number
  /** What the built-in policy decided. */
  retry: boolean
}

/** What `onRedirect` receives before each hop is followed. */
export interface RedirectContext {
  /** The URL that answered with the redirect. */
  request: string
  /** The redirect response (its body is cancelled after the hooks run). */
  response: Response
  /** The redirect status. */
  status: number
  /** The URL about to be requested. */
  location: string
  /** The method of the next hop (after 301/302/303 rewriting). */
  method: string
  /** The headers of the next hop; a hook may change them. Credentials are already stripped when the origin changed. */
  headers: Headers
  /** 1 for the first redirect, 2 for the second… */
  hop: number
}

/** Request hooks. Session, mount and request hooks all run, in that order. */
export interface SessionHooks<T = any, R extends ResponseType = ResponseType> {
  /** Before each attempt is sent. May change `context.options.headers` or `context.request`. */
  onRequest?: MaybeArray<FetchHook<FetchContext<T, R>>>
  /** When an attempt got no response (network error, timeout, abort). */
  onRequestError?: MaybeArray<FetchHook<FetchContext<T, R> & { error: Error }>>
  /** After each attempt's response was read. */
  onResponse?: MaybeArray<FetchHook<FetchContext<T, R> & { response: FetchResponse<T> }>>
  /** After an attempt's response with status >= 400 was read. */
  onResponseError?: MaybeArray<FetchHook<FetchContext<T, R> & { response: FetchResponse<T> }>>
  /** Before a retry, after the delay was chosen. */
  onRetry?: MaybeArray<FetchHook<RetryContext>>
  /** Before a redirect is followed. */
  onRedirect?: MaybeArray<FetchHook<RedirectContext>>
}

/**
 * The retry policy. A `number` is the same as `{ limit: number }`; `false` turns retries off.
 *
 * @example
 * ```ts
 * createSession({ retry: { limit: 3, statusCodes: [429, 503], maxRetryAfter: 30_000 } })
 * ```
 */
export interface RetryOptions {
  /**
   * How many times a request may be retried (so `limit + 1` attempts at most).
   * @default 2
   */
  limit?: number
  /**
   * Methods that are retried. POST and PATCH are not idempotent, so they are left out by default;
   * add them only for endpoints that are safe to repeat.
   * TRACE is not among them: Node's and Deno's fetch refuse to send it.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']
   */
  methods?: readonly string[]
  /**
   * Response statuses that are retried. 413 is only retried when it carries `Retry-After`.
   * @default [408, 413, 429, 500, 502, 503, 504]
   */
  statusCodes?: readonly number[]
  /**
   * Retry when no response arrived (connection refused or reset, DNS, a tunnel the proxy refused),
   * for the allowed methods; a rejected certificate, another TLS handshake failure and a proxy's
   * 407 are not retried unless `shouldRetry` says so (see `NETWORK_ERROR_CODES`).
   * Also governs the one resend of an idempotent request whose kept-alive connection the server
   * closed under it, which happens even with `retry: false` unless this is `false`.
   * @default true
   */
  networkErrors?: boolean
  /**
   * Retry an attempt that passed its own deadline (`timeout: { attempt }`), while the total allows.
   * @default true
   */
  timeouts?: boolean
  /**
   * Base delay in ms for exponential backoff (`delay * 2 ** retryCount`), or a function of the
   * retry count (0 for the first retry) that returns the delay.
   * @default 300
   */
  delay?: number | ((retryCount: number) => number)
  /**
   * The largest backoff delay in ms (before jitter). Does not apply to `Retry-After`.
   * @default 10000
   */
  maxDelay?: number
  /**
   * Spread retries out: `true` picks a delay uniformly between half and all of the backoff
   * ("equal jitter"); a function maps the backoff to the delay; `false` waits exactly the backoff.
   * Never applied to a server's `Retry-After`.
   * @default true
   */
  jitter?: boolean | ((delay: number) => number)
  /**
   * The longest `Retry-After` (seconds or HTTP-date) the session will wait, in ms. A longer one
   * means no retry: the error is returned at once. The remaining total deadline also caps it.
   * @default 60000
   */
  maxRetryAfter?: number
  /**
   * The escape hatch: return `true` to retry, `false` not to, `undefined` to let the policy decide.
   * `limit` still applies; `methods`, `statusCodes` and `networkErrors` do not when it returns `true`.
   */
  shouldRetry?: (context: ShouldRetryContext) => MaybePromise<boolean | undefined>
}

/** Deadlines. A number is the deadline of the whole call. */
export interface TimeoutOptions {
  /** The deadline of the whole call in ms: every attempt, redirect, backoff wait and the body read. */
  total?: number
  /** Each attempt's own deadline in ms (body read included). An attempt that passes it is retried when the policy allows. */
  attempt?: number
}

/** How redirects are handled. */
export type RedirectMode = 'follow' | 'manual' | 'error'

/**
 * A forward proxy: its URL (credentials in it become `Proxy-Authorization`, sent to the proxy
 * only; refused on Deno), `{ url, noProxy }`, `true` to follow the environment, or `false` to
 * ignore it. The environment is read by curl's rule: `http://` URLs use `http_proxy` /
 * `HTTP_PROXY`, `https://` URLs `https_proxy` / `HTTPS_PROXY`, either falls back to `all_proxy` /
 * `ALL_PROXY`, and `no_proxy` / `NO_PROXY` bypasses. `http://` targets get an absolute-form
 * request, `https://` targets a CONNECT tunnel.
 */
export type ProxyOption = string | URL | boolean | { url: string | URL, noProxy?: string }

/**
 * TLS settings for the session's own connections. Checked at `createSession()` / `mount()`: an
 * unknown member, a PEM that is not well formed (base64, DER), a `ca` or `cert` that holds no
 * certificate, a `key` that is not one unencrypted private key, or `cert` without `key` (or `key`
 * without `cert`) is a `TypeError` naming the option (`tls.ca`, `tls.cert`, `tls.key`), which
 * never quotes the key.
 */
export interface TlsOptions {
  /** Verify the server certificate. `false` accepts any certificate: only for tests. @default true */
  rejectUnauthorized?: boolean
  /**
   * Extra trusted CA certificates (PEM, `CERTIFICATE` blocks), added to the runtime's default
   * ones, which include the CAs of `NODE_EXTRA_CA_CERTS` on Node and Bun (`DENO_CERT` on Deno).
   */
  ca?: string | string[]
  /** Client certificate (PEM, a chain may follow) for mutual TLS. Needs `key`. */
  cert?: string
  /** Client private key (PEM: `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`, unencrypted) for mutual TLS. Needs `cert`. */
  key?: string
}

/** The session's connection pool. */
export interface PoolOptions {
  /**
   * Most connections per origin. Node only: Deno and Bun cap idle connections, not open ones, so
   * they refuse it.
   */
  connections?: number
  /** How long an idle kept-alive connection stays open, in ms (Bun rounds it up to whole seconds). */
  keepAliveTimeout?: number
}

/** Options that configure how bytes reach the network: mapped by each runtime's adapter. */
export interface TransportOptions {
  /** A forward proxy. Not available in browsers and workers. */
  proxy?: ProxyOption
  /** TLS verification and client certificates. Not available in browsers and workers. */
  tls?: TlsOptions
  /** Connection pool settings. */
  pool?: PoolOptions
  /**
   * HTTP/2. Node: off unless `true` (then offered by ALPN, HTTP/1.1 as fallback). Deno: offered by
   * default; `false` keeps HTTP/1.1. Bun: `true` only with `--experimental-http2-fetch`, else refused.
   */
  http2?: boolean
  /**
   * Node only: an undici `Dispatcher` (`Agent`, `Pool`, `ProxyAgent`, `MockAgent`…) that sends the
   * session's requests instead of a pool of the session's own. It stays yours: `close()` does not
   * close it. It cannot be combined with `proxy`, `tls`, `pool` or `http2` (configure those on the
   * dispatcher), and the environment's proxies do not apply to it. Given per request
   * (`session(url, { dispatcher })`), it sends that request. Other runtimes refuse it
   * (`UnsupportedOptionError` at `createSession()`, `InvalidRequestError` per request).
   *
   * Typed structurally (anything with undici's `dispatch(options, handler)`), or, where the global
   * `RequestInit` has a `dispatcher` of its own (Node's types without the DOM lib), as that one, so
   * that the options extending both agree.
   */
  dispatcher?: RequestInit extends { dispatcher?: infer D } ? D : { dispatch: (options: any, handler: any) => boolean }
}

/**
 * HTTP authentication. Credentials go only to the origin they were given for: the request's
 * origin, or for a session with `baseURL`, the base's origin (an `extend()` child with another
 * `baseURL` does not send its parent's there; its own `auth` is for its own base). A redirect to another origin never
 * carries them (a redirect back does). An `Authorization` header set by hand wins over `auth`.
 *
 * @example
 * ```ts
 * createSession({ baseURL, auth: { username: 'alice', password: 's3cret' } })            // Basic
 * createSession({ baseURL, auth: { username: 'alice', password: 's3cret', type: 'digest' } })
 * createSession({ baseURL, auth: { bearer: () => store.token, refresh: () => login() } }) // refresh on 401
 * ```
 */
export type AuthOptions = BasicAuthOptions | BearerAuthOptions

/** HTTP Basic (default) or Digest (RFC 7616: MD5, SHA-256 and their -sess forms, qop=auth). */
export interface BasicAuthOptions {
  username: string
  password: string
  /** `'digest'` answers the server's Digest challenge, like requests' `HTTPDigestAuth`. @default 'basic' */
  type?: 'basic' | 'digest'
}

/** A bearer token, static or from a provider, refreshed when the server answers 401. */
export interface BearerAuthOptions {
  /** The token, or a function that returns it (called for each request until a refresh replaced it). */
  bearer: string | (() => MaybePromise<string>)
  /**
   * Called when a request gets 401: returns the new token, which then replaces `bearer`; the
   * request is sent again once. Concurrent 401s share one refresh. A refresh that fails rejects
   * those requests with `AuthError` (no loop); so does a 401 to the token the refresh returned,
   * which starts no new refresh until a request with a token succeeds or 10 s have passed.
   *
   * It may return `{ token, refreshToken }` instead: the next refresh is given that
   * `refreshToken` (`context.refreshToken`), so a server that rotates refresh tokens works; with
   * a `fleet`, the one the fleet's last refresh returned, whichever process ran it.
   */
  refresh?: (context: RefreshContext) => MaybePromise<string | RefreshedToken>
}

/** What `auth.refresh` is given. */
export interface RefreshContext {
  /**
   * The `refreshToken` the last refresh returned (with a `fleet`: the last refresh of the whole
   * fleet, read from its token record); `undefined` before the first, or when it returned a string.
   */
  refreshToken: string | undefined
}

/** What `auth.refresh` may return instead of the token alone. */
export interface RefreshedToken {
  /** The new bearer token. */
  token: string
  /** The refresh token to use next time (a server that rotates them returns a new one each time). */
  refreshToken?: string
}

/** Limits for polite clients; requests over a limit wait their turn, in order. */
export interface LimitOptions {
  /** Most requests in flight at once. */
  concurrency?: number
  /** Most requests in flight to one host (`host:port`). */
  perHost?: number
  /** Most requests started per second (evenly spaced). */
  rps?: number
}

/** What `onDownloadProgress` receives. */
export interface DownloadProgress {
  /** Bytes of the body received so far (decoded). */
  loaded: number
  /** `Content-Length`, when the server sent one for an unencoded body; otherwise `undefined`. */
  total: number | undefined
  /** `loaded / total` between 0 and 1, when `total` is known. */
  ratio: number | undefined
  /** True for the last call, once the body is complete. */
  done: boolean
}

/** What `onUploadProgress` receives. */
export interface UploadProgress {
  /** Bytes of the request body the platform has taken so far, on this send. */
  loaded: number
  /** The body's length (sent as `Content-Length`), when it is known: always but for a stream without one. */
  total: number | undefined
  /** `loaded / total` between 0 and 1, when `total` is known. */
  ratio: number | undefined
  /** True for the last call of a send, once its response has come (the server has the body). */
  done: boolean
  /**
   * Which send of the call this is: 1, then 2 and on for a retry or a 307/308 replay, whose
   * count starts again at 0 (its first event says so with `loaded: 0` and the new `attempt`).
   */
  attempt: number
}

/** Options of one request, also usable as session-wide defaults. */
export interface RequestOptions<R extends ResponseType = ResponseType, T = any> extends Omit<RequestInit, 'body' | 'headers' | 'redirect' | 'signal' | 'cache'>, SessionHooks<T, R> {
  /**
   * The cache mode of this request (see `CacheMode`): honoured by the session's cache on every
   * runtime; without one, passed to the platform's fetch as it is.
   */
  cache?: CacheMode
  /**
   * A Standard Schema (zod, valibot, arktype…) the parsed body must match: the call resolves to
   * the schema's output (a transforming schema's too), and is typed by it; a mismatch rejects with
   * `SchemaError`, never retried. Not applied to an error status that `ignoreResponseError` resolves.
   */
  schema?: StandardSchemaV1
  /** Joined in front of relative request URLs. */
  baseURL?: string
  /**
   * Query parameters appended to the URL. An array repeats the key, a `Date` is sent as its ISO
   * string (`toISOString()`), another object as JSON; `null` and `undefined` values (also inside
   * arrays) are skipped, as in requests.
   */
  query?: Record<string, unknown>
  /** @deprecated use `query` (ofetch compatibility). */
  params?: Record<string, unknown>
  /**
   * Request headers; merged over the session's with `Headers` semantics (case-insensitive). In an
   * object, a `null` or `undefined` value removes the session's (or mount's) default for this
   * request, as `None` does in requests: `{ 'User-Agent': null }`. As defaults of a session with a
   * `baseURL`, those that carry credentials (`Authorization`, `Cookie`, `Proxy-Authorization`, the
   * `sensitiveHeaders`) go to the base's origin only, as `auth` does.
   */
  headers?: HeadersInput | Record<string, string | null | undefined>
  /** The body. A plain object or array is sent as JSON (or form-encoded with that content type). */
  body?: RequestInit['body'] | Record<string, any> | unknown[]
  /**
   * How to read the response body. Detected from `Content-Type` when not given. A body that is to
   * be JSON (`'json'`, or a JSON `Content-Type` such as `application/json` or
   * `application/problem+json`) and does not parse rejects with `ParseError`; an empty body
   * resolves as `''`, and an error status rejects with `HTTPError` whose `data` is the text.
   */
  responseType?: R
  /**
   * A custom parser for the response text (implies `responseType: 'json'`). When it throws, the
   * call rejects with `ParseError` (its error is `cause`), never retried.
   */
  parseResponse?: (responseText: string) => any
  /**
   * Resolve instead of throwing `HTTPError` for status >= 400. The retry policy still applies: a
   * status it retries (a 503…) is tried again, and the last response resolves.
   */
  ignoreResponseError?: boolean
  /** Deadlines in ms. A number is the deadline of the whole call. */
  timeout?: number | TimeoutOptions | false
  /** The retry policy; a number is the limit; `false` turns retries off. */
  retry?: number | false | RetryOptions
  /** How redirects are handled. @default 'follow' */
  redirect?: RedirectMode
  /** The most redirects followed in one attempt. @default 20 */
  maxRedirects?: number
  /** Extra header names to strip, like `Authorization`, when a redirect leaves the origin. */
  sensitiveHeaders?: readonly string[]
  /** The caller's signal, merged with the deadlines. */
  signal?: AbortSignal | null
  /** Set to `'half'` to stream a request body (set automatically for streams). */
  duplex?: 'half'
  /** HTTP authentication (Basic, Digest, Bearer with refresh); `false` turns the session's off for this request. */
  auth?: AuthOptions | false
  /** Called as the response body arrives, and once more when it is complete. */
  onDownloadProgress?: (progress: DownloadProgress) => void
  /**
   * Called as the request body is sent: once with `loaded: 0`, as each 64 KiB piece is taken by
   * the platform, and once `done` when the response has come; again from 0 for each retry and
   * 307/308 replay (`attempt`). On Node, Deno and Bun the body is streamed to report it (Deno
   * sends it chunked, dropping `Content-Length`); in browsers, which refuse streamed uploads over
   * HTTP/1.1, there are two events, 0 and `done`.
   */
  onUploadProgress?: (progress: UploadProgress) => void
  /**
   * Resume a GET whose body broke mid-way (a reset, the attempt's deadline) with `Range` and
   * `If-Range`, when its response was resumable: `200` with `Accept-Ranges: bytes`, no
   * `Content-Encoding`, and a strong `ETag` or a `Last-Modified`. Each resume is one of the
   * call's retries (the retry policy decides, its delay applies). A `200` to the range request, a
   * changed validator or a `Content-Range` that does not continue the body is never spliced: the
   * body fails with the first error, and a buffered call is retried from 0. Default `true`.
   */
  resume?: boolean
  /**
   * The largest response body accepted, in bytes, counted after decompression (so a gzip bomb
   * stops there). Past it the call rejects with `BodyTooLargeError`. Off by default.
   */
  maxBodySize?: number
}

/** The options of a request after merging, as hooks see them. */
export interface ResolvedRequestOptions<R extends ResponseType = ResponseType, T = any> extends Omit<RequestOptions<R, T>, 'headers'> {
  /** The headers of this attempt. */
  headers: Headers
}

/** A pluggable tough-cookie `Store` (structural: any store with these methods works). */
export interface CookieStoreLike {
  findCookie: (...args: any[]) => unknown
  findCookies: (...args: any[]) => unknown
  putCookie: (...args: any[]) => unknown
  removeCookie: (...args: any[]) => unknown
  /**
   * Writes what the store still holds in memory (optional; fetch-session's file store batches
   * writes). `session.close()` calls it last, once nothing of the session is on the wire; a
   * rejection makes `close()` reject with a `CookieStoreError` (a third-party store's error is its
   * `cause`).
   */
  flush?: () => Promise<void>
}

/** A tough-cookie `CookieJar` (structural, so any tough-cookie version works). */
export interface CookieJarLike {
  getCookieString: (url: string, options?: any) => Promise<string>
  getCookies: (url: string, options?: any) => Promise<Array<{ key: string, cookieString: () => string }>>
  setCookie: (cookie: string, url: string, options?: any) => Promise<unknown>
  /** The jar's store (tough-cookie's `jar.store`): `session.close()` flushes it when it has `flush()`. */
  store?: Partial<CookieStoreLike>
}

/**
 * Options of `createSession()`: request options as session-wide defaults (not `body` nor
 * `method`, which belong to one request), plus the session's own.
 */
export interface SessionOptions extends Omit<RequestOptions, 'body' | 'method' | 'cache'>, TransportOptions {
  /**
   * The HTTP cache (RFC 9111): `true` for a private one in memory, `{ store, shared, … }` for one
   * of your own (see `CacheOptions`), `false` for none; a `CacheMode` sets the default mode of
   * every request. In browsers the browser's cache serves and the mode goes to its fetch.
   * @default false
   */
  cache?: boolean | CacheOptions | CacheMode
  /**
   * The cookie jar: `true` for an in-memory jar, `false` for none, a tough-cookie `CookieJar`,
   * or a tough-cookie `Store` to wrap in a new jar. In browsers the browser keeps cookies.
   * @default true
   */
  cookies?: boolean | CookieJarLike | CookieStoreLike
  /** The fetch to send requests with, instead of the platform's (the session's pool is then yours to manage). */
  fetch?: Fetch
  /** Concurrency and rate limits, shared by the session and its `extend()` children (and, with `fleet`, by the whole fleet). */
  limit?: LimitOptions
  /**
   * State shared by many processes (`createRedisFleet(redis, { prefix })` from
   * `fetch-session/fleet/redis`): every session on a fleet with the same prefix shares the `limit`
   * budgets (in flight, per host, starts per second), the pause a `429` or `503` with
   * `Retry-After` puts on a host, and the bearer token refresh (one `refresh()` for the whole
   * fleet). When the fleet's store fails, calls reject with `FleetError`: never a silent fall
   * back to this process's own limits. Its `extend()` children share it. Node, Deno and Bun only:
   * refused (`UnsupportedOptionError`) by the workerd and browser entries. README, "Fleets".
   *
   * @example
   * ```ts
   * import Redis from 'ioredis'
   * import { createRedisFleet } from 'fetch-session/fleet/redis'
   *
   * const fleet = createRedisFleet(new Redis(), { prefix: 'crawler' })
   * const session = createSession({ fleet, limit: { perHost: 2, rps: 10 }, auth: { bearer, refresh } })
   * ```
   */
  fleet?: Fleet
  /**
   * Layers of your own (see `Middleware`), outermost first: they see every attempt and every
   * redirect hop as it goes on the wire. An `extend()` child runs its parent's, then its own.
   * Refused per request and by `mount()` (`InvalidRequestError`, `option: 'use'`): layers are
   * composed once per session.
   */
  use?: Middleware | Middleware[]
  /**
   * An OpenTelemetry tracer: a CLIENT span per request sent (each redirect hop and each resend),
   * with the HTTP client semantic conventions, and `traceparent` injected when a propagator is
   * registered. README, "Tracing and timings".
   */
  tracer?: TracerLike
  /** Record the session's traffic as a HAR 1.2 log (`session.har()`): `true`, or bounds. Secrets redacted. */
  har?: boolean | HarOptions
  /**
   * One line per request, hop, retry, refresh and cache decision, secrets redacted: `true` for
   * `console.error`, or your logger. `DEBUG=fetch-session` in the environment turns it on too.
   */
  debug?: DebugOption
}

/**
 * A request's cache mode, as the fetch spec's `RequestCache`, honoured by the session's cache on
 * every runtime: `default` (fresh from the cache, else validate, else the network), `no-store`
 * (the cache is not used at all), `reload` (the network, then stored), `no-cache` (validated with
 * the server even when fresh), `force-cache` (anything stored, however stale, else the network),
 * `only-if-cached` (anything stored, else a `504` and no request: the offline mode).
 */
export type CacheMode = 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached'

/**
 * Where a response came from, on `response.cacheStatus` of a session with a cache: `hit` (fresh
 * from the cache, no request sent), `stale` (from the cache past its freshness: while it is
 * revalidated in the background, for an error the server allows it for, or by the mode), `revalidated` (the
 * server answered `304`: the stored body with the new headers), `miss` (from the network, stored
 * when it may be), `bypass` (the cache was not used: another method, `no-store`, a range or a
 * conditional request of the caller's).
 */
export type CacheStatus = 'hit' | 'stale' | 'revalidated' | 'miss' | 'bypass'

/** The session's HTTP cache (`createSession({ cache })`). */
export interface CacheOptions {
  /**
   * Where entries live: `createMemoryCacheStore()` (the default, bounded), `createUnstorageCacheStore()`
   * from `fetch-session/cache/unstorage` (Redis, KV, fs…), or any `CacheStore`.
   */
  store?: CacheStore
  /**
   * A shared cache (RFC 9111 §3.5): `private` responses are not stored, `s-maxage` counts, and a
   * response to a request with `Authorization` is stored only when it says so (`public`,
   * `s-maxage`, `must-revalidate`). Required when one store serves more than one user (a fleet's
   * Redis).
   * @default false
   */
  shared?: boolean
  /**
   * The largest body stored, in bytes: a longer one is passed on and not stored.
   * @default 10485760 (10 MiB)
   */
  maxEntrySize?: number
  /**
   * The fraction of the time since `Last-Modified` a response without explicit freshness is
   * fresh for (heuristic freshness, RFC 9111 §4.2.2, for the statuses it allows).
   * @default 0.1
   */
  heuristic?: number
  /** Hears of a store's failure: a `get` that failed was a miss, a `set` that failed stored nothing. */
  onError?: (error: unknown) => void
}

/**
 * An OpenTelemetry `Tracer` as far as the session uses it (structural: `@opentelemetry/api` is not
 * a dependency; a `Tracer` from `trace.getTracer()` fits).
 */
export interface TracerLike {
  /** Starts a span; `context` is the parent (the active context when absent). */
  startSpan(name: string, options?: { kind?: number, attributes?: Record<string, string | number | boolean | undefined>, startTime?: number }, context?: unknown): SpanLike
}

/** An OpenTelemetry `Span`, as far as the session uses it (methods: a real `Span` fits). */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown
  setStatus(status: { code: number, message?: string }): unknown
  recordException(exception: Error | string): unknown
  end(endTime?: number): void
  spanContext(): { traceId: string, spanId: string, traceFlags: number }
}

/** A HAR 1.2 log (`session.har()`): see http://www.softwareishard.com/blog/har-12-spec/. */
export interface HarLog {
  log: {
    version: '1.2'
    creator: { name: string, version: string }
    pages?: unknown[]
    entries: HarEntry[]
  }
}

/** One request of a HAR log. */
export interface HarEntry {
  startedDateTime: string
  time: number
  request: Record<string, unknown>
  response: Record<string, unknown>
  cache: Record<string, unknown>
  timings: Record<string, number>
  [key: string]: unknown
}

/** The session's HAR recording (`createSession({ har })`). */
export interface HarOptions {
  /** The largest body kept per request and per response, in bytes (longer ones are cut, and say so). @default 65536 */
  maxBodySize?: number
  /** The most entries kept (the oldest go first). @default 1000 */
  maxEntries?: number
}

/** Where the debug log goes: `true` for `console.error`, or a function given each line. */
export type DebugOption = boolean | ((line: string) => void)

/** Per-prefix defaults given to `session.mount()`. */
export interface MountOptions extends Omit<RequestOptions, 'baseURL' | 'signal' | 'body' | 'method' | 'cache'>, TransportOptions {
  /** The cache mode of the requests within the prefix (the session's cache is the session's). */
  cache?: CacheMode
}

/**
 * What a call with options `O` resolves to when they give a `schema`: the schema's output; `any`
 * for options typed `any` or `never` (a cast), as a call without a schema.
 */
export type SchemaOutput<O> = [O] extends [never] ? any : 0 extends (1 & O) ? any : O extends { schema: infer S extends StandardSchemaV1 } ? StandardSchemaV1.InferOutput<S> : any

/** Options of `paginate()`: a page's request options, and how to walk the pages. */
export interface PaginateOptions<T = any, I = T> extends RequestOptions {
  /**
   * The next page's URL from a page's response (and its index, from 0), or nothing to stop.
   * Default: the `Link` header's `rel="next"` target (RFC 8288), relative to the page's final URL.
   */
  next?: (response: FetchResponse<T>, page: number) => string | URL | undefined | null | false | Promise<string | URL | undefined | null | false>
  /** The most pages fetched. @default 1000 */
  maxPages?: number
  /** The items of a page, yielded one by one instead of the pages. */
  items?: (data: T, response: FetchResponse<T>) => Iterable<I>
}

/** The callable request function shared by `$fetch` and sessions. */
export interface $Fetch {
  /** Sends a request and resolves to the parsed body, validated by `schema` and typed by its output. */
  <O extends RequestOptions & { schema: StandardSchemaV1 }>(request: FetchRequest, options: O): Promise<SchemaOutput<O>>
  /** Sends a request and resolves to the parsed body. */
  <T = any, R extends ResponseType = ResponseType>(request: FetchRequest, options?: RequestOptions<R>): Promise<ResponseBody<R, T>>
  /** Sends a request and resolves to the `Response`, with the parsed body on `_data` (validated by `schema`, if given). */
  raw: (<O extends RequestOptions & { schema: StandardSchemaV1 }>(request: FetchRequest, options: O) => Promise<FetchResponse<SchemaOutput<O>>>)
    & (<T = any, R extends ResponseType = ResponseType>(request: FetchRequest, options?: RequestOptions<R>) => Promise<FetchResponse<ResponseBody<R, T>>>)
  /** The plain fetch underneath (cookies and redirects on a session, no retries, deadlines or parsing). */
  native: Fetch
  /**
   * The pages of a listing, as an async iterator: each page a call (cookies, auth, retries,
   * limits), the next one from `Link: rel="next"` or `next(response)`; stops with no next page, at
   * a URL already fetched, and at `maxPages`; a page on another origin is asked without
   * credentials. With `items`, yields each page's items instead.
   *
   * @example
   * ```ts
   * for await (const repo of session.paginate<Repo[], Repo>('/user/repos', { items: page => page })) console.log(repo.name)
   * ```
   */
  paginate: (<T = any, I = any>(request: FetchRequest, options: PaginateOptions<T, I> & { items: (data: T, response: FetchResponse<T>) => Iterable<I> }) => AsyncIterableIterator<I>)
    & (<T = any>(request: FetchRequest, options?: PaginateOptions<T>) => AsyncIterableIterator<T>)
  /**
   * A new stateless `$fetch` with these defaults (and layers of its own: `use`). Not `body` nor
   * `method`, which belong to one request (an `InvalidRequestError` names them).
   */
  create: (defaults?: Omit<RequestOptions, 'body' | 'method'> & Pick<SessionOptions, 'use'>) => $Fetch
}

/** A verb helper: `session.get(url, opts)` is `session(url, { ...opts, method: 'GET' })`. */
export type VerbMethod = (<O extends Omit<RequestOptions, 'method'> & { schema: StandardSchemaV1 }>(request: FetchRequest, options: O) => Promise<SchemaOutput<O>>)
  & (<T = any, R extends ResponseType = ResponseType>(request: FetchRequest, options?: Omit<RequestOptions<R>, 'method'>) => Promise<ResponseBody<R, T>>)

/**
 * `[Symbol.asyncDispose]()` (what `await using` calls), where the project's lib declares
 * `Symbol.asyncDispose` (`ESNext.Disposable`, `@types/node`…), and nothing where it does not (a
 * browser project with `lib: ["ES2022", "DOM"]`), so that such a project still type-checks.
 */
export type AsyncDisposableLike = SymbolConstructor extends { readonly asyncDispose: infer S extends symbol } ? { [K in S]: () => Promise<void> } : {}

/** A session: `$fetch` plus cookies, live default headers, a connection pool and `close()`. */
export interface Session extends $Fetch, AsyncDisposableLike {
  /** `session(url, { method: 'GET' })` */
  get: VerbMethod
  /** `session(url, { method: 'POST' })` */
  post: VerbMethod
  /** `session(url, { method: 'PUT' })` */
  put: VerbMethod
  /** `session(url, { method: 'PATCH' })` */
  patch: VerbMethod
  /** `session(url, { method: 'DELETE' })` */
  delete: VerbMethod
  /** `session(url, { method: 'HEAD' })` */
  head: VerbMethod
  /** `session(url, { method: 'OPTIONS' })` */
  options: VerbMethod
  /** Live default headers: what is set or deleted here applies to every later request. */
  readonly headers: Headers
  /**
   * The tough-cookie `CookieJar` behind the session: `undefined` with `cookies: false` and in
   * browsers (the browser keeps the cookies there).
   */
  readonly cookies: CookieJar | undefined
  /** True once `close()` was called. */
  readonly closed: boolean
  /**
   * Aborts every call in flight (and its body) with `SessionClosedError`, then releases the
   * connections and flushes the cookie store; later requests reject with `SessionClosedError`.
   * Every call returns the same promise.
   */
  close: () => Promise<void>
  /** A child session with merged defaults that shares this session's jar and pool. */
  extend: (options?: Omit<SessionOptions, 'cookies' | 'fetch' | 'limit' | 'fleet' | keyof TransportOptions>) => Session
  /**
   * Defaults for the URLs within `prefix` (the most specific prefix wins), like requests'
   * `session.mount()`: a scheme (`'https://'`), an origin (`'https://api.example.com'`: that scheme,
   * host and port exactly) or an origin and a path (`'https://api.example.com/v1'`: `/v1`, `/v1/…`
   * and `/v1?…`, never `/v10`; with a trailing `/`, what is below it). Another form (no scheme, a
   * partial host, userinfo, a query) is an `InvalidRequestError`. A mount's transport options
   * serve the redirect hops within its prefix only.
   * Returns the session for chaining.
   */
  mount: (prefix: string, options: MountOptions) => Session
  /**
   * Adds a layer of your own (see `Middleware`) under this session's earlier ones; later calls go
   * through it. An `extend()` child made before keeps the layers it had; a child's `use()` adds to
   * the child only. Returns the session for chaining.
   *
   * @example
   * ```ts
   * session.use(next => (input, init) => next(input, init))
   * ```
   */
  use: (layer: Middleware | Middleware[]) => Session
  /** The HAR 1.2 log of what the session sent and received (with `har: true`; else an empty log). */
  har: () => HarLog
}
