/**
 * The in-memory store: tough-cookie's own `MemoryCookieStore`, the default of every session
 * (`cookies: true`). Cookies live as long as the process.
 *
 * @module
 */
import { MemoryCookieStore } from 'tough-cookie'

/**
 * A new in-memory cookie store (tough-cookie's `MemoryCookieStore`): what `createSession()` uses
 * unless told otherwise. It is synchronous, so the jar's `*Sync` methods and `JSON.stringify(jar)` work.
 */
export function createMemoryStore(): MemoryCookieStore {
  return new MemoryCookieStore()
}
