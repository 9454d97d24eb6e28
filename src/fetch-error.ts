/**
 * The base class of every error this package rejects with: ofetch's `FetchError` at run time,
 * typed here so that the published declarations never load ofetch's (they need the DOM lib, and
 * their optional properties do not admit `undefined` under `exactOptionalPropertyTypes`).
 *
 * @module
 */
import { FetchError as OfetchFetchError } from 'ofetch'

/**
 * An HTTP error, a network error, a deadline…: what every error of this package is an instance
 * of (ofetch's `FetchError`, so `catch` code written for ofetch keeps working).
 */
export interface FetchError<T = any> extends Error {
  /** The URL (as a string) or `Request` that failed. */
  request?: string | Request | undefined
  /**
   * The resolved options of the failed request, as hooks see them (`ResolvedRequestOptions`).
   * Typed loosely, as ofetch types it, so that errors of ofetch and of this package mix.
   */
  options?: any
  /** The response, when one arrived. */
  response?: FetchResponse<T> | undefined
  /** The parsed body of the response, when one arrived. */
  data?: T | undefined
  /** The HTTP status, when a response arrived. */
  status?: number | undefined
  /** The status text, when a response arrived. */
  statusText?: string | undefined
  /** Alias of `status` (ofetch compatibility). */
  statusCode?: number | undefined
  /** Alias of `statusText` (ofetch compatibility). */
  statusMessage?: string | undefined
}

/** The constructor of `FetchError`. */
export interface FetchErrorConstructor {
  new <T = any>(message: string, options?: { cause: unknown }): FetchError<T>
  readonly prototype: FetchError
}

/** ofetch's `FetchError` class, the base class of this package's errors. */
export const FetchError: FetchErrorConstructor = OfetchFetchError as FetchErrorConstructor

/** One redirect that was followed on the way to the final response. */
export interface RedirectHop {
  /** The URL that answered with the redirect. */
  url: string
  /** The method used for that URL. */
  method: string
  /** The redirect status (301, 302, 303, 307 or 308). */
  status: number
  /** The status text of the redirect response. */
  statusText: string
  /** Where it pointed, resolved against `url`. */
  location: string
}

/**
 * A `Response` with the parsed body on `_data` and the redirect chain on `history`. Declared
 * beside the error that carries it, so the error's module imports no other (no import circle).
 */
export interface FetchResponse<T> extends Response {
  /** The parsed body (JSON, text, blob, stream, as `responseType` or `Content-Type` decides). */
  _data?: T
  /** Every redirect followed before this response, oldest first (empty when none). Like requests' `response.history`. */
  history?: RedirectHop[]
  /** Where the response came from, on a session with a cache (`'hit'`, `'stale'`, `'revalidated'`, `'miss'`, `'bypass'`); absent without one. */
  cacheStatus?: 'hit' | 'stale' | 'revalidated' | 'miss' | 'bypass'
  /** The phases of the final request where the runtime exposes them (see `Timings`). */
  timings?: Timings
}

/**
 * The phases of a request, in milliseconds since `start` (`performance.now()` based), where the
 * runtime exposes them (README, "Tracing and timings"): `lookup` (DNS done), `connect` (TCP
 * connected), `secureConnect` (TLS done), `response` (first byte of the response), `end` (the body's
 * last byte arrived). A phase the runtime does not expose, or that did not happen (a reused connection has
 * no lookup), is absent.
 */
export interface Timings {
  /** When the request was started (`performance.timeOrigin + start` is the wall clock). */
  start: number
  lookup?: number
  connect?: number
  secureConnect?: number
  response?: number
  end?: number
  /** The durations: `dns`, `tcp`, `tls`, `request` (sent to first byte), `download` (first byte to end), `total`. */
  phases: { dns?: number, tcp?: number, tls?: number, request?: number, download?: number, total?: number }
  /** True when the request went on a kept-alive connection; `undefined` where the runtime cannot tell. */
  reused: boolean | undefined
}
