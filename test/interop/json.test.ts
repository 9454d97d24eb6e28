/**
 * `session.cookies` serializes and restores with tough-cookie's own API: `JSON.stringify(jar)` /
 * `CookieJar.fromJSON()` (synchronous stores, such as the default memory store) and
 * `await jar.serialize()` / `CookieJar.deserialize()` (any store, the persistent ones too). A
 * session restored from it is logged in.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CookieJar } from 'tough-cookie'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../src/index'
import { createFileStore } from '../../src/cookies/stores/file'
import { startServer } from '../helpers/server'
import type { TestServer } from '../helpers/server'

let server: TestServer
const folder = mkdtempSync(join(tmpdir(), 'fetch-session-json-'))
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
  rmSync(folder, { recursive: true, force: true })
})

async function loggedIn(): Promise<ReturnType<typeof createSession>> {
  const session = createSession({ baseURL: server.url })
  await session.post('/api/login', { body: { username: 'alice', password: 'wonderland' } })
  await session('/cookies/set/theme/dark')
  return session
}

describe('serializing session.cookies', () => {
  it('JSON.stringify(session.cookies) and CookieJar.fromJSON() restore a logged-in session', async () => {
    const session = await loggedIn()
    const text = JSON.stringify(session.cookies)
    await session.close()
    const saved = JSON.parse(text)
    expect(saved.version).toMatch(/^tough-cookie@/)
    expect(saved.cookies.map((cookie: { key: string }) => cookie.key).sort()).toEqual(['sid', 'theme'])
    expect(saved.cookies.find((cookie: { key: string }) => cookie.key === 'sid')).toMatchObject({ httpOnly: true, domain: '127.0.0.1', path: '/' })

    const restored = createSession({ cookies: CookieJar.fromJSON(text), baseURL: server.url })
    expect(await restored('/protected')).toMatchObject({ user: 'alice' })
    expect(await restored('/cookies')).toEqual({ cookies: { sid: expect.any(String), theme: 'dark' } })
    await restored.close()
  })

  it('await session.cookies.serialize() and CookieJar.deserialize() restore it, into a persistent store too', async () => {
    const session = await loggedIn()
    const serialized = await session.cookies!.serialize()
    await session.close()
    const path = join(folder, 'restored.json')
    const store = createFileStore(path)
    const restored = createSession({ cookies: await CookieJar.deserialize(serialized, store), baseURL: server.url })
    expect(await restored('/protected')).toMatchObject({ user: 'alice' })
    await restored.close()
    // What the file store wrote is itself a serialized jar.
    const again = await CookieJar.deserialize(JSON.parse(readFileSync(path, 'utf8')))
    expect((await again.getCookies(server.url)).map(cookie => cookie.key).sort()).toEqual(['sid', 'theme'])
  })

  it('a jar over an asynchronous store (file) serializes with serialize(); JSON.stringify needs a synchronous one', async () => {
    const session = createSession({ cookies: createFileStore(join(folder, 'async.json')), baseURL: server.url })
    await session('/cookies/set/a/1')
    expect((await session.cookies!.serialize()).cookies.map(cookie => cookie.key)).toEqual(['a'])
    expect(() => JSON.stringify(session.cookies)).toThrow(/synchronous/)
    await session.close()
  })
})
