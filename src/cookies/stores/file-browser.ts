/**
 * What `fetch-session/stores/file` resolves to under the `browser` export condition: a browser has
 * no file system, so the file store (and `node:fs`) never reaches a browser bundle. Creating one
 * throws a `CookieStoreError` (`ERR_COOKIE_STORE_UNAVAILABLE`) that says what to use instead.
 * Nothing here imports tough-cookie.
 *
 * @module
 */
import { CookieStoreError } from './errors'

export { CookieStoreError } from './errors'
export type { CookieStoreErrorCode } from './errors'

function unavailable(path: unknown): never {
  throw new CookieStoreError('ERR_COOKIE_STORE_UNAVAILABLE', String(path), 'the file cookie store needs a file system (Node, Deno or Bun), and this is a browser build; in a browser the browser keeps the cookies, or use fetch-session/stores/web-storage')
}

/** Browser build: always throws (no file system). */
export class FileCookieStore {
  constructor(path: string | URL) {
    unavailable(path)
  }
}

/** Browser build: always throws a `CookieStoreError` (`ERR_COOKIE_STORE_UNAVAILABLE`): there is no file system. */
export function createFileStore(path: string | URL, _options?: unknown): FileCookieStore {
  return unavailable(path)
}
