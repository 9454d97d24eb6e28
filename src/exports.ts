/** What every entry point exports besides `createSession` and `$fetch`. */
export {
  AbortError,
  FetchError,
  HTTPError,
  InvalidRequestError,
  isSessionError,
  NetworkError,
  RedirectError,
  SessionClosedError,
  TimeoutError,
} from './errors'
export type { ErrorDetails, RedirectErrorCode, TimeoutPhase } from './errors'
export { UnsupportedOptionError } from './adapters/fetch'
export { DEFAULT_RETRY_METHODS, DEFAULT_RETRY_STATUS_CODES, RETRY_DEFAULTS, parseRetryAfter } from './retry'
export type * from './types'
