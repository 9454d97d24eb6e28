/**
 * The error of the cookie stores. It imports only ofetch's `FetchError`, so the browser stub of
 * the file store can throw it without loading tough-cookie.
 *
 * @module
 */
import { FetchError } from '../../fetch-error'


/** The brand of every error of this package (as in src/errors.ts), so `instanceof` holds across copies. */
const kErrorKind: unique symbol = Symbol.for('fetch-session.error.kind') as never

/** What went wrong, as a stable string to test against. */
export type CookieStoreErrorCode =
  /** The file or storage entry holds something that is not a cookie store (corrupt, foreign, or from a newer version). It was left untouched. */
  | 'ERR_COOKIE_STORE_FORMAT'
  /** Another process held the file's lock for longer than `lockTimeout`. */
  | 'ERR_COOKIE_STORE_LOCKED'
  /** The store cannot work in this runtime (no file system, no Web Storage). */
  | 'ERR_COOKIE_STORE_UNAVAILABLE'
  /** Reading or writing the backing storage failed (permissions, disk full, quota, network…); `cause` has the original error. */
  | 'ERR_COOKIE_STORE_IO'

/**
 * Thrown (or rejected with) by the cookie stores: by their own methods (`load()`, `flush()`), and
 * by a session's calls. A request whose store fails rejects with it as is (not wrapped, not
 * retried): before anything is sent when the cookies cannot be read, after the response when its
 * cookies cannot be stored; `session.close()`, which flushes the store, rejects with it too. (A
 * cookie the jar refuses, such as a hostile `Set-Cookie`, is no error: it is dropped.)
 *
 * @example
 * ```ts
 * try {
 *   await store.load()
 * }
 * catch (error) {
 *   if (error instanceof CookieStoreError && error.code === 'ERR_COOKIE_STORE_FORMAT') console.error(error.message)
 * }
 * ```
 */
export interface CookieStoreError extends Error {
  /** `'CookieStoreError'`. */
  readonly name: string
  /** What went wrong. */
  readonly code: CookieStoreErrorCode
  /** The file path or storage key concerned. */
  readonly location: string
  /** The store's or the storage's own error, when there was one. */
  readonly cause?: unknown
}

/**
 * The constructor of `CookieStoreError`. At run time it is a `FetchError` (ofetch's class, like
 * every error of this package); its declaration stands alone, so the stores' types need none of
 * the session's.
 */
export interface CookieStoreErrorConstructor {
  new (code: CookieStoreErrorCode, location: string, message: string, options?: { cause?: unknown }): CookieStoreError
  readonly prototype: CookieStoreError
}

/** The error of the cookie stores (see the interface above). */
export const CookieStoreError: CookieStoreErrorConstructor = class CookieStoreError extends FetchError {
  readonly code: CookieStoreErrorCode
  readonly location: string

  constructor(code: CookieStoreErrorCode, location: string, message: string, options?: { cause?: unknown }) {
    super(`fetch-session: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause })
    Object.defineProperty(this, 'name', { value: 'CookieStoreError', enumerable: false, configurable: true, writable: true })
    Object.defineProperty(this, kErrorKind, { value: 'CookieStoreError', enumerable: false })
    this.code = code
    this.location = location
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kErrorKind] === 'CookieStoreError'
  }
}
