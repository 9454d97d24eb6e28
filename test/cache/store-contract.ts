/**
 * The HTTP cache store contract (src/cache/store.ts): one suite that every cache store runs (the
 * memory one, unstorage with its memory, fs and Redis drivers), the way unstorage tests each of
 * its drivers.
 *
 *   describeCacheStoreContract('memory', async () => ({ store }))
 *
 * `reopen` (stores over shared storage) gives a second store over the same storage: what another
 * process sees. Records are made the way the cache layer makes them: the policy is
 * http-cache-semantics' `CachePolicy.toObject()`.
 */
import CachePolicy from 'http-cache-semantics'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CachedResponse, CacheRecord, CacheStore, CacheVariants } from '../../src/cache/store'

/** What a contract run needs for one test: a fresh, empty store. */
export interface CacheStoreUnderTest {
  store: CacheStore
  /** A new store over the same storage (another connection: what another process sees). */
  reopen?: () => CacheStore | Promise<CacheStore>
  /** Removes the storage. */
  cleanup?: () => void | Promise<void>
}

/** Every byte value, 0 to 255, in order. */
export const EVERY_BYTE: Uint8Array = Uint8Array.from({ length: 256 }, (_, index) => index)

/** A response record as the cache layer makes one: a real `CachePolicy`, serialised. */
export function responseRecord(body: Uint8Array, url = 'https://app.example/a?b=1', headers: Record<string, string> = {}): CachedResponse {
  const policy = new CachePolicy(
    { url, method: 'GET', headers: { host: 'app.example', accept: 'text/html' } },
    { status: 200, headers: { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream', 'vary': 'accept', ...headers } },
  )
  return { kind: 'response', policy: policy.toObject() as unknown as Record<string, unknown>, body }
}

/** A `Vary` record. */
export function variantsRecord(id = 'generation-1'): CacheVariants {
  return { kind: 'variants', vary: ['accept', 'accept-language'], id }
}

/** Bytes as a plain array, so that a mismatch prints readably (and a Buffer equals a Uint8Array). */
function bytesOf(record: CacheRecord | undefined): number[] | undefined {
  return record?.kind === 'response' ? Array.from(record.body) : undefined
}

/** Some bytes that are not a pattern: each one from the previous (a linear congruential sequence). */
function noise(length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  let state = 12345
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) >>> 0
    bytes[index] = state >>> 24
  }
  return bytes
}

/** Defines the contract suite for one store; `skip` (a reason) skips it. */
export function describeCacheStoreContract(name: string, setup: () => Promise<CacheStoreUnderTest>, skip?: string): void {
  describe.skipIf(skip !== undefined)(`cache store contract: ${name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let current: CacheStoreUnderTest
    let store: CacheStore
    beforeEach(async () => {
      current = await setup()
      store = current.store
    })
    afterEach(async () => {
      await current?.cleanup?.()
    })

    it('a key never set is a miss', async () => {
      expect(await store.get('https://app.example/never')).toBeUndefined()
    })

    it('keeps a response: its policy as given, its body byte for byte (every byte value)', async () => {
      const record = responseRecord(EVERY_BYTE)
      await store.set('GET https://app.example/a?b=1', record, 60_000)
      const found = await store.get('GET https://app.example/a?b=1')
      expect(found).toMatchObject({ kind: 'response', policy: record.policy })
      expect(bytesOf(found)).toEqual(Array.from(EVERY_BYTE))
      expect((found as CachedResponse).body).toBeInstanceOf(Uint8Array)
      // The policy comes back as a CachePolicy the cache can use.
      const policy = CachePolicy.fromObject((found as CachedResponse).policy as unknown as CachePolicy.CachePolicyObject)
      expect(policy.responseHeaders()).toMatchObject({ 'content-type': 'application/octet-stream', 'vary': 'accept' })
      expect(policy.satisfiesWithoutRevalidation({ url: 'https://app.example/a?b=1', method: 'GET', headers: { host: 'app.example', accept: 'text/html' } })).toBe(true)
    })

    it('keeps an empty body, and a body of a megabyte', async () => {
      const big = noise(1024 * 1024 + 7)
      await store.set('empty', responseRecord(new Uint8Array(0)), 60_000)
      await store.set('big', responseRecord(big), 60_000)
      const empty = await store.get('empty')
      expect(empty?.kind).toBe('response')
      expect((empty as CachedResponse).body.byteLength).toBe(0)
      const found = await store.get('big')
      expect((found as CachedResponse).body.byteLength).toBe(big.byteLength)
      expect(Buffer.from((found as CachedResponse).body).equals(Buffer.from(big))).toBe(true)
    })

    it('keeps a Vary record', async () => {
      await store.set('GET https://app.example/varies', variantsRecord(), 60_000)
      expect(await store.get('GET https://app.example/varies')).toEqual(variantsRecord())
    })

    it('set replaces what was under the key, a response by a Vary record and back', async () => {
      await store.set('key', responseRecord(Uint8Array.of(1)), 60_000)
      await store.set('key', responseRecord(Uint8Array.of(2, 2)), 60_000)
      expect(bytesOf(await store.get('key'))).toEqual([2, 2])
      await store.set('key', variantsRecord('g2'), 60_000)
      expect(await store.get('key')).toEqual(variantsRecord('g2'))
      await store.set('key', responseRecord(Uint8Array.of(3)), 60_000)
      expect(bytesOf(await store.get('key'))).toEqual([3])
    })

    it('delete removes one key, and is fine with a key that is not there', async () => {
      await store.set('a', responseRecord(Uint8Array.of(1)), 60_000)
      await store.set('b', variantsRecord(), 60_000)
      await store.delete('a')
      await store.delete('never-set')
      expect(await store.get('a')).toBeUndefined()
      expect(await store.get('b')).toEqual(variantsRecord())
    })

    it('keys that differ only in what unstorage rewrites (`?`, `/`, `\\`, `:`) stay apart', async () => {
      const keys = ['GET https://app.example/x?y=1', 'GET https://app.example/x?y=2', 'GET https://app.example/x', 'GET https://app.example:x', 'GET https://app.example\\x', 'GET https://app.example//x', 'GET https://app.example/x/']
      for (const [index, key] of keys.entries()) await store.set(key, responseRecord(Uint8Array.of(index)), 60_000)
      for (const [index, key] of keys.entries()) expect(bytesOf(await store.get(key)), key).toEqual([index])
    })

    it('a record is gone once its time to live has passed', async () => {
      await store.set('short', responseRecord(Uint8Array.of(1)), 300)
      await store.set('long', variantsRecord(), 60_000)
      expect(bytesOf(await store.get('short'))).toEqual([1])
      await new Promise(resolve => setTimeout(resolve, 450))
      expect(await store.get('short')).toBeUndefined()
      expect(await store.get('long')).toEqual(variantsRecord())
    })

    it('a time to live that is not above 0 stores nothing, and removes what was there', async () => {
      await store.set('key', variantsRecord(), 60_000)
      await store.set('key', responseRecord(Uint8Array.of(1)), 0)
      expect(await store.get('key')).toBeUndefined()
    })

    it('another store over the same storage (or this one, without `reopen`) sees each write and delete', async () => {
      const other = current.reopen ? await current.reopen() : store
      await store.set('shared', responseRecord(EVERY_BYTE), 60_000)
      expect(bytesOf(await other.get('shared'))).toEqual(Array.from(EVERY_BYTE))
      await other.set('shared', variantsRecord('from-the-other'), 60_000)
      expect(await store.get('shared')).toEqual(variantsRecord('from-the-other'))
      await other.delete('shared')
      expect(await store.get('shared')).toBeUndefined()
    })
  })
}
