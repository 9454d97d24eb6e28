/**
 * A strict consumer of the packed package (see consumer-types.test.ts): type-checked, never run,
 * in every configuration the test lists. It uses only globals that both the DOM lib and
 * `@types/node` declare.
 */
import {
  $fetch,
  AbortError,
  AuthError,
  BodyTooLargeError,
  createMemoryCacheStore,
  createSession,
  DEFAULT_RETRY_METHODS,
  DEFAULT_RETRY_STATUS_CODES,
  FetchError,
  FleetError,
  fromNetscape,
  HTTPError,
  InvalidRequestError,
  isSessionError,
  NetworkError,
  parseRetryAfter,
  RedirectError,
  RETRY_DEFAULTS,
  SessionClosedError,
  TimeoutError,
  toNetscape,
  UnsupportedOptionError,
} from 'fetch-session'
import type { $Fetch, CachedResponse, CacheMode, CacheOptions, CacheRecord, CacheStatus, CacheStore, CacheVariants, FetchResponse, MemoryCacheStore, MemoryCacheStoreOptions, RedirectHop, RequestOptions, RetryContext, Session, SessionOptions } from 'fetch-session'
import { createSession as createBrowserSession } from 'fetch-session/browser'
import { createSession as createBunSession } from 'fetch-session/bun'
import { createSession as createDenoSession } from 'fetch-session/deno'
import { createSession as createGenericSession } from 'fetch-session/generic'
import { createSession as createNodeSession } from 'fetch-session/node'
import { createSession as createWorkerdSession } from 'fetch-session/workerd'
import { CookieStoreError, createFileStore, FileCookieStore } from 'fetch-session/stores/file'
import type { CookieStoreErrorCode, FileStoreOptions } from 'fetch-session/stores/file'
import { createUnstorageStore } from 'fetch-session/stores/unstorage'
import type { UnstorageLike } from 'fetch-session/stores/unstorage'
import { createWebStorageStore } from 'fetch-session/stores/web-storage'
import { createUnstorageCacheStore } from 'fetch-session/cache/unstorage'
import type { UnstorageCacheStore, UnstorageCacheStoreOptions, UnstorageLike as UnstorageCacheLike } from 'fetch-session/cache/unstorage'
import type { WebStorageLike } from 'fetch-session/stores/web-storage'
import { createRedisFleet, REDIS_FLEET_DEFAULTS } from 'fetch-session/fleet/redis'
import type { RedisClientLike, RedisFleetOptions } from 'fetch-session/fleet/redis'
import type { Fleet, FleetErrorCode, FleetToken, RefreshContext, RefreshedToken } from 'fetch-session'

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false
/** Compiles only when `A` and `B` are the same type. */
function same<A, B>(..._proof: Equal<A, B> extends true ? [] : [never]): void {}

interface User {
  id: number
  name: string
}

const options: SessionOptions = {
  baseURL: 'https://api.example.com',
  headers: { 'User-Agent': 'consumer/1.0' },
  timeout: { total: 10_000, attempt: 3_000 },
  retry: { limit: 3, statusCodes: [429, 503], maxRetryAfter: 30_000 },
  auth: { username: 'alice', password: 's3cret', type: 'digest' },
  limit: { concurrency: 4, rps: 10 },
  onRetry: (context) => {
    same<typeof context, RetryContext>()
    const delay: number = context.delay
    const error: FetchError = context.error
    void [delay, error]
  },
}
const session: Session = createSession(options)
const sessions: Session[] = [createNodeSession(), createDenoSession(), createBunSession(), createWorkerdSession(), createBrowserSession(), createGenericSession()]
const api: $Fetch = $fetch.create({ baseURL: 'https://api.example.com' })

// Generic wrappers: a type argument with options typed as RequestOptions.
function call<T>(url: string, options: RequestOptions = {}) {
  return session<T>(url, options)
}
function callRaw<T>(url: string, options: RequestOptions = {}) {
  return session.raw<T>(url, options)
}
function get<T>(url: string, options: Omit<RequestOptions, 'method'> = {}) {
  return session.get<T>(url, options)
}

export async function main(): Promise<void> {
  same<Awaited<ReturnType<typeof call<User>>>, User>()
  same<Awaited<ReturnType<typeof callRaw<User>>>, FetchResponse<User>>()
  same<Awaited<ReturnType<typeof get<User>>>, User>()

  const me = await session<User>('/me')
  same<typeof me, User>()
  const text = await session<string>('/robots.txt', { responseType: 'text' })
  same<typeof text, string>()
  const inferred = await session('/robots.txt', { responseType: 'text' })
  same<typeof inferred, string>()
  const bytes = await session('/file', { responseType: 'arrayBuffer' })
  same<typeof bytes, ArrayBuffer>()
  const raw = await session.raw<User>('/me', { query: { page: 2 }, headers: [['accept', 'application/json']] })
  same<typeof raw._data, User | undefined>()
  same<typeof raw.history, RedirectHop[] | undefined>()
  const created = await session.post<User>('/users', { body: { name: 'alice' }, headers: new Headers({ 'x-request-id': '1' }) })
  same<typeof created, User>()
  const stateless = await $fetch<User>('https://api.example.com/me', { retry: 2, signal: AbortSignal.timeout(1000) })
  same<typeof stateless, User>()
  await api('/items')

  // No jar with `cookies: false` and in browsers.
  same<Session['cookies'], import('tough-cookie').CookieJar | undefined>()
  // @ts-expect-error the jar may be undefined
  await session.cookies.getCookieString('https://api.example.com/')
  const jar = session.cookies
  if (jar) await toNetscape(jar)
  const imported = await fromNetscape('', {})
  createSession({ cookies: imported })

  session.headers.set('x-trace', '1')
  session.mount('https://api.example.com/admin', { headers: { 'x-admin': '1' }, retry: false }).extend({ timeout: 5_000 })

  try {
    await session('/status/404')
  }
  catch (error) {
    if (error instanceof HTTPError) {
      const status: number = error.status
      const data: unknown = error.data
      const response: FetchResponse<any> = error.response
      const base: FetchError = error
      void [status, data, response, base]
    }
    if (error instanceof RedirectError) {
      const code: 'ERR_TOO_MANY_REDIRECTS' | 'ERR_REDIRECT_MODE' | 'ERR_REDIRECT_LOCATION' | 'ERR_REDIRECT_SCHEME' | 'ERR_REDIRECT_BODY' = error.code
      const urls: string[] = error.redirectUrls
      const response: Response | undefined = error.response
      const base: FetchError = error
      void [code, urls, response, base]
    }
    if (error instanceof TimeoutError) {
      const phase: 'total' | 'attempt' | 'signal' = error.phase
      const timeout: number | undefined = error.timeout
      void [phase, timeout]
    }
    if (error instanceof NetworkError) {
      const code: string | undefined = error.code
      void code
    }
    if (error instanceof BodyTooLargeError) {
      const limit: number = error.limit
      void limit
    }
    for (const Kind of [AbortError, AuthError, InvalidRequestError, SessionClosedError, HTTPError, RedirectError, TimeoutError, NetworkError, BodyTooLargeError]) {
      if (error instanceof Kind) {
        const base: FetchError = error
        const message: string = base.message
        void message
      }
    }
    if (error instanceof UnsupportedOptionError) {
      const option: string = error.option
      const runtime: string = error.runtime
      const base: Error = error
      void [option, runtime, base]
    }
    if (error instanceof CookieStoreError) {
      const code: CookieStoreErrorCode = error.code
      const location: string = error.location
      void [code, location]
    }
    if (isSessionError(error)) {
      const base: FetchError = error
      const status: number | undefined = base.status
      void status
    }
    if (error instanceof FetchError) {
      const data: unknown = error.data
      void data
    }
  }

  // The retry defaults and helpers.
  const methods: readonly string[] = DEFAULT_RETRY_METHODS
  const statuses: readonly number[] = DEFAULT_RETRY_STATUS_CODES
  const limit: number = RETRY_DEFAULTS.limit
  const wait: number | undefined = parseRetryAfter('120')
  void [methods, statuses, limit, wait]

  // The cookie stores.
  const fileOptions: FileStoreOptions = { writeDelay: 0, lockTimeout: 1_000 }
  const file: FileCookieStore = createFileStore('./cookies.json', fileOptions)
  await file.load()
  const entries = new Map<string, string>()
  const storage: WebStorageLike = {
    getItem: key => entries.get(key) ?? null,
    setItem: (key, value) => void entries.set(key, value),
    removeItem: key => void entries.delete(key),
  }
  const items = new Map<string, unknown>()
  const unstorage: UnstorageLike = {
    getItem: async key => items.get(key) ?? null,
    setItem: async (key, value) => void items.set(key, value),
    removeItem: async key => void items.delete(key),
    getKeys: async base => [...items.keys()].filter(key => !base || key.startsWith(base)),
  }
  const stored = [
    createSession({ cookies: file }),
    createSession({ cookies: createWebStorageStore(storage, { key: 'consumer:cookies' }) }),
    createSession({ cookies: createUnstorageStore(unstorage, { base: 'sessions:alice' }) }),
  ]

  // The HTTP cache: its stores (the memory one, unstorage's, one of the user's own), its modes
  // and what a response says of where it came from.
  const memoryOptions: MemoryCacheStoreOptions = { maxEntries: 100, maxBytes: 1_000_000 }
  const memory: MemoryCacheStore = createMemoryCacheStore(memoryOptions)
  const size: number = memory.size + memory.bytes
  memory.clear()
  const records = new Map<string, CacheRecord>()
  const own: CacheStore = {
    get: async key => records.get(key),
    set: (key, record, ttl) => {
      if (ttl > 0) records.set(key, record)
    },
    delete: key => void records.delete(key),
  }
  const describe = (record: CacheRecord): string => {
    if (record.kind === 'response') {
      const response: CachedResponse = record
      return `${response.body.byteLength} bytes`
    }
    const variants: CacheVariants = record
    return variants.vary.join()
  }
  const cacheStorage: UnstorageCacheLike = {
    getItem: async key => items.get(key) ?? null,
    setItem: async (key, value, options) => void items.set(key, [value, options?.ttl]),
    removeItem: async key => void items.delete(key),
  }
  const cacheStoreOptions: UnstorageCacheStoreOptions = { base: 'http-cache' }
  const shared: UnstorageCacheStore = createUnstorageCacheStore(cacheStorage, cacheStoreOptions)
  const cacheOptions: CacheOptions = { store: shared, shared: true, maxEntrySize: 1_000_000, heuristic: 0.1, onError: error => console.error(error) }
  const cached = [createSession({ cache: true }), createSession({ cache: { store: memory } }), createSession({ cache: { store: own } }), createSession({ cache: cacheOptions })]
  const mode: CacheMode = 'only-if-cached'
  const offline = await cached[0]!.raw<User>('/me', { cache: mode })
  const status: CacheStatus | undefined = offline.cacheStatus
  session.mount('https://api.example.com/live', { cache: 'no-store' })
  void [size, describe, status, shared.base]

  // A fleet: a Redis client of the caller's (structural: an ioredis client fits), the shared
  // limits and refresh, and the refresh that rotates its refresh token.
  const redis: RedisClientLike = {
    eval: async () => 1,
    evalsha: async () => 1,
    get: async () => null,
    set: async () => 'OK',
    zrem: async () => 0,
    pttl: async () => -2,
  }
  const fleetOptions: RedisFleetOptions = { prefix: 'crawler', lease: REDIS_FLEET_DEFAULTS.lease, commandTimeout: 1_000 }
  const fleet: Fleet = createRedisFleet(redis, fleetOptions)
  const rotate = async ({ refreshToken }: RefreshContext): Promise<RefreshedToken> => ({ token: `new-${refreshToken ?? ''}`, refreshToken: 'next' })
  const crawler = createSession({ fleet, limit: { perHost: 2, rps: 10 }, auth: { bearer: 'token', refresh: rotate } })
  const record: FleetToken | undefined = await fleet.token()
  try {
    await crawler('/items')
  }
  catch (error) {
    if (error instanceof FleetError) {
      const code: FleetErrorCode = error.code
      void [code, error.prefix, error.reason]
    }
  }
  void record
  for (const each of [session, ...sessions, ...stored, ...cached, crawler]) await each.close()
}
