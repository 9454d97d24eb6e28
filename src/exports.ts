/** What every entry point exports besides `createSession` and `$fetch`. */
export {
  AbortError,
  AuthError,
  BodyTooLargeError,
  FetchError,
  FleetError,
  HTTPError,
  InvalidRequestError,
  isSessionError,
  NetworkError,
  ParseError,
  RedirectError,
  SchemaError,
  SessionClosedError,
  TimeoutError,
  UnsupportedOptionError,
} from './errors'
export type { ErrorDetails, FleetErrorCode, RedirectErrorCode, SchemaIssue, TimeoutPhase } from './errors'
export { CookieStoreError } from './cookies/stores/errors'
export type { CookieStoreErrorCode } from './cookies/stores/errors'
export { NETWORK_ERROR_CODES } from './network-errors'
export type { NetworkErrorCode, NetworkErrorCodes } from './network-errors'
export { DEFAULT_RETRY_METHODS, DEFAULT_RETRY_STATUS_CODES, RETRY_DEFAULTS, parseRetryAfter } from './retry'
export type * from './types'
export type { CachedResponse, CacheRecord, CacheStore, CacheVariants } from './cache/store'
export { toNetscape } from './cookies/netscape'
export type { FromNetscape, FromNetscapeOptions, SerializableCookieJar, SkippedCookie, ToNetscapeOptions } from './cookies/netscape'
