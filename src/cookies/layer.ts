/**
 * The cookie layer's spec, and what the engine needs of the store (`flushStore`, `asStoreError`),
 * without the middleware, which only the entries that keep cookies load (cookies/middleware.ts).
 *
 * @module
 */
import type { LayerSpec } from '../layer'
import type { CookieJarLike } from '../types'
import { CookieStoreError } from './stores/errors'

/**
 * The cookie layer's spec. `cookies` is read by `createSession()` itself, which makes the jar
 * (`session.cookies`, shared with `extend()` children); here it is only kept from ofetch. No
 * layer where the platform owns cookies (`owns.cookies`); a call's own jar where the session
 * keeps none. The middleware is the adapter's (`layers.cookies`, cookies/middleware.ts).
 */
export const cookiesLayer: LayerSpec<unknown, CallCookies> = {
  name: 'cookies',
  keys: ['cookies'],
  create({ adapter, jar }) {
    if (adapter.owns?.cookies) return undefined
    const layers = adapter.layers!
    if (jar) return layers.cookies(jar)
    const createJar = adapter.createCookieJar
    return createJar ? layers.callCookies(() => createJar(true)) : undefined
  },
}

/** The cookies of one call alone, where the session keeps none (see `withCallCookies`). */
export interface CallCookies {
  /** Created when a request follows a response that set a cookie, gone when the call ends. */
  jar?: CookieJarLike | undefined
  /** `Set-Cookie` headers of this call's responses (by URL) not yet in `jar`: stored when a request follows. */
  pending?: Array<[url: string, setCookies: string[]]> | undefined
}

/**
 * Flushes the jar's store when it has the store contract's optional `flush()` (`session.close()`);
 * a failure is a `CookieStoreError`, as every failure of the store is.
 */
export async function flushStore(jar: CookieJarLike | undefined): Promise<void> {
  const store = jar?.store
  if (typeof store?.flush !== 'function') return
  try {
    await store.flush()
  }
  catch (error) {
    throw asStoreError(error)
  }
}

/**
 * A failure of the jar's store as a `CookieStoreError`: ours as they are, a third-party store's
 * (any tough-cookie `Store`) wrapped, with its error as `cause`.
 */
export function asStoreError(error: unknown): CookieStoreError {
  if (error instanceof CookieStoreError) return error
  const reason = error instanceof Error ? error.message : String(error)
  return new CookieStoreError('ERR_COOKIE_STORE_IO', 'cookie store', `the cookie store failed: ${reason}`, { cause: error })
}
