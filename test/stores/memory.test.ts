/** The in-memory store (the default of every session) against the store contract. */
import { MemoryCookieStore } from 'tough-cookie'
import { describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { createMemoryStore } from '../../src/cookies/stores/memory'
import { describeStoreContract } from './contract'

describeStoreContract('memory', async () => ({ store: createMemoryStore() }))

describe('the memory store', () => {
  it('is tough-cookie\'s MemoryCookieStore, and what a session uses by default', async () => {
    expect(createMemoryStore()).toBeInstanceOf(MemoryCookieStore)
    const session = createSession()
    expect(session.cookies!.store).toBeInstanceOf(MemoryCookieStore)
    await session.close()
  })
})
