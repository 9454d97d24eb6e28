/**
 * The stores' options are read from own properties only, like the session's (SECURITY.md): a
 * polluted `Object.prototype` is never taken for a store's `key`, `base`, `ttl`, `maxBytes` or the
 * file store's delays. Polluted here for the length of one synchronous call, then restored.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import { afterAll, describe, expect, it } from 'vitest'
import { createFileStore } from '../../src/cookies/stores/file'
import { createUnstorageStore } from '../../src/cookies/stores/unstorage'
import { createWebStorageStore } from '../../src/cookies/stores/web-storage'
import type { WebStorageLike } from '../../src/cookies/stores/web-storage'

const folder = mkdtempSync(join(tmpdir(), 'fetch-session-store-options-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** Runs `make` with `Object.prototype[key] = value`, always restored. */
function polluted<T>(values: Record<string, unknown>, make: () => T): T {
  const proto = Object.prototype as Record<string, unknown>
  for (const [key, value] of Object.entries(values)) Object.defineProperty(proto, key, { value, configurable: true, writable: true, enumerable: false })
  try {
    return make()
  }
  finally {
    for (const key of Object.keys(values)) delete proto[key]
  }
}

function memoryStorage(): WebStorageLike {
  const map = new Map<string, string>()
  return { getItem: key => map.get(key) ?? null, setItem: (key, value) => void map.set(key, value), removeItem: key => void map.delete(key) }
}

describe('store options ignore a polluted Object.prototype', () => {
  it('web storage: a polluted `key` or `maxBytes` is not taken', () => {
    const store = polluted({ key: 'evil', maxBytes: 1 }, () => createWebStorageStore(memoryStorage()))
    expect(store.key).toBe('fetch-session:cookies')
    expect(store.maxBytes).toBe(1_000_000)
  })

  it('unstorage: a polluted `base` or `ttl` is not taken', () => {
    const store = polluted({ base: '', ttl: 1 }, () => createUnstorageStore(createStorage()))
    expect(store.base).toBe('fetch-session:cookies')
    expect((store as unknown as { ttl: unknown }).ttl).toBe(false)
  })

  it('file: a polluted delay is not taken', () => {
    expect(() => polluted({ writeDelay: -1, lockTimeout: Number.NaN }, () => createFileStore(join(folder, 'cookies.json')))).not.toThrow()
  })
})
