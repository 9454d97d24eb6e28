/**
 * One cache for a fleet: sessions that share a store on a real redis-server (unstorage's Redis
 * driver, `createUnstorageCacheStore()`), as processes of a crawler or serverless instances would.
 * Alice and Bob share it as a shared cache: `Vary: Cookie` and `Vary: Authorization` keep their
 * bodies apart; a response one session stored serves another (another connection), and the
 * offline mode answers from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { createUnstorageCacheStore } from '../../src/cache/unstorage'
import { dependencySkip } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { useRedis } from '../stores/helpers'

const noRedis = dependencySkip('redis-server', 'the HTTP cache shared on Redis', import.meta.filename)
const redis = useRedis(noRedis)
let server: TestServer
let counter = 0

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

/** A store on its own Redis connection (what another process has), under one base. */
function redisStore(base: string): ReturnType<typeof createUnstorageCacheStore> {
  return createUnstorageCacheStore(redis.storage(), { base })
}

async function stats(name: string): Promise<{ served: number, notModified: number, requests: number }> {
  return (await fetch(`${server.url}/cache/${name}/stats`)).json()
}

interface Body { user: string | null, served: number }

describe.skipIf(noRedis !== undefined)(`a cache shared on Redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('alice and bob share one store: with Vary: Cookie, bob never gets alice\'s /me, and each is served from it', async () => {
    const base = `fleet:${++counter}`
    await using alice = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true } })
    await using bob = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true } })
    await alice('/cookies/set/user/alice')
    await bob('/cookies/set/user/bob')
    const name = `me-${counter}`
    const me = `/cache/${name}?cc=max-age=60&vary=Cookie`
    expect((await alice.raw<Body>(me))._data?.user).toBe('alice')
    const first = await bob.raw<Body>(me)
    expect([first.cacheStatus, first._data?.user]).toEqual(['miss', 'bob'])
    const [a, b] = await Promise.all([alice.raw<Body>(me), bob.raw<Body>(me)])
    expect([a.cacheStatus, a._data?.user, b.cacheStatus, b._data?.user]).toEqual(['hit', 'alice', 'hit', 'bob'])
    expect(await stats(name)).toMatchObject({ requests: 2 })
  })

  it('with Vary: Authorization, each token its own entry; without Vary and public, nothing is stored for an authorized request', async () => {
    const base = `fleet:${++counter}`
    await using alice = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true }, auth: { bearer: 'alice' } })
    await using bob = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true }, auth: { bearer: 'bob' } })
    const me = `/cache/auth-${counter}?cc=public,max-age=60&vary=Authorization`
    expect((await alice<Body>(me)).user).toBe('alice')
    expect((await bob<Body>(me)).user).toBe('bob')
    expect((await bob.raw<Body>(me)).cacheStatus).toBe('hit')
    const plain = `/cache/plain-${counter}?cc=max-age=60`
    await alice(plain)
    const second = await bob.raw<Body>(plain)
    expect([second.cacheStatus, second._data?.user]).toEqual(['miss', 'bob'])
  })

  it('what one session stored serves another process\'s session, and its offline mode', async () => {
    const base = `fleet:${++counter}`
    const name = `shared-${counter}`
    const path = `/cache/${name}?cc=max-age=60`
    await using filler = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true } })
    await filler(path)
    await using reader = createSession({ baseURL: server.url, cache: { store: redisStore(base), shared: true } })
    expect((await reader.raw(path, { cache: 'only-if-cached' })).cacheStatus).toBe('hit')
    await expect(reader(`/cache/absent-${counter}`, { cache: 'only-if-cached' })).rejects.toMatchObject({ name: 'HTTPError', status: 504 })
    expect(await stats(name)).toMatchObject({ requests: 1 })
  })
})
