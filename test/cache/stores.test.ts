/**
 * The HTTP cache stores (issue 14) against the cache store contract: the memory store, and the
 * unstorage store with unstorage's memory driver, its fs driver (a temporary folder) and its
 * Redis driver on a real `redis-server` this file starts (a free port, no persistence). Then what
 * each one adds: the memory store's bounds and recency, the unstorage store's key layout, format,
 * time to live in Redis, and its refusal of values it did not write.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { createStorage } from 'unstorage'
import type { Storage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryCacheStore } from '../../src/cache/memory'
import { createUnstorageCacheStore } from '../../src/cache/unstorage'
import type { CachedResponse } from '../../src/cache/store'
import { dependencySkip } from '../helpers/dependencies'
import { root, useRedis } from '../stores/helpers'
import { describeCacheStoreContract, EVERY_BYTE, responseRecord, variantsRecord } from './store-contract'

/** Why the Redis tests cannot run here (locally without redis-server); on CI they always run. */
const noRedis = dependencySkip('redis-server', 'the unstorage cache store over Redis (and its store contract)', import.meta.filename)
const redis = useRedis(noRedis)
let counter = 0
const redisStorage = (): Storage => redis.storage()

/** Where the unstorage store keeps `key`: `<base>:<SHA-256 of the key, hex>`. */
function storageKey(base: string, key: string): string {
  return `${base}:${createHash('sha256').update(key).digest('hex')}`
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describeCacheStoreContract('memory', async () => ({ store: createMemoryCacheStore() }))

describeCacheStoreContract('unstorage (memory driver)', async () => {
  const storage = createStorage()
  return { store: createUnstorageCacheStore(storage), reopen: () => createUnstorageCacheStore(storage) }
})

describeCacheStoreContract('unstorage (fs driver, a temporary folder)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-session-cache-'))
  const storage = createStorage({ driver: fsDriver({ base: dir }) })
  return {
    store: createUnstorageCacheStore(storage),
    reopen: () => createUnstorageCacheStore(createStorage({ driver: fsDriver({ base: dir }) })),
    cleanup: async () => {
      await storage.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})

describeCacheStoreContract('unstorage (Redis driver, real redis-server)', async () => {
  const base = `contract:${++counter}`
  return {
    store: createUnstorageCacheStore(redisStorage(), { base }),
    // Another connection: what another process sees.
    reopen: () => createUnstorageCacheStore(redisStorage(), { base }),
  }
}, noRedis)

describe('the memory cache store', () => {
  it('is synchronous: get, set and delete return values, not promises', () => {
    const store = createMemoryCacheStore()
    expect(store.set('a', variantsRecord(), 1000)).toBeUndefined()
    expect(store.get('a')).toEqual(variantsRecord())
    expect(store.delete('a')).toBeUndefined()
    expect(store.get('a')).toBeUndefined()
  })

  it('evicts the least recently used first, a get counting as a use', () => {
    const store = createMemoryCacheStore({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) store.set(key, variantsRecord(key), 60_000)
    expect(store.get('a')?.kind).toBe('variants')
    store.set('d', variantsRecord('d'), 60_000)
    expect(store.get('b')).toBeUndefined()
    // Overwriting counts as a use too: c is now the most recent, so a goes next.
    store.set('c', variantsRecord('c2'), 60_000)
    store.set('e', variantsRecord('e'), 60_000)
    expect(store.get('a')).toBeUndefined()
    expect(['c', 'd', 'e'].map(key => store.get(key))).toEqual([variantsRecord('c2'), variantsRecord('d'), variantsRecord('e')])
    expect(store.size).toBe(3)
  })

  it('keeps at most maxEntries records: the most recent ones', () => {
    const store = createMemoryCacheStore({ maxEntries: 5 })
    for (let index = 0; index < 12; index++) store.set(`k${index}`, variantsRecord(String(index)), 60_000)
    expect(store.size).toBe(5)
    expect(store.maxEntries).toBe(5)
    for (let index = 0; index < 12; index++) expect(store.get(`k${index}`) !== undefined, `k${index}`).toBe(index >= 7)
  })

  it('keeps at most maxBytes bytes, counting bodies and the policy\'s headers', () => {
    // One record of 3000 bytes of body, in a store of its own: what it counts.
    const probe = createMemoryCacheStore()
    probe.set('k0', responseRecord(new Uint8Array(3000)), 60_000)
    const one = probe.bytes
    expect(one).toBeGreaterThan(3000)
    expect(one).toBeLessThan(3000 + 1000)
    // A big header counts about its length.
    probe.set('k0', responseRecord(new Uint8Array(3000), undefined, { 'x-big': 'x'.repeat(2000) }), 60_000)
    expect(probe.bytes - one).toBeGreaterThanOrEqual(2000)
    expect(probe.bytes - one).toBeLessThan(2100)
    // Room for three such records, not four.
    const store = createMemoryCacheStore({ maxBytes: 3 * one + 100 })
    expect(store.maxBytes).toBe(3 * one + 100)
    for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) {
      store.set(key, responseRecord(new Uint8Array(3000)), 60_000)
      expect(store.bytes).toBeLessThanOrEqual(store.maxBytes)
    }
    expect(store.size).toBe(3)
    expect(store.bytes).toBe(3 * one)
    expect(['k1', 'k2', 'k3', 'k4', 'k5'].map(key => store.get(key) !== undefined)).toEqual([false, false, true, true, true])
    store.delete('k3')
    store.delete('k4')
    store.delete('k5')
    expect(store.bytes).toBe(0)
  })

  it('does not store a record bigger than maxBytes, and drops what was under its key', () => {
    const store = createMemoryCacheStore({ maxBytes: 2000 })
    store.set('key', responseRecord(Uint8Array.of(1)), 60_000)
    store.set('other', variantsRecord(), 60_000)
    const before = store.bytes
    store.set('key', responseRecord(new Uint8Array(2000)), 60_000)
    expect(store.get('key')).toBeUndefined()
    expect(store.get('other')).toEqual(variantsRecord())
    expect(store.size).toBe(1)
    expect(store.bytes).toBeLessThan(before)
  })

  it('drops expired records before live ones when it is full', async () => {
    const store = createMemoryCacheStore({ maxEntries: 2 })
    store.set('old-but-live', variantsRecord('live'), 60_000)
    store.set('recent-but-expiring', variantsRecord('expiring'), 50)
    await sleep(120)
    store.set('new', variantsRecord('new'), 60_000)
    expect(store.get('old-but-live')).toEqual(variantsRecord('live'))
    expect(store.get('new')).toEqual(variantsRecord('new'))
    expect(store.size).toBe(2)
  })

  it('an expired record is dropped when read; clear() drops everything', async () => {
    const store = createMemoryCacheStore()
    store.set('short', responseRecord(EVERY_BYTE), 50)
    store.set('long', responseRecord(EVERY_BYTE), 60_000)
    await sleep(120)
    expect(store.get('short')).toBeUndefined()
    expect(store.size).toBe(1)
    // A time to live of 0 keeps nothing.
    store.set('zero', responseRecord(EVERY_BYTE), 0)
    expect(store.size).toBe(1)
    store.clear()
    expect([store.size, store.bytes]).toEqual([0, 0])
    expect(store.get('long')).toBeUndefined()
  })

  it('refuses bounds that are not whole numbers above 0, naming the option', () => {
    for (const name of ['maxEntries', 'maxBytes'] as const) {
      for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) {
        let failure: unknown
        try {
          createMemoryCacheStore({ [name]: value as number })
        }
        catch (error) {
          failure = error
        }
        expect(failure, `${name}: ${String(value)}`).toMatchObject({ name: 'InvalidRequestError', option: `cache.store.${name}` })
        expect((failure as Error).message).toContain(`\`${name}\` must be a whole number above 0`)
      }
    }
    expect(createMemoryCacheStore({ maxEntries: 1, maxBytes: 1 })).toMatchObject({ maxEntries: 1, maxBytes: 1 })
    expect(createMemoryCacheStore()).toMatchObject({ maxEntries: 1000, maxBytes: 50 * 1024 * 1024 })
    // A bound inherited from a polluted prototype is not read.
    expect(createMemoryCacheStore(Object.create({ maxEntries: 0 }))).toMatchObject({ maxEntries: 1000 })
  })
})

describe('the unstorage cache store', () => {
  it('needs an unstorage storage and a base', () => {
    expect(() => createUnstorageCacheStore({} as never)).toThrow(/needs an unstorage storage .* no getItem\(\)/)
    expect(() => createUnstorageCacheStore(undefined as never)).toThrow(/needs an unstorage storage/)
    expect(() => createUnstorageCacheStore(createStorage(), { base: ':' })).toThrow(/must not be empty/)
    expect(() => createUnstorageCacheStore(createStorage(), { base: 5 as never })).toThrow(/must be a string/)
    let failure: unknown
    try {
      createUnstorageCacheStore(createStorage(), { base: '' })
    }
    catch (error) {
      failure = error
    }
    expect(failure).toMatchObject({ name: 'InvalidRequestError', option: 'base' })
    expect(createUnstorageCacheStore(createStorage(), { base: '/caches/http/' }).base).toBe('caches:http')
    expect(createUnstorageCacheStore(createStorage()).base).toBe('fetch-session:cache')
  })

  it('keeps each record under <base>:<SHA-256 of its key>, as JSON with the body in base64 and when it expires', async () => {
    const storage = createStorage()
    const store = createUnstorageCacheStore(storage, { base: 'http' })
    const key = 'GET https://app.example/a/b?c=d'
    const started = Date.now()
    const record = responseRecord(EVERY_BYTE)
    await store.set(key, record, 60_000)
    await store.set('GET https://app.example/v', variantsRecord(), 60_000)
    expect((await storage.getKeys()).sort()).toEqual([storageKey('http', key), storageKey('http', 'GET https://app.example/v')].sort())
    const value = await storage.getItem(storageKey('http', key)) as Record<string, any>
    expect(value).toMatchObject({ v: 1, kind: 'response', body: Buffer.from(EVERY_BYTE).toString('base64'), policy: record.policy })
    expect(value.expires).toBeGreaterThanOrEqual(started + 60_000)
    expect(value.expires).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it('a value it did not write (garbage, another format version, a broken record) is a miss, not an error', async () => {
    const storage = createStorage()
    const store = createUnstorageCacheStore(storage)
    const valid = { v: 1, expires: Date.now() + 60_000, kind: 'response', policy: {}, body: 'AAE=' }
    const foreign: unknown[] = [
      'not json',
      '{"v":1,"kind"',
      42,
      true,
      [1, 2],
      { v: 2, expires: null, kind: 'variants', vary: [], id: 'x' },
      { ...valid, kind: 'other' },
      { ...valid, body: '%%% not base64 %%%' },
      { ...valid, body: 7 },
      { ...valid, policy: null },
      { ...valid, policy: [] },
      { ...valid, expires: '2099' },
      { ...valid, expires: undefined },
      { v: 1, expires: null, kind: 'variants', vary: 'accept', id: 'x' },
      { v: 1, expires: null, kind: 'variants', vary: [1], id: 'x' },
      { v: 1, expires: null, kind: 'variants', vary: [] },
    ]
    for (const [index, value] of foreign.entries()) {
      await storage.setItem(storageKey('fetch-session:cache', `k${index}`), value as never)
      expect(await store.get(`k${index}`), JSON.stringify(value)).toBeUndefined()
    }
    // The same, well formed, is a hit: the misses above are the breakages, not the layout.
    await storage.setItem(storageKey('fetch-session:cache', 'good'), valid)
    expect(await store.get('good')).toMatchObject({ kind: 'response', policy: {}, body: Uint8Array.of(0, 1) })
  })

  it('works over a storage that is not unstorage and hands values back as JSON text', async () => {
    const texts = new Map<string, string>()
    const store = createUnstorageCacheStore({
      getItem: async key => texts.get(key) ?? null,
      setItem: async (key, value) => {
        texts.set(key, JSON.stringify(value))
      },
      removeItem: async (key) => {
        texts.delete(key)
      },
    })
    await store.set('key', responseRecord(EVERY_BYTE), 60_000)
    expect([...texts.keys()]).toEqual([storageKey('fetch-session:cache', 'key')])
    expect(Array.from((await store.get('key') as CachedResponse).body)).toEqual(Array.from(EVERY_BYTE))
    texts.set(storageKey('fetch-session:cache', 'key'), '{"v":1,')
    expect(await store.get('key')).toBeUndefined()
  })

  it('a time to live that is not above 0 leaves no key in the storage', async () => {
    const storage = createStorage()
    const store = createUnstorageCacheStore(storage)
    await store.set('key', variantsRecord(), 60_000)
    await store.set('key', variantsRecord(), 0)
    await store.set('other', variantsRecord(), -5)
    expect(await storage.getKeys()).toEqual([])
  })

  it('a record with an infinite time to live has no expiry and no driver ttl', async () => {
    const calls: unknown[] = []
    const storage = createStorage()
    // The storage, recording the options each setItem gets.
    const spy = {
      getItem: storage.getItem,
      removeItem: storage.removeItem,
      setItem: (key: string, value: unknown, options?: { ttl?: number }) => {
        calls.push(options)
        return storage.setItem(key, value as never, options)
      },
    }
    const store = createUnstorageCacheStore(spy)
    await store.set('forever', variantsRecord(), Number.POSITIVE_INFINITY)
    await store.set('short', variantsRecord(), 1200)
    expect(calls).toEqual([undefined, { ttl: 2 }])
    expect(await storage.getItem(storageKey('fetch-session:cache', 'forever'))).toMatchObject({ expires: null })
    expect(await store.get('forever')).toEqual(variantsRecord())
  })

  it('the module never imports unstorage (an optional peer dependency)', () => {
    // An import or export statement (not the examples in comments), or a dynamic import.
    const importsUnstorage = /^\s*(?:import|export)\b[^\n]*from\s*['"]unstorage|\bimport\s*\(\s*['"]unstorage/m
    const source = readFileSync(join(root, 'src/cache/unstorage.ts'), 'utf8')
    expect(source).not.toMatch(importsUnstorage)
    expect(source).toMatch(/^import type \{ CacheRecord, CacheStore \} from '\.\/store'$/m)
    const built = join(root, 'dist/cache/unstorage.js')
    if (existsSync(built)) expect(readFileSync(built, 'utf8')).not.toMatch(importsUnstorage)
  })

  it('with the fs driver, each record is one file named by its digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fetch-session-cache-'))
    const storage = createStorage({ driver: fsDriver({ base: dir }) })
    try {
      await createUnstorageCacheStore(storage, { base: 'http' }).set('GET https://app.example/../../etc/passwd?x=1', responseRecord(EVERY_BYTE), 60_000)
      expect(readdirSync(join(dir, 'http'))).toEqual([createHash('sha256').update('GET https://app.example/../../etc/passwd?x=1').digest('hex')])
    }
    finally {
      await storage.dispose()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(noRedis !== undefined)(`the unstorage cache store over Redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  let client: Redis
  beforeAll(() => {
    client = new Redis(redis.url)
  })
  afterAll(() => {
    client?.disconnect()
  })

  it('stores one key per record, <base>:<64 hex digits>, with no URL in it', async () => {
    const store = createUnstorageCacheStore(redisStorage(), { base: 'layout:http' })
    await store.set('GET https://app.example/a/b?c=d', responseRecord(EVERY_BYTE), 60_000)
    await store.set('GET https://app.example/varies', variantsRecord(), 60_000)
    const keys = (await client.keys('layout:http:*')).sort()
    expect(keys).toEqual([storageKey('layout:http', 'GET https://app.example/a/b?c=d'), storageKey('layout:http', 'GET https://app.example/varies')].sort())
    for (const key of keys) {
      expect(key).toMatch(/^layout:http:[0-9a-f]{64}$/)
      expect(key).not.toContain('app.example')
    }
    const value = JSON.parse((await client.get(storageKey('layout:http', 'GET https://app.example/a/b?c=d')))!)
    expect(value).toMatchObject({ v: 1, kind: 'response', body: Buffer.from(EVERY_BYTE).toString('base64') })
  })

  it('gives Redis the time to live (whole seconds, rounded up), and the record is a miss once it has passed', async () => {
    const store = createUnstorageCacheStore(redisStorage(), { base: 'ttl:http' })
    await store.set('short', responseRecord(EVERY_BYTE), 1500)
    await store.set('long', responseRecord(EVERY_BYTE), 600_000)
    await store.set('forever', variantsRecord(), Number.POSITIVE_INFINITY)
    const short = await client.pttl(storageKey('ttl:http', 'short'))
    expect(short).toBeGreaterThan(1500)
    expect(short).toBeLessThanOrEqual(2000)
    const long = await client.pttl(storageKey('ttl:http', 'long'))
    expect(long).toBeGreaterThan(590_000)
    expect(long).toBeLessThanOrEqual(600_000)
    expect(await client.pttl(storageKey('ttl:http', 'forever'))).toBe(-1)
    // 300 ms: Redis keeps the key for 1 s, the store's own expiry makes it a miss sooner.
    await store.set('brief', variantsRecord(), 300)
    await sleep(450)
    expect(await client.exists(storageKey('ttl:http', 'brief'))).toBe(1)
    expect(await store.get('brief')).toBeUndefined()
  })

  it('a corrupt value in Redis is a miss and is left as it is', async () => {
    const store = createUnstorageCacheStore(redisStorage(), { base: 'corrupt:http' })
    await client.set(storageKey('corrupt:http', 'key'), 'garbage {')
    expect(await store.get('key')).toBeUndefined()
    await client.set(storageKey('corrupt:http', 'key'), JSON.stringify({ v: 1, expires: null, kind: 'response', policy: {}, body: 'not base64!' }))
    expect(await store.get('key')).toBeUndefined()
    expect(await client.get(storageKey('corrupt:http', 'key'))).toContain('not base64!')
  })

  it('an error of the storage itself is thrown (the cache layer reports it)', async () => {
    const storage = createStorage({ driver: redisDriver({ url: 'redis://127.0.0.1:9', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false }) })
    const store = createUnstorageCacheStore(storage)
    const failures = await Promise.all([
      store.get('key').then(() => undefined, (error: unknown) => error),
      store.set('key', variantsRecord(), 1000).then(() => undefined, (error: unknown) => error),
      store.delete('key').then(() => undefined, (error: unknown) => error),
    ])
    await storage.dispose()
    for (const failure of failures) expect(failure).toBeInstanceOf(Error)
  })

  it('what one connection writes, another reads, body and all', async () => {
    const writer = createUnstorageCacheStore(redisStorage(), { base: 'shared:http' })
    const reader = createUnstorageCacheStore(redisStorage(), { base: 'shared:http' })
    const record = responseRecord(EVERY_BYTE, 'https://app.example/shared')
    await writer.set('GET https://app.example/shared', record, 60_000)
    const found = await reader.get('GET https://app.example/shared') as CachedResponse
    expect(found.policy).toEqual(record.policy)
    expect(Array.from(found.body)).toEqual(Array.from(EVERY_BYTE))
  })
})
