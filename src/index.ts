/**
 * fetch-session: sessions for fetch, like Python's `requests.Session`, on every runtime.
 *
 * @example
 * ```ts
 * import { createSession } from 'fetch-session'
 *
 * await using session = createSession({ baseURL: 'https://api.example.com' })
 * await session.post('/login', { body: { username, password } })
 * const me = await session.get<User>('/me') // the login cookie is sent back
 * ```
 * @module
 */
import { createCookieJar } from './cookies/jar'
import { fetchAdapter } from './adapters/fetch'
import { createSessionFactory } from './session'
import { SESSION_LAYERS } from './session-layers'
import type { $Fetch, Session, SessionOptions } from './types'

const factory = createSessionFactory({ ...fetchAdapter, createCookieJar, layers: SESSION_LAYERS })

/**
 * Creates a session: cookies kept in a jar (set on redirect hops too), live default headers,
 * retries, deadlines and hooks that persist across requests, and a connection pool that
 * `close()` releases.
 *
 * @example
 * ```ts
 * const session = createSession({ baseURL: 'https://httpbin.org', headers: { 'User-Agent': 'my-scraper/1.0' }, timeout: 10_000 })
 * try {
 *   await session('/cookies/set/sessioncookie/123456789')
 *   console.log(await session('/cookies')) // { cookies: { sessioncookie: '123456789' } }
 * }
 * finally {
 *   await session.close()
 * }
 * ```
 */
export const createSession: (options?: SessionOptions) => Session = factory.createSession

/**
 * The stateless mode: no cookie jar and no default headers, the platform's shared pool; the same
 * retry, deadline, redirect and error behaviour as sessions.
 *
 * @example
 * ```ts
 * const data = await $fetch('https://api.example.com/items', { query: { page: 2 }, retry: 3 })
 * ```
 */
export const $fetch: $Fetch = factory.$fetch

export * from './exports-server'
