/**
 * The HTTP cache (issue 14), the same on every server runtime (Node, Deno, Bun, workerd): the
 * session's own cache in front of the platform's fetch, judged by what the caller sees
 * (`cacheStatus`, bodies, errors) and what the server saw (`/cache/:name/stats`); and, without a
 * cache, which modes each platform's fetch takes. In a browser the browser's HTTP cache serves:
 * the session has no cache layer, its responses no `cacheStatus`, the mode is the browser fetch's
 * `cache`, and `only-if-cached` is Chromium's (same-origin only, a miss a network error).
 */
import type { SuiteArea } from '../suite'

/** A session's `fetch` option, here a recorder of the `cache` mode the platform's fetch is given. */
type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** What `/cache/:name` answers (test/helpers/server.ts). */
interface Cached {
  name: string
  version: number
  served: number
}

/** What `/cache/:name/stats` counts: requests that reached the server, bodies it sent, its 304s. */
interface CacheStats {
  requests: number
  served: number
  notModified: number
}

export const cache: SuiteArea = ({ describe, it, expect }, env, { key, serverOnly, caught }) => {
  const { lib, base } = env
  const { createSession, $fetch } = lib
  const stats = (name: string): Promise<CacheStats> => $fetch(`${base}/cache/${name}/stats`)

  describe('HTTP cache', () => {
    serverOnly('a fresh response is served from the cache: no second request reaches the server', [], async () => {
      const store = lib.createMemoryCacheStore()
      const session = createSession({ baseURL: base, cache: { store } })
      const name = key('fresh')
      const first = await session.raw<Cached>(`/cache/${name}?cc=max-age=60`)
      const second = await session.raw<Cached>(`/cache/${name}?cc=max-age=60`)
      expect([first.cacheStatus, second.cacheStatus]).toEqual(['miss', 'hit'])
      expect([second.status, second._data]).toEqual([200, first._data])
      expect(second.headers.get('content-type')).toBe('application/json')
      expect(second.headers.get('age')).toMatch(/^\d+$/)
      expect(await stats(name)).toEqual({ requests: 1, served: 1, notModified: 0 })
      expect(store.size).toBe(1)
      await session.close()
    }, 'the browser\'s HTTP cache serves (see below)')

    serverOnly('a 304 revalidation is served as 200 \'revalidated\' with the stored body', [], async () => {
      const session = createSession({ baseURL: base, cache: true })
      const name = key('etag')
      const path = `/cache/${name}?etag=1&cc=no-cache`
      const first = await session.raw<Cached>(path)
      const second = await session.raw<Cached>(path)
      expect([first.cacheStatus, second.cacheStatus]).toEqual(['miss', 'revalidated'])
      expect([second.status, second.ok, second._data]).toEqual([200, true, first._data])
      // The 304's headers replace the stored ones.
      expect([first.headers.get('x-request-count'), second.headers.get('x-request-count')]).toEqual(['1', '2'])
      expect(await stats(name)).toEqual({ requests: 2, served: 1, notModified: 1 })
      await session.close()
    }, 'the browser\'s HTTP cache serves (see below)')

    serverOnly('only-if-cached on a miss rejects with HTTPError 504, and nothing is sent', [], async () => {
      const session = createSession({ baseURL: base, cache: true })
      const name = key('offline')
      const error = await caught(session(`/cache/${name}`, { cache: 'only-if-cached' }))
      expect(error).toBeInstanceOf(lib.HTTPError)
      expect(error.status).toBe(504)
      expect(error.message).toMatch('504 Gateway Timeout (not in the cache: only-if-cached)')
      expect(error.response.cacheStatus).toBe('miss')
      expect(await stats(name)).toEqual({ requests: 0, served: 0, notModified: 0 })
      await session.close()
    }, 'the browser\'s HTTP cache serves (see below)')

    serverOnly('cacheStatus says where each response came from; a session without a cache has none', [], async () => {
      const modes: unknown[] = []
      const recording: Fetch = (input, init) => {
        modes.push(init?.cache)
        return fetch(input, init)
      }
      const session = createSession({ baseURL: base, cache: true, fetch: recording })
      const name = key('status')
      const path = `/cache/${name}?cc=max-age=60&etag=1`
      const status = async (options: { cache?: 'no-store' | 'no-cache' | 'reload' | 'force-cache' | 'only-if-cached', method?: string } = {}): Promise<unknown> => (await session.raw(path, options)).cacheStatus
      expect(await status()).toBe('miss')
      expect(await status()).toBe('hit')
      expect(await status({ cache: 'force-cache' })).toBe('hit')
      expect(await status({ cache: 'only-if-cached' })).toBe('hit')
      expect(await status({ cache: 'no-store' })).toBe('bypass')
      expect(await status({ cache: 'no-cache' })).toBe('revalidated')
      expect(await status({ cache: 'reload' })).toBe('miss')
      expect(await status({ method: 'HEAD' })).toBe('bypass')
      expect(await stats(name)).toEqual({ requests: 5, served: 4, notModified: 1 })
      const stale = key('stale')
      await session(`/cache/${stale}?cc=max-age=0&etag=1`)
      expect((await session.raw(`/cache/${stale}?cc=max-age=0&etag=1`, { cache: 'force-cache' })).cacheStatus).toBe('stale')
      // The platform's fetch never sees a mode: the session's cache is the only one.
      expect(modes.every(mode => mode === undefined)).toBe(true)
      await session.close()
      const uncached = createSession({ baseURL: base })
      expect('cacheStatus' in await uncached.raw(`/cache/${name}?cc=max-age=60`)).toBe(false)
      await uncached.close()
    }, 'the browser\'s HTTP cache serves (see below)')

    serverOnly('without a cache, the mode is the platform fetch\'s: what each runtime accepts', [], async () => {
      const session = createSession({ baseURL: base, retry: false })
      const MODES = ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'] as const
      const answers: Record<string, unknown> = {}
      for (const mode of MODES) {
        answers[mode] = await session.raw(`/cache/${key('platform')}?cc=max-age=60`, { cache: mode }).then(
          response => response.status,
          // The platform's TypeError, naming the mode.
          (error: Error) => `${error.name}${error.message.includes(mode) ? '' : ` (${error.message})`}`,
        )
      }
      // The fetch spec allows only-if-cached in same-origin mode only, which a server's fetch has no
      // origin for (Node's undici, Deno); Bun ignores every mode; workerd takes no-store and
      // no-cache only (and 'default', which the session never passes on: it means no mode). With
      // the session's cache none of this matters: the platform never sees a mode (above).
      const refused = 'InvalidRequestError'
      const expected: Record<string, Record<string, unknown>> = {
        node: { 'default': 200, 'no-store': 200, 'reload': 200, 'no-cache': 200, 'force-cache': 200, 'only-if-cached': refused },
        deno: { 'default': 200, 'no-store': 200, 'reload': 200, 'no-cache': 200, 'force-cache': 200, 'only-if-cached': refused },
        bun: { 'default': 200, 'no-store': 200, 'reload': 200, 'no-cache': 200, 'force-cache': 200, 'only-if-cached': 200 },
        workerd: { 'default': 200, 'no-store': 200, 'reload': refused, 'no-cache': 200, 'force-cache': refused, 'only-if-cached': refused },
      }
      expect(answers).toEqual(expected[env.runtime])
      await session.close()
    }, 'the browser\'s HTTP cache serves (see below)')

    if (env.browser) {
      it('the browser\'s cache serves: no cache layer, no cacheStatus, and the mode goes to the browser\'s fetch', [], async () => {
        const modes: unknown[] = []
        const recording: Fetch = (input, init) => {
          modes.push(init?.cache)
          return fetch(input, init)
        }
        // `cache: true` is accepted (no error of the session's own): the browser's cache is the cache.
        const session = createSession({ baseURL: base, cache: true, fetch: recording })
        const name = key('browser')
        const path = `/cache/${name}?cc=max-age=60`
        const first = await session.raw<Cached>(path)
        const second = await session.raw<Cached>(path)
        expect('cacheStatus' in first || 'cacheStatus' in second).toBe(false)
        expect(second._data).toEqual(first._data)
        // Chromium's HTTP cache answered the second request: the server saw one.
        expect(await stats(name)).toEqual({ requests: 1, served: 1, notModified: 0 })
        await session.raw(path, { cache: 'no-store' })
        await session.raw(path, { cache: 'reload' })
        expect(modes).toEqual([undefined, undefined, 'no-store', 'reload'])
        expect(await stats(name)).toEqual({ requests: 3, served: 3, notModified: 0 })
        await session.close()
        // A session's mode is every request's default `RequestInit.cache`.
        const modal = createSession({ baseURL: base, cache: 'no-store', fetch: recording })
        await modal(path)
        expect(modes.at(-1)).toBe('no-store')
        expect((await stats(name)).requests).toBe(4)
        await modal.close()
      })

      it('only-if-cached is the browser\'s: same-origin, a stored response or a network error', [], async () => {
        const session = createSession({ baseURL: base, cache: true, retry: false })
        const name = key('browser-offline')
        const path = `/cache/${name}?cc=max-age=60`
        await session(path)
        const offline = await session.raw<Cached>(path, { cache: 'only-if-cached', mode: 'same-origin' })
        expect([offline.status, offline._data?.served, 'cacheStatus' in offline]).toEqual([200, 1, false])
        // Chromium refuses only-if-cached without mode: 'same-origin' (a TypeError: InvalidRequestError),
        // and its miss is a network error (net::ERR_CACHE_MISS), not a 504.
        const refused = await caught(session(path, { cache: 'only-if-cached' }))
        expect(refused).toBeInstanceOf(lib.InvalidRequestError)
        expect(refused.message).toMatch('only-if-cached')
        const missing = await caught(session(`/cache/${key('browser-missing')}`, { cache: 'only-if-cached', mode: 'same-origin' }))
        expect(missing).toBeInstanceOf(lib.NetworkError)
        // Never retried, as a server runtime's 504 is not: the cache would miss the same way again.
        let retries = 0
        const retrying = createSession({ baseURL: base, cache: true, retry: { limit: 2, delay: 1 }, onRetry: () => void retries++ })
        const again = await caught(retrying(`/cache/${key('browser-missing')}`, { cache: 'only-if-cached', mode: 'same-origin' }))
        expect([again.name, retries]).toEqual(['NetworkError', 0])
        await retrying.close()
        expect(await stats(name)).toEqual({ requests: 1, served: 1, notModified: 0 })
        await session.close()
      })
    }
  })
}
