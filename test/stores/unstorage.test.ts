/**
 * The unstorage store against the store contract, with unstorage's memory driver and with its
 * Redis driver on a real `redis-server` this file starts (a free port, no persistence); then
 * what it is for: two sessions in two processes sharing one login through Redis, and concurrent
 * updates from both losing nothing.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Redis from 'ioredis'
import { CookieJar } from 'tough-cookie'
import { createStorage } from 'unstorage'
import type { Storage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { CookieStoreError, createUnstorageStore, UnstorageCookieStore } from '../../src/cookies/stores/unstorage'
import { dependencySkip } from '../helpers/dependencies'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { describeStoreContract } from './contract'
import { bundleWorker, root, runWorker, useRedis, startWorker } from './helpers'

/** Why the Redis tests cannot run here (locally without redis-server); on CI they always run. */
const noRedis = dependencySkip('redis-server', 'the unstorage store over Redis (and its store contract)', import.meta.filename)
const redis = useRedis(noRedis)
let counter = 0
const redisStorage = (): Storage => redis.storage()

describeStoreContract('unstorage (memory driver)', async () => {
  const storage = createStorage()
  return { store: createUnstorageStore(storage), reopen: () => createUnstorageStore(storage) }
})

describeStoreContract('unstorage (Redis driver, real redis-server)', async () => {
  const base = `contract:${++counter}`
  return {
    store: createUnstorageStore(redisStorage(), { base }),
    // Another connection: what another process sees.
    reopen: () => createUnstorageStore(redisStorage(), { base }),
  }
}, noRedis)

describe('the unstorage store', () => {
  it('needs an unstorage storage and a base', () => {
    expect(() => createUnstorageStore({} as never)).toThrow(/needs an unstorage storage/)
    expect(() => createUnstorageStore(createStorage(), { base: ':' })).toThrow(/must not be empty/)
    expect(createUnstorageStore(createStorage(), { base: '/sessions/alice/' }).base).toBe('sessions:alice')
  })

  it('the built store never imports unstorage (an optional peer dependency)', () => {
    // An import or export statement (not the examples in comments), or a dynamic import.
    const importsUnstorage = /^\s*(?:import|export)\b[^\n]*from\s*['"]unstorage|\bimport\s*\(\s*['"]unstorage/m
    expect(readFileSync(join(root, 'src/cookies/stores/unstorage.ts'), 'utf8')).not.toMatch(importsUnstorage)
    expect(readFileSync(join(root, 'src/cookies/stores/unstorage.ts'), 'utf8')).toMatch(/^import .* from 'tough-cookie'$/m)
    const built = join(root, 'dist/cookies/stores/unstorage.js')
    if (existsSync(built)) expect(readFileSync(built, 'utf8')).not.toMatch(importsUnstorage)
  })
})

describe.skipIf(noRedis !== undefined)(`the unstorage store over Redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  let server: TestServer
  let worker: string
  let client: Redis
  beforeAll(async () => {
    ;[server, worker] = await Promise.all([startServer(), bundleWorker('unstorage')])
    client = new Redis(redis.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.close()
    if (worker) rmSync(worker, { force: true })
  })

  it('stores one key per cookie, <base>:<domain>:<path>:<name>, each part encoded', async () => {
    const store = createUnstorageStore(redisStorage(), { base: 'layout:alice' })
    expect(store).toBeInstanceOf(UnstorageCookieStore)
    expect(store.base).toBe('layout:alice')
    const jar = new CookieJar(store)
    await jar.setCookie('sid=1; Path=/', 'https://app.example/')
    await jar.setCookie('a.b:c*d=2; Path=/x/y.z', 'https://app.example/x/y.z')
    await jar.setCookie('wide=3; Domain=app.example', 'https://www.app.example/')
    expect((await client.keys('layout:alice:*')).sort()).toEqual([
      'layout:alice:app.example:%2F:sid',
      'layout:alice:app.example:%2F:wide',
      'layout:alice:app.example:%2Fx%2Fy%2Ez:a%2Eb%3Ac%2Ad',
    ])
    expect(JSON.parse((await client.get('layout:alice:app.example:%2F:sid'))!)).toMatchObject({ key: 'sid', value: '1', domain: 'app.example', path: '/' })
    expect(await jar.getCookieString('https://app.example/x/y.z')).toBe('a.b:c*d=2; sid=1; wide=3')
  })

  it('keeps jars with different bases apart; removeAllCookies removes only its own keys', async () => {
    const storage = redisStorage()
    await client.set('unrelated:key', 'keep me')
    await client.set('iso:alice-data', 'keep me too')
    const alice = new CookieJar(createUnstorageStore(storage, { base: 'iso:alice' }))
    const bob = new CookieJar(createUnstorageStore(storage, { base: 'iso:bob' }))
    await alice.setCookie('who=alice', 'https://app.example/')
    await bob.setCookie('who=bob', 'https://app.example/')
    expect(await alice.getCookieString('https://app.example/')).toBe('who=alice')
    expect(await bob.getCookieString('https://app.example/')).toBe('who=bob')
    await alice.removeAllCookies()
    expect(await alice.getCookieString('https://app.example/')).toBe('')
    expect(await bob.getCookieString('https://app.example/')).toBe('who=bob')
    expect(await client.get('unrelated:key')).toBe('keep me')
    expect(await client.get('iso:alice-data')).toBe('keep me too')
  })

  it('with `ttl: true`, Redis expires a cookie\'s key with the cookie', async () => {
    const withTtl = new CookieJar(createUnstorageStore(redisStorage(), { base: 'ttl:on', ttl: true }))
    const without = new CookieJar(createUnstorageStore(redisStorage(), { base: 'ttl:off' }))
    await withTtl.setCookie('a=1; Max-Age=600', 'https://app.example/')
    await withTtl.setCookie('session=1', 'https://app.example/')
    await without.setCookie('a=1; Max-Age=600', 'https://app.example/')
    const ttl = await client.ttl('ttl:on:app.example:%2F:a')
    expect(ttl).toBeGreaterThan(590)
    expect(ttl).toBeLessThanOrEqual(600)
    expect(await client.ttl('ttl:on:app.example:%2F:session')).toBe(-1)
    expect(await client.ttl('ttl:off:app.example:%2F:a')).toBe(-1)
  })

  it('a key under the base that does not hold a cookie is a clear error and is left untouched', async () => {
    await client.set('foreign:app.example:%2F:sid', 'not a cookie')
    const store = createUnstorageStore(redisStorage(), { base: 'foreign' })
    const failure = await new CookieJar(store).getCookies('https://app.example/').catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(CookieStoreError)
    expect(failure).toMatchObject({ code: 'ERR_COOKIE_STORE_FORMAT', location: 'foreign:app.example:%2F:sid' })
    expect((failure as Error).message).toContain('left untouched')
    expect(await client.get('foreign:app.example:%2F:sid')).toBe('not a cookie')
  })

  it('a storage that fails is a CookieStoreError with the driver\'s error as cause', async () => {
    const storage = createStorage({ driver: redisDriver({ url: 'redis://127.0.0.1:9', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false }) })
    const failure = await new CookieJar(createUnstorageStore(storage, { base: 'down' })).setCookie('a=1', 'https://app.example/').catch((error: unknown) => error)
    await storage.dispose()
    expect(failure).toMatchObject({ name: 'CookieStoreError', code: 'ERR_COOKIE_STORE_IO', location: 'down' })
    expect((failure as CookieStoreError).cause).toBeInstanceOf(Error)
  })

  it('two sessions in two processes share one login through Redis', async () => {
    const store = { kind: 'redis' as const, url: redis.url, base: 'shared:login' }
    // A logs in, then waits (alive) while B, another process, uses the same store.
    const a = startWorker(worker, { store, baseURL: server.url, steps: [{ do: 'login', username: 'alice', password: 'wonderland' }, { do: 'wait' }, { do: 'get', path: '/protected' }] })
    expect(await a.next(line => line.do === 'login')).toMatchObject({ welcome: 'Welcome, alice!' })
    const [page] = await runWorker(worker, { store, baseURL: server.url, steps: [{ do: 'get', path: '/protected' }, { do: 'get', path: '/dashboard' }] })
    expect(page).toMatchObject({ status: 200, body: { user: 'alice' } })
    a.release()
    expect(await a.next(line => line.do === 'get')).toMatchObject({ status: 200, body: { user: 'alice' } })
    expect(await a.exited).toMatchObject({ code: 0, stderr: '' })
    // And this process, a third session, is logged in too.
    const session = createSession({ cookies: createUnstorageStore(redisStorage(), { base: 'shared:login' }), baseURL: server.url })
    expect(await session('/protected')).toMatchObject({ user: 'alice' })
    await session.close()
  }, 30_000)

  it('two processes updating one session at the same time lose nothing', async () => {
    // 80 cookies each: under the session's per-domain limit (180), so nothing is evicted on purpose.
    const store = { kind: 'redis' as const, url: redis.url, base: 'shared:concurrent' }
    const plan = (prefix: string) => ({ store, baseURL: server.url, steps: [{ do: 'wait' as const }, { do: 'set-cookies' as const, prefix, count: 80, batch: 4 }, { do: 'get' as const, path: '/cookies' }] })
    const workers = [startWorker(worker, plan('a')), startWorker(worker, plan('b'))]
    await Promise.all(workers.map(item => item.next(line => line.ready === true)))
    for (const item of workers) item.release()
    const ends = await Promise.all(workers.map(item => item.exited))
    for (const end of ends) expect(end).toMatchObject({ code: 0, stderr: '' })
    const keys = await client.keys('shared:concurrent:*')
    expect(keys.length).toBe(160)
    const jar = new CookieJar(createUnstorageStore(redisStorage(), { base: 'shared:concurrent' }))
    const names = (await jar.getCookies(server.url)).map(cookie => cookie.key)
    expect(new Set(names)).toEqual(new Set([...Array.from({ length: 80 }, (_, index) => `a${index}`), ...Array.from({ length: 80 }, (_, index) => `b${index}`)]))
    // The worker that finished last sent every cookie of both (all were stored before its last request).
    const seen = workers.map(item => Object.keys(item.lines.find(line => line.do === 'get')!.body.cookies).length)
    expect(Math.max(...seen)).toBe(160)
  }, 30_000)
})
