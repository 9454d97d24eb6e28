/**
 * Hostile sites cannot fill Web Storage (issue 12, item 3): the Web Storage store keeps its
 * cookies within a budget (`maxBytes`, 1,000,000 characters by default) well under the storage's
 * quota, evicts as browsers do when a change would pass it, and writes what a change changes,
 * not the whole jar.
 *
 * The storage is test/stores/quota-storage.ts: a Storage that throws a `QuotaExceededError`
 * DOMException past 5 MiB of characters, as Firefox and Safari do (Node has no localStorage, and
 * happy-dom's has no quota; Deno's real localStorage runs the same in test/stores/runtimes.test.ts).
 * The hostile servers are real: the test server under eight loopback addresses (127.0.0.2…9),
 * each setting the 180 cookies of 4 KB the jar admits per domain: 5.9 MB in all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { createWebStorageStore } from '../../src/cookies/stores/web-storage'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'
import { QuotaStorage } from '../stores/quota-storage'

let server: TestServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())

/**
 * Eight hostile sites each set 180 cookies of 4 KB: 3 per response (under undici's 16 KiB of
 * response headers), each batch on a path of its own so that the next request does not carry
 * them back (the server takes 16 KiB of request headers).
 */
async function flood(session: ReturnType<typeof createSession>, round: string): Promise<number> {
  let characters = 0
  for (let host = 2; host <= 9; host++) {
    for (let index = 0; index < 180; index += 3) {
      const path = `/set-cookie/${round}${index}`
      const raw = [0, 1, 2].map(offset => `${round}${index + offset}=${'x'.repeat(4000)}; Path=${path}`)
      characters += raw.join('').length
      await session(`http://127.0.0.${host}:${server.port}${path}`, { method: 'POST', body: raw })
    }
  }
  return characters
}

/** Logs in on the test server (its HTML form with a CSRF token) and says who is welcome. */
async function logIn(session: ReturnType<typeof createSession>): Promise<string | undefined> {
  const page = await session(`${server.url}/login`, { responseType: 'text' })
  const token = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!
  const dashboard = await session(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'wonderland', csrf_token: token }), responseType: 'text' })
  return /Welcome, [^!]+!/.exec(dashboard)?.[0]
}

describe('a hostile site cannot fill Web Storage', () => {
  it('after 5.9 MB of hostile cookies against a 5 MB quota, a login works, survives a reload, and survives more of them', async () => {
    const storage = new QuotaStorage()
    const session = createSession({ cookies: createWebStorageStore(storage), retry: false })
    const offered = await flood(session, 'a')
    expect(offered).toBeGreaterThan(storage.quota)
    // The store stayed within its budget, far from the quota.
    expect(storage.used).toBeLessThanOrEqual(1_000_000)
    expect(await logIn(session)).toBe('Welcome, alice!')
    await session.close()

    // A reload: a new store over the same storage is logged in.
    const reloaded = createSession({ cookies: createWebStorageStore(storage), retry: false })
    expect(await reloaded(`${server.url}/protected`)).toEqual({ user: 'alice', secret: 'the protected page' })
    // More hostile cookies evict the hostile sites' own first (domains with more than 50 cookies go first).
    await flood(reloaded, 'b')
    expect(storage.used).toBeLessThanOrEqual(1_000_000)
    await reloaded.close()
    const again = createSession({ cookies: createWebStorageStore(storage), retry: false })
    expect(await again(`${server.url}/protected`)).toEqual({ user: 'alice', secret: 'the protected page' })
    await again.close()
  }, 60_000)

  it('writes are proportional to the change: what the flood wrote is a small multiple of what it set', async () => {
    const storage = new QuotaStorage()
    const session = createSession({ cookies: createWebStorageStore(storage), retry: false })
    const offered = await flood(session, 'w')
    // Each cookie costs its entry and its domain's list of names (and evictions rewrite lists):
    // linear in what was set. Rewriting the whole jar per change would have written gigabytes.
    expect(storage.written).toBeLessThan(3 * offered)
    // One more cookie on a site of its own: its entry, its domain's list and the index.
    const writes = storage.writes
    const written = storage.written
    await session(`${server.url}/cookies/set/theme/dark`)
    expect(storage.writes - writes).toBe(3)
    expect(storage.written - written).toBeLessThan(2000)
    // Changing it again writes its entry alone.
    await session(`${server.url}/cookies/set/theme/light`)
    expect(storage.writes - writes).toBe(4)
    await session.close()
  }, 60_000)
})
